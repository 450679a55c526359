"""Micro-events measured from 10 simulated minutes of curves: rates, durations, tension, leaks."""

from __future__ import annotations

import numpy as np
import pytest

from microface_addon.core import load_preset, solve
from microface_addon.core.measure.stats import detect_pulses
from microface_addon.core.solver.layers.cascade import muscles
from microface_addon.core.timeline import Timeline, parse_marker

MINUTES = 10
SEEDS = (1, 2, 3)
# Only the micro-event layer (and the cascade when an intent needs it) writes channels here;
# the cascade's own tension-driven brow/lip tone is switched off so pulses stand on a flat 0.
ALONE = {k: {"enabled": False} for k in ("breath", "cascade", "blink", "gaze", "head")}
NO_TONE = {
    "cascade": {"tension": {"drive": {"corrugator": 0, "jaw_clench": 0, "orbicularis_oris": 0}}}
}


def _kinds():
    return load_preset().section("micro_events")["kinds"]


def _only(kind: str, rate: float) -> dict:
    return {
        "micro_events": {
            "kinds": {k: {"rate_per_min": rate if k == kind else 0.0} for k in _kinds()},
            "micro_expressions": {"rate_per_min": 0.0},
        }
    }


def _pulses(perf, kind: str):
    """Pulses of one kind, from the upper envelope of every channel it can move."""
    spec = _kinds()[kind]
    chans = [c for m in spec["muscles"] for c in muscles()[m]]
    env = np.max([perf.channels.get(c, np.zeros(perf.n_samples)) for c in chans], axis=0)
    return detect_pulses(env, perf.rate_hz, 0.2 * spec["amplitude"][0])


def _solve(overrides, seed, markers=(), seconds=MINUTES * 60.0, cascade=False):
    s = load_preset().with_overrides(ALONE).with_overrides(overrides)
    if cascade:
        s = s.with_overrides({"cascade": {"enabled": True}}).with_overrides(NO_TONE)
    tl = Timeline(intents=tuple(parse_marker(m, at) for m, at in markers))
    return solve(s, seconds, seed=seed, character_id="Test", timeline=tl)


@pytest.mark.parametrize("kind", sorted(_kinds()))
@pytest.mark.parametrize("seed", SEEDS)
def test_each_kind_happens_at_its_preset_rate(kind, seed):
    rate = 6.0
    p = _solve(_only(kind, rate), seed)
    measured = _pulses(p, kind).rate_per_min(MINUTES * 60)
    assert abs(measured - rate) <= 0.2 * rate, measured


@pytest.mark.parametrize("seed", SEEDS)
def test_default_rates_together(seed):
    kinds = _kinds()
    p = _solve({}, seed)
    total = sum(_pulses(p, k).count for k in kinds) / MINUTES
    expected = sum(k["rate_per_min"] for k in kinds.values())
    assert abs(total - expected) <= 0.2 * expected, (total, expected)


@pytest.mark.parametrize("kind", ["brow_twitch", "lip_corner_twitch", "nostril_flicker"])
def test_twitches_are_brief(kind):
    p = _solve(_only(kind, 6.0), seed=4)
    pulses = _pulses(p, kind)
    assert pulses.count > 40
    assert pulses.duration_s.max() <= 0.5
    assert pulses.duration_s.max() <= _kinds()[kind]["duration_s"][1] + 1 / p.rate_hz


def test_skin_tension_shifts_are_slower_and_small():
    spec = _kinds()["skin_tension_shift"]
    p = _solve(_only("skin_tension_shift", 4.0), seed=4)
    pulses = _pulses(p, "skin_tension_shift")
    lone = pulses.peak <= spec["amplitude"][1] + 1e-9  # not two shifts on top of each other
    assert np.median(pulses.duration_s[lone]) >= spec["duration_s"][0]
    assert pulses.peak.max() <= 2 * spec["amplitude"][1]


def test_brow_twitches_are_mostly_one_sided():
    share = _kinds()["brow_twitch"]["unilateral_share"]
    p = _solve(_only("brow_twitch", 6.0), seed=5)
    left = sum(
        p.channels.get(f"{m}_L", 0) for m in ("frontalis_medial", "frontalis_lateral", "corrugator")
    )
    right = sum(
        p.channels.get(f"{m}_R", 0) for m in ("frontalis_medial", "frontalis_lateral", "corrugator")
    )
    pulses = detect_pulses(np.maximum(left, right), p.rate_hz, 0.01)
    one_sided = []
    for on, dur in zip(pulses.onsets_s, pulses.duration_s, strict=True):
        w = slice(int(on * p.rate_hz), int((on + dur) * p.rate_hz) + 1)
        one_sided.append(min(left[w].max(), right[w].max()) < 1e-9)
    assert abs(np.mean(one_sided) - share) < 0.15


# --- tension and micro-expressions ----------------------------------------------------------


def _held_back(seed, rate=3.0, leak_from="smile"):
    overrides = _only("none", 0.0)
    overrides["micro_events"]["micro_expressions"] = {"rate_per_min": rate}
    return _solve(
        overrides,
        seed,
        markers=[(f"mf:suppress 0.8 {leak_from} hold=590", 1.0)],
        cascade=True,
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_a_suppressed_smile_leaks_as_brief_micro_expressions_at_the_preset_rate(seed):
    rate = 8.0
    p = _held_back(seed, rate)
    sec = load_preset().section("micro_events")
    zyg = p.channels["zygomaticus_major_L"]  # nothing but leaks moves it here
    pulses = detect_pulses(zyg, p.rate_hz, 0.02)
    assert pulses.count > 50
    assert pulses.duration_s.max() <= 0.5
    # rate = preset × suppress intensity × its envelope × (1 + gain × tension), over the run
    t = p.t
    held = 0.8 * ((t > 1.25 + 0.4) & (t < 1.25 + 0.4 + 590))
    boost = 1 + sec["tension_rate_gain"] * np.clip(p.channels["tension"], 0, 1)
    expected = rate / 60 * np.sum(held * boost) / p.rate_hz
    assert abs(pulses.count - expected) <= 0.2 * expected, (pulses.count, expected)


def test_no_leaks_without_something_held_back():
    overrides = _only("none", 0.0)
    overrides["micro_events"]["micro_expressions"] = {"rate_per_min": 10.0}
    p = _solve(overrides, 1, markers=[("mf:frown 0.8 hold=30", 1.0)], cascade=True)
    assert "zygomaticus_major_L" not in p.channels
    assert "micro_expression" not in p.events["micro_events"]


def test_leaks_show_the_expression_held_back():
    p = _held_back(2, 6.0, leak_from="frown")
    assert detect_pulses(p.channels["corrugator_L"], p.rate_hz, 0.02).count > 20
    assert "zygomaticus_major_L" not in p.channels


@pytest.mark.parametrize("kind", ["brow_twitch", "nostril_flicker"])
def test_tension_raises_the_rate(kind):
    calm = _solve(_only(kind, 4.0), 3)
    tense = _solve(_only(kind, 4.0), 3, markers=[("mf:suppress 0.9 hold=590", 1.0)], cascade=True)
    gain = load_preset().section("micro_events")["tension_rate_gain"]
    boost = np.mean(1 + gain * np.clip(tense.channels["tension"], 0, 1))
    assert boost > 1.3
    ratio = _pulses(tense, kind).count / _pulses(calm, kind).count
    assert abs(ratio - boost) <= 0.25 * boost, (ratio, boost)


def test_events_do_not_depend_on_the_solved_length_and_repeat_exactly():
    short = _solve({}, 7, seconds=120.0)
    long = _solve({}, 7, seconds=300.0)
    again = _solve({}, 7, seconds=300.0)
    n = short.n_samples
    assert short.channels
    for name, x in short.channels.items():
        np.testing.assert_array_equal(x, long.channels[name][:n], err_msg=name)
    for name, x in long.channels.items():
        assert np.array_equal(x, again.channels[name]), name
    other = _solve({}, 8, seconds=120.0)
    assert any(not np.array_equal(x, other.channels.get(k)) for k, x in short.channels.items())
