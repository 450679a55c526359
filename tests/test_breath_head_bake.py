"""Breath and head on real Blender: baked bones on the sample head keep the eyes on target (VOR),
the chest breathes, and micro-rotations compose over the user's pose for quaternion and Euler
bones alike."""

from __future__ import annotations

import math

import bpy
import numpy as np
import pytest
from conftest import build_mini_character
from mathutils import Euler, Vector

from microface_addon.apply import BakeOptions, layer_micro_motion, scene_fps
from microface_addon.assets.sample_head import build_sample_head
from microface_addon.bake import Keying
from microface_addon.core import load_preset, solve

FORWARD = Vector((0.0, -1.0, 0.0))  # the sample head faces -Y


def world_rotation(rig, bone: str):
    """Rotation part of a pose bone's world matrix relative to its rest (world) orientation."""
    posed = (rig.matrix_world @ rig.pose.bones[bone].matrix).to_3x3().normalized()
    rest = (rig.matrix_world @ rig.data.bones[bone].matrix_local).to_3x3().normalized()
    return posed @ rest.inverted()


def baked_sample_head(scene, overrides: dict, seconds: float = 20.0, seed: int = 2, **options):
    parts = build_sample_head(scene)
    scene.frame_start, scene.frame_end = 1, int(seconds * 24)
    report = layer_micro_motion(
        scene, list(parts.values()), BakeOptions(seed=seed, overrides=overrides, **options)
    )
    return parts, report


def test_vor_keeps_the_eyes_on_target_while_the_head_moves(empty_scene):
    """No gaze layer: the eyes should keep looking straight ahead in the world (a target at
    infinity) while the head sways, tilts, nods and rides on a breathing chest."""
    overrides = {
        "state": "listening",
        "gaze": {"enabled": False},
        "breath": {"mode": "deep"},
        "head": {"posture": "listening_tilt"},
    }
    parts, _ = baked_sample_head(empty_scene, overrides)
    rig = parts["armature"]
    eye_err, head_turn = [], []
    for frame in range(empty_scene.frame_start, empty_scene.frame_end + 1, 2):
        empty_scene.frame_set(frame)
        for side in ("L", "R"):
            posed = (rig.matrix_world @ rig.pose.bones[f"eye.{side}"].matrix).to_3x3()
            look = (posed @ Vector((0.0, 1.0, 0.0))).normalized()  # eye bones point forward
            eye_err.append(math.degrees(look.angle(FORWARD)))
        head_turn.append(math.degrees(world_rotation(rig, "head").to_quaternion().angle))
    assert max(head_turn) > 5.0  # the head really moves (tilt, nods, sway, breath)
    assert max(eye_err) < 1.0, max(eye_err)
    assert np.median(eye_err) < 0.1


def test_without_vor_the_eyes_ride_with_the_head(empty_scene):
    overrides = {"gaze": {"enabled": False}, "head": {"posture": "chin_up", "vor": False}}
    parts, _ = baked_sample_head(empty_scene, overrides, seconds=4.0)
    rig = parts["armature"]
    empty_scene.frame_set(48)
    posed = (rig.matrix_world @ rig.pose.bones["eye.L"].matrix).to_3x3()
    look = (posed @ Vector((0.0, 1.0, 0.0))).normalized()
    assert math.degrees(look.angle(FORWARD)) > 5.0  # chin up 8 degrees, eyes follow


def test_chest_bone_pitches_with_the_breath(empty_scene):
    overrides = {"gaze": {"enabled": False}, "head": {"enabled": False}, "breath": {"mode": "deep"}}
    # A key on every frame: this checks the composition, not the sparse keys' tolerance.
    parts, report = baked_sample_head(
        empty_scene, overrides, seconds=30.0, seed=5, keying=Keying(every_frame=True)
    )
    rig = parts["armature"]
    fps = scene_fps(empty_scene)
    n = empty_scene.frame_end - empty_scene.frame_start + 1
    settings = load_preset("neutral_idle").with_overrides(overrides)
    character = report["characters"][0]["character"]
    want = solve(settings, (n - 1) / fps, 5, character).at_frames(fps, n)["chest_pitch"]
    got = []
    for frame in range(empty_scene.frame_start, empty_scene.frame_end + 1):
        empty_scene.frame_set(frame)
        # Pitch from where the chest's rotation takes "forward" (atan2 keeps full precision
        # at small angles, unlike an angle read back through acos in single precision).
        fwd = np.array(world_rotation(rig, "chest"), dtype=np.float64) @ np.array(FORWARD)
        got.append(math.degrees(math.atan2(fwd[2], -fwd[1])))
    got = np.array(got)
    assert np.ptp(got) > 1.0  # deep breaths lift the chest visibly
    # Blender blends COMBINE quaternions in single precision (an acos of w close to 1), which
    # rounds rotations near rest to steps of about 0.04-0.06 deg: the F-curves hold the exact
    # values (checked to 1e-7 deg), the evaluated pose agrees to within that step.
    assert np.abs(got - want).max() < 0.08
    assert np.median(np.abs(got - want)) < 0.01
    # The chest lifts as the lungs fill: pitch follows the breath state.
    breath = solve(settings, (n - 1) / fps, 5, character).at_frames(fps, n)["breath"]
    assert np.corrcoef(got, breath)[0, 1] > 0.99


POSED = {"gaze": {"enabled": False}, "breath": {"enabled": False}}
LAYER = {
    **POSED,
    "head": {"posture": "chin_up", "bias_deg": {"yaw": 6.0, "roll": 4.0, "pitch": 0.0}},
}
FRAMES = (1, 12, 24, 36, 48)
USER_HEAD = {1: (30.0, -20.0, 25.0), 48: (10.0, 25.0, -15.0)}  # keyed, degrees XYZ
USER_NECK = (20.0, 10.0, -15.0)  # posed by hand, not keyed


def _fresh_scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = 1, 48
    return scene


def _local_rotations(scene, arm, bones=("head", "neck")):
    out = {}
    for f in FRAMES:
        scene.frame_set(f)
        out[f] = {b: arm.pose.bones[b].matrix_basis.to_quaternion() for b in bones}
    return out


def _set_rotation(pb, degrees_xyz, mode):
    e = Euler([math.radians(d) for d in degrees_xyz], "XYZ")
    if mode == "QUATERNION":
        pb.rotation_quaternion = e.to_quaternion()
        return "rotation_quaternion"
    pb.rotation_euler = e.to_matrix().to_euler(mode)
    return "rotation_euler"


@pytest.mark.parametrize(
    "mode",
    [
        "QUATERNION",
        "XYZ",
        "ZXY",
    ],
)
def test_micro_rotation_composes_over_the_user_pose(empty_scene, mode):
    """The head layer turns each bone about its rest axes on top of whatever the user posed or
    keyed, whatever the bone's rotation mode: evaluated = micro @ user."""
    # The micro-rotation alone: the same character (same names, so the same random streams)
    # baked with no user pose.
    scene = _fresh_scene()
    ob, arm = build_mini_character(rotation_mode=mode)
    # Dense keys: the composition is checked exactly (sparse keys' own error is
    # test_sparse_bake's).
    dense = Keying(every_frame=True)
    layer_micro_motion(scene, [ob], BakeOptions(seed=4, overrides=LAYER, keying=dense))
    micro = _local_rotations(scene, arm)
    assert max(math.degrees(micro[f]["head"].angle) for f in FRAMES) > 5.0

    scene = _fresh_scene()
    ob, arm = build_mini_character(rotation_mode=mode)
    head = arm.pose.bones["head"]
    for frame, rot in USER_HEAD.items():
        head.keyframe_insert(_set_rotation(head, rot, mode), frame=frame)
    _set_rotation(arm.pose.bones["neck"], USER_NECK, mode)
    user = _local_rotations(scene, arm)
    layer_micro_motion(scene, [ob], BakeOptions(seed=4, overrides=LAYER, keying=dense))
    got = _local_rotations(scene, arm)
    for f in FRAMES:
        for bone in ("head", "neck"):
            expected = micro[f][bone] @ user[f][bone]
            err = math.degrees(got[f][bone].rotation_difference(expected).angle)
            assert err < 0.05, (mode, bone, f, err)


def test_shoulders_branching_from_the_chest_rise_with_each_breath(empty_scene):
    """A rig whose chest branches into a left/right shoulder pair: breathing lifts both tails."""
    from conftest import build_mini_character

    from microface_addon.apply import BakeOptions, layer_micro_motion

    ob, arm = build_mini_character()
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    eb = arm.data.edit_bones
    for side, x in (("L", 1.0), ("R", -1.0)):
        b = eb.new(f"shoulder.{side}")
        b.head, b.tail = (0.02 * x, 0.0, 1.42), (0.18 * x, 0.01, 1.40)
        b.parent = eb["chest"]
    bpy.ops.object.mode_set(mode="OBJECT")
    for pb in arm.pose.bones:
        pb.rotation_mode = "QUATERNION"
    only_breath = {
        k: {"enabled": False} for k in ("blink", "gaze", "head", "cascade", "micro_events")
    }
    report = layer_micro_motion(
        empty_scene,
        [ob],
        BakeOptions(seed=2, overrides={**only_breath, "breath": {"mode": "deep"}}),
    )
    assert report["characters"][0]["skeleton"]["shoulders"] == {
        "L": "shoulder.L",
        "R": "shoulder.R",
    }
    heights = {"L": [], "R": []}
    for f in range(1, 241, 4):
        empty_scene.frame_set(f)
        for side in heights:
            heights[side].append((arm.matrix_world @ arm.pose.bones[f"shoulder.{side}"].tail).z)
    for side, z in heights.items():
        swing_mm = (max(z) - min(z)) * 1000
        assert swing_mm > 1.0, (side, swing_mm)  # a deep breath visibly lifts the shoulder tips
    # both sides rise together (in phase with the breath)
    assert np.corrcoef(heights["L"], heights["R"])[0, 1] > 0.95
