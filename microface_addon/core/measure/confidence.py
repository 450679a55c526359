"""Confidence intervals for measured statistics, and the verdict a band gives them.

Why intervals: a statistic measured over ten simulated minutes is an estimate.  Judging the
estimate alone against a band passes a preset at the seed it was tuned on and fails it at the
next one whenever the true value sits near an edge.  So every statistic carries a 95 %
confidence interval, computed the way its kind of data needs:

* a *rate* of events (``Count``): renewal process — the count's variance is CV² × its mean for
  intervals with coefficient of variation CV (Cox 1962), so a regular process is known better
  than a Poisson one; the interval is the exact Poisson (Garwood) interval of the count scaled by
  CV² (an "effective" count) and mapped back;
* a *share* (``Tally``): the Wilson score interval (Wilson 1927), right even near 0 or 1;
* a *median* or another statistic of per-event values (``Values``): the bootstrap percentile
  interval (Efron & Tibshirani 1993), with blocks of neighbouring values resampled together when
  the values are correlated (successive breaths; a curve's samples);
* a quantity estimated block by block (``Blocks``: a correlation per minute): Student's t
  interval over the blocks (on Fisher's z for a correlation, so it never passes ±1);
* a fitted slope (``Slope``: a spectrum's log-log slope): the regression's own standard error
  (its residuals hold both the spectrum's scatter and any misfit), Student's t.

``verdict`` then judges: PASS when the whole interval lies inside the band, FAIL when it lies
wholly outside, INCONCLUSIVE otherwise — and also whenever fewer than ``min_n`` events stand
behind the number — with how many more simulated minutes would most likely decide it (the
interval's half-width shrinks as 1/√time).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np

LEVEL = 0.95
MIN_EVENTS = 30  # fewer events than this behind a statistic: not judged (INCONCLUSIVE)
MIN_BLOCKS = 4  # fewer blocks than this behind a block estimate: not judged
BOOTSTRAP_RESAMPLES = 1000
_CHUNK = 100  # bootstrap resamples computed at once (bounds the memory)

PASS, FAIL, INCONCLUSIVE = "PASS", "FAIL", "INCONCLUSIVE"


def _sps():
    """``scipy.stats``, imported when an interval is computed (SciPy is not loaded with the
    add-on)."""
    from scipy import stats

    return stats


@dataclass(frozen=True)
class Estimate:
    """A measured value, its confidence interval and what stands behind it."""

    value: float
    lo: float
    hi: float
    n: int  # events (or blocks) behind the number
    method: str
    min_n: int = MIN_EVENTS

    @property
    def enough(self) -> bool:
        return self.n >= self.min_n and not math.isnan(self.value)


def _rng(key: str) -> np.random.Generator:
    """A fixed stream per statistic: the same data always gives the same interval."""
    return np.random.default_rng(zlib.crc32(key.encode("utf-8")))


def poisson_interval(count: float, level: float = LEVEL) -> tuple[float, float]:
    """Exact (Garwood) interval for the mean of a Poisson count (non-integer counts allowed)."""
    a = 1.0 - level
    lo = 0.0 if count <= 0 else 0.5 * _sps().chi2.ppf(a / 2, 2 * count)
    hi = 0.5 * _sps().chi2.ppf(1 - a / 2, 2 * count + 2)
    return float(lo), float(hi)


def wilson_interval(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval for a share ``k``/``n``."""
    if n <= 0:
        return math.nan, math.nan
    z = _sps().norm.ppf(0.5 + level / 2)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Count:
    """``count`` events over ``exposure_s`` seconds, reported per ``per_s`` seconds; ``intervals``
    (s) between successive events give the renewal CV (1 = Poisson when there are too few)."""

    count: int
    exposure_s: float
    per_s: float = 60.0
    intervals: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def pooled(self, other: Count) -> Count:
        return Count(
            self.count + other.count,
            self.exposure_s + other.exposure_s,
            self.per_s,
            np.concatenate([self.intervals, other.intervals]),
        )

    @property
    def n(self) -> int:
        return int(self.count)

    min_n = MIN_EVENTS

    def cv(self) -> float:
        """Interval CV, trusted from ``MIN_EVENTS`` intervals on (else 1: Poisson)."""
        iv = self.intervals
        if iv.size < MIN_EVENTS or np.mean(iv) <= 0:
            return 1.0
        return float(np.std(iv) / np.mean(iv))

    def estimate(self, key: str = "") -> Estimate:
        if self.exposure_s <= 0:
            return Estimate(math.nan, math.nan, math.nan, 0, "renewal")
        scale = self.per_s / self.exposure_s
        cv2 = max(self.cv() ** 2, 1e-6)
        lo, hi = poisson_interval(self.count / cv2)
        return Estimate(
            self.count * scale, lo * cv2 * scale, hi * cv2 * scale, self.count, "renewal"
        )


@dataclass
class Tally:
    """``k`` of ``n`` events have the property: a share."""

    k: int
    n: int

    min_n = MIN_EVENTS

    def pooled(self, other: Tally) -> Tally:
        return Tally(self.k + other.k, self.n + other.n)

    def estimate(self, key: str = "") -> Estimate:
        if self.n <= 0:
            return Estimate(math.nan, math.nan, math.nan, 0, "Wilson")
        lo, hi = wilson_interval(self.k, self.n)
        return Estimate(self.k / self.n, lo, hi, self.n, "Wilson")


def _statistic(name: str, x: np.ndarray) -> np.ndarray:
    """``name`` of each row of ``x`` (rows = resamples)."""
    if name == "median":
        return np.median(x, axis=-1)
    if name == "mean":
        return np.mean(x, axis=-1)
    if name == "per_min":  # a rate from the intervals between events (s)
        return 60.0 / np.mean(x, axis=-1)
    if name == "sd":
        return np.std(x, axis=-1)
    if name == "cv":
        return np.std(x, axis=-1) / np.mean(x, axis=-1)
    if name == "skewness":
        d = x - x.mean(axis=-1, keepdims=True)
        return np.mean(d**3, axis=-1) / np.mean(d**2, axis=-1) ** 1.5
    if name == "p95":
        return np.percentile(x, 95, axis=-1)
    if name == "range95":
        lo, hi = np.percentile(x, [2.5, 97.5], axis=-1)
        return hi - lo
    raise ValueError(f"unknown statistic {name!r}")


@dataclass
class Values:
    """Per-event values (or a curve's samples) and the statistic taken of them.

    ``block`` > 1 resamples runs of that many neighbours together (a moving-block bootstrap),
    for correlated values; ``per_block`` counts blocks, not values, as the ``n`` behind the
    number (a curve's samples are not events).
    """

    values: np.ndarray
    statistic: str = "median"
    block: int = 1
    per_block: bool = False
    scale: float = 1.0  # the statistic is reported × scale (ms from s…)

    def pooled(self, other: Values) -> Values:
        joined = np.concatenate([self.values, other.values])
        return Values(joined, self.statistic, self.block, self.per_block, self.scale)

    @property
    def n(self) -> int:
        return int(self.values.size // self.block) if self.per_block else int(self.values.size)

    @property
    def min_n(self) -> int:
        return MIN_BLOCKS if self.per_block else MIN_EVENTS

    def estimate(self, key: str = "") -> Estimate:
        x = np.asarray(self.values, dtype=np.float64)
        method = "bootstrap" if self.block <= 1 else f"block bootstrap ({self.block})"
        min_n = MIN_BLOCKS if self.per_block else MIN_EVENTS
        if x.size < 2:
            return Estimate(math.nan, math.nan, math.nan, self.n, method, min_n)
        value = float(_statistic(self.statistic, x)) * self.scale
        rng = _rng(key)
        reps = []
        for _ in range(BOOTSTRAP_RESAMPLES // _CHUNK):
            idx = _resample(rng, x.size, self.block, _CHUNK)
            reps.append(_statistic(self.statistic, x[idx]) * self.scale)
        reps = np.concatenate(reps)
        a = (1.0 - LEVEL) / 2
        lo, hi = np.quantile(reps, [a, 1 - a])
        return Estimate(value, float(min(lo, value)), float(max(hi, value)), self.n, method, min_n)


def _resample(rng: np.random.Generator, n: int, block: int, reps: int) -> np.ndarray:
    """Indices of ``reps`` resamples of ``n`` values, in blocks of ``block`` neighbours."""
    if block <= 1 or block >= n:
        return rng.integers(0, n, size=(reps, n))
    k = -(-n // block)
    starts = rng.integers(0, n - block + 1, size=(reps, k))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(reps, -1)
    return idx[:, :n]


@dataclass
class Blocks:
    """One estimate per block (a stretch of curve) and the value for the whole run: Student's t
    interval over the blocks, centred on the whole's value; with ``fisher`` the blocks are
    correlations and the interval is computed on Fisher's z = artanh(r)."""

    per_block: np.ndarray
    whole: list[float]  # the value of each run as a whole (their mean is reported)
    fisher: bool = False

    def pooled(self, other: Blocks) -> Blocks:
        joined = np.concatenate([self.per_block, other.per_block])
        return Blocks(joined, self.whole + other.whole, self.fisher)

    @property
    def n(self) -> int:
        return int(self.per_block.size)

    min_n = MIN_BLOCKS

    def estimate(self, key: str = "") -> Estimate:
        b = np.asarray(self.per_block, dtype=np.float64)
        b = b[np.isfinite(b)]
        value = float(np.mean(self.whole)) if self.whole else math.nan
        method = "t over blocks" + (" (Fisher z)" if self.fisher else "")
        if b.size < 2:
            return Estimate(value, math.nan, math.nan, int(b.size), method, MIN_BLOCKS)
        if self.fisher:
            b = np.arctanh(np.clip(b, -1 + 1e-12, 1 - 1e-12))
            centre = float(np.arctanh(np.clip(value, -1 + 1e-12, 1 - 1e-12)))
        else:
            centre = value
        half = _sps().t.ppf(0.5 + LEVEL / 2, b.size - 1) * np.std(b, ddof=1) / math.sqrt(b.size)
        lo, hi = centre - half, centre + half
        if self.fisher:
            lo, hi = math.tanh(lo), math.tanh(hi)
        return Estimate(value, min(lo, value), max(hi, value), int(b.size), method, MIN_BLOCKS)


@dataclass
class Slope:
    """Fitted slopes with their standard errors and degrees of freedom, one per run: pooled as
    their mean, with the combined standard error."""

    slopes: list[float]
    errors: list[float]
    dof: list[int]

    def pooled(self, other: Slope) -> Slope:
        return Slope(self.slopes + other.slopes, self.errors + other.errors, self.dof + other.dof)

    @property
    def n(self) -> int:
        return int(sum(self.dof) + 2 * len(self.dof))  # the points fitted

    min_n = MIN_BLOCKS

    def estimate(self, key: str = "") -> Estimate:
        if not self.slopes:
            return Estimate(math.nan, math.nan, math.nan, 0, "regression t", MIN_BLOCKS)
        k = len(self.slopes)
        value = float(np.mean(self.slopes))
        se = math.sqrt(sum(e * e for e in self.errors)) / k
        half = _sps().t.ppf(0.5 + LEVEL / 2, max(sum(self.dof), 1)) * se
        return Estimate(value, value - half, value + half, self.n, "regression t", MIN_BLOCKS)


@dataclass(frozen=True)
class Verdict:
    status: str
    more_minutes: float | None  # extra simulated minutes that would most likely decide it
    note: str = ""


def verdict(est: Estimate, lo: float, hi: float, minutes: float) -> Verdict:
    """PASS / FAIL / INCONCLUSIVE for ``est`` against the band [``lo``, ``hi``] from ``minutes``
    of simulation (see the module doc)."""
    if math.isnan(est.value):
        return Verdict(INCONCLUSIVE, None, "nothing to measure")
    if not est.enough:
        more = minutes * (est.min_n / est.n - 1.0) if est.n > 0 else None
        what = "blocks" if est.min_n == MIN_BLOCKS else "events"
        note = f"only {est.n} {what} ({est.min_n} needed)"
        if more is not None:
            note += f"; ≈{_fmt(more)} more minutes"
        return Verdict(INCONCLUSIVE, more, note)
    if lo <= est.lo and est.hi <= hi:
        return Verdict(PASS, None)
    if est.hi < lo or est.lo > hi:
        return Verdict(FAIL, None)
    # The interval straddles an edge: how much narrower must it get to clear it?
    needed = []
    for edge in (lo, hi):
        if not (math.isfinite(edge) and est.lo < edge < est.hi):
            continue
        gap = abs(est.value - edge)
        half = (est.value - est.lo) if edge <= est.value else (est.hi - est.value)
        if gap <= 0.0:
            return Verdict(INCONCLUSIVE, None, "on the band's edge")
        needed.append((half / gap) ** 2)
    more = minutes * (max(needed, default=1.0) - 1.0)
    return Verdict(
        INCONCLUSIVE, max(more, 0.0), f"≈{_fmt(max(more, 0.0))} more minutes would decide"
    )


def _fmt(minutes: float) -> str:
    return f"{minutes:.0f}" if minutes >= 10 else f"{minutes:.1f}"
