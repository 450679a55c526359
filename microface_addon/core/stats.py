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
