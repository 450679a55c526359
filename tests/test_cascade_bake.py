"""Cascade on real Blender: markers mean what JSON means, bad markers are named, and a baked
Duchenne smile on the sample head moves the lip corners before the cheeks."""

from __future__ import annotations

import json

import bpy
import numpy as np
import pytest
from conftest import animation_fingerprint, build_mini_character, run_cli_in_process

from microface_addon.apply import BakeOptions, layer_micro_motion
from microface_addon.assets.sample_head import build_sample_head
from microface_addon.core.measure import stats
from microface_addon.core.timeline import MarkerError, load_intents_file
from microface_addon.rig.scene.markers import scene_marker_timeline


def _mark(scene, name, frame):
    return scene.timeline_markers.new(name, frame=frame)


@pytest.mark.parametrize("fps, start", [(24, 1), (30, 101)])
def test_scene_markers_give_the_same_timeline_as_equivalent_json(empty_scene, tmp_path, fps, start):
    scene = empty_scene
    scene.render.fps = fps
    _mark(scene, "mf:smile 0.6 duchenne", start + fps)  # 1 s in
    _mark(scene, "mf:frown 0.4 hold=2", start + 4 * fps)
    _mark(scene, "mf:state reading", start + 12 * fps)
    _mark(scene, "mf:breath held 6", start + 20 * fps)
    _mark(scene, "Shot 3 starts", start + 2)  # a user's own marker: not ours
    from_markers = scene_marker_timeline(scene, start, float(fps))
    entries = [
        {"at_s": 1.0, "intent": "smile", "intensity": 0.6, "variant": "duchenne"},
        {"at_s": 4.0, "intent": "frown", "intensity": 0.4, "hold_s": 2},
        {"at_s": 12, "state": "reading"},
        {"at_s": 20, "breath": "held", "duration_s": 6},
    ]
    path = tmp_path / "intents.json"
    path.write_text(json.dumps(entries))
    from_json = load_intents_file(path)
    assert from_markers.intents == from_json.intents
    assert from_markers.changes == from_json.changes
    assert "frame" in from_markers.intents[0].source


def test_a_malformed_marker_stops_the_bake_naming_marker_and_frame(empty_scene):
    ob, rig = build_mini_character()
    _mark(empty_scene, "mf:smile 0.6", 10)
    _mark(empty_scene, "mf:smiel 0.6", 48)
    before = animation_fingerprint()
    with pytest.raises(MarkerError) as err:
        layer_micro_motion(empty_scene, [ob, rig], BakeOptions())
    msg = str(err.value)
    assert "'mf:smiel 0.6'" in msg and "frame 48" in msg and "unknown intent" in msg
    assert "frame 10" not in msg
    assert animation_fingerprint() == before  # nothing written


def _sample(scene, key, names, frames):
    out = {n: [] for n in names}
    for f in frames:
        scene.frame_set(f)
        for n in names:
            out[n].append(key.key_blocks[n].value)
    return {n: np.array(v) for n, v in out.items()}


def test_baked_duchenne_smile_moves_lip_corners_before_cheeks(empty_scene, tmp_path):
    scene = empty_scene
    scene.render.fps = 60
    scene.frame_start, scene.frame_end = 1, 6 * 60
    parts = build_sample_head(scene)
    path = tmp_path / "smile.json"
    path.write_text(json.dumps([{"at_s": 1.0, "intent": "smile", "intensity": 0.7, "hold_s": 0}]))
    quiet = {k: {"enabled": False} for k in ("blink", "gaze", "head", "breath", "micro_events")}
    report = layer_micro_motion(
        scene,
        list(parts.values()),
        BakeOptions(seed=3, overrides=quiet, intents_file=str(path)),
    )
    assert report["characters"]
    key = parts["head"].data.shape_keys
    frames = range(scene.frame_start, scene.frame_end + 1)
    v = _sample(scene, key, ["mouthSmileLeft", "cheekSquintLeft", "eyeSquintLeft"], frames)
    smile, cheek = v["mouthSmileLeft"], v["cheekSquintLeft"]
    assert smile.max() > 0.5 and cheek.max() > 0.2
    # The peak of a living curve is where its wander happens to be; its apex (85 % of the level it
    # holds) and its half-rise are where the cascade's order shows.
    t_smile, t_cheek = (stats.apex_time_s(x, 60.0) for x in (smile, cheek))
    assert 0.0 < t_cheek - t_smile <= 0.25 + 1 / 60  # AU6 after AU12, within 250 ms
    half = [stats.first_crossing_s(x, 60.0, 0.5 * x.max()) for x in (smile, cheek)]
    assert 0.0 <= half[1] - half[0] <= 0.4
    # the smile starts after the EMG latency, not at the cue
    start = np.argmax(smile > 0.02 * smile.max()) / 60.0
    assert 1.25 <= start <= 1.45
    assert v["eyeSquintLeft"].max() > 0.1  # orbicularis oculi also narrows the eye


def test_a_social_smile_baked_leaves_the_cheeks_still(empty_scene):
    scene = empty_scene
    scene.frame_start, scene.frame_end = 1, 5 * 24
    parts = build_sample_head(scene)
    _mark(scene, "mf:smile 0.7 social hold=0", 25)
    quiet = {k: {"enabled": False} for k in ("blink", "gaze", "head", "breath", "micro_events")}
    layer_micro_motion(scene, list(parts.values()), BakeOptions(overrides=quiet))
    key = parts["head"].data.shape_keys
    v = _sample(scene, key, ["mouthSmileLeft", "cheekSquintLeft"], range(1, 5 * 24 + 1))
    assert v["mouthSmileLeft"].max() > 0.5
    assert v["cheekSquintLeft"].max() <= 0.05 * v["mouthSmileLeft"].max()


# --- CLI --intents and the panel's file field -------------------------------------------------

QUIET = {k: {"enabled": False} for k in ("blink", "gaze", "head", "breath", "micro_events")}


def _run_cli(*args):
    return run_cli_in_process(*args)


@pytest.fixture
def head_file(empty_scene, tmp_path):
    scene = empty_scene
    scene.frame_start, scene.frame_end = 1, 96
    build_sample_head(scene)
    path = tmp_path / "head.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    return path


def _smile_in(path):
    bpy.ops.wm.open_mainfile(filepath=str(path))
    scene = bpy.context.scene
    key = bpy.data.objects["MicroFaceHead"].data.shape_keys
    v = _sample(scene, key, ["mouthSmileLeft"], range(1, 97))
    return v["mouthSmileLeft"]


def test_cli_intents_file_drives_the_bake(head_file, tmp_path):
    preset = tmp_path / "quiet.json"
    preset.write_text(json.dumps({"format_version": 1, "name": "quiet", **QUIET}))
    intents = tmp_path / "cues.json"
    intents.write_text(json.dumps([{"at_s": 0.5, "intent": "smile", "intensity": 0.8}]))
    out = tmp_path / "out.blend"
    proc = _run_cli("bake", head_file, "-o", out, "--preset", preset, "--intents", intents)
    assert proc.returncode == 0, proc.stderr
    assert _smile_in(out).max() > 0.6
    plain = tmp_path / "plain.blend"
    proc = _run_cli("bake", head_file, "-o", plain, "--preset", preset)
    assert proc.returncode == 0, proc.stderr
    assert _smile_in(plain).max() < 1e-6


def test_cli_names_a_bad_intents_file_and_a_bad_marker(head_file, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[\n  {"at_s": 1, "intent": "grin"}\n]\n')
    proc = _run_cli("bake", head_file, "-o", tmp_path / "o.blend", "--intents", bad)
    assert proc.returncode == 2
    assert f"{bad}:2:" in proc.stderr and "/0/intent" in proc.stderr and "'grin'" in proc.stderr
    assert not (tmp_path / "o.blend").exists()

    bpy.ops.wm.open_mainfile(filepath=str(head_file))
    bpy.context.scene.timeline_markers.new("mf:smile 2", frame=12)
    marked = tmp_path / "marked.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(marked))
    proc = _run_cli("bake", marked, "-o", tmp_path / "o.blend")
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert "invalid marker" in line and "'mf:smile 2' at frame 12" in line and "outside" in line


def test_panel_intents_field_reaches_the_bake(empty_scene, tmp_path):
    import microface_addon

    microface_addon.register()
    try:
        scene = empty_scene
        scene.frame_start, scene.frame_end = 1, 72
        parts = build_sample_head(scene)
        for ob in bpy.context.view_layer.objects:
            ob.select_set(ob.name in {p.name for p in parts.values()})
        bpy.context.view_layer.objects.active = parts["head"]
        cues = tmp_path / "cues.json"
        cues.write_text(json.dumps([{"at_s": 0.3, "intent": "smile", "intensity": 0.8}]))
        scene.microface.intents_file = str(cues)
        assert bpy.ops.microface.layer_micro_motion() == {"FINISHED"}
        key = parts["head"].data.shape_keys
        smile = _sample(scene, key, ["mouthSmileLeft"], range(1, 73))["mouthSmileLeft"]
        assert smile.max() > 0.5
    finally:
        microface_addon.unregister()
