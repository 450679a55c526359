"""Blink layer: statistics measured from 10 simulated minutes against published bands.

Bands from ../shared/science-targets.md (Bentivoglio et al. 1997; Doughty 2001; Sforza et al.
2008; VanderWerf et al. 2003).  Each test measures curves with core.stats, never solver internals.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from conftest import assert_same_curve

from microface_addon.core import StateChange, Timeline, load_preset, solve
from microface_addon.core.measure.stats import coefficient_of_variation, detect_blinks, skewness

MINUTES = 10
SEEDS = (11, 12, 13)


@functools.cache
def _blinks(state: str, seed: int, eye: str = "L"):
    """10 minutes in ``state``, solved and measured once per (state, seed, eye) for the whole
    module (the rate, interval, shape and ordering tests measure the same runs) and shared
    read-only, so no test can change what another sees."""
    s = load_preset().with_overrides({"state": state})
    perf = solve(s, MINUTES * 60, seed=seed, character_id="Test")
    b = detect_blinks(perf.channels[f"orbicularis_oculi_palpebral_{eye}"], perf.rate_hz)
    for a in (*perf.channels.values(), *(getattr(b, f) for f in b.__dataclass_fields__)):
        if isinstance(a, np.ndarray):
            a.setflags(write=False)
    return perf, b


@pytest.mark.parametrize(
    "state, lo, hi", [("rest", 12, 22), ("speaking", 20, 32), ("reading", 2, 8)]
)
@pytest.mark.parametrize("seed", SEEDS)
def test_rate_per_state_is_in_the_published_band(state, lo, hi, seed):
    _, b = _blinks(state, seed)
    assert lo <= b.rate_per_min(MINUTES * 60) <= hi


def test_state_ordering_reading_lt_rest_lt_speaking():
    rates = {
        st: np.mean([_blinks(st, s)[1].count for s in SEEDS])
        for st in ("reading", "rest", "speaking")
    }
    assert rates["reading"] < rates["rest"] < rates["speaking"]


@pytest.mark.parametrize("seed", SEEDS)
def test_intervals_are_irregular_and_right_skewed(seed):
    _, b = _blinks("rest", seed)
    ibi = b.ibi_s
    assert 0.55 <= coefficient_of_variation(ibi) <= 1.0
    assert skewness(ibi) > 0.5


@pytest.mark.parametrize("seed", SEEDS)
def test_no_sub_refractory_intervals_outside_double_blinks(seed):
    perf, b = _blinks("speaking", seed)
    # A double blink is the second of two blinks whose first had not finished reopening.
    short = b.ibi_s < 0.25
    assert np.mean(short) < 0.02


@pytest.mark.parametrize("seed", SEEDS)
def test_closing_is_fast_and_opening_slower(seed):
    _, b = _blinks("rest", seed)
    full = b.amplitude > 0.95
    assert full.sum() > 50
    closing = np.median(b.closing_s[full])
    ratio = np.median(b.opening_s[full] / b.closing_s[full])
    duration = np.median(b.duration_s[full])
    assert 0.055 <= closing <= 0.110
    assert 1.5 <= ratio <= 3.0
    assert 0.200 <= duration <= 0.450


@pytest.mark.parametrize("seed", SEEDS)
def test_partial_and_double_blinks_occur_in_published_shares(seed):
    _, b = _blinks("rest", seed)
    partial = b.amplitude < 0.9
    assert 0.10 <= partial.mean() <= 0.50
    assert np.all((b.amplitude[partial] >= 0.25) & (b.amplitude[partial] <= 0.85))
    # doubles: a blink starting within 0.5 s of the previous one's start
    doubles = np.mean(b.ibi_s < 0.5)
    assert 0.01 <= doubles <= 0.10


def test_left_and_right_differ_slightly_but_blink_together():
    perf, bl = _blinks("rest", 5, "L")
    br = detect_blinks(perf.channels["orbicularis_oculi_palpebral_R"], perf.rate_hz)
    assert bl.count == br.count
    lag = br.onsets_s - bl.onsets_s
    assert np.all(np.abs(lag) < 0.05)  # same blinks
    assert np.any(lag != 0)  # but not mechanically identical
    assert not np.array_equal(
        perf.channels["orbicularis_oculi_palpebral_L"],
        perf.channels["orbicularis_oculi_palpebral_R"],
    )


def test_state_changes_on_the_timeline_change_the_rate():
    s = load_preset()
    tl = Timeline(changes=(StateChange(300.0, "state", "reading"),))
    perf = solve(s, 600, seed=3, character_id="T", timeline=tl)
    b = detect_blinks(perf.channels["orbicularis_oculi_palpebral_L"], perf.rate_hz)
    first = np.sum(b.onsets_s < 300)
    second = np.sum(b.onsets_s >= 300)
    assert first > 2.0 * second


def test_deterministic_and_character_dependent():
    s = load_preset()
    a = solve(s, 120, seed=7, character_id="Anna")
    b = solve(s, 120, seed=7, character_id="Anna")
    c = solve(s, 120, seed=7, character_id="Bert")
    d = solve(s, 120, seed=8, character_id="Anna")
    for k in a.channels:
        assert_same_curve(k, a.channels[k], b.channels[k])
    key = "orbicularis_oculi_palpebral_L"
    onsets = lambda p: detect_blinks(p.channels[key], p.rate_hz).onsets_s  # noqa: E731
    # two characters in one scene never blink in sync
    oa, oc = onsets(a), onsets(c)
    near = np.min(np.abs(oa[:, None] - oc[None, :]), axis=1) < 0.1
    assert near.mean() < 0.5
    assert not np.array_equal(a.channels[key], d.channels[key])


def test_frame_rate_only_samples_the_same_motion():
    s = load_preset()
    perf = solve(s, 30, seed=2, character_id="T")
    at24 = perf.at_frames(24, 24 * 30)
    at60 = perf.at_frames(60, 60 * 30)
    for k in at24:
        # 24 fps frame i is 60 fps frame 2.5 i: they coincide every 2nd 24-fps frame
        np.testing.assert_allclose(at24[k][::2], at60[k][::5], atol=1e-6)


def test_intensity_scales_closure():
    s = load_preset()
    half = s.with_overrides({"blink": {"intensity": 0.5}})
    a = solve(s, 60, 1, "T").channels["orbicularis_oculi_palpebral_L"]
    b = solve(half, 60, 1, "T").channels["orbicularis_oculi_palpebral_L"]
    assert b.max() == pytest.approx(0.5 * a.max(), rel=0.05)


def test_disabled_layer_adds_nothing():
    s = load_preset().with_overrides({"blink": {"enabled": False}})
    perf = solve(s, 30, 1, "T")
    assert "orbicularis_oculi_palpebral_L" not in perf.channels
