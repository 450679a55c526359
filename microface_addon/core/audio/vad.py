"""Voice activity: where the voice is, as utterances and the pauses between them.

Why double thresholds relative to the recording's own levels: a line may be recorded loud or
soft, over a hiss or in a booth.  Frame energy is measured in dB and compared with the
recording's noise floor (a low percentile of the frames) and its speech level (a high one), so
scaling the whole file or raising its noise floor moves both references together.  A stretch of
frames is voice when it rises clearly above the floor (the *on* threshold) somewhere and its
edges extend down to a lower *off* threshold (hysteresis, as in Canny's edge detector), so a
soft onset is timed where it starts, not where it gets loud.

Silences shorter than ``min_pause_s`` are not pauses — stop closures and the gaps between words
last 50–200 ms (pause research uses 200–250 ms as the shortest silent pause, Goldman-Eisler 1968;
Campione & Véronis 2002) — so they are bridged; the longer of them (``phrase_gap_s`` and up) are
kept as *phrase breaks* inside the utterance, the brief silences at commas and clause ends.
Voice shorter than ``min_utterance_s`` (a click, a breath noise) is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Analysis frames: 25 ms windows every 10 ms, the usual speech-analysis framing (long enough to
# hold two pitch periods of a low voice, short enough to time an onset to a frame).
FRAME_S = 0.025
HOP_S = 0.010
# Energy below this is digital silence, dB re full scale (keeps log10 finite).
SILENCE_DB = -120.0
# Rumble and DC below this are not voice, Hz (a male voice's F0 is above ~70 Hz).
HIGHPASS_HZ = 70.0
# Percentiles of the frame levels that stand for the noise floor and the speech level.
FLOOR_PERCENTILE = 5.0
SPEECH_PERCENTILE = 98.0
# The floor is taken no lower than this far below the speech level, dB: speech's own dynamic
# range is ~40-50 dB, so a recording with digital silence (a TTS line, an edited take) must not
# put its thresholds 100 dB down, where a voice's faintest decay would count as voice.
DYNAMIC_RANGE_DB = 50.0


@dataclass(frozen=True)
class VoiceActivityParams:
    """``dialogue.analysis`` thresholds (see ``docs/dialogue.md``)."""

    min_utterance_s: float  # shorter voice is dropped
    min_pause_s: float  # shorter silences inside speech are bridged
    phrase_gap_s: float  # bridged silences at least this long are phrase breaks
    on_fraction: float  # on threshold: floor + this share of (speech level − floor)
    off_fraction: float  # off threshold (edges), same scale
    min_snr_db: float  # thresholds are at least this far above the floor


@dataclass(frozen=True)
class Frames:
    """Frame-wise level of a recording: centre times (s) and energy (dB re full scale)."""

    times_s: np.ndarray
    level_db: np.ndarray
    hop_s: float = HOP_S


@dataclass(frozen=True)
class VoiceActivity:
    """Utterances ``(start_s, end_s)`` in time order, the phrase breaks inside them
    ``(start_s, end_s)``, and the thresholds used (dB)."""

    utterances: tuple[tuple[float, float], ...]
    phrase_breaks: tuple[tuple[float, float], ...]
    floor_db: float
    speech_db: float
    on_db: float
    off_db: float

    @property
    def pauses(self) -> tuple[tuple[float, float], ...]:
        """The silences between consecutive utterances."""
        u = self.utterances
        return tuple((a[1], b[0]) for a, b in zip(u[:-1], u[1:], strict=True))


def frame_levels(samples: np.ndarray, rate_hz: float) -> Frames:
    """Energy per 25-ms frame every 10 ms (centred), after a zero-phase high-pass."""
    from scipy.signal import butter, sosfiltfilt  # lazy: registering the add-on must not load scipy

    x = np.asarray(samples, dtype=np.float64)
    if x.size > 3 * 12:
        x = sosfiltfilt(butter(2, HIGHPASS_HZ, "highpass", fs=rate_hz, output="sos"), x)
    win = max(int(round(FRAME_S * rate_hz)), 1)
    hop = max(int(round(HOP_S * rate_hz)), 1)
    n = max((x.size - 1) // hop + 1, 1)
    centres = np.arange(n) * hop
    c = np.concatenate(([0.0], np.cumsum(x * x)))
    lo = np.clip(centres - win // 2, 0, x.size)
    hi = np.clip(centres + win - win // 2, 0, x.size)
    power = (c[hi] - c[lo]) / np.maximum(hi - lo, 1)
    level = 10.0 * np.log10(np.maximum(power, 10.0 ** (SILENCE_DB / 10.0)))
    return Frames(centres / rate_hz, level, hop / rate_hz)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs of ``mask``."""
    m = np.concatenate(([False], np.asarray(mask, bool), [False]))
    d = np.diff(m.astype(np.int8))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def thresholds(level_db: np.ndarray, p: VoiceActivityParams) -> tuple[float, float, float, float]:
    """(floor, speech level, on, off) in dB for one recording's frame levels."""
    speech = float(np.percentile(level_db, SPEECH_PERCENTILE))
    floor = max(float(np.percentile(level_db, FLOOR_PERCENTILE)), speech - DYNAMIC_RANGE_DB)
    span = max(speech - floor, 0.0)
    on = floor + max(p.min_snr_db, p.on_fraction * span)
    off = floor + max(0.5 * p.min_snr_db, p.off_fraction * span)
    return floor, speech, on, min(on, off)


def voice_activity(frames: Frames, p: VoiceActivityParams) -> VoiceActivity:
    """Segment a recording's frames into utterances, pauses and phrase breaks."""
    level = frames.level_db
    floor, speech, on, off = thresholds(level, p)
    hop = frames.hop_s
    # A run above the off threshold is voice if it reaches the on threshold somewhere.
    voiced = [(a, b) for a, b in _runs(level > off) if np.any(level[a:b] > on)]
    if speech - floor < p.min_snr_db:  # nothing stands out of the floor: no voice
        voiced = []
    # Frame index → time: a run [a, b) covers from half a hop before frame a to half after b-1.
    edges = [(frames.times_s[a] - hop / 2, frames.times_s[b - 1] + hop / 2) for a, b in voiced]
    utterances: list[list[float]] = []
    breaks: list[tuple[float, float]] = []
    for s, e in edges:
        if utterances and s - utterances[-1][1] < p.min_pause_s:
            gap = (utterances[-1][1], s)
            if gap[1] - gap[0] >= p.phrase_gap_s:
                breaks.append(gap)
            utterances[-1][1] = e
        else:
            utterances.append([s, e])
    kept = [(max(s, 0.0), e) for s, e in utterances if e - s >= p.min_utterance_s]
    inside = tuple(b for b in breaks if any(s <= b[0] and b[1] <= e for s, e in kept))
    return VoiceActivity(tuple(kept), inside, floor, speech, on, off)
