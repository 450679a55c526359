"""Intents and the timeline: one grammar for markers, JSON entries and presets, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from microface_addon.core import PresetError, load_preset
from microface_addon.core.timeline import (
    MarkerError,
    StateChange,
    Timeline,
    load_intents_file,
    parse_marker,
    preset_timeline,
    timeline_from_entries,
    timeline_from_markers,
)
from microface_addon.core.timeline.intents import Intent, resolve


def _kinds():
    return load_preset().section("cascade")["intents"]


# --- marker grammar -------------------------------------------------------------------------


def test_marker_smile_with_intensity_and_variant():
    it = parse_marker("mf:smile 0.6 duchenne", 3.2)
    assert it == Intent("smile", 3.2, intensity=0.6, variant="duchenne")


def test_marker_words_in_any_order_any_case_and_keys():
    it = parse_marker("MF:Smile Social 0.4 hold=2 side=-0.5 attack=0.3", 1.0)
    assert (it.kind, it.variant, it.intensity) == ("smile", "social", 0.4)
    assert (it.hold_s, it.side, it.attack_s) == (2.0, -0.5, 0.3)
    assert it.release_s is None


def test_marker_without_intensity_uses_the_documented_default():
    it = parse_marker("mf:frown", 0.0)
    assert it.kind == "frown" and it.intensity == 0.5 and it.variant == ""


def test_marker_state_and_breath_become_state_changes():
    assert parse_marker("mf:state reading", 12.0) == StateChange(12.0, "state", "reading")
    held = parse_marker("mf:breath held 6", 20.0)
    assert held == StateChange(20.0, "breath", "held", duration_s=6.0)
    assert parse_marker("mf:breath deep", 5.0).duration_s is None


@pytest.mark.parametrize(
    "text, words",
    [
        ("mf:smil 0.6", ["'smil'", "unknown intent", "smile"]),
        ("mf:smile 1.4", ["intensity 1.4", "outside"]),
        ("mf:smile 0.6 felt", ["no variant 'felt'", "duchenne"]),
        ("mf:smile 0.5 0.6", ["two intensities"]),
        ("mf:smile hold=soon", ["hold must be a number", "'soon'"]),
        ("mf:smile speed=2", ["unknown key 'speed'"]),
        ("mf:state sleeping", ["mf:state <rest|"]),
        ("mf:breath held -3", ["duration -3 is outside"]),
        ("mf:breath gasp", ["mf:breath <calm|"]),
        ("mf:", ["nothing after"]),
    ],
)
def test_malformed_marker_is_a_clear_error_naming_it(text, words):
    with pytest.raises(MarkerError) as err:
        parse_marker(text, 1.0, source=f"marker {text!r} at frame 25")
    msg = str(err.value)
    assert msg.startswith(f"marker {text!r} at frame 25: ")
    for w in words:
        assert w in msg


def test_markers_skip_foreign_names_and_report_every_bad_one():
    markers = [
        ("Camera cut", 0.0, "marker 'Camera cut' at frame 1"),
        ("mf:smile 0.6", 1.0, "marker 'mf:smile 0.6' at frame 25"),
        ("mf:grin 0.6", 2.0, "marker 'mf:grin 0.6' at frame 49"),
        ("mf:state nap", 3.0, "marker 'mf:state nap' at frame 73"),
    ]
    with pytest.raises(MarkerError) as err:
        timeline_from_markers(markers)
    lines = str(err.value).splitlines()
    assert len(lines) == 2
    assert "frame 49" in lines[0] and "'grin'" in lines[0]
    assert "frame 73" in lines[1]
    ok = timeline_from_markers(markers[:2])
    assert ok.intents == (Intent("smile", 1.0, 0.6),) and ok.changes == ()


# --- JSON entries ---------------------------------------------------------------------------

ENTRIES = [
    {"at_s": 1.0, "intent": "smile", "intensity": 0.6, "variant": "duchenne"},
    {"at_s": 4.0, "intent": "frown", "intensity": 0.4, "hold_s": 2},
    {"at_s": 12, "state": "reading"},
    {"at_s": 20, "breath": "held", "duration_s": 6},
]
MARKERS = [
    ("mf:smile 0.6 duchenne", 1.0, "m1"),
    ("mf:frown 0.4 hold=2", 4.0, "m2"),
    ("mf:state reading", 12.0, "m3"),
    ("mf:breath held 6", 20.0, "m4"),
]


def test_json_entries_and_markers_mean_the_same():
    a = timeline_from_entries(ENTRIES)
    b = timeline_from_markers(MARKERS)
    assert a.intents == b.intents
    assert a.changes == b.changes
    assert len(a.intents) == 2 and len(a.changes) == 2


def test_intents_file_list_and_object_forms(tmp_path):
    p1 = tmp_path / "list.json"
    p1.write_text(json.dumps(ENTRIES))
    p2 = tmp_path / "obj.json"
    p2.write_text(json.dumps({"format_version": 1, "timeline": ENTRIES}))
    a, b = load_intents_file(p1), load_intents_file(p2)
    assert a.intents == b.intents == timeline_from_entries(ENTRIES).intents
    assert str(p1) in a.intents[0].source


def test_intents_file_problems_name_file_pointer_line(tmp_path):
    text = """[
  {"at_s": 1.0, "intent": "smile", "intensity": 0.6},
  {"at_s": 2.0, "intent": "grin"},
  {"at_s": -1, "state": "reading"},
  {"at_s": 3.0, "intent": "smile", "variant": "felt", "wobble": 1},
  {"intent": "frown", "state": "rest"}
]
"""
    p = tmp_path / "bad.json"
    p.write_text(text)
    with pytest.raises(PresetError) as err:
        load_intents_file(p)
    probs = {pr.pointer: pr for pr in err.value.problems}
    assert set(probs) == {"/1/intent", "/2/at_s", "/3/variant", "/3/wobble", "/4"}
    assert probs["/1/intent"].line == 3 and "unknown intent 'grin'" in probs["/1/intent"].message
    assert probs["/2/at_s"].line == 4 and "outside" in probs["/2/at_s"].message
    assert probs["/3/wobble"].line == 5 and "unknown key 'wobble'" in probs["/3/wobble"].message
    msgs = " ".join(pr.message for pr in err.value.problems if pr.pointer == "/4")
    assert "exactly one of" in msgs or "'at_s' is missing" in msgs
    assert str(p) in str(err.value)


def test_intents_file_that_is_not_json_is_a_preset_error(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text('[{"at_s": 1,}]')
    with pytest.raises(PresetError) as err:
        load_intents_file(p)
    assert err.value.problems[0].line == 1


def test_preset_timeline_is_read_and_validated(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps({"format_version": 1, "name": "good", "timeline": ENTRIES[:2]}, indent=2)
    )
    tl = preset_timeline(load_preset(good))
    assert [i.kind for i in tl.intents] == ["smile", "frown"]
    assert preset_timeline(load_preset()) == Timeline()

    schema_bad = tmp_path / "schema_bad.json"
    schema_bad.write_text(
        '{"format_version": 1, "name": "b", "timeline": [{"at_s": -2, "intent": "smile"}]}'
    )
    with pytest.raises(PresetError) as err:
        load_preset(schema_bad)
    assert err.value.problems[0].pointer == "/timeline/0/at_s"

    sem_bad = tmp_path / "sem_bad.json"
    sem_bad.write_text(
        '{"format_version": 1, "name": "c",\n "timeline": [\n  {"at_s": 2, "intent": "grin"}]}'
    )
    with pytest.raises(PresetError) as err:
        preset_timeline(load_preset(sem_bad))
    (pr,) = err.value.problems
    assert (pr.pointer, pr.line) == ("/timeline/0/intent", 3)


# --- state tracks ---------------------------------------------------------------------------


def test_temporary_change_reverts_to_what_it_interrupted():
    tl = Timeline(
        changes=(
            StateChange(2.0, "breath", "deep"),
            StateChange(5.0, "breath", "held", duration_s=3.0),
        )
    )
    t = np.array([0.0, 2.5, 5.0, 7.9, 8.0, 20.0])
    assert tl.track_values("breath", "calm", t).tolist() == [
        "calm",
        "deep",
        "held",
        "held",
        "deep",
        "deep",
    ]
    assert tl.segments("breath", "calm", 10.0) == [
        (0.0, 2.0, "calm"),
        (2.0, 5.0, "deep"),
        (5.0, 8.0, "held"),
        (8.0, 10.0, "deep"),
    ]


def test_a_later_change_inside_a_temporary_one_wins_after_it_ends():
    tl = Timeline(
        changes=(
            StateChange(1.0, "breath", "held", duration_s=6.0),
            StateChange(3.0, "breath", "shallow_quick"),
        )
    )
    assert tl.value_at("breath", "calm", 2.0) == "held"
    assert tl.value_at("breath", "calm", 4.0) == "shallow_quick"
    assert tl.value_at("breath", "calm", 9.0) == "shallow_quick"


def test_merged_timelines_keep_everything():
    a = timeline_from_entries(ENTRIES[:2])
    b = timeline_from_markers(MARKERS[2:])
    m = a.merged(b)
    assert len(m.intents) == 2 and len(m.changes) == 2


# --- resolving against the preset ------------------------------------------------------------


def test_resolve_fills_defaults_latency_and_variant():
    kinds = _kinds()
    (s,) = resolve([Intent("smile", 2.0, 0.7)], kinds, 0.25)
    assert s.variant == kinds["smile"]["default_variant"]
    assert s.onset_s == pytest.approx(2.25)
    assert s.attack_s == kinds["smile"]["attack_s"]
    (social,) = resolve([Intent("smile", 2.0, 0.7, variant="social")], kinds, 0.0)
    assert social.attack_s == kinds["smile"]["variants"]["social"]["attack_s"]


def test_duration_sets_the_hold_and_relax_cuts_it():
    kinds = _kinds()
    (s,) = resolve(
        [Intent("frown", 0.0, 0.5, attack_s=0.5, release_s=1.0, duration_s=4.0)], kinds, 0
    )
    assert s.hold_s == pytest.approx(2.5) and s.end_s == pytest.approx(4.0)
    spans = resolve(
        [Intent("frown", 0.0, 0.5, attack_s=0.5, hold_s=10.0), Intent("relax", 3.0)], kinds, 0
    )
    assert len(spans) == 1
    assert spans[0].release_start_s == pytest.approx(3.0)


def test_suppress_carries_the_drive_of_what_it_holds_back():
    kinds = _kinds()
    (s,) = resolve([Intent("suppress", 0.0, 0.6, variant="smile")], kinds, 0)
    assert s.leak_drive == kinds["smile"]["drive"]
    assert s.tension > 0


# --- cues other layers perform ----------------------------------------------------------------


def test_nod_and_posture_cues_parse_and_the_cascade_leaves_nods_alone(tmp_path):
    assert parse_marker("mf:nod 0.8", 2.0) == Intent("nod", 2.0, 0.8)
    with pytest.raises(MarkerError, match="nod has no variant 'deep'"):
        parse_marker("mf:nod deep", 2.0)
    assert resolve([Intent("nod", 1.0, 0.8)], _kinds(), 0.25) == []
    preset = tmp_path / "cues.json"
    preset.write_text(
        json.dumps(
            {
                "format_version": 1,
                "name": "cues",
                "timeline": [
                    {"at_s": 1.0, "intent": "nod", "intensity": 0.7},
                    {"at_s": 3.0, "posture": "chin_up", "duration_s": 4},
                ],
            }
        )
    )
    tl = preset_timeline(load_preset(preset))
    assert [i.kind for i in tl.intents] == ["nod"]
    assert tl.value_at("posture", "neutral", 5.0) == "chin_up"
    assert tl.value_at("posture", "neutral", 7.5) == "neutral"
