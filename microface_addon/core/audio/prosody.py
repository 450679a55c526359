"""Prosodic accents: the syllables a speaker makes stand out, from loudness and pitch.

Why syllable nuclei first: an accent sits on a syllable, and a syllable's nucleus is a peak of
the loudness contour with a dip on either side (de Jong & Wempe 2009 count syllables this way:
peaks at least a few dB above the dips around them, voiced).  Each nucleus then gets a
prominence score from the two cues listeners use — extra loudness and a pitch excursion (Fry
1958; Terken 1991; Kochanski et al. 2005) — each measured against the other nuclei of the same
utterance (robust z-scores: median and MAD), so a loud speaker and a soft one, a high voice and
a low one, and a clean booth recording and a noisy one are judged alike.  Accents are the
nuclei whose score reaches ``threshold``, at least ``min_interval_s`` apart (the stronger wins).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pitch import PitchTrack
from .vad import Frames

# Smoothing of the level contour before picking nuclei, s (shorter than a syllable).
SMOOTH_S = 0.05
# A nucleus rises at least this far above the dips around it, dB (de Jong & Wempe use 2 dB).
NUCLEUS_RISE_DB = 2.0
# Nuclei are at least this far apart, s (syllables last ~0.1–0.3 s).
NUCLEUS_SPACING_S = 0.1
# F0 of a nucleus: voiced frames within this distance, s.
NUCLEUS_PITCH_S = 0.03
# Spreads below these are treated as these (dB, semitones), so a monotone utterance does not
# turn hairline differences into accents.
MIN_SPREAD = (2.0, 1.0)


@dataclass(frozen=True)
class AccentParams:
    """``dialogue.analysis.accents`` (see ``docs/dialogue.md``)."""

    energy_weight: float  # weight of the loudness z-score (the pitch one gets 1 − this)
    threshold: float  # prominence (z units) a nucleus must reach to be an accent
    strength_span: float  # prominence above the threshold that counts as strength 1
    min_interval_s: float  # accents closer than this keep only the stronger


@dataclass(frozen=True)
class Accent:
    at_s: float
    strength: float  # 0 (just over the threshold) … 1


def _robust_z(v: np.ndarray, min_spread: float) -> np.ndarray:
    ok = np.isfinite(v)
    if not ok.any():
        return np.zeros_like(v)
    med = float(np.median(v[ok]))
    mad = 1.4826 * float(np.median(np.abs(v[ok] - med)))
    return np.where(ok, (v - med) / max(mad, min_spread), 0.0)


def nuclei(frames: Frames, pitch: PitchTrack, span: tuple[int, int]) -> np.ndarray:
    """Frame indices (into ``frames``) of the voiced syllable nuclei inside ``span = [a, b)``."""
    from scipy.ndimage import uniform_filter1d  # lazy: registering the add-on must not load scipy
    from scipy.signal import find_peaks  # lazy: registering the add-on must not load scipy

    a, b = span
    width = max(int(round(SMOOTH_S / frames.hop_s)), 1)
    level = uniform_filter1d(frames.level_db[a:b], width, mode="nearest")
    spacing = max(int(round(NUCLEUS_SPACING_S / frames.hop_s)), 1)
    peaks, _ = find_peaks(level, prominence=NUCLEUS_RISE_DB, distance=spacing)
    near = max(int(round(NUCLEUS_PITCH_S / frames.hop_s)), 0)
    voiced = pitch.voiced[a:b]
    keep = [k for k in peaks if voiced[max(k - near, 0) : k + near + 1].any()]
    return a + np.asarray(keep, dtype=np.int64)


def _nucleus_pitch(pitch: PitchTrack, k: np.ndarray, near: int) -> np.ndarray:
    """Median F0 (semitones re 1 Hz) of the voiced frames around each nucleus."""
    out = np.full(k.size, np.nan)
    for i, c in enumerate(k):
        f = pitch.f0_hz[max(c - near, 0) : c + near + 1]
        f = f[np.isfinite(f)]
        if f.size:
            out[i] = 12.0 * np.log2(np.median(f))
    return out


def prominence(frames: Frames, pitch: PitchTrack, k: np.ndarray, p: AccentParams) -> np.ndarray:
    """Prominence (z units) of the nuclei ``k`` of one utterance."""
    from scipy.ndimage import uniform_filter1d  # lazy: registering the add-on must not load scipy

    width = max(int(round(SMOOTH_S / frames.hop_s)), 1)
    level = uniform_filter1d(frames.level_db, width, mode="nearest")[k]
    near = max(int(round(NUCLEUS_PITCH_S / frames.hop_s)), 0)
    st = _nucleus_pitch(pitch, k, near)
    return p.energy_weight * _robust_z(level, MIN_SPREAD[0]) + (1.0 - p.energy_weight) * _robust_z(
        st, MIN_SPREAD[1]
    )


def _spaced(times: np.ndarray, score: np.ndarray, min_interval_s: float) -> list[int]:
    """Indices kept when neighbours closer than ``min_interval_s`` keep only the stronger."""
    kept: list[int] = []
    for i in np.argsort(-score, kind="stable"):
        if all(abs(times[i] - times[j]) >= min_interval_s for j in kept):
            kept.append(int(i))
    return sorted(kept)


def accents(
    frames: Frames,
    pitch: PitchTrack,
    utterances: tuple[tuple[float, float], ...],
    p: AccentParams,
) -> tuple[Accent, ...]:
    """The accents of every utterance, in time order."""
    out: list[Accent] = []
    t = frames.times_s
    for s, e in utterances:
        a, b = (int(i) for i in np.searchsorted(t, [s, e]))
        k = nuclei(frames, pitch, (a, b))
        if k.size < 2:  # one syllable: nothing to stand out against
            continue
        score = prominence(frames, pitch, k, p)
        strong = np.flatnonzero(score >= p.threshold)
        for i in _spaced(t[k[strong]], score[strong], p.min_interval_s):
            z = score[strong][i]
            strength = float(np.clip((z - p.threshold) / p.strength_span, 0.0, 1.0))
            out.append(Accent(float(t[k[strong][i]]), strength))
    return tuple(out)
