"""Layer switches, stylization and stillness, measured on the solved curves."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_same_curve

from microface_addon.core import load_preset, solve
from microface_addon.core.measure import stats
from microface_addon.core.preset.controls import (
    ControlError,
    effective_settings,
    overrides,
    parse_layer_intensities,
    parse_layer_list,
)
from microface_addon.core.preset.settings import PresetError, validate_document
from microface_addon.core.timeline import Timeline
from microface_addon.core.timeline.intents import Intent

RATE = 240.0


def smiles(n=12, gap=9.0):
    return Timeline((), tuple(Intent("smile", 2.0 + i * gap, 0.6, "duchenne") for i in range(n)))


def run(overrides_=None, minutes=5.0, seed=1, timeline=None, preset="neutral_idle"):
    s = load_preset(preset).with_overrides(overrides_ or {})
    return solve(s, minutes * 60.0, seed, "ctl", timeline)


# --- parsing ----------------------------------------------------------------------------------


def test_parse_layer_arguments():
    assert parse_layer_list("head,gaze") == ["head", "gaze"]
    assert parse_layer_list(["head", "micro-events,head"]) == ["head", "micro_events"]
    assert parse_layer_intensities(["blink=0.5", "gaze=1.2,head=0"]) == {
        "blink": 0.5,
        "gaze": 1.2,
        "head": 0.0,
    }
    for bad, words in [
        ("nose=1", "unknown layer 'nose'"),
        ("blink", "LAYER=VALUE"),
        ("blink=lots", "not a number"),
        ("blink=3", "intensity 3 is outside 0–2"),
    ]:
        with pytest.raises(ControlError, match=words):
            parse_layer_intensities(bad)
    assert overrides(["head"], {"blink": 0.5}, 0.3, 0.2, True) == {
        "head": {"enabled": False},
        "blink": {"intensity": 0.5},
        "stylization": 0.3,
        "stillness": 0.2,
        "gaze": {"hold_eye_contact": True},
    }


def test_layer_intensity_is_a_factor_on_the_preset_when_a_base_is_given():
    s = load_preset().with_overrides({"blink": {"intensity": 0.8}, "head": {"intensity": 1.5}})
    over = overrides(intensities={"blink": 0.5, "head": 2.0}, base=s)
    assert over["blink"]["intensity"] == pytest.approx(0.4)
    assert over["head"]["intensity"] == 2.0  # clamped to the schema's range
    assert s.with_overrides(over).layer_gain("blink") == pytest.approx(0.4)


def test_control_values_are_validated_as_preset_fields():
    s = load_preset()
    with pytest.raises(PresetError, match="/stylization"):
        s.with_overrides({"stylization": 1.5})
    with pytest.raises(PresetError, match="/stillness"):
        s.with_overrides({"stillness": -0.1})


# --- layer switches ---------------------------------------------------------------------------


def test_switching_a_layer_off_leaves_the_others_bit_identical():
    full = run(minutes=2)
    lid = "orbicularis_oculi_palpebral_L"
    for layer in ("head", "cascade", "micro_events"):
        off = run(overrides([layer]), minutes=2)
        assert np.array_equal(full.channels[lid], off.channels[lid]), layer
    no_head = run(overrides(["head"]), minutes=2)
    assert "head_yaw" not in no_head.channels or np.ptp(no_head.channels["head_yaw"]) == 0
    no_blink = run(overrides(["blink"]), minutes=2)
    assert lid not in no_blink.channels
    for ch in ("head_roll", "breath", "eye_yaw_L"):
        assert_same_curve(ch, full.channels[ch], no_blink.channels[ch])


def test_layer_intensity_scales_only_that_layer():
    base = run(minutes=2)
    half = run(overrides(intensities={"head": 0.5}), minutes=2)
    roll_ratio = np.std(half.channels["head_roll"]) / np.std(base.channels["head_roll"])
    assert 0.4 < roll_ratio < 0.6
    assert np.array_equal(base.channels["breath"], half.channels["breath"])


# --- stylization ------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0.0, 0.3, 0.7, 1.0])
def test_stylized_settings_stay_valid_presets(amount):
    for name in ("neutral_idle", "joyful", "anxious", "suppressed_tension"):
        s = effective_settings(load_preset(name).with_overrides({"stylization": amount}))
        assert validate_document(dict(s.data), name) == []
        assert s.stylization == 0.0  # consumed: applying again changes nothing
        assert effective_settings(s) is s


def _smile_measures(perf):
    au12 = perf.channels["zygomaticus_major_L"]
    au6 = perf.channels["orbicularis_oculi_orbital_L"]
    nl = perf.channels["levator_labii_L"]
    order, onsets, peaks = [], [], []
    for i in range(12):
        w = slice(int((2.0 + i * 9.0) * RATE), int((2.0 + i * 9.0 + 8.5) * RATE))
        a12, an, a6 = (stats.apex_time_s(c[w], RATE) for c in (au12, nl, au6))
        order.append(a12 < an < a6)
        onsets.append(stats.onset_duration_s(au12[w], RATE))
        peaks.append(au12[w].max())
    return np.array(order), np.median(onsets), np.median(peaks)


def test_cascade_order_survives_full_stylization():
    quiet = {"micro_events": {"enabled": False}}
    orders_r, orders_t = [], []
    for seed in (1, 2, 3):
        real = run({**quiet}, minutes=2, seed=seed, timeline=smiles())
        toon = run({**quiet, "stylization": 1.0}, minutes=2, seed=seed, timeline=smiles())
        order_r, onset_r, peak_r = _smile_measures(real)
        order_t, onset_t, peak_t = _smile_measures(toon)
        orders_r.append(order_r)
        orders_t.append(order_t)
        assert onset_t < 0.75 * onset_r  # snappier attack
        assert peak_t > 1.3 * peak_r  # exaggerated amplitude
    # AU12 → nasolabial → AU6 in (nearly) every smile; the living wander of a real hold can
    # blur one apex now and then (the band: ≥ 80 % of smiles in order).
    assert np.mean(np.concatenate(orders_r)) >= 0.9
    assert np.mean(np.concatenate(orders_t)) >= 0.9


def test_stylization_fewer_clearer_blinks_less_noise_same_breath_and_asymmetry():
    real, toon = run(minutes=10), run({"stylization": 1.0}, minutes=10)
    br = stats.detect_blinks(real.channels["orbicularis_oculi_palpebral_L"], RATE)
    bt = stats.detect_blinks(toon.channels["orbicularis_oculi_palpebral_L"], RATE)
    assert bt.count < 0.85 * br.count
    assert np.mean(bt.amplitude < 0.9) < 0.5 * np.mean(br.amplitude < 0.9)
    # closing faster than opening, by the same ratio
    full_r, full_t = br.amplitude > 0.95, bt.amplitude > 0.95
    ratio_r = np.median(br.opening_s[full_r] / br.closing_s[full_r])
    ratio_t = np.median(bt.opening_s[full_t] / bt.closing_s[full_t])
    assert abs(ratio_t - ratio_r) < 0.15 * ratio_r
    # the lids still close a touch out of step (asymmetry kept)
    btr = stats.detect_blinks(toon.channels["orbicularis_oculi_palpebral_R"], RATE)
    lag = btr.onsets_s - bt.onsets_s
    assert np.any(lag != 0) and np.all(np.abs(lag) < 0.05)
    # breath phase untouched: same rate and inhale share
    cr = stats.detect_breath_cycles(real.channels["breath"], RATE)
    ct = stats.detect_breath_cycles(toon.channels["breath"], RATE)
    assert abs(ct.rate_per_min - cr.rate_per_min) < 0.05 * cr.rate_per_min
    assert abs(np.median(ct.inhale_share) - np.median(cr.inhale_share)) < 0.02
    # less idle noise: sway and microsaccades down
    assert np.std(toon.channels["head_roll"]) < 0.5 * np.std(real.channels["head_roll"])


# --- stillness --------------------------------------------------------------------------------


def _idle_motion(perf):
    ch = perf.channels
    blinks = stats.detect_blinks(ch["orbicularis_oculi_palpebral_L"], RATE).count
    sway = np.std(ch["head_roll"]) if "head_roll" in ch else 0.0
    eyes = np.std(ch["eye_yaw_L"]) if "eye_yaw_L" in ch else 0.0
    breath = np.std(ch["breath"]) if "breath" in ch else 0.0
    return blinks, sway, eyes, breath


def test_stillness_scales_idle_motion_down_smoothly_to_locked():
    levels = [_idle_motion(run({"stillness": k}, minutes=3)) for k in (0.0, 0.5, 0.9, 1.0)]
    for quantity in zip(*levels, strict=True):
        assert quantity[0] > quantity[1] > quantity[2] > 0  # monotone, not a switch
        assert quantity[3] < 1e-9  # locked
    assert 0.3 < levels[1][3] / levels[0][3] < 0.7  # about half the breathing at 0.5


def test_stillness_keeps_the_performance_on_the_timeline():
    locked = run(
        {"stillness": 1.0, "micro_events": {"enabled": False}}, minutes=1, timeline=smiles(4)
    )
    au12 = locked.channels["zygomaticus_major_L"]
    assert au12.max() > 0.2  # the smiles still play
    assert np.ptp(locked.channels.get("head_yaw", np.zeros(1))) == 0


def test_hold_eye_contact_removes_saccades_but_keeps_fixational_motion():
    held = run({"gaze": {"hold_eye_contact": True}}, minutes=2)
    yaw, pitch = held.channels["eye_yaw_L"], held.channels["eye_pitch_L"]
    world = stats.detect_saccades(
        yaw + held.channels["head_yaw"], pitch + held.channels["head_pitch"], RATE
    )
    assert np.all(world.amplitude_deg < 1.5)  # microsaccades only
    assert world.count > 30 and np.std(yaw) > 0
