"""Audio samples on the bake's clock: clips, mixing and resampling to the analysis rate.

Why one fixed analysis rate: every decoder (Blender's ``aud``, scipy's WAV reader) and every file
(22.05, 44.1, 48 kHz…) ends up as the same 16 kHz mono track, so the analysis — and therefore the
curves — depend on the voice, not on how it was stored.  16 kHz keeps everything speech carries
for voice activity and pitch (telephone speech is 8 kHz) at a third of the cost of 48 kHz.

A ``Clip`` says where decoded samples sit on the bake's clock, the way a sequencer strip does:
``start_s`` is where the clip's visible part begins (seconds from the bake's first frame, may be
negative), ``offset_s`` how far into the samples that visible part starts (the strip's trim and
sound offset), ``duration_s`` how long it stays visible, ``gain`` its volume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import gcd

import numpy as np

from ..limits import InputError

# Rate the analysis runs at, Hz (see the module docstring).
ANALYSIS_RATE_HZ = 16000


class AudioError(InputError):
    """An audio file that is missing or cannot be read, or a clip that cannot be used; the
    message names the file (CLI exit code 2)."""


@dataclass(frozen=True, eq=False)
class Clip:
    """Mono ``samples`` at ``rate_hz`` placed on the bake's clock (see the module docstring)."""

    samples: np.ndarray
    rate_hz: float
    start_s: float = 0.0
    offset_s: float = 0.0
    duration_s: float | None = None  # None: to the end of the samples
    gain: float = 1.0
    source: str = field(default="", compare=False)  # the strip or file, for reports

    def visible_s(self) -> float:
        """How long the clip plays (its duration, or what is left of the samples after the
        offset)."""
        left = max(self.samples.size / self.rate_hz - self.offset_s, 0.0)
        return left if self.duration_s is None else min(max(self.duration_s, 0.0), left)

    def describe(self) -> dict:
        """The clip as the bake report lists it."""
        return {
            "source": self.source,
            "start_s": round(self.start_s, 4),
            "offset_s": round(self.offset_s, 4),
            "duration_s": round(self.visible_s(), 4),
            "gain": round(self.gain, 4),
            "rate_hz": self.rate_hz,
        }


def resample(samples: np.ndarray, rate_hz: float, to_hz: int = ANALYSIS_RATE_HZ) -> np.ndarray:
    """``samples`` (mono) at ``to_hz``: polyphase filtering with an anti-aliasing low-pass, exact
    for rational ratios (44.1 kHz → 16 kHz is 160/441)."""
    from scipy.signal import resample_poly  # lazy: registering the add-on must not load scipy

    x = np.asarray(samples, dtype=np.float64)
    src = int(round(rate_hz))
    if abs(src - rate_hz) > 1e-6 or src <= 0:
        raise AudioError(f"sample rate {rate_hz!r} Hz is not a positive whole number")
    if src == to_hz or x.size == 0:
        return x.copy()
    g = gcd(src, int(to_hz))
    return resample_poly(x, int(to_hz) // g, src // g)


def mono(samples: np.ndarray) -> np.ndarray:
    """Average the channels of ``(n, channels)`` samples (a 1-D array is already mono)."""
    x = np.asarray(samples, dtype=np.float64)
    return x.mean(axis=1) if x.ndim == 2 else x


def mix(clips: list[Clip], duration_s: float, rate_hz: int = ANALYSIS_RATE_HZ) -> np.ndarray:
    """The clips summed into one mono track from 0 s to ``duration_s`` at ``rate_hz``.

    Each clip is resampled once, cut to its visible part, scaled by its gain and added where it
    sits; parts before 0 s or after the end are dropped.
    """
    n = int(np.floor(duration_s * rate_hz + 1e-9)) + 1
    out = np.zeros(n)
    for c in clips:
        visible = c.visible_s()
        if visible <= 0.0 or c.gain == 0.0:
            continue
        x = resample(c.samples, c.rate_hz, rate_hz)
        first = int(round(c.offset_s * rate_hz))
        length = int(round(visible * rate_hz))
        piece = x[first : first + length] * c.gain
        at = int(round(c.start_s * rate_hz))
        lo, hi = max(at, 0), min(at + piece.size, n)
        if hi > lo:
            out[lo:hi] += piece[lo - at : hi - at]
    return out
