"""Saccade kinematics and the curve measurements built on them.

The kinematics are checked by *measuring* synthetic saccade curves with ``stats.detect_saccades``
(the same detector the gaze tests and ``validate`` use) and comparing with published values; the
detector itself is checked on curves whose answer is known by construction.
"""

from __future__ import annotations

import numpy as np
import pytest

from microface_addon.core import load_preset
from microface_addon.core.measure.stats import (
    angular_speed,
    coincidence_share,
    detect_saccades,
    event_mask,
)
from microface_addon.core.sections import from_section
from microface_addon.core.solver.primitives.saccades import (
    MainSequence,
    minimum_jerk,
    step_trajectory,
)

RATE_HZ = 240.0


def default_main_sequence() -> MainSequence:
    sec = load_preset("neutral_idle").section("gaze")["main_sequence"]
    return from_section(MainSequence, sec)


def synthetic(amplitudes, ms: MainSequence, gap_s: float = 0.5, seed: int = 0):
    """Saccades of the given amplitudes in random directions at sub-sample onsets."""
    rng = np.random.default_rng(seed)
    amplitudes = np.asarray(amplitudes, dtype=np.float64)
    n = amplitudes.size
    onsets = 0.2 + gap_s * np.arange(n) + rng.uniform(0.0, 1.0 / RATE_HZ, n)
    theta = rng.uniform(0.0, 2 * np.pi, n)
    deltas = amplitudes[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    t = np.arange(int((onsets[-1] + 1.0) * RATE_HZ)) / RATE_HZ
    pos = step_trajectory(t, onsets, ms.duration_s(amplitudes), deltas, ms.progress)
    return t, pos, onsets, theta


def test_measured_durations_follow_published_main_sequence():
    ms = default_main_sequence()
    amps = np.linspace(1.0, 40.0, 60)
    _, pos, _, _ = synthetic(amps, ms)
    det = detect_saccades(pos[:, 0], pos[:, 1], RATE_HZ)
    assert det.count == amps.size
    published_s = (2.2 * amps + 21.0) / 1000.0  # Carpenter 1988; Baloh et al. 1975
    ratio = det.duration_s / published_s
    assert np.all(np.abs(ratio - 1.0) < 0.1), ratio


def test_peak_velocity_is_monotone_and_saturates_near_published_values():
    ms = default_main_sequence()
    amps = np.array([1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 40.0])
    _, pos, _, _ = synthetic(amps, ms)
    peak = detect_saccades(pos[:, 0], pos[:, 1], RATE_HZ).peak_velocity_deg_s
    assert np.all(np.diff(peak) > 0), peak
    # Large saccades: ~500–700 °/s; 10°: ~300–450 °/s (Bahill et al. 1975; Baloh et al. 1975).
    assert 500.0 <= peak[-1] <= 750.0, peak[-1]
    assert 300.0 <= peak[3] <= 480.0, peak[3]
    # Saturation: doubling a large saccade adds far less speed than doubling a small one.
    assert peak[6] / peak[4] < 1.3 < peak[3] / peak[2]


def test_velocity_profile_accelerates_faster_than_it_decelerates():
    ms = default_main_sequence()
    for amp in (5.0, 15.0, 40.0):
        t, pos, onsets, _ = synthetic([amp], ms)
        speed = angular_speed(pos[:, 0], pos[:, 1], RATE_HZ)
        t_mid = (np.arange(speed.size) + 0.5) / RATE_HZ
        moving = speed > 0.02 * speed.max()
        start, end = t_mid[moving][0], t_mid[moving][-1]
        t_peak = t_mid[int(np.argmax(speed))]
        assert (t_peak - start) < 0.45 * (end - start), (amp, t_peak - start, end - start)


def test_saccade_curves_are_smooth():
    ms = default_main_sequence()
    t, pos, _, _ = synthetic([20.0], ms)
    # Resample finely: the velocity has no jumps (position is C1), the landing has no overshoot.
    fine = np.linspace(0.0, t[-1], 200_000)
    onset = 0.2
    d = ms.duration_s(20.0)
    x = 20.0 * ms.progress((fine - onset) / d)
    v = np.diff(x) / np.diff(fine)
    assert np.max(np.abs(np.diff(v))) < 0.01 * v.max()
    assert x.max() <= 20.0 + 1e-9 and np.all(np.diff(x) >= -1e-12)


def test_detector_finds_known_onsets_amplitudes_and_directions():
    ms = default_main_sequence()
    amps = np.array([0.2, 0.5, 3.0, 8.0, 25.0])
    _, pos, onsets, theta = synthetic(amps, ms, seed=3)
    det = detect_saccades(pos[:, 0], pos[:, 1], RATE_HZ)
    assert det.count == amps.size
    assert np.all(np.abs(det.onsets_s - onsets) < 0.003)
    assert np.allclose(det.amplitude_deg, amps, rtol=0.02)
    err = (det.direction_deg - np.degrees(theta) + 180.0) % 360.0 - 180.0
    assert np.all(np.abs(err) < 1.0)


def test_detector_ignores_slow_drift():
    from scipy.ndimage import gaussian_filter1d

    rng = np.random.default_rng(1)
    n = int(60 * RATE_HZ)
    walk = gaussian_filter1d(np.cumsum(rng.normal(0, 1, (n, 2)), axis=0), RATE_HZ / 2, axis=0)
    walk *= 0.5 / np.abs(walk - walk.mean(axis=0)).max()  # half a degree of slow wander
    assert angular_speed(walk[:, 0], walk[:, 1], RATE_HZ).max() < 5.0
    det = detect_saccades(walk[:, 0], walk[:, 1], RATE_HZ)
    assert det.count == 0


def test_step_trajectory_sums_overlapping_steps():
    t = np.arange(0, 2.0, 1 / RATE_HZ)
    deltas = np.array([[10.0, 0.0], [0.0, -4.0]])
    out = step_trajectory(t, np.array([0.5, 0.6]), np.array([0.3, 0.3]), deltas, minimum_jerk)
    assert np.allclose(out[t < 0.5], 0.0)
    assert np.allclose(out[t >= 0.9], [10.0, -4.0])
    # Halfway through the first step (before the second starts) a symmetric step is at half.
    assert out[np.searchsorted(t, 0.65), 0] == pytest.approx(5.0, abs=0.3)
    assert np.all(np.diff(out[:, 0]) >= 0) and np.all(np.diff(out[:, 1]) <= 0)


def test_event_mask_and_coincidence_share():
    mask = event_mask(100, 10.0, np.array([1.0]), np.array([2.0]), pad_s=0.2)
    assert not mask[7] and mask[8] and mask[22] and not mask[24]
    ref = np.array([1.0, 5.0, 9.0])
    assert coincidence_share(ref, np.array([1.05, 7.0, 8.95]), 0.1) == pytest.approx(2 / 3)
    assert coincidence_share(ref, np.array([]), 0.1) == 0.0
    assert np.isnan(coincidence_share(np.array([]), ref, 0.1))
