"""Look-at on real Blender: baked eye bones point at a scene camera, follow it when it moves, and
the ARKit ``eyeLook*`` keys agree with the eye bones on the sample head."""

from __future__ import annotations

import json
import math

import bpy
import numpy as np
import pytest
from mathutils import Vector

from microface_addon.apply import BakeOptions, layer_micro_motion, scene_fps
from microface_addon.assets.sample_head import build_sample_head
from microface_addon.bake import muted
from microface_addon.core import Timeline, load_preset, solve
from microface_addon.core.geometry import angles_of
from microface_addon.core.solver.layers.gaze import RETURN
from microface_addon.rig.scene.detect import detect
from microface_addon.rig.scene.look_at import LookAtError, resolve_look_at


def add_camera(scene, location, name="Cam"):
    cam = bpy.data.objects.new(name, bpy.data.cameras.new(name))
    scene.collection.objects.link(cam)
    cam.location = location
    return cam


def eye_errors(scene, rig, target, frames):
    """Angle (°) between each eye bone's pointing direction and the direction to ``target``."""
    out = {"L": [], "R": []}
    for f in frames:
        scene.frame_set(f)
        goal = target.matrix_world.translation
        for side in ("L", "R"):
            m = rig.matrix_world @ rig.pose.bones[f"eye.{side}"].matrix
            look = (m.to_3x3() @ Vector((0.0, 1.0, 0.0))).normalized()  # eye bones point ahead
            want = (goal - m.translation).normalized()
            out[side].append(math.degrees(look.angle(want)))
    return {k: np.asarray(v) for k, v in out.items()}


def bake(scene, parts, look_at, overrides, seconds, seed=3):
    scene.frame_start, scene.frame_end = 1, int(seconds * 24)
    return layer_micro_motion(
        scene,
        list(parts.values()),
        BakeOptions(seed=seed, overrides=overrides, look_at=look_at),
    )


def test_eyes_hold_contact_with_a_camera(empty_scene):
    parts = build_sample_head(empty_scene)
    cam = add_camera(empty_scene, (0.35, -1.1, 1.75))  # off to the character's left, above
    overrides = {"state": "speaking", "gaze": {"hold_eye_contact": True}}
    report = bake(empty_scene, parts, cam.name, overrides, seconds=10.0)
    assert any("look-at: Cam" in n for n in report["characters"][0]["notes"])
    err = eye_errors(empty_scene, parts["armature"], cam, range(1, 241, 3))
    for side, e in err.items():
        assert np.median(e) < 0.6 and np.max(e) < 1.0, (side, np.median(e), np.max(e))


def test_fixations_on_the_camera_land_within_a_degree(empty_scene):
    """Conversation gaze (not held): whenever the plan says the eyes are back on the camera,
    the baked eye bones point at it within 1°."""
    parts = build_sample_head(empty_scene)
    cam = add_camera(empty_scene, (-0.25, -1.3, 1.62))
    overrides = {"state": "listening"}
    seconds, seed = 40.0, 4
    report = bake(empty_scene, parts, cam.name, overrides, seconds, seed)
    # Re-plan the same performance to know when the eyes were meant to be on the camera.
    scene = empty_scene
    fps = scene_fps(scene)
    members = [o for o in parts.values()]
    rigmap = detect(members)
    assert rigmap.character == report["characters"][0]["character"]
    bpy.context.view_layer.update()
    with muted(members):  # the head as the user animated it, as the bake measured it
        look, _ = resolve_look_at(scene, rigmap, cam.name, 1, scene.frame_end, fps)
    settings = load_preset("neutral_idle").with_overrides(overrides)
    n = scene.frame_end
    perf = solve(settings, (n - 1) / fps, seed, rigmap.character, Timeline(look_at=look))
    ev = perf.events["saccades"]
    ends = ev["onset_s"] + ev["duration_s"]
    starts = np.concatenate(([0.0], ends[:-1] if ev["onset_s"].size else []))
    on = np.concatenate(([True], ev["kind"][:-1] == RETURN)) if ev["onset_s"].size else [True]
    stops = ev["onset_s"] if ev["onset_s"].size else np.array([seconds])
    frames = []
    for s, e, ok in zip(starts, stops, on, strict=True):
        if ok:
            frames += [f for f in range(1, n + 1) if s + 0.15 <= (f - 1) / fps <= e - 0.05]
    assert len(frames) > 200, len(frames)  # listeners look at the speaker most of the time
    err = eye_errors(scene, parts["armature"], cam, frames[::2])
    for side, e in err.items():
        assert np.percentile(e, 98) < 1.0 and np.median(e) < 0.5, (side, np.percentile(e, 98))
    # And the eyes do look away in between (this is not a stare).
    away = eye_errors(scene, parts["armature"], cam, range(1, n + 1, 6))["L"]
    assert np.max(away) > 3.0


def test_moving_the_camera_moves_the_gaze(empty_scene):
    parts = build_sample_head(empty_scene)
    cam = add_camera(empty_scene, (-0.8, -1.2, 1.65))
    cam.keyframe_insert("location", frame=1)
    cam.location = (0.8, -1.2, 1.65)
    cam.keyframe_insert("location", frame=240)
    # Speaking, not listening: listening tilts the head 5-12° about the neck, which moves the eyes
    # by ~1.5 cm; the head layer's VOR corrects the direction for a target at infinity only.
    overrides = {"state": "speaking", "gaze": {"hold_eye_contact": True}}
    bake(empty_scene, parts, cam.name, overrides, seconds=10.0)
    rig = parts["armature"]
    err = eye_errors(empty_scene, rig, cam, range(1, 241, 4))
    assert np.max(err["L"]) < 1.0 and np.max(err["R"]) < 1.0, (np.max(err["L"]), np.max(err["R"]))
    yaws = []
    for f in (1, 240):
        empty_scene.frame_set(f)
        m = rig.matrix_world @ rig.pose.bones["eye.L"].matrix
        look = m.to_3x3() @ Vector((0.0, 1.0, 0.0))
        yaws.append(math.degrees(math.atan2(look.x, -look.y)))  # + = towards the left (+X)
    assert yaws[0] < -20.0 and yaws[1] > 20.0, yaws  # from the character's right to its left


def test_eye_bones_and_eyelook_keys_agree_on_the_sample_head(empty_scene):
    parts = build_sample_head(empty_scene)
    overrides = {"state": "scanning"}
    bake(empty_scene, parts, None, overrides, seconds=20.0, seed=7)
    rig, key = parts["armature"], parts["head"].data.shape_keys
    rows = []
    for f in range(1, 481, 2):
        empty_scene.frame_set(f)
        row = []
        for side, name in (("L", "Left"), ("R", "Right")):
            # Eye-in-head direction in rest armature axes: undo the head's pose rotation.
            head = rig.pose.bones["head"]
            r_head = head.matrix.to_3x3() @ rig.data.bones["head"].matrix_local.to_3x3().inverted()
            look = rig.pose.bones[f"eye.{side}"].matrix.to_3x3() @ Vector((0.0, 1.0, 0.0))
            d = r_head.inverted() @ look
            # (left, up, forward) = (+X, +Z, -Y); the bake's yaw/pitch convention.
            yaw, pitch = (float(v) for v in angles_of(np.array([d.x, d.z, -d.y])))
            kb = key.key_blocks
            out = kb[f"eyeLookOut{name}"].value - kb[f"eyeLookIn{name}"].value
            horiz = out if side == "L" else -out  # out = away from the nose = +yaw for L
            vert = kb[f"eyeLookUp{name}"].value - kb[f"eyeLookDown{name}"].value
            row += [yaw, pitch, horiz, vert]
        rows.append(row)
    r = np.asarray(rows)
    for i, side in ((0, "L"), (4, "R")):
        yaw, pitch, horiz, vert = r[:, i], r[:, i + 1], r[:, i + 2], r[:, i + 3]
        assert np.ptp(yaw) > 15.0  # the eyes really move
        assert np.corrcoef(yaw, horiz)[0, 1] > 0.98, side
        assert np.corrcoef(pitch, vert)[0, 1] > 0.95, side
        big = np.abs(yaw) > 2.0
        assert np.all(np.sign(yaw[big]) == np.sign(horiz[big])), side
        big = np.abs(pitch) > 2.0
        assert np.all(np.sign(pitch[big]) == np.sign(vert[big])), side
        # Calibration: 1.0 at 30° horizontal, 25° vertical (docs/channels.md), below saturation.
        ok = (np.abs(yaw) < 25.0) & (np.abs(yaw) > 3.0)
        assert np.allclose(horiz[ok], yaw[ok] / 30.0, atol=0.03), side


def test_fixed_direction_and_unknown_targets(empty_scene):
    parts = build_sample_head(empty_scene)
    rigmap = detect(list(parts.values()))
    look, notes = resolve_look_at(empty_scene, rigmap, "dir:15,-5,2", 1, 48, 24.0)
    assert look.yaw_deg[0] == 15.0 and look.pitch_deg[0] == -5.0 and look.distance_m[0] == 2.0
    with pytest.raises(LookAtError, match="not found"):
        resolve_look_at(empty_scene, rigmap, "NoSuchCamera", 1, 48, 24.0)
    with pytest.raises(LookAtError, match="no bone"):
        resolve_look_at(empty_scene, rigmap, f"{parts['armature'].name}:nope", 1, 48, 24.0)
    # A bone target: the character's own jaw bone sits below and in front of the eyes.
    look, _ = resolve_look_at(empty_scene, rigmap, f"{parts['armature'].name}:jaw", 1, 48, 24.0)
    assert look.pitch_deg[0] < -20.0
    # Nothing was written and the scene is back on its frame.
    assert empty_scene.frame_current == 1


# --- the same option from the command line and the panel ------------------------------------


def test_cli_look_at_flag(tmp_path, empty_scene):
    import json

    from conftest import run_cli_in_process

    parts = build_sample_head(empty_scene)
    add_camera(empty_scene, (0.2, -1.2, 1.7), name="ShotCam")
    src = tmp_path / "head_cam.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(src), copy=True)

    def cli(*args):
        return run_cli_in_process("bake", src, *args)

    report_path = tmp_path / "r.json"
    ok = cli(
        "-o",
        tmp_path / "out.blend",
        "--frames",
        "1:48",
        "--look-at",
        "ShotCam",
        "--report",
        report_path,
    )
    assert ok.returncode == 0, ok.stderr
    (shot,) = json.loads(report_path.read_text())["shots"]
    assert shot["options"]["look_at"] == "ShotCam"
    assert any(n.startswith("look-at: ShotCam") for n in shot["characters"][0]["notes"])
    bad = cli("-o", tmp_path / "bad.blend", "--frames", "1:48", "--look-at", "NoCam")
    assert bad.returncode != 0 and "NoCam" in bad.stderr and "not found" in bad.stderr
    assert "Traceback" not in bad.stderr and not (tmp_path / "bad.blend").exists()
    assert parts  # the scene itself was only saved, never baked


def test_panel_look_at_field():
    import json

    import microface_addon
    from microface_addon.ui import panel

    bpy.ops.wm.read_factory_settings(use_empty=True)
    microface_addon.register()
    try:
        scene = bpy.context.scene
        scene.render.fps, scene.render.fps_base = 24, 1.0
        scene.frame_start, scene.frame_end = 1, 48
        parts = build_sample_head(scene)
        cam = add_camera(scene, (0.0, -1.0, 1.7), name="PanelCam")
        for ob in scene.objects:
            ob.select_set(False)
        parts["head"].select_set(True)
        bpy.context.view_layer.objects.active = parts["head"]
        panel.scene_settings(scene).look_at = cam.name
        assert bpy.ops.microface.layer_micro_motion() == {"FINISHED"}
        report = json.loads(panel.scene_settings(scene).last_report)
        assert report["options"]["look_at"] == "PanelCam"
        assert any(n.startswith("look-at: PanelCam") for n in report["characters"][0]["notes"])
        panel.scene_settings(scene).look_at = "Nobody"
        with pytest.raises(RuntimeError, match="look-at target 'Nobody' not found"):
            bpy.ops.microface.layer_micro_motion()  # reported as an error, nothing baked
    finally:
        microface_addon.unregister()


# Bones no name, hierarchy or geometry rule recognises: the skull and the two eyes hang straight
# off the base, nothing is called head or eye, and there is no body below.
PUPPET = [
    ("ctl_base", (0.0, 0.0, 0.0), (0.0, 0.0, 0.1), None),
    ("ctl_skull", (0.0, 0.01, 1.55), (0.0, 0.01, 1.75), "ctl_base"),
    ("ctl_look_a", (0.032, -0.08, 1.65), (0.032, -0.105, 1.65), "ctl_base"),
    ("ctl_look_b", (-0.032, -0.08, 1.65), (-0.032, -0.105, 1.65), "ctl_base"),
]
PUPPET_ROLES = {"head": "ctl_skull", "eye_L": "ctl_look_a", "eye_R": "ctl_look_b"}


@pytest.mark.parametrize("source", ["override map", "profile hint"])
def test_look_at_measures_from_the_bones_detection_was_told_about(empty_scene, tmp_path, source):
    """The look-at's head frame is detection's skeleton (``RigMap.skeleton``), not a second,
    hint-less search: eyes named only by a TD's override map or by a profile's ``skeleton`` hints
    are where the target is measured from, so the yaw, pitch, distance and eye spacing all
    come from those eyes."""
    from rig_builders import LAYOUT, add_armature

    arm = add_armature("Puppet", dict.fromkeys(LAYOUT), extra=PUPPET)
    if source == "override map":
        rigmap = detect([arm], overrides={"skeleton": PUPPET_ROLES})
    else:
        profile = {
            "name": "puppet",
            "bones": [["ctl_skull"], ["ctl_look_a"]],
            "skeleton": {role: [bone] for role, bone in PUPPET_ROLES.items()},
        }
        (tmp_path / "puppet.json").write_text(json.dumps(profile), encoding="utf-8")
        rigmap = detect([arm], profile_dirs=[tmp_path])
        assert rigmap.bone_convention == "puppet"
    assert rigmap.skeleton.head == "ctl_skull"
    assert rigmap.skeleton.eyes == {"L": "ctl_look_a", "R": "ctl_look_b"}
    # A target 1 m ahead of the eyes (the character faces -Y) and 0.2 m to its left (+X).
    target = bpy.data.objects.new("Target", None)
    empty_scene.collection.objects.link(target)
    target.location = (0.2, -0.08 - 1.0, 1.65)
    bpy.context.view_layer.update()
    look, notes = resolve_look_at(empty_scene, rigmap, "Target", 1, 24, 24.0)
    assert not any("no eye bones" in n or "no head bone" in n for n in notes), notes
    assert look.ipd_m == pytest.approx(0.064, abs=1e-6)
    assert look.distance_m[0] == pytest.approx(math.hypot(0.2, 1.0), abs=1e-6)
    assert look.yaw_deg[0] == pytest.approx(math.degrees(math.atan2(0.2, 1.0)), abs=1e-4)
    assert look.pitch_deg[0] == pytest.approx(0.0, abs=1e-4)


def _layer_curves(idb) -> dict[tuple[str, str, int], np.ndarray]:
    """Key values of every F-curve on ``idb``'s MicroFace strips, per (track, path, index)."""
    from microface_addon import compat

    out = {}
    for track in idb.animation_data.nla_tracks:
        if not track.name.startswith("MicroFace"):
            continue
        for fc in compat.iter_fcurves(track.strips[0].action):
            co = np.empty(2 * len(fc.keyframe_points))
            fc.keyframe_points.foreach_get("co", co)
            out[(track.name, fc.data_path, fc.array_index)] = co[1::2]
    return out


def test_a_rebake_measures_the_users_head_not_the_previous_layer(empty_scene):
    """Re-baking with the same options gives the same curves: the look-at samples the head with
    the previous MicroFace layer muted (``bake.muted``), so the new gaze is aimed from the head
    the user animated, not from the head the last bake turned."""
    parts = build_sample_head(empty_scene)
    cam = add_camera(empty_scene, (0.3, -1.2, 1.7))
    overrides = {"state": "speaking", "gaze": {"hold_eye_contact": True}}
    bake(empty_scene, parts, cam.name, overrides, seconds=4.0)
    first = _layer_curves(parts["armature"])
    bake(empty_scene, parts, cam.name, overrides, seconds=4.0)
    second = _layer_curves(parts["armature"])
    assert first.keys() == second.keys()
    head = [k for k in first if k[1].startswith('pose.bones["head"]')]
    assert head and any(np.ptp(first[k]) > 1e-3 for k in head)  # the head really moves
    for k in first:
        np.testing.assert_array_equal(first[k], second[k], err_msg=str(k))
