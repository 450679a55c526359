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


def true_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) sample indices of every run of True in a boolean array."""
    edges = np.diff(np.asarray(mask).astype(np.int8), prepend=0, append=0)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def detect_blinks(curve: np.ndarray, rate_hz: float, threshold: float = 0.25) -> BlinkStats:
    """Find blinks as excursions of a lid-closure curve above ``threshold``.

    Each excursion's peak is its amplitude; phase times are measured at 2 % and 98 % of that
    amplitude by walking out from the peak, with linear interpolation between samples.
    """
    x = np.asarray(curve, dtype=np.float64)
    above = x > threshold
    starts, ends = true_runs(above)
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


def loglog_fit(
    f: np.ndarray, psd: np.ndarray, f_lo: float, f_hi: float, bins_per_octave: float = 0.0
) -> tuple[float, float, int]:
    """Least-squares slope of log10(psd) against log10(f) between ``f_lo`` and ``f_hi``, with its
    standard error and the fit's degrees of freedom.

    With ``bins_per_octave`` > 0 the spectrum is first averaged in log-spaced bins, so every
    octave weighs the same in the fit: a Welch spectrum has evenly spaced bins, and a plain fit
    over 0.02-0.3 Hz would let its top octave (most of the bins, and where breathing adds its
    peak) decide the slope of a spectrum that matters most at its slow end.
    """
    band = (f >= f_lo) & (f <= f_hi) & (psd > 0)
    x, y = np.log10(f[band]), np.log10(psd[band])
    if bins_per_octave > 0:
        n = max(int(np.ceil(bins_per_octave * np.log2(f_hi / f_lo))), 2)
        edges = np.linspace(np.log10(f_lo), np.log10(f_hi), n + 1)
        which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, n - 1)
        keep = [b for b in range(n) if np.any(which == b)]
        x = np.array([x[which == b].mean() for b in keep])
        y = np.array([np.log10(np.mean(10 ** y[which == b])) for b in keep])
    slope, icept = np.polyfit(x, y, 1)
    dof = x.size - 2
    if dof <= 0:
        return float(slope), float("nan"), 0
    res = y - (slope * x + icept)
    se = float(np.sqrt(np.sum(res**2) / dof / np.sum((x - x.mean()) ** 2)))
    return float(slope), se, dof


def loglog_slope(
    f: np.ndarray, psd: np.ndarray, f_lo: float, f_hi: float, bins_per_octave: float = 0.0
) -> float:
    """The slope of ``loglog_fit``."""
    return loglog_fit(f, psd, f_lo, f_hi, bins_per_octave)[0]


# ---------------------------------------------------------------------------------------------
# Eye movements (gaze layer): saccades measured from eye-angle curves by a velocity threshold
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaccadeStats:
    onsets_s: np.ndarray  # speed first above the edge level (max(floor, fraction × peak))
    offsets_s: np.ndarray  # speed back under it
    amplitude_deg: np.ndarray  # angular distance between the positions at onset and offset
    direction_deg: np.ndarray  # 0° = +yaw (character's left), 90° = up
    peak_velocity_deg_s: np.ndarray

    @property
    def count(self) -> int:
        return int(self.onsets_s.size)

    @property
    def duration_s(self) -> np.ndarray:
        return self.offsets_s - self.onsets_s

    def select(self, mask: np.ndarray) -> SaccadeStats:
        return SaccadeStats(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


def angular_speed(yaw_deg: np.ndarray, pitch_deg: np.ndarray, rate_hz: float) -> np.ndarray:
    """Gaze speed (°/s) between consecutive samples: value ``i`` belongs to time ``(i + ½)/rate``.

    Forward differences at midpoints, not central differences: a central difference smears every
    movement by a sample on each side, which lengthens a 30-ms saccade by a quarter.
    """
    yaw = np.asarray(yaw_deg, dtype=np.float64)
    pitch = np.asarray(pitch_deg, dtype=np.float64)
    return np.hypot(np.diff(yaw), np.diff(pitch)) * rate_hz


def detect_saccades(
    yaw_deg: np.ndarray,
    pitch_deg: np.ndarray,
    rate_hz: float,
    threshold_deg_s: float = 5.0,
    edge_fraction: float = 0.02,
    edge_floor_deg_s: float = 1.0,
    refine: int = 32,
) -> SaccadeStats:
    """Find saccades (and microsaccades) as runs of speed above ``threshold_deg_s``.

    Each run is widened to where the speed falls under ``max(edge_floor, edge_fraction × peak)``
    so the measured duration covers the whole movement, not just its fast middle; runs whose
    widened windows touch are one saccade.  Edges and peaks are measured on a cubic spline through
    the samples, ``refine`` points per sample: at 240 Hz a 25-ms saccade spans six samples, and
    sample-level edges would misjudge its duration by up to a third.  Pass gaze in the world
    (eye-in-head + head) to measure shifts that recruit the head as one movement.
    """
    from scipy.interpolate import CubicSpline

    yaw = np.asarray(yaw_deg, dtype=np.float64)
    pitch = np.asarray(pitch_deg, dtype=np.float64)
    speed = angular_speed(yaw, pitch, rate_hz)  # speed[i] is between samples i and i + 1
    n = yaw.size
    above = speed > threshold_deg_s
    starts, ends = true_runs(above)

    def widen(i: int, step: int, level: float) -> int:
        while 0 <= i + step < speed.size and speed[i + step] > level:
            i += step
        return i

    coarse: list[list[int]] = []  # sample ranges [first, last] that contain one movement each
    for s, e in zip(starts, ends, strict=True):
        level = max(edge_floor_deg_s, edge_fraction * float(speed[s:e].max()))
        a, b = widen(s, -1, level), widen(e - 1, +1, level) + 1
        if coarse and a <= coarse[-1][1]:
            coarse[-1][1] = max(coarse[-1][1], b)
        else:
            coarse.append([a, b])

    on, off, amp, dirs, peaks = [], [], [], [], []
    for a, b in coarse:
        lo, hi = max(a - 3, 0), min(b + 4, n - 1)
        if hi - lo < 3:
            continue
        idx = np.arange(lo, hi + 1)
        spline = CubicSpline(idx, np.stack([yaw[idx], pitch[idx]], axis=1))
        fine = np.linspace(lo, hi, (hi - lo) * refine + 1)
        v = spline(fine, 1) * rate_hz
        sp = np.hypot(v[:, 0], v[:, 1])
        k = int(np.argmax(sp))
        level = max(edge_floor_deg_s, edge_fraction * float(sp[k]))
        below = sp <= level
        before = np.flatnonzero(below[:k])
        after = np.flatnonzero(below[k:])
        k0 = before[-1] if before.size else 0
        k1 = k + after[0] if after.size else fine.size - 1
        p0, p1 = spline(fine[k0]), spline(fine[k1])
        dy, dp = p1[0] - p0[0], p1[1] - p0[1]
        on.append(fine[k0] / rate_hz)
        off.append(fine[k1] / rate_hz)
        amp.append(float(np.hypot(dy, dp)))
        dirs.append(float(np.degrees(np.arctan2(dp, dy))))
        peaks.append(float(sp[k]))
    arr = lambda v: np.asarray(v, dtype=np.float64)  # noqa: E731
    return SaccadeStats(arr(on), arr(off), arr(amp), arr(dirs), arr(peaks))


def event_mask(
    n: int, rate_hz: float, starts_s: np.ndarray, ends_s: np.ndarray, pad_s: float = 0.0
) -> np.ndarray:
    """Boolean mask over ``n`` samples, True inside any ``[start - pad, end + pad]`` window."""
    mask = np.zeros(n, dtype=bool)
    i0 = np.clip(np.floor((np.asarray(starts_s) - pad_s) * rate_hz).astype(np.int64), 0, n)
    i1 = np.clip(np.ceil((np.asarray(ends_s) + pad_s) * rate_hz).astype(np.int64) + 1, 0, n)
    for a, b in zip(i0, i1, strict=True):
        mask[a:b] = True
    return mask


def coincidence_share(reference_s: np.ndarray, other_s: np.ndarray, window_s: float) -> float:
    """Fraction of reference events with an ``other`` event within ±``window_s`` (nan if none)."""
    ref = np.asarray(reference_s, dtype=np.float64)
    other = np.sort(np.asarray(other_s, dtype=np.float64))
    if ref.size == 0:
        return float("nan")
    if other.size == 0:
        return 0.0
    i = np.clip(np.searchsorted(other, ref), 1, other.size) - 1
    nearest = np.minimum(
        np.abs(ref - other[i]), np.abs(ref - other[np.minimum(i + 1, other.size - 1)])
    )
    return float(np.mean(nearest <= window_s))


def spans_above(
    curve: np.ndarray, rate_hz: float, threshold: float, min_s: float = 0.0
) -> list[tuple[float, float]]:
    """``(start_s, end_s)`` stretches of at least ``min_s`` where ``curve`` exceeds
    ``threshold`` (a head tilt held for seconds: ``spans_above(abs(roll), rate, 4.0, 2.0)``)."""
    above = np.asarray(curve, dtype=np.float64) > threshold
    starts, ends = true_runs(above)
    return [
        (s / rate_hz, e / rate_hz)
        for s, e in zip(starts, ends, strict=True)
        if (e - s) / rate_hz >= min_s
    ]


@dataclass(frozen=True)
class Rises:
    """Rises of a curve (inhales on a chest or breath curve): onset and top of each, seconds."""

    onsets_s: np.ndarray
    peaks_s: np.ndarray

    @property
    def duration_s(self) -> np.ndarray:
        return self.peaks_s - self.onsets_s


def detect_rises(
    curve: np.ndarray, rate_hz: float, min_rise: float, flow_fraction: float = 0.2
) -> Rises:
    """Every rise of ``curve`` by at least ``min_rise`` (an inhale on a chest or breath curve),
    each timed from where its speed first reaches ``flow_fraction`` of the rise's peak speed —
    the inspiratory-flow threshold respiratory studies time an inhale's onset by, so a slow
    drift into the rise (the chest recoiling to rest) does not count as the inhale — to its
    top."""
    x = np.asarray(curve, dtype=np.float64)
    empty = Rises(np.empty(0), np.empty(0))
    if x.size < 3:
        return empty
    d = np.sign(np.diff(x))
    nz = np.flatnonzero(d)
    if nz.size == 0:
        return empty
    # Turning points between runs of rising and falling samples (flats belong to the run before).
    turns = nz[1:][d[nz[1:]] != d[nz[:-1]]]
    points = np.concatenate(([nz[0]], turns, [x.size - 1]))
    speed = np.diff(x)
    on, top = [], []
    for a, b in zip(points[:-1], points[1:], strict=True):
        if x[b] - x[a] < min_rise:
            continue
        v = speed[a:b]
        fast = np.flatnonzero(v >= flow_fraction * v.max())
        on.append((a + fast[0]) / rate_hz)
        top.append(b / rate_hz)
    return Rises(np.asarray(on, dtype=np.float64), np.asarray(top, dtype=np.float64))


def onsets_in_windows(onsets_s: np.ndarray, windows: list[tuple[float, float]]) -> int:
    """How many of ``onsets_s`` fall inside any ``(start_s, end_s)`` window."""
    on = np.asarray(onsets_s, dtype=np.float64)
    hit = np.zeros(on.size, dtype=bool)
    for s, e in windows:
        hit |= (on >= s) & (on < e)
    return int(hit.sum())


# --- Expression dynamics (cascade and micro-event layers) -----------------------------------


def first_crossing_s(
    curve: np.ndarray, rate_hz: float, level: float, start_s: float = 0.0
) -> float:
    """Time (s) the curve first reaches ``level`` at/after ``start_s`` (interpolated; nan: never)."""
    x = np.asarray(curve, dtype=np.float64)
    i0 = max(int(np.ceil(start_s * rate_hz)), 0)
    hits = np.flatnonzero(x[i0:] >= level)
    if hits.size == 0:
        return float("nan")
    j = i0 + int(hits[0])
    if j == 0 or x[j - 1] >= level:
        return j / rate_hz
    return (j - 1 + (level - x[j - 1]) / (x[j] - x[j - 1])) / rate_hz


# The apex level is the median of the samples above this fraction of the maximum: the held top.
APEX_TOP_FRACTION = 0.8


def apex_level(curve: np.ndarray) -> float:
    """The level an expression holds at its apex: the median of its samples above
    ``APEX_TOP_FRACTION`` of the maximum.

    Why not the maximum: a living hold wanders by a few per cent, so its maximum is a chance
    excursion somewhere in the hold, and "the first time the curve reaches 95 % of its maximum"
    would land anywhere in it.  The median of the top is the held level itself (for a bump with
    no hold, a level just under the peak).
    """
    x = np.asarray(curve, dtype=np.float64)
    peak = float(x.max())
    return float(np.median(x[x >= APEX_TOP_FRACTION * peak])) if peak > 0 else 0.0


# An expression is at its apex once it is within this fraction of its held level: closer than
# that, the slope of an eased attack has fallen so far that the few-per-cent wander of a living
# hold (larger in weakly contracted muscles), not the attack, decides when the curve gets there.
APEX_FRACTION = 0.85


def apex_time_s(curve: np.ndarray, rate_hz: float, fraction: float = APEX_FRACTION) -> float:
    """When an expression reaches its apex: the curve first gets to ``fraction`` of its apex
    level (``apex_level``).

    On a held expression the maximum sits on a long, nearly flat (and wandering) top, so its
    arg-max is meaningless; the time the top is reached is what orders muscles in a cascade.
    """
    x = np.asarray(curve, dtype=np.float64)
    return first_crossing_s(x, rate_hz, fraction * apex_level(x))


def onset_duration_s(
    curve: np.ndarray,
    rate_hz: float,
    start_fraction: float = 0.02,
    apex_fraction: float = APEX_FRACTION,
) -> float:
    """Onset phase of an expression (Schmidt et al. 2006): movement start (``start_fraction`` of
    the apex level) → apex (``apex_time_s``), seconds."""
    x = np.asarray(curve, dtype=np.float64)
    level = apex_level(x)
    return first_crossing_s(x, rate_hz, apex_fraction * level) - first_crossing_s(
        x, rate_hz, start_fraction * level
    )


def fall_plateau_s(curve: np.ndarray, rate_hz: float, slope_fraction: float = 0.1) -> float:
    """Longest pause inside the fall after the curve's peak, seconds.

    The fall runs from the peak to where the curve first drops under 10 % of it; a pause is a
    run of samples whose |slope| stays below ``slope_fraction`` of the fall's steepest slope.
    Only samples after the curve has left 90 % of the peak count, so the top is not a pause.
    """
    x = np.asarray(curve, dtype=np.float64)
    i = int(np.argmax(x))
    peak = x[i]
    after = x[i:]
    if not np.any(after < 0.1 * peak):
        return 0.0
    a = i + int(np.argmax(after < 0.9 * peak))
    b = i + int(np.argmax(after < 0.1 * peak))
    slope = np.abs(np.gradient(x, 1.0 / rate_hz))
    low = slope[a:b] < slope_fraction * slope[i:b].max()
    if not low.any():
        return 0.0
    edges = np.diff(np.concatenate(([0], low.astype(np.int8), [0])))
    runs = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
    return float(runs.max()) / rate_hz


@dataclass(frozen=True)
class Pulses:
    """Brief excursions (twitches, flickers, leaks) found in a curve that rests at 0."""

    onsets_s: np.ndarray  # where each pulse leaves 2 % of its own peak
    duration_s: np.ndarray  # 2 % of the peak → back under it
    peak: np.ndarray

    @property
    def count(self) -> int:
        return int(self.onsets_s.size)

    def rate_per_min(self, duration_s: float) -> float:
        return self.count / duration_s * 60.0


def detect_pulses(curve: np.ndarray, rate_hz: float, threshold: float) -> Pulses:
    """Pulses: excursions of ``curve`` above ``threshold``, timed at 2 % of each one's peak."""
    x = np.asarray(curve, dtype=np.float64)
    above = x > threshold
    starts, ends = true_runs(above)
    on, dur, amp = [], [], []
    for s, e in zip(starts, ends, strict=True):
        p = s + int(np.argmax(x[s:e]))
        level = 0.02 * x[p]
        left = np.flatnonzero(x[:p] <= level)
        right = np.flatnonzero(x[p:] <= level)
        t0 = (left[-1] + 1) if left.size else 0
        t1 = (p + right[0]) if right.size else x.size
        on.append(t0 / rate_hz)
        dur.append((t1 - t0) / rate_hz)
        amp.append(x[p])
    arr = lambda v: np.asarray(v, dtype=np.float64)  # noqa: E731
    return Pulses(arr(on), arr(dur), arr(amp))
