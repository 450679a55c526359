"""The measuring tools themselves, on synthetic curves with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from microface_addon.core.measure.stats import coefficient_of_variation, detect_blinks, skewness


def _trapezoid(rate, onsets, close, hold, open_, amp=1.0, total=20.0):
    t = np.arange(int(total * rate)) / rate
    x = np.zeros_like(t)
    for t0 in onsets:
        s = t - t0
        up = np.clip(s / close, 0, 1)
        down = np.clip((s - close - hold) / open_, 0, 1)
        x = np.maximum(x, amp * np.where(s < 0, 0, up - down))
    return x


def test_detect_blinks_measures_known_linear_blinks():
    rate = 1000.0
    x = _trapezoid(rate, [1.0, 5.0, 9.5], close=0.1, hold=0.05, open_=0.2)
    b = detect_blinks(x, rate)
    assert b.count == 3
    np.testing.assert_allclose(b.onsets_s, [1.002, 5.002, 9.502], atol=2e-3)
    # linear ramps: 2 %→98 % spans 96 % of each phase
    np.testing.assert_allclose(b.closing_s, 0.096, atol=2e-3)
    np.testing.assert_allclose(b.opening_s, 0.192, atol=2e-3)
    np.testing.assert_allclose(b.ibi_s, [4.0, 4.5], atol=2e-3)


def test_partial_blinks_below_threshold_are_not_counted():
    x = _trapezoid(500.0, [1.0, 3.0], 0.1, 0.0, 0.2, amp=0.2)
    assert detect_blinks(x, 500.0).count == 0


def test_cv_and_skewness():
    rng = np.random.default_rng(0)
    g = rng.gamma(1.5625, 1.0, 200000)  # CV 0.8, skewness 1.6
    assert coefficient_of_variation(g) == pytest.approx(0.8, rel=0.02)
    assert skewness(g) == pytest.approx(1.6, rel=0.05)
