"""The confidence intervals ``validate`` judges with, on data with known answers: closed forms
for the edge cases, and coverage (how often the 95 % interval holds the true value) over many
simulated samples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from microface_addon.core.measure.confidence import (
    FAIL,
    INCONCLUSIVE,
    MIN_EVENTS,
    PASS,
    Blocks,
    Count,
    Estimate,
    Slope,
    Tally,
    Values,
    poisson_interval,
    verdict,
    wilson_interval,
)

pytestmark = pytest.mark.pure
Z = 1.959964


def test_wilson_interval_closed_forms():
    # 0 of n: upper z²/(n + z²); n of n: lower n/(n + z²) (Wilson 1927).
    assert wilson_interval(0, 10) == pytest.approx((0.0, Z**2 / (10 + Z**2)), abs=1e-6)
    assert wilson_interval(10, 10) == pytest.approx((10 / (10 + Z**2), 1.0), abs=1e-6)
    lo, hi = wilson_interval(45, 100)
    assert lo < 0.45 < hi and hi - lo == pytest.approx(
        2 * Z * math.sqrt(0.45 * 0.55 / 100), rel=0.05
    )


def test_poisson_interval_exact_values():
    # Garwood's exact 95 % limits, as tabulated: 0 → (0, 3.689), 10 → (4.795, 18.39).
    assert poisson_interval(0) == pytest.approx((0.0, 3.689), abs=1e-3)
    assert poisson_interval(10) == pytest.approx((4.795, 18.39), abs=1e-2)


def _coverage(draw, truth, trials=400):
    hits = 0
    for i in range(trials):
        est = draw(np.random.default_rng(i))
        hits += est.lo <= truth <= est.hi
    return hits / trials


def _renewal(rng, rate_per_min, cv, minutes):
    shape = 1 / cv**2
    gaps = rng.gamma(shape, 60.0 / rate_per_min / shape, size=int(rate_per_min * minutes * 2) + 50)
    t = rng.uniform(0, 1) * gaps[0] + np.concatenate(([0.0], np.cumsum(gaps[1:])))
    t = t[t < minutes * 60.0]
    return Count(t.size, minutes * 60.0, 60.0, np.diff(t))


@pytest.mark.parametrize("cv", [0.5, 0.8, 1.0])
def test_renewal_rate_interval_covers_the_true_rate(cv):
    cov = _coverage(lambda rng: _renewal(rng, 17.0, cv, 10.0).estimate(), 17.0)
    assert 0.91 <= cov <= 0.99, cov


def test_a_regular_process_is_known_better_than_a_poisson_one():
    rng = np.random.default_rng(1)
    regular = _renewal(rng, 17.0, 0.4, 10.0).estimate()
    poisson = Count(regular.n, 600.0).estimate()  # no intervals: taken as Poisson
    assert regular.hi - regular.lo < 0.6 * (poisson.hi - poisson.lo)


def test_wilson_share_interval_covers():
    cov = _coverage(lambda rng: Tally(int(rng.binomial(300, 0.9)), 300).estimate(), 0.9)
    assert 0.92 <= cov <= 0.98, cov


def test_bootstrap_median_interval_covers():
    truth = math.exp(0.0)  # median of a log-normal(0, 0.5)
    cov = _coverage(lambda rng: Values(rng.lognormal(0.0, 0.5, 120)).estimate(), truth, 200)
    assert 0.90 <= cov <= 0.99, cov


def test_block_bootstrap_widens_for_correlated_values():
    """An AR(1) series with strong memory: resampling single values pretends to know its mean far
    better than resampling blocks of neighbours does."""
    rng = np.random.default_rng(3)
    x = np.zeros(600)
    for i in range(1, x.size):
        x[i] = 0.9 * x[i - 1] + rng.normal()
    naive = Values(x, "mean").estimate("a")
    blocked = Values(x, "mean", block=20).estimate("a")
    assert (blocked.hi - blocked.lo) > 2.0 * (naive.hi - naive.lo)


def test_blocks_t_interval_and_fisher_stays_inside_one():
    b = Blocks(np.array([0.95, 0.97, 0.99, 0.96, 0.98]), [0.97], fisher=True).estimate()
    assert b.lo < 0.97 < b.hi <= 1.0
    plain = Blocks(np.array([1.0, 2.0, 3.0, 4.0]), [2.5]).estimate()
    # t(3) = 3.182, sd 1.291, n 4
    assert plain.hi - plain.value == pytest.approx(3.182 * 1.291 / 2, rel=1e-3)


def test_slope_interval_from_the_regression_error():
    s = Slope([-1.0, -1.2], [0.1, 0.1], [10, 10]).estimate()
    assert s.value == pytest.approx(-1.1) and s.lo < -1.1 < s.hi
    assert s.hi - s.value == pytest.approx(2.086 * math.sqrt(0.02) / 2, rel=1e-3)  # t(20)


def _est(value, lo, hi, n=100):
    return Estimate(value, lo, hi, n, "test")


def test_verdicts():
    assert verdict(_est(0.9, 0.88, 0.92), 0.85, 0.95, 10).status == PASS
    assert verdict(_est(0.99, 0.97, 1.0), 0.85, 0.95, 10).status == FAIL
    v = verdict(_est(0.94, 0.92, 0.96), 0.85, 0.95, 10)
    # The half-width towards the edge (0.02) must shrink to the gap (0.01): four times the time.
    assert v.status == INCONCLUSIVE and v.more_minutes == pytest.approx(30.0)
    few = verdict(_est(0.9, 0.88, 0.92, n=10), 0.85, 0.95, 10)
    assert few.status == INCONCLUSIVE and f"only 10 events ({MIN_EVENTS} needed)" in few.note
    assert few.more_minutes == pytest.approx(10 * (MIN_EVENTS / 10 - 1))
    assert verdict(_est(-1.0, -1.3, -0.7), -math.inf, -0.5, 10).status == PASS
