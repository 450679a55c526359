"""The animator's panel on the real bpy module: layer amounts, mutes and bypass from the panel's
sliders, per-character settings and identities, the look-at picker, cues from the menu, and a
bake that reports progress and cancels without a trace."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import bpy
import numpy as np
import pytest
from conftest import animation_fingerprint

import microface_addon
from microface_addon import apply, compat
from microface_addon.assets.sample_head import add_camera_and_light, build_sample_head
from microface_addon.bake import amount, has_layer
from microface_addon.bake import layer as layer_mod
from microface_addon.core.solver import registry
from microface_addon.core.timeline import grammar
from microface_addon.rig.scene.character import IDENTITY_PROP, character_id, characters_of
from microface_addon.ui import cues, layers, panel, preferences

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def addon():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    microface_addon.register()
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = 1, 96
    try:
        yield scene
    finally:
        microface_addon.unregister()


def _select(ob) -> None:
    for o in bpy.context.scene.objects:
        o.select_set(False)
    ob.select_set(True)
    bpy.context.view_layer.objects.active = ob


@pytest.fixture
def head(addon):
    parts = build_sample_head(addon)
    add_camera_and_light(addon)
    _select(parts["head"])
    return parts["head"].name


def _members(head_name: str):
    return characters_of([bpy.data.objects[head_name]])[0]


def _curves(members) -> dict:
    """Every key (frame, value, handles) of every MicroFace strip of a character, by track and
    path: two bakes with the same motion have the same keys."""
    out = {}
    for _, idb in layer_mod.character_ids(members):
        for track in layer_mod.find_tracks(idb):
            for fc in compat.iter_fcurves(track.strips[0].action):
                co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
                fc.keyframe_points.foreach_get("co", co)
                out[
                    (
                        idb.type if hasattr(idb, "type") else "KEY",
                        track.name,
                        fc.data_path,
                        fc.array_index,
                    )
                ] = co.tobytes()
    return out


# --- layers: amount, mute, bypass from the panel ----------------------------------------------


def test_the_panels_layer_sliders_drive_the_strips_and_undo(head):
    assert bpy.ops.microface.layer_micro_motion() == {"FINISHED"}
    bpy.ops.ed.undo_push(message="bake")
    controls = bpy.context.scene.microface_layers
    i = layers.LAYER_NAMES.index("gaze")
    assert controls.amounts[i] == pytest.approx(1.0)
    controls.amounts[i] = 0.4
    assert amount.amount(_members(head), "gaze") == pytest.approx(0.4, abs=1e-6)
    bpy.ops.ed.undo_push(message="amount")
    bpy.ops.ed.undo()
    assert bpy.context.scene.microface_layers.amounts[i] == pytest.approx(1.0)
    controls = bpy.context.scene.microface_layers
    controls.mutes[i] = True
    assert amount.muted(_members(head), "gaze")
    controls.mutes[i] = False
    controls.bypass = True
    assert amount.bypassed(_members(head)) and bpy.context.scene.microface_layers.bypass
    controls.bypass = False
    assert not amount.bypassed(_members(head))


def test_a_dense_bake_offers_bypass_but_no_per_layer_amounts(head):
    bpy.context.scene.microface.every_frame = True
    assert bpy.ops.microface.layer_micro_motion() == {"FINISHED"}
    members = _members(head)
    assert amount.is_dense(members)
    with pytest.raises(ValueError, match="every frame"):
        amount.set_amount(members, "", 0.5)
    bpy.context.scene.microface_layers.bypass = True
    assert amount.bypassed(_members(head))


# --- per-character settings and identity ------------------------------------------------------


def test_own_settings_are_stored_on_the_character_and_bake_in_one_click(addon):
    a = build_sample_head(addon)
    b = build_sample_head(addon)  # a second copy: MicroFaceRig.001, its own meshes
    rig_a, rig_b = a["armature"], b["armature"]
    addon.microface.seed = 3
    own = rig_b.microface
    own.use_own = True
    assert own.seed == 3  # starts from the scene's settings
    own.seed = 11
    own.preset = "calm_listener"
    own.layers[registry.names().index("head")] = False
    # a plain custom property: the command line reads it without the add-on
    assert dict(rig_b["microface_settings"])["preset_name"] == "calm_listener"
    for o in addon.objects:
        o.select_set(False)
    a["head"].select_set(True)
    b["head"].select_set(True)
    bpy.context.view_layer.objects.active = a["head"]
    assert bpy.ops.microface.layer_micro_motion() == {"FINISHED"}
    report = json.loads(addon.microface.last_report)
    by_name = {c["name"]: c for c in report["characters"]}
    assert set(by_name) == {rig_a.name, rig_b.name}
    assert by_name[rig_a.name]["preset"] == "neutral_idle" and by_name[rig_a.name]["seed"] == 3
    mine = by_name[rig_b.name]
    assert (mine["preset"], mine["seed"], mine["own_settings"]) == ("calm_listener", 11, True)
    tracks = [t.name for t in rig_b.animation_data.nla_tracks]
    assert "MicroFace Head" not in tracks and "MicroFace Head" in [
        t.name for t in rig_a.animation_data.nla_tracks
    ]
    lines = panel.summary_lines(addon.microface.last_report)
    assert any(ln.startswith(f"{rig_b.name}: arkit52, own settings: calm_listener") for ln in lines)


def test_renamed_copies_keep_their_motion_and_remove_forgets_the_identity(addon):
    a = build_sample_head(addon)
    b = build_sample_head(addon)
    heads = [a["head"], b["head"]]
    for h in heads:
        h.select_set(True)
    bpy.context.view_layer.objects.active = heads[0]
    assert bpy.ops.microface.layer_micro_motion(seed=4) == {"FINISHED"}
    first = [_curves(characters_of([h])[0]) for h in heads]
    assert first[0] != first[1]  # two copies, two motions
    names = [a["armature"].name, b["armature"].name]
    assert [a["armature"][IDENTITY_PROP], b["armature"][IDENTITY_PROP]] == names
    a["armature"].name, b["armature"].name = "Alice", "Bob"
    assert character_id(characters_of([heads[0]])[0]) == names[0]
    assert bpy.ops.microface.layer_micro_motion(seed=4) == {"FINISHED"}
    assert [_curves(characters_of([h])[0]) for h in heads] == first
    # a duplicate of a baked character is a character of its own, not a twin
    assert bpy.ops.microface.remove_micro_motion() == {"FINISHED"}
    assert IDENTITY_PROP not in a["armature"].keys()
    assert character_id(characters_of([heads[0]])[0]) == "Alice"


def test_a_copy_of_a_baked_character_gets_its_own_identity(addon):
    parts = build_sample_head(addon)
    _select(parts["head"])
    assert bpy.ops.microface.layer_micro_motion() == {"FINISHED"}
    rig = parts["armature"]
    copy = rig.copy()  # Shift+D copies custom properties: the stamp comes along
    addon.collection.objects.link(copy)
    assert copy[IDENTITY_PROP] == rig.name
    assert character_id([rig]) == rig.name and character_id([copy]) == copy.name
    rig.name = "Renamed"  # neither is named like the stamp now: the first by name keeps it
    keeper = sorted([rig.name, copy.name])[0]
    assert character_id([bpy.data.objects[keeper]]) == "MicroFaceRig"


# --- look-at picker -------------------------------------------------------------------------


def test_the_look_at_picker_resolves_to_the_bake_target(head):
    settings = bpy.context.scene.microface
    cam = bpy.data.objects["MicroFaceCamera"]
    settings.look_at_mode = "OBJECT"
    settings.look_at_object = cam
    assert panel.look_at_spec(settings) == "MicroFaceCamera"
    rig = bpy.data.objects["MicroFaceRig"]
    settings.look_at_object = rig
    settings.look_at_bone = "head"
    assert panel.look_at_spec(settings) == "MicroFaceRig:head"
    settings.look_at_mode = "DIRECTION"
    settings.look_at_yaw = np.radians(10)
    assert panel.look_at_spec(settings).startswith("dir:10.0000,0.0000,")
    settings.look_at_mode = "CAMERA"
    bpy.context.scene.camera = cam
    assert panel.look_at_spec(settings) == "@camera"
    assert bpy.ops.microface.layer_micro_motion() == {"FINISHED"}
    report = json.loads(settings.last_report)
    assert report["options"]["look_at"] == "@camera"
    assert any("MicroFaceCamera" in n for n in report["characters"][0]["notes"])


def test_an_unknown_look_at_name_lists_the_candidates(tmp_path):
    sample = tmp_path / "shot.blend"
    run = [sys.executable, "-m", "microface_addon"]
    kw = {"cwd": ROOT, "capture_output": True, "text": True, "timeout": 300}
    assert subprocess.run([*run, "sample", str(sample)], **kw).returncode == 0
    proc = subprocess.run(
        [*run, "bake", str(sample), "-o", str(tmp_path / "o.blend"), "--look-at", "Camera"], **kw
    )
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "'Camera' not found" in line and "did you mean 'MicroFaceCamera'" in line
    assert "cameras: MicroFaceCamera" in line
    assert not (tmp_path / "o.blend").exists()


# --- cues -----------------------------------------------------------------------------------


def test_the_add_cue_menu_offers_the_parsers_whole_vocabulary(addon):
    entries = [e for _, section in cues.menu_entries() for e in section]
    vocab = grammar.default_vocabulary()
    offered = {(verb, value) for _, verb, value in entries}
    for kind, variants in vocab.items():
        assert any(v == kind for v, _ in offered), kind
        for variant in variants:
            assert (kind, variant) in offered, (kind, variant)
    assert {("state", s) for s in grammar.states()} <= offered
    assert {("breath", b) for b in grammar.BREATH_MODES} <= offered
    assert {("posture", p) for p in grammar.postures()} <= offered
    labels = [label for label, _, _ in entries]
    assert "Smile (felt)" in labels and "Smile (social)" in labels


def test_add_cue_drops_a_marker_the_bake_reads(head):
    scene = bpy.context.scene
    scene.frame_set(30)
    assert bpy.ops.microface.add_cue(verb="smile", value="duchenne", intensity=0.6) == {"FINISHED"}
    scene.frame_set(50)
    bpy.ops.microface.add_cue(verb="breath", value="held", duration=2.5)
    scene.frame_set(60)
    bpy.ops.microface.add_cue(verb="state", value="reading")
    names = {(m.name, m.frame) for m in scene.timeline_markers}
    assert names == {
        ("mf:smile 0.6 duchenne", 30),
        ("mf:breath held 2.5", 50),
        ("mf:state reading", 60),
    }
    assert all(cues.cue_problem(m.name, m.frame) == "" for m in scene.timeline_markers)
    scene.timeline_markers.new("mf:smil 0.5", frame=70)
    assert cues.cue_problem("mf:smil 0.5", 70).startswith("unknown intent 'smil'")
    with pytest.raises(RuntimeError, match="mf:smil"):  # the bake refuses it, naming it
        bpy.ops.microface.layer_micro_motion()
    scene.timeline_markers.remove(scene.timeline_markers["mf:smil 0.5"])
    assert bpy.ops.microface.layer_micro_motion() == {"FINISHED"}
    report = json.loads(scene.microface.last_report)
    assert report["characters"][0]["keys_written"] > 0


def test_every_marker_the_grammar_writes_reads_back(addon):
    for _, section in cues.menu_entries():
        for _, verb, value in section:
            for text in (
                grammar.format_marker(verb, value),
                grammar.format_marker(verb, value, intensity=0.3, duration_s=1.25),
            ):
                grammar.parse_marker(text, 0.0)


# --- progress and cancel --------------------------------------------------------------------


def test_the_bake_reports_progress_and_a_cancel_leaves_no_trace(head):
    scene = bpy.context.scene
    scene.frame_set(1)
    before = animation_fingerprint()
    request = apply.resolve(apply.BakeOptions(look_at="MicroFaceCamera"))
    steps = apply.bake_steps(scene, [bpy.data.objects[head]], request)
    seen = [next(steps), next(steps), next(steps)]  # aimed, solved: about to bake
    assert [s.text.split()[0] for s in seen] == ["aiming", "solving", "baking"]
    assert [s.fraction for s in seen] == sorted(s.fraction for s in seen)
    steps.close()  # Esc
    scene.frame_set(1)
    assert animation_fingerprint() == before and not has_layer(_members(head))
    got = []
    report = apply.layer_micro_motion(scene, [bpy.data.objects[head]], request, got.append)
    assert [p.done for p in got] == [0, 1, 2] and got[-1].total == 3
    assert report["characters"][0]["keys_written"] > 0


# --- messages -------------------------------------------------------------------------------


def test_a_missing_default_preset_falls_back_to_neutral_idle_with_a_warning():
    import addon_utils

    bpy.ops.wm.read_factory_settings(use_empty=True)
    addon_utils.enable(microface_addon.__name__, default_set=True)
    try:
        prefs = bpy.context.preferences.addons[microface_addon.__name__].preferences
        prefs.default_preset = "gone_preset"  # deleted since it was picked
        assert preferences.default_preset() == "neutral_idle"
        assert preferences.missing_default_preset() == "gone_preset"
        assert bpy.context.scene.microface.preset == "neutral_idle"  # not the first by name
        prefs.default_preset = "calm_listener"
        assert preferences.missing_default_preset() is None
        assert bpy.context.scene.microface.preset == "calm_listener"
    finally:
        addon_utils.disable(microface_addon.__name__, default_set=True)


def test_a_missing_intents_file_is_named_as_such(head, tmp_path):
    missing = tmp_path / "cues.json"
    with pytest.raises(RuntimeError, match=f"intents file not found: {missing}"):
        bpy.ops.microface.layer_micro_motion(intents_file=str(missing))


def test_the_command_line_bakes_each_characters_own_settings(addon, tmp_path):
    a = build_sample_head(addon)
    b = build_sample_head(addon)
    own = b["armature"].microface
    own.use_own = True
    own.preset, own.seed = "anxious", 9
    shot = tmp_path / "crowd.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(shot))
    out, report = tmp_path / "out.blend", tmp_path / "report.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "microface_addon",
            "bake",
            str(shot),
            "-o",
            str(out),
            "--frames",
            "1:48",
            "--report",
            str(report),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )  # a fresh process: the add-on is not registered there
    assert proc.returncode == 0, proc.stderr
    (shot_report,) = json.loads(report.read_text())["shots"]
    by_name = {c["name"]: c for c in shot_report["characters"]}
    assert (by_name[b["armature"].name]["preset"], by_name[b["armature"].name]["seed"]) == (
        "anxious",
        9,
    )
    assert by_name[a["armature"].name]["preset"] == "neutral_idle"
