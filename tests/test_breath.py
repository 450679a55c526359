"""Breath layer: measured from the solved curves over simulated minutes, against the published
bands in ``/work/shared/science-targets.md`` (rates, inhale share, sighs, held breath, blinks)."""

from __future__ import annotations

import numpy as np
import pytest

from microface_addon.core import load_preset, solve
from microface_addon.core.measure import stats
from microface_addon.core.timeline import StateChange, Timeline, timeline_from_markers

RATE_HZ = 240.0
TEN_MIN = 600.0
ONLY_BREATH = {
    "gaze": {"enabled": False},
    "head": {"enabled": False},
    "cascade": {"enabled": False},
    "micro_events": {"enabled": False},
    "blink": {"enabled": False},
}
WITH_BLINKS = {k: v for k, v in ONLY_BREATH.items() if k != "blink"}


def settings(breath: dict | None = None, others: dict = ONLY_BREATH):
    return load_preset("neutral_idle").with_overrides({**others, "breath": breath or {}})


def run(breath=None, duration=TEN_MIN, seed=1, timeline=None, others=ONLY_BREATH, who="ada"):
    return solve(settings(breath, others), duration, seed, who, timeline)


# Bands from science-targets.md (rate per minute, inhale share) and the depth ordering it asks
# for (shallow-quick small, deep large).
BANDS = {
    "calm": ((10.0, 18.0), (0.33, 0.45)),
    "shallow_quick": ((20.0, 30.0), (0.33, 0.45)),
    "deep": ((6.0, 10.0), (0.33, 0.45)),
    "speech": ((6.0, 20.0), (0.0, 0.2)),
}


@pytest.mark.parametrize("mode", list(BANDS))
def test_rate_and_inhale_share_per_mode(mode):
    (r_lo, r_hi), (s_lo, s_hi) = BANDS[mode]
    perf = run({"mode": mode})
    cyc = stats.detect_breath_cycles(perf.channels["breath"], RATE_HZ)
    assert cyc.count > 0.8 * r_lo * TEN_MIN / 60
    assert r_lo <= cyc.rate_per_min <= r_hi, cyc.rate_per_min
    share = float(np.median(cyc.inhale_share))
    assert s_lo <= share <= s_hi, share
    # Breath-to-breath variability: cycles differ, but not wildly.
    cv = stats.coefficient_of_variation(cyc.duration_s)
    assert 0.05 < cv < 0.4, cv


def test_depth_order_shallow_calm_deep():
    depth = {
        m: np.median(stats.detect_breath_cycles(run({"mode": m}).channels["breath"], RATE_HZ).depth)
        for m in ("shallow_quick", "calm", "deep")
    }
    assert depth["shallow_quick"] < 0.7 * depth["calm"] < 0.7 * depth["deep"], depth


def test_chest_follows_breath_and_nostrils_flare_on_inhale():
    perf = run({"mode": "deep"})
    b, chest = perf.channels["breath"], perf.channels["chest_pitch"]
    assert np.corrcoef(b, chest)[0, 1] > 0.99
    assert 0.5 < np.ptp(chest) < 6.0  # degrees: visible, never a bow
    flare = perf.channels["nasalis_L"]
    rising = np.gradient(b) > 0
    assert flare[rising].mean() > 10 * max(flare[~rising].mean(), 1e-9)
    assert 0.0 < flare.max() < 0.3  # low weight: noseSneer gets 0.3 of it on ARKit rigs
    assert np.array_equal(flare, perf.channels["nasalis_R"])
    # Slight lip parting in deep breathing, none in calm breathing.
    assert 0.01 < perf.channels["jaw_drop"].max() < 0.15
    assert np.allclose(run({"mode": "calm"}).channels["jaw_drop"], 0.0)


def test_sigh_rate_matches_preset():
    hours = 2.0
    for per_hour in (12.0, 30.0):
        counts = []
        for seed in (1, 2):
            perf = run({"mode": "calm", "sigh": {"rate_per_hour": per_hour}}, hours * 3600, seed)
            cyc = stats.detect_breath_cycles(perf.channels["breath"], RATE_HZ)
            counts.append(stats.detect_sighs(cyc).size)
        measured = np.mean(counts) / hours
        assert abs(measured - per_hour) <= 0.3 * per_hour, (per_hour, counts)


def test_default_sigh_rate_in_published_band():
    perf = run({"mode": "calm"}, 3600.0, seed=5)
    cyc = stats.detect_breath_cycles(perf.channels["breath"], RATE_HZ)
    assert 4 <= stats.detect_sighs(cyc).size <= 20


def held_plateaus(perf, min_s=2.0):
    """(plateau start, release) of every hold the layer reports, at least ``min_s`` long."""
    holds = perf.events["breath"]["holds"]
    return [
        (h["plateau_s"], h["release_s"]) for h in holds if h["release_s"] - h["plateau_s"] >= min_s
    ]


def longest_frozen_run_s(curve, fps=24.0, step=1e-3):
    """Longest stretch (s) over which the curve, keyed at ``fps``, moves less than ``step`` per
    frame: a frozen chest."""
    t = np.arange(curve.size) / RATE_HZ
    frames = np.interp(np.arange(0.0, t[-1], 1.0 / fps), t, curve)
    still = np.abs(np.diff(frames)) < step
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate(([0], still.astype(np.int8), [0])))))
    return float(runs[::2].max() / fps) if runs.size else 0.0


def test_held_mode_still_chest_rising_tension_and_release():
    perf = run({"mode": "held"}, others=WITH_BLINKS)
    b, chest, tension = (perf.channels[k] for k in ("breath", "chest_pitch", "tension"))
    spans = held_plateaus(perf)
    assert len(spans) >= 15  # repeated holds over ten minutes
    normal_peak = np.median(stats.detect_breath_cycles(b, RATE_HZ).depth)
    full = [(s, e) for s, e in spans if e < TEN_MIN - 10]
    for (s, e), nxt in zip(full, [sp[0] for sp in spans[1:]], strict=False):
        i0, i1 = int(s * RATE_HZ) + 1, int(e * RATE_HZ) - 1
        # Held: the chest stays within a few per cent of the hold level…
        assert np.ptp(b[i0:i1]) < 0.1 * b[i0:i1].mean()
        assert np.ptp(chest[i0:i1]) < 0.2  # degrees
        # …but is not frozen (straining, the heartbeat): no second without movement.
        assert longest_frozen_run_s(b[i0:i1]) < 1.0
        assert b[i0:i1].mean() > normal_peak  # held near (above) a normal end-inhale
        assert tension[i1] > tension[i0] + 0.15  # builds over the hold
        for face in ("jaw_clench", "orbicularis_oris_L", "jaw_forward", "corrugator_L"):
            assert perf.channels[face][i1] > perf.channels[face][i0]
        # The release exhale empties the chest within a few seconds…
        after = b[i1 : i1 + int(5 * RATE_HZ)]
        assert after.min() < 0.1 * b[i0:i1].mean()
        # …and the tension fades before the next hold.
        assert tension[i1 : int(nxt * RATE_HZ)].min() < 0.5 * tension[i1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_breath_held_marker_holds_for_six_seconds(seed):
    tl = timeline_from_markers([("mf:breath held 6", 20.0, "marker 'mf:breath held 6'")])
    perf = run({"mode": "calm"}, 60.0, seed=seed, timeline=tl)
    spans = held_plateaus(perf, min_s=1.5)
    assert len(spans) == 1
    s, e = spans[0]
    assert 20.0 < s < 21.5 and 25.5 < e < 26.5  # held from after the catch-breath to release
    b = perf.channels["breath"][int(s * RATE_HZ) : int(e * RATE_HZ)]
    assert np.ptp(b) < 0.1 * b.mean() and longest_frozen_run_s(b) < 1.0  # held, not frozen
    tension = perf.channels["tension"]
    assert tension[int(25.9 * RATE_HZ)] > 0.3 > tension[int(19.0 * RATE_HZ)]


def _steps_near(curve, times, before=3.0, after=10.0):
    steps = stats.frame_steps(curve, RATE_HZ, 60.0)
    fr = np.arange(steps.size) / 60.0
    return {t: steps[(fr > t - before) & (fr < t + after)].max() for t in times}


NO_SIGHS = {"sigh": {"rate_per_hour": 0.0}}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mode_changes_are_phase_continuous(seed):
    order = ["calm", "speech", "shallow_quick", "deep", "calm", "shallow_quick", "speech", "deep"]
    rng = np.random.default_rng(seed)
    times = [0.0] + list(np.cumsum(rng.uniform(20, 40, len(order) - 1)))
    tl = Timeline(
        tuple(StateChange(float(t), "breath", m) for t, m in zip(times, order, strict=True))
    )
    perf = run(NO_SIGHS | {"mode": order[0]}, times[-1] + 30, seed, tl)
    # A normal frame step: the largest one in ten steady minutes of each mode.  A phase jump
    # would move the chest by a good part of a breath in one frame (10-50x this).
    steady = {
        m: stats.frame_steps(
            run(NO_SIGHS | {"mode": m}, TEN_MIN, seed).channels["breath"], RATE_HZ, 60
        ).max()
        for m in set(order)
    }
    near = _steps_near(perf.channels["breath"], times[1:])
    for i, t in enumerate(times[1:], start=1):
        normal = max(steady[order[i - 1]], steady[order[i]])
        assert near[t] <= 1.1 * normal, (order[i - 1], order[i], near[t], normal)


def test_hold_transitions_are_no_faster_than_quick_speech_inhales():
    tl = Timeline(
        (
            StateChange(15.0, "breath", "held", "", 5.0),
            StateChange(40.0, "breath", "deep"),
            StateChange(70.0, "breath", "held", "", 8.0),
            StateChange(100.0, "breath", "shallow_quick"),
            StateChange(130.0, "breath", "held", "", 3.0),
        )
    )
    perf = run(NO_SIGHS | {"mode": "calm"}, 160, 4, tl)
    speech = run(NO_SIGHS | {"mode": "speech"}, 300, 4).channels["breath"]
    quickest = stats.frame_steps(speech, RATE_HZ, 60).max()
    near = _steps_near(perf.channels["breath"], [15, 20, 70, 78, 130, 133])
    assert max(near.values()) <= quickest, (near, quickest)


def test_deterministic_and_per_character():
    a = run({"mode": "held"}, 120, seed=7, others=WITH_BLINKS)
    b = run({"mode": "held"}, 120, seed=7, others=WITH_BLINKS)
    c = run({"mode": "held"}, 120, seed=7, others=WITH_BLINKS, who="bob")
    for k in ("breath", "tension", "orbicularis_oculi_palpebral_L"):
        assert np.array_equal(a.channels[k], b.channels[k])
    assert not np.array_equal(a.channels["breath"], c.channels["breath"])


def test_longer_bake_starts_the_same():
    short = run({"mode": "calm"}, 60.0, seed=9).channels["breath"]
    long = run({"mode": "calm"}, 180.0, seed=9).channels["breath"]
    assert np.array_equal(short, long[: short.size])


def test_zero_intensity_adds_nothing():
    perf = run({"mode": "held", "intensity": 0.0}, 120, others=WITH_BLINKS)
    for k in ("breath", "chest_pitch", "tension", "jaw_clench", "nasalis_L"):
        assert np.allclose(perf.channels[k], 0.0)
    assert "forced_blinks_s" not in perf.events


def test_unknown_mode_on_timeline_names_its_source():
    tl = Timeline((StateChange(3.0, "breath", "panting", "marker 'mf:breath panting' @ 72"),))
    with pytest.raises(ValueError, match="panting.*mf:breath panting"):
        run({}, 10.0, timeline=tl)
