"""Muscle dynamics: exact against slow references and closed forms, not against themselves."""

from __future__ import annotations

import numpy as np
import pytest

from microface_addon.core.solver.primitives.activation import (
    adapt,
    asymmetric_activation,
    delayed_lag,
    lowpass,
    tissue_response,
)
from microface_addon.core.timeline.intents import envelope

RATE = 240.0


def _reference_asymmetric(u, tau_rise, tau_fall):
    """Sample-by-sample model: slow but obviously right."""
    pr, pf = np.exp(-1 / (tau_rise * RATE)), np.exp(-1 / (tau_fall * RATE))
    out = np.empty_like(u)
    for r in range(u.shape[0]):
        a = 0.0
        for n in range(u.shape[1]):
            p = pr if u[r, n] > a else pf
            a = p * a + (1 - p) * u[r, n]
            out[r, n] = a
    return out


def _random_drives(seed, seconds=40.0, rows=3):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    u = np.zeros((rows, t.size))
    for r in range(rows):
        for _ in range(12):
            u[r] += rng.uniform(0.1, 0.8) * envelope(
                t, rng.uniform(0, seconds - 3), *rng.uniform(0, 1.2, size=3)
            )
        u[r] += 0.05 * np.maximum(np.sin(rng.uniform(0.5, 3) * t), 0)  # a wobbling tension
    return u


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_asymmetric_activation_equals_the_sample_loop(seed):
    u = _random_drives(seed)
    got = asymmetric_activation(u, 0.04, 0.15, RATE)
    np.testing.assert_allclose(got, _reference_asymmetric(u, 0.04, 0.15), rtol=0, atol=1e-12)


def test_contracting_is_faster_than_letting_go():
    t = np.arange(int(4 * RATE)) / RATE
    u = ((t >= 1) & (t < 2)).astype(float)[None]
    a = asymmetric_activation(u, 0.04, 0.15, RATE)[0]
    rise = (np.argmax(a >= 0.9) - np.argmax(a >= 0.1)) / RATE
    fall_start = int(2 * RATE)
    fall = (np.argmax(a[fall_start:] <= 0.1) - np.argmax(a[fall_start:] <= 0.9)) / RATE
    # 10→90 % of a first-order lag is ln(9)·tau
    assert rise == pytest.approx(np.log(9) * 0.04, abs=1.5 / RATE)
    assert fall == pytest.approx(np.log(9) * 0.15, abs=1.5 / RATE)


def test_tissue_step_response_matches_the_continuous_solution_at_every_sample():
    f, zeta = 3.5, 0.8
    n = int(3 * RATE)
    x = tissue_response(np.ones((1, n)), f, zeta, RATE)[0]
    # ZOH is exact for a step: sample k is the continuous response at t = k·dt.
    w = 2 * np.pi * f
    wd = w * np.sqrt(1 - zeta**2)
    tt = np.arange(n) / RATE
    y = 1 - np.exp(-zeta * w * tt) * (np.cos(wd * tt) + zeta * w / wd * np.sin(wd * tt))
    np.testing.assert_allclose(x, y, atol=1e-10)
    overshoot = x.max() - 1.0
    assert overshoot == pytest.approx(np.exp(-np.pi * zeta / np.sqrt(1 - zeta**2)), rel=0.02)


def test_critically_damped_tissue_never_overshoots():
    x = tissue_response(np.ones((1, 2000)), 5.0, 1.0, RATE)[0]
    assert x.max() <= 1.0 + 1e-12
    assert x[-1] == pytest.approx(1.0, abs=1e-9)


def test_lowpass_and_delayed_lag_are_exact_first_order():
    n = int(2 * RATE)
    y = lowpass(np.ones(n), 0.1, RATE)
    k = np.arange(n)
    np.testing.assert_allclose(y, 1 - np.exp(-(k + 1) / (0.1 * RATE)), atol=1e-12)
    z = delayed_lag(np.ones((2, n)), 0.05, 0.1, 0.5, RATE)
    d = int(round(0.05 * RATE))
    assert np.all(z[:, :d] == 0)
    np.testing.assert_allclose(z[0, d:], 0.5 * y[: n - d], atol=1e-12)


def test_adaptation_settles_to_the_kept_fraction():
    u = np.ones(int(6 * RATE))
    v = adapt(u, 0.5, 0.6, RATE)
    assert v[0] == pytest.approx(1.0, abs=0.01)
    assert v[-1] == pytest.approx(0.5, abs=1e-3)
    assert np.all(np.diff(v) <= 1e-15)
