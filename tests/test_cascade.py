"""Muscle cascade: order, lags and shapes measured from the solved curves.

Bands from ../shared/science-targets.md (Schmidt et al. 2006 smile onsets; Ekman/Schmidt Duchenne
ordering; Dimberg EMG latency; the seed's corrugator release and jaw hesitation).  Curves are
measured with core.stats; nothing here reads solver internals except the published asymmetry.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import assert_same_curve

from microface_addon.core import PresetError, load_preset, solve
from microface_addon.core.measure.stats import (
    apex_time_s,
    fall_plateau_s,
    first_crossing_s,
    onset_duration_s,
)
from microface_addon.core.solver.compose import SolveContext
from microface_addon.core.solver.layers import cascade
from microface_addon.core.solver.layers.cascade import build_graph, graph_problems
from microface_addon.core.timeline import Timeline, parse_marker

OTHERS_OFF = {k: {"enabled": False} for k in ("breath", "micro_events", "blink", "gaze", "head")}
CUE_S = 1.0
ZYG, LEV, OOO = "zygomaticus_major_L", "levator_labii_L", "orbicularis_oculi_orbital_L"


def _solve(*markers, seconds=10.0, seed=1, overrides=None, only_cascade=True):
    s = load_preset()
    if only_cascade:
        s = s.with_overrides(OTHERS_OFF)
    if overrides:
        s = s.with_overrides(overrides)
    intents = tuple(parse_marker(m, at) for m, at in markers)
    return solve(s, seconds, seed=seed, character_id="Test", timeline=Timeline(intents=intents))


def _curve(perf, name):
    return perf.channels.get(name, np.zeros(perf.n_samples))


# --- Duchenne vs social smile ---------------------------------------------------------------


SEEDS = range(20)  # mechanics are judged over many instances: no two smiles are alike


def _apexes(marker, seeds=SEEDS):
    """Apex times (``apex_time_s``) of zygomaticus, levator labii and orbicularis oculi, one row
    per seed."""
    out = []
    for seed in seeds:
        p = _solve((marker, CUE_S), seed=seed)
        out.append([apex_time_s(_curve(p, c), p.rate_hz) for c in (ZYG, LEV, OOO)])
    return np.array(out)


@pytest.mark.parametrize("marker", ["mf:smile 0.7 duchenne", "mf:smile 0.7 duchenne hold=0"])
def test_duchenne_apexes_in_order_zygomaticus_levator_orbicularis(marker):
    t = _apexes(marker)
    lags = np.diff(t, axis=1)
    assert np.mean(np.all(lags > 0, axis=1)) >= 0.9, t  # the order holds in nearly every smile
    assert np.all((np.median(lags, axis=0) > 0) & (np.median(lags, axis=0) <= 0.25)), lags
    total = t[:, 2] - t[:, 0]
    assert 0.0 < np.median(total) <= 0.25  # AU6 within 250 ms of AU12 (Schmidt; Ekman)
    assert np.all(total > 0) and total.max() < 0.4, total


def test_au6_half_rise_follows_au12_in_every_smile():
    for seed in SEEDS:
        p = _solve(("mf:smile 0.6 duchenne", CUE_S), seed=seed)
        z, o = _curve(p, ZYG), _curve(p, OOO)
        lag = first_crossing_s(o, p.rate_hz, 0.5 * o.max()) - first_crossing_s(
            z, p.rate_hz, 0.5 * z.max()
        )
        assert 0.0 <= lag <= 0.4, (seed, lag)


@pytest.mark.parametrize("variant", ["duchenne", "social"])
def test_au12_onset_is_in_the_spontaneous_smile_band(variant):
    p = _solve((f"mf:smile 0.7 {variant}", CUE_S))
    assert 0.25 <= onset_duration_s(_curve(p, ZYG), p.rate_hz) <= 1.0


def test_polite_smile_rises_faster_than_a_felt_one():
    felt = _solve(("mf:smile 0.7 duchenne", CUE_S))
    polite = _solve(("mf:smile 0.7 social", CUE_S))
    assert onset_duration_s(_curve(polite, ZYG), 240.0) < onset_duration_s(_curve(felt, ZYG), 240.0)


def test_muscles_answer_a_cue_after_the_emg_latency():
    for marker in ("mf:smile 0.7", "mf:frown 0.6"):
        chan = ZYG if "smile" in marker else "corrugator_L"
        starts = []
        for seed in SEEDS:
            x = _curve(_solve((marker, CUE_S), seed=seed), chan)
            starts.append(first_crossing_s(x, 240.0, 0.02 * x.max()) - CUE_S)
        # Each instance has its own latency; the median is the published one and no instance
        # strays far from the band (the scatter is clipped).
        assert 0.3 <= np.median(starts) <= 0.4, (marker, np.median(starts))
        assert 0.25 <= min(starts) and max(starts) <= 0.45, (marker, starts)


def test_social_smile_leaves_the_eyes_out():
    felt = _curve(_solve(("mf:smile 0.7 duchenne", CUE_S)), OOO).max()
    polite = _curve(_solve(("mf:smile 0.7 social", CUE_S)), OOO).max()
    assert felt > 0.2
    assert polite <= 0.05 * felt


# --- corrugator, jaw ------------------------------------------------------------------------


@pytest.mark.parametrize("intensity", [0.3, 0.6, 0.9])
def test_corrugator_knits_then_partly_releases_while_the_frown_holds(intensity):
    hold = 3.0
    for seed in (1, 2, 3):
        p = _solve((f"mf:frown {intensity} hold={hold}", CUE_S), seed=seed)
        x, rate = _curve(p, "corrugator_L"), p.rate_hz
        inst = p.events["cascade_instances"][0]
        hold_end = int((inst["onset_s"] + inst["attack_s"] + hold) * rate)
        i_peak = int(np.argmax(x))
        assert i_peak < hold_end - rate  # the peak is early, not at the end of the hold
        # The level it settles at: the median of the hold's last half second (the hold wanders).
        settled = float(np.median(x[hold_end - int(rate / 2) : hold_end]))
        ratio = settled / x[i_peak]
        assert 0.30 <= ratio <= 0.70
        drop = x[i_peak] - settled
        t90 = np.argmax(x[i_peak:] <= x[i_peak] - 0.9 * drop) / rate
        assert 0.5 <= t90 <= 1.5


def test_jaw_relaxes_with_a_hesitation():
    pauses = np.array(
        [
            fall_plateau_s(_curve(_solve(("mf:surprise 0.8", CUE_S), seed=s), "jaw_drop"), 240.0)
            for s in SEEDS
        ]
    )
    assert _curve(_solve(("mf:surprise 0.8", CUE_S)), "jaw_drop").max() > 0.2
    # The drawn pause is 0.2-0.6 s; the jaw's own wander shortens what the slope measure sees.
    assert np.median(pauses) >= 0.15 and np.mean(pauses >= 0.1) >= 0.8, pauses


def test_the_smile_falls_without_a_hesitation():
    """Guard for the plateau measure: muscles without a release pause have none."""
    p = _solve(("mf:smile 0.7 duchenne", CUE_S))
    assert fall_plateau_s(_curve(p, ZYG), p.rate_hz) < 0.05


# --- frame-rate independence, determinism ---------------------------------------------------


def test_curves_coincide_at_24_30_60_fps():
    markers = [("mf:smile 0.7 duchenne", 1.0), ("mf:frown 0.5", 4.0), ("mf:surprise 0.8", 8.0)]
    out = {}
    for fps in (24, 30, 60):
        n = 12 * fps + 1
        perf = _solve(*markers, seconds=(n - 1) / fps, only_cascade=False)
        out[fps] = perf.at_frames(fps, n)
    # 24 and 30 fps coincide every 1/6 s; 60 fps contains both.
    for name in out[24]:
        a, b, c = out[24][name][::4], out[30][name][::5], out[60][name][::10]
        np.testing.assert_allclose(a, b, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(a, c, atol=1e-6, err_msg=name)
    assert out[24][ZYG].max() > 0.5


def test_cascade_curves_do_not_depend_on_the_solved_length():
    markers = [("mf:smile 0.7 duchenne", 1.0), ("mf:surprise 0.8", 5.0)]
    short = _solve(*markers, seconds=7.0, overrides={"micro_events": {"enabled": True}})
    long = _solve(*markers, seconds=30.0, overrides={"micro_events": {"enabled": True}})
    n = short.n_samples
    for name, x in short.channels.items():
        np.testing.assert_array_equal(x, long.channels[name][:n], err_msg=name)


def test_same_seed_is_bit_identical_and_another_seed_differs():
    markers = [("mf:smile 0.7 duchenne", 1.0), ("mf:surprise 0.8", 5.0), ("mf:concern 0.5", 9.0)]
    mine = {"micro_events": {"enabled": True}}
    a = _solve(*markers, seconds=15.0, overrides=mine)
    b = _solve(*markers, seconds=15.0, overrides=mine)
    c = _solve(*markers, seconds=15.0, seed=2, overrides=mine)
    assert a.channels.keys() == b.channels.keys()
    for name in a.channels:
        assert_same_curve(name, a.channels[name], b.channels[name])
    assert not np.array_equal(a.channels[ZYG], c.channels[ZYG])


# --- asymmetry and side bias -----------------------------------------------------------------


def _lr_ratio(seed, overrides=None, marker="mf:smile 0.7 duchenne"):
    p = _solve((marker, CUE_S), seed=seed, overrides=overrides)
    return _curve(p, ZYG).max() / _curve(p, "zygomaticus_major_R").max()


def test_left_hemiface_is_slightly_stronger_by_default_and_each_seed_differs():
    ratios = np.array([_lr_ratio(s) for s in range(20)])
    assert np.all(ratios != 1.0)
    assert 1.01 < ratios.mean() < 1.10  # a few per cent
    assert ratios.std() > 0.005  # per-seed, not a constant


def test_the_bias_is_configurable():
    flipped = {"cascade": {"asymmetry": {"left_gain_bias": -0.06}}}
    ratios = np.array([_lr_ratio(s, flipped) for s in range(10)])
    assert ratios.mean() < 0.99


def test_sides_start_tens_of_ms_apart_per_seed():
    offsets = []
    for seed in range(12):
        p = _solve(("mf:smile 0.7", CUE_S), seed=seed)
        left, right = _curve(p, ZYG), _curve(p, "zygomaticus_major_R")
        t_l = first_crossing_s(left, p.rate_hz, 0.05 * left.max())
        t_r = first_crossing_s(right, p.rate_hz, 0.05 * right.max())
        offsets.append(t_r - t_l)
    offsets = np.abs(offsets)
    assert 0.004 < np.mean(offsets) < 0.06


def test_contempt_is_one_sided_and_side_bias_can_silence_a_side():
    p = _solve(("mf:contempt 0.7", CUE_S))
    left, right = _curve(p, "buccinator_L").max(), _curve(p, "buccinator_R").max()
    assert right < 0.3 * left
    q = _solve(("mf:smile 0.7 side=-1", CUE_S))
    assert _curve(q, ZYG).max() == 0.0 and _curve(q, "zygomaticus_major_R").max() > 0.4


# --- tension, intensity, saturation ----------------------------------------------------------


def test_suppress_and_concern_add_tension_that_clenches_the_jaw():
    quiet = _solve(("mf:smile 0.5", CUE_S))
    assert np.all(quiet.channels.get("tension", 0) == 0)
    for marker in ("mf:suppress 0.8", "mf:concern 0.8"):
        p = _solve((marker, CUE_S))
        tension = p.channels["tension"]
        assert tension.max() > 0.2
        assert _curve(p, "jaw_clench").max() > 0.05
    held = _solve(("mf:suppress 0.8", CUE_S))
    assert _curve(held, "orbicularis_oris_L").max() > 0.3  # lips pressed
    assert _curve(held, "mentalis").max() > 0.2  # chin raised


def _with_earlier_tension(overrides=None):
    """Run the cascade after a stand-in earlier layer (breath holding) left tension 0.8."""
    s = load_preset().with_overrides(OTHERS_OFF)
    if overrides:
        s = s.with_overrides(overrides)
    t = np.arange(int(10 * 240)) / 240.0
    ctx = SolveContext(s, Timeline(), 10.0, 240.0, 1, "Test", t)
    ctx.add("tension", np.where((t > 2) & (t < 6), 0.8, 0.0))
    cascade.apply(ctx)
    return ctx


def test_tension_from_an_earlier_layer_is_not_shown_twice_by_default():
    ctx = _with_earlier_tension()
    assert "jaw_clench" not in ctx.channels  # the earlier layer shows its own tension


def test_tension_from_an_earlier_layer_can_drive_the_face():
    ctx = _with_earlier_tension({"cascade": {"tension": {"include_other_layers": True}}})
    clench = ctx.channels["jaw_clench"]
    assert clench[int(5 * 240)] > 0.2
    assert clench[int(1.5 * 240)] == 0.0 and clench[-1] < 1e-6


def test_layer_intensity_scales_the_output():
    full = _curve(_solve(("mf:smile 0.6", CUE_S)), ZYG)
    half = _curve(_solve(("mf:smile 0.6", CUE_S), overrides={"cascade": {"intensity": 0.5}}), ZYG)
    np.testing.assert_allclose(half, 0.5 * full, atol=1e-12)
    off = _solve(("mf:smile 0.6", CUE_S), overrides={"cascade": {"enabled": False}})
    assert ZYG not in off.channels


def test_stacked_intents_saturate_smoothly_below_full_range():
    p = _solve(
        ("mf:smile 1.0 hold=3", 1.0),
        ("mf:smile 1.0 hold=3", 1.5),
        ("mf:contempt 1.0 side=0", 2.0),
        seconds=8.0,
    )
    x = _curve(p, ZYG)
    assert 0.9 < x.max() <= 1.0
    top = x >= x.max() - 1e-9
    assert top.sum() < 0.05 * p.rate_hz  # no flat clipped top
    assert np.abs(np.diff(x, 2)).max() < 1e-3  # no kink


# --- graph validation ------------------------------------------------------------------------


def _cascade_with_edges(edges):
    sec = dict(load_preset().section("cascade"))
    sec["graph"] = {**sec["graph"], "edges": edges}
    return sec


def test_a_cycle_is_an_error_naming_the_edge():
    edges = list(load_preset().section("cascade")["graph"]["edges"])
    edges.append(
        {
            "from": "orbicularis_oculi_orbital",
            "to": "zygomaticus_major",
            "delay_s": 0.1,
            "gain": 0.2,
        }
    )
    with pytest.raises(PresetError) as err:
        build_graph(_cascade_with_edges(edges), "p.json")
    (pr,) = err.value.problems
    assert pr.pointer == f"/cascade/graph/edges/{len(edges) - 1}"
    assert "cycle" in pr.message and "zygomaticus_major" in pr.message


def test_unknown_muscle_and_negative_delay_are_errors_naming_the_edge():
    edges = [
        {"from": "zygomaticus_major", "to": "levator_labi", "delay_s": 0.05, "gain": 0.5},
        {"from": "corrugator", "to": "mentalis", "delay_s": -0.1, "gain": 0.5},
    ]
    probs = {p.pointer: p.message for p in graph_problems(_cascade_with_edges(edges), "p.json")}
    assert "unknown muscle 'levator_labi'" in probs["/cascade/graph/edges/0/to"]
    assert "negative" in probs["/cascade/graph/edges/1/delay_s"]


def test_graph_errors_in_a_preset_file_carry_line_numbers(tmp_path):
    doc = {
        "format_version": 1,
        "name": "loop",
        "cascade": {
            "graph": {
                "edges": [
                    {"from": "corrugator", "to": "mentalis", "delay_s": 0.1, "gain": 0.3},
                    {"from": "mentalis", "to": "corrugator", "delay_s": 0.1, "gain": 0.3},
                ]
            }
        },
    }
    path = tmp_path / "loop.json"
    path.write_text(json.dumps(doc, indent=2))
    with pytest.raises(PresetError) as err:  # when it loads, not later inside solve
        load_preset(path)
    (pr,) = err.value.problems
    assert pr.pointer == "/cascade/graph/edges/1"
    lines = path.read_text().splitlines()  # the second edge's opening brace, "from" below it
    assert lines[pr.line - 1].strip() == "{" and '"from": "mentalis"' in lines[pr.line]
    assert str(path) in str(err.value) and "corrugator → mentalis → corrugator" in pr.message
    neg = dict(
        doc, cascade={"graph": {"edges": [dict(doc["cascade"]["graph"]["edges"][0], delay_s=-1)]}}
    )
    path.write_text(json.dumps(neg, indent=2))
    with pytest.raises(PresetError) as err:
        load_preset(path)
    assert err.value.problems[0].pointer == "/cascade/graph/edges/0/delay_s"


def test_the_shipped_graph_is_valid_and_ordered():
    g = build_graph(load_preset().section("cascade"))
    pos = {m: i for i, m in enumerate(g.order)}
    assert all(pos[e.src] < pos[e.dst] for e in g.edges)
    assert pos["zygomaticus_major"] < pos["levator_labii"] < pos["orbicularis_oculi_orbital"]
