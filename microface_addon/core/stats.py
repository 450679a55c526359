"""Measure finished curves the way a physiologist would: what blinks, how fast, how often.

Why here and not in tests: ``validate`` reports these same statistics for a preset, and the
tests check both the measurements (on synthetic curves with known answers) and the solver
(against published bands).  Nothing here reads solver internals — only curves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BlinkStats:
    onsets_s: np.ndarray
    amplitude: np.ndarray
    closing_s: np.ndarray  # lid movement start (2 % of amplitude) → 98 % closed
    opening_s: np.ndarray  # leaves 98 % → back under 2 %
    duration_s: np.ndarray  # 2 % → 2 %

    @property
    def count(self) -> int:
        return int(self.onsets_s.size)

    def rate_per_min(self, duration_s: float) -> float:
        return self.count / duration_s * 60.0

    @property
    def ibi_s(self) -> np.ndarray:
        return np.diff(self.onsets_s)


def detect_blinks(curve: np.ndarray, rate_hz: float, threshold: float = 0.25) -> BlinkStats:
    """Find blinks as excursions of a lid-closure curve above ``threshold``.

    Each excursion's peak is its amplitude; phase times are measured at 2 % and 98 % of that
    amplitude by walking out from the peak, with linear interpolation between samples.
    """
    x = np.asarray(curve, dtype=np.float64)
    above = x > threshold
    edges = np.diff(above.astype(np.int8), prepend=0, append=0)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    on, amp, clo, ope, dur = [], [], [], [], []
    for s, e in zip(starts, ends, strict=True):
        peak_i = s + int(np.argmax(x[s:e]))
        a = x[peak_i]
        lo_v, hi_v = 0.02 * a, 0.98 * a

        def cross(i: int, step: int, level: float) -> float:
            # Walk from i in direction step until x drops to <= level; interpolate the crossing.
            j = i
            while 0 <= j + step < x.size and x[j + step] > level:
                j += step
            k = j + step
            if not 0 <= k < x.size:
                return float(j)
            return j + step * (x[j] - level) / (x[j] - x[k]) if x[j] != x[k] else float(j)

        t_start = cross(peak_i, -1, lo_v)
        t_closed = cross(peak_i, -1, hi_v)
        t_open = cross(peak_i, +1, hi_v)
        t_end = cross(peak_i, +1, lo_v)
        on.append(t_start / rate_hz)
        amp.append(a)
        clo.append((t_closed - t_start) / rate_hz)
        ope.append((t_end - t_open) / rate_hz)
        dur.append((t_end - t_start) / rate_hz)
    arr = lambda v: np.asarray(v, dtype=np.float64)  # noqa: E731
    return BlinkStats(arr(on), arr(amp), arr(clo), arr(ope), arr(dur))


def coefficient_of_variation(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(np.std(x) / np.mean(x))


def skewness(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    d = x - x.mean()
    return float(np.mean(d**3) / np.mean(d**2) ** 1.5)


# --- Breathing, posture and head motion (breath and head layers) ---------------------------


@dataclass(frozen=True)
class BreathCycles:
    """Complete breaths found in a volume-like curve (breath state, chest pitch…)."""

    start_s: np.ndarray  # end-exhale where the breath begins
    peak_s: np.ndarray  # end of its inhale
    end_s: np.ndarray  # the next end-exhale
    depth: np.ndarray  # peak minus starting trough, in curve units

    @property
    def count(self) -> int:
        return int(self.start_s.size)

    @property
    def duration_s(self) -> np.ndarray:
        return self.end_s - self.start_s

    @property
    def inhale_share(self) -> np.ndarray:
        return (self.peak_s - self.start_s) / self.duration_s

    @property
    def rate_per_min(self) -> float:
        """Breaths per minute from the mean cycle duration (nan when there are no cycles)."""
        return float(60.0 / np.mean(self.duration_s)) if self.count else float("nan")


def detect_breath_cycles(
    curve: np.ndarray, rate_hz: float, min_prominence: float = 0.15
) -> BreathCycles:
    """Find trough → peak → trough breaths in ``curve``.

    Peaks and troughs must stand out by ``min_prominence`` × the curve's robust range (1st–99th
    percentile), so sample noise and the small wobbles of a held breath do not count.  Only
    trough pairs with exactly one peak between them make a cycle.
    """
    from scipy.signal import find_peaks

    x = np.asarray(curve, dtype=np.float64)
    span = float(np.percentile(x, 99) - np.percentile(x, 1))
    if span <= 0:
        e = np.empty(0)
        return BreathCycles(e, e, e, e)
    prom = min_prominence * span
    peaks, _ = find_peaks(x, prominence=prom)
    troughs, _ = find_peaks(-x, prominence=prom)
    st, pk, en, dp = [], [], [], []
    for a, c in zip(troughs[:-1], troughs[1:], strict=True):
        inside = peaks[(peaks > a) & (peaks < c)]
        if inside.size != 1:
            continue
        b = inside[0]
        st.append(a)
        pk.append(b)
        en.append(c)
        dp.append(x[b] - x[a])
    arr = lambda v: np.asarray(v, dtype=np.float64)  # noqa: E731
    return BreathCycles(arr(st) / rate_hz, arr(pk) / rate_hz, arr(en) / rate_hz, arr(dp))


def detect_sighs(cycles: BreathCycles, factor: float = 1.6, neighbours: int = 6) -> np.ndarray:
    """Start times of sighs: breaths deeper than ``factor`` × the median depth of the
    ``neighbours`` breaths on each side (sighs are defined as about twice the usual depth)."""
    d = cycles.depth
    out = []
    for i in range(d.size):
        around = np.concatenate([d[max(i - neighbours, 0) : i], d[i + 1 : i + 1 + neighbours]])
        if around.size and d[i] > factor * np.median(around):
            out.append(cycles.start_s[i])
    return np.asarray(out, dtype=np.float64)


def flat_spans(
    curve: np.ndarray, rate_hz: float, max_rate_per_s: float, min_s: float
) -> list[tuple[float, float]]:
    """``(start_s, end_s)`` stretches of at least ``min_s`` where the curve changes slower than
    ``max_rate_per_s`` (curve units per second): a held breath, a still head."""
    x = np.asarray(curve, dtype=np.float64)
    slow = np.abs(np.diff(x)) * rate_hz <= max_rate_per_s
    edges = np.diff(slow.astype(np.int8), prepend=0, append=0)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [
        (s / rate_hz, e / rate_hz)
        for s, e in zip(starts, ends, strict=True)
        if (e - s) / rate_hz >= min_s
    ]


def rate_in_spans(times_s: np.ndarray, spans: list[tuple[float, float]]) -> float:
    """Events per minute counted inside ``spans`` (nan when the spans are empty)."""
    total = sum(e - s for s, e in spans)
    if total <= 0:
        return float("nan")
    t = np.asarray(times_s, dtype=np.float64)
    n = sum(int(np.count_nonzero((t >= s) & (t < e))) for s, e in spans)
    return n / total * 60.0


def frame_steps(curve: np.ndarray, rate_hz: float, fps: float) -> np.ndarray:
    """Absolute change of ``curve`` from one frame to the next when sampled at ``fps``."""
    x = np.asarray(curve, dtype=np.float64)
    t = np.arange(x.size) / rate_hz
    frames = np.arange(0.0, t[-1], 1.0 / fps)
    return np.abs(np.diff(np.interp(frames, t, x)))


def power_spectrum(
    curve: np.ndarray, rate_hz: float, segment_s: float = 120.0
) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectral density ``(f_hz, psd)`` of a curve (mean removed, Hann segments)."""
    from scipy.signal import welch

    x = np.asarray(curve, dtype=np.float64)
    nper = min(int(segment_s * rate_hz), x.size)
    return welch(x - x.mean(), fs=rate_hz, nperseg=nper, detrend="linear")


def spectral_peak_hz(f: np.ndarray, psd: np.ndarray, f_min: float = 0.05, f_max: float = 5.0):
    """Frequency of the highest power between ``f_min`` and ``f_max``, after smoothing the
    spectrum over ±10 % in frequency (a Welch estimate is noisy bin to bin)."""
    band = (f >= f_min) & (f <= f_max)
    fb, pb = f[band], psd[band]
    smooth = np.array([pb[(fb >= 0.9 * fi) & (fb <= 1.1 * fi)].mean() for fi in fb])
    return float(fb[int(np.argmax(smooth))])


def loglog_slope(f: np.ndarray, psd: np.ndarray, f_lo: float, f_hi: float) -> float:
    """Least-squares slope of log10(psd) against log10(f) between ``f_lo`` and ``f_hi``."""
    band = (f >= f_lo) & (f <= f_hi) & (psd > 0)
    return float(np.polyfit(np.log10(f[band]), np.log10(psd[band]), 1)[0])

def spans_above(
    curve: np.ndarray, rate_hz: float, threshold: float, min_s: float = 0.0
) -> list[tuple[float, float]]:
    """``(start_s, end_s)`` stretches of at least ``min_s`` where ``curve`` exceeds
    ``threshold`` (a head tilt held for seconds: ``spans_above(abs(roll), rate, 4.0, 2.0)``)."""
    above = np.asarray(curve, dtype=np.float64) > threshold
    edges = np.diff(above.astype(np.int8), prepend=0, append=0)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [
        (s / rate_hz, e / rate_hz)
        for s, e in zip(starts, ends, strict=True)
        if (e - s) / rate_hz >= min_s
    ]
