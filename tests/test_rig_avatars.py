"""Real avatars in the wild (issue #11), rebuilt in code: every combination the third-party
characters showed — an eyeball moved by a bone *and* by morphs, brow bones that look like an
eye pair, unsided keys, Mixamo shoulders, heads and eyes moved by objects — detected, baked and
measured on the real ``bpy``."""

from __future__ import annotations

import json

import bpy
import numpy as np
import pytest
from conftest import layer_paths, layer_tracks
from mathutils import Matrix, Quaternion, Vector
from rig_builders import LAYOUT, LOOKS_DEG, add_armature, add_eyeball, add_mesh, evaluated_world
from scipy.spatial.transform import Rotation

from microface_addon.apply import BakeOptions, layer_micro_motion, remove_micro_motion, resolve
from microface_addon.assets.sample_head import build_sample_head
from microface_addon.bake import Keying
from microface_addon.core import solve
from microface_addon.rig.convention import profiles as profiles_mod
from microface_addon.rig.convention.profiles import PROFILE_DIR
from microface_addon.rig.scene.character import characters_of
from microface_addon.rig.scene.detect import detect
from microface_addon.ui import panel


@pytest.fixture(autouse=True)
def _only_shipped_profiles(monkeypatch, tmp_path):
    monkeypatch.delenv(profiles_mod.PROFILE_PATH_ENV, raising=False)
    monkeypatch.setenv("BLENDER_USER_CONFIG", str(tmp_path / "user_config"))


def _detect(obj, **kw):
    (members,) = characters_of([obj])
    return detect(members, **kw)


def _has_layer(idb) -> bool:
    return bool(layer_tracks(idb))


def _layer_paths(idb) -> set[str]:
    """Data paths the MicroFace layer animates on ``idb`` (empty without a layer)."""
    return layer_paths(idb)


# --- detection weighs evidence ------------------------------------------------------------------


def test_a_thousand_unrelated_keys_do_not_outvote_the_arkit_set(empty_scene):
    # Issue #15 item 6: this head used to come out "humanoid" with 9 channels.
    parts = build_sample_head(empty_scene)
    head = parts["head"]
    before = _detect(head)
    for i in range(1000):
        head.shape_key_add(name=f"corrective_{i:04d}", from_mix=False).value = 0.0
    rigmap = _detect(head)
    assert rigmap.convention == "arkit52" and rigmap.score == pytest.approx(1.0)
    assert rigmap.score_kind == "shape-key coverage"
    assert rigmap.mapped_channels == before.mapped_channels
    unused = rigmap.report()["unused"]
    assert len(unused) == len(before.report()["unused"]) + 1000
    assert not any("eyeBlink" in u or "mouthSmile" in u for u in unused)


# --- one source per eyeball, calibrated on its geometry ------------------------------------------

ARKIT = json.loads((PROFILE_DIR / "arkit52.json").read_text(encoding="utf-8"))["vocabulary"]
FRAMES = 240


def _rpm_avatar(weight: float = 1.0, eye_bones: bool = True):
    """A Ready-Player-Me-like avatar: ARKit keys on the head mesh, eyeball meshes skinned to the
    eye bones (at ``weight``, the rest on the head) that *also* carry eyeLook morphs sculpted to
    40° sideways / 35° up and down.  Without ``eye_bones`` the eyeballs ride on the head bone
    and only the morphs turn them."""
    arm = add_armature("Avatar", {} if eye_bones else {"eye_L": None, "eye_R": None})
    face = add_mesh("Wolf3D_Head", ARKIT, armature=arm, parent=arm)
    eyes = {}
    for side, role, name in (("L", "eye_L", "EyeLeft"), ("R", "eye_R", "EyeRight")):
        eyes[side] = add_eyeball(
            name,
            LAYOUT[role][0],
            side,
            armature=arm,
            bone=role if eye_bones else "head",
            weight=weight if eye_bones else 1.0,
            rest_bone="head",
            looks=LOOKS_DEG,
            parent=arm,
        )
    return arm, face, eyes


def _solved_eye_angles(scene, rigmap, options: BakeOptions) -> dict[str, np.ndarray]:
    """The solver's eye angles on each baked frame (what the bake was asked to show)."""
    request = resolve(options)
    fps = scene.render.fps / scene.render.fps_base
    n = scene.frame_end - scene.frame_start + 1
    perf = solve(request.settings, (n - 1) / fps, options.seed, rigmap.character, request.timeline)
    return perf.at_frames(fps, n)


def _turn_in_head(arm, eye_ob, rest: np.ndarray) -> np.ndarray:
    """Rotation vector (degrees, armature axes) of the evaluated eyeball relative to the head:
    the best rigid fit (scipy) of its vertices, the head's own pose taken out."""
    head = arm.pose.bones["head"]
    pose = arm.matrix_world @ head.matrix @ arm.data.bones["head"].matrix_local.inverted()
    to_rest = np.array(pose.inverted())
    co = evaluated_world(eye_ob) @ to_rest[:3, :3].T + to_rest[:3, 3]
    a, b = rest - rest.mean(axis=0), co - co.mean(axis=0)
    rot, _ = Rotation.align_vectors(b, a)
    return np.degrees(rot.as_rotvec())


def _gaze_error(scene, arm, eyes, rigmap, options) -> tuple[float, float]:
    """(largest error, largest intended angle) over every frame and both eyes, degrees."""
    rest = {s: evaluated_world(e) for s, e in eyes.items()}
    layer_micro_motion(scene, [arm], options)
    ch = _solved_eye_angles(scene, rigmap, options)
    worst, largest = 0.0, 0.0
    for i, f in enumerate(range(scene.frame_start, scene.frame_end + 1)):
        scene.frame_set(f)
        for s, eye in eyes.items():
            yaw, pitch = ch[f"eye_yaw_{s}"][i], ch[f"eye_pitch_{s}"][i]
            intended = np.array([-pitch, 0.0, yaw])  # yaw about up (+Z), pitch about right (−X)
            worst = max(worst, float(np.linalg.norm(_turn_in_head(arm, eye, rest[s]) - intended)))
            largest = max(largest, float(np.linalg.norm(intended)))
    return worst, largest


@pytest.mark.parametrize("seed", [3, 11])
def test_an_eyeball_on_a_bone_and_morphs_turns_once_by_the_solvers_angle(empty_scene, seed):
    arm, face, eyes = _rpm_avatar()
    empty_scene.frame_end = FRAMES
    rigmap = _detect(arm)
    rep = rigmap.report()
    eye_l = rep["parts"]["eye_L"]
    # Both turn the eyeball: the bone (measured 1°/°) drives, the morphs are the alternative.
    assert eye_l["driver"].startswith("bone Avatar:eye_L (turns EyeLeft 1.00°/°")
    (alt,) = eye_l["alternatives"]
    assert alt.startswith("shape keys") and "on EyeLeft" in alt and "+40.0°" in alt
    assert not any(
        t.mesh.startswith("Eye") and t.channel.startswith("eye_") for t in rigmap.shape_keys
    )
    # The head mesh's eyeLook keys turn no eyeball: they stay, for what they move.
    assert "Wolf3D_Head:eyeLookOutLeft ×0.0333333" in rep["mapped"]["eye_yaw_L"]
    worst, largest = _gaze_error(
        empty_scene, arm, eyes, rigmap, BakeOptions(preset="reading_focused", seed=seed)
    )
    assert largest > 5.0, "the gaze really moves"
    assert worst < 1.5, f"eyeball off the solver's angle by {worst:.2f}°"
    assert not any("eyeLook" in p for p in _layer_paths(eyes["L"].data.shape_keys))


def test_a_partly_weighted_eye_bone_is_calibrated_on_the_eyeball(empty_scene):
    # Skinned at 0.8 to the eye bone (0.2 to the head): a degree of bone turns it 0.8°, so the
    # bone gets gain 1.25 and the eyeball still turns by the solver's angle.
    arm, face, eyes = _rpm_avatar(weight=0.8)
    empty_scene.frame_end = FRAMES
    rigmap = _detect(arm)
    (yaw,) = [t for t in rigmap.bones if t.channel == "eye_yaw_L"]
    assert yaw.gain == pytest.approx(1.25, rel=0.02)
    cal = rigmap.report()["gaze_calibration"]
    assert cal["Avatar:eye_L turns EyeLeft (eye_yaw_L), °/°"] == pytest.approx(0.8, abs=0.02)
    worst, largest = _gaze_error(
        empty_scene, arm, eyes, rigmap, BakeOptions(preset="reading_focused", seed=5)
    )
    assert largest > 5.0 and worst < 1.5


def test_eyeball_morphs_alone_are_calibrated_on_the_eyeball(empty_scene):
    # No eye bones: the eyeLook morphs on the eyeball meshes are the only driver, measured at
    # 40°/35° per unit (not ARKit's documented 30°/25°), so their gains are 1/40 and 1/35.
    arm, face, eyes = _rpm_avatar(eye_bones=False)
    empty_scene.frame_end = FRAMES
    rigmap = _detect(arm)
    assert rigmap.skeleton.eyes == {}
    gains = {t.key_block: t.gain for t in rigmap.shape_keys if t.mesh == "EyeLeft"}
    assert gains["eyeLookOutLeft"] == pytest.approx(1 / 40, rel=0.02)
    assert gains["eyeLookInLeft"] == pytest.approx(-1 / 40, rel=0.02)
    assert gains["eyeLookUpLeft"] == pytest.approx(1 / 35, rel=0.02)
    face_gains = {t.key_block: t.gain for t in rigmap.shape_keys if t.mesh == "Wolf3D_Head"}
    assert face_gains["eyeLookOutLeft"] == pytest.approx(1 / 30)  # the lids keep the default
    worst, largest = _gaze_error(
        empty_scene, arm, eyes, rigmap, BakeOptions(preset="reading_focused", seed=3)
    )
    assert largest > 5.0 and worst < 1.5


# --- one source for the jaw and the head ----------------------------------------------------------


def test_a_jaw_bone_beside_a_jaw_open_key_leaves_the_key_to_drive(empty_scene):
    arm = add_armature("Body", {})
    add_mesh("Face", ["jawOpen", "eyeBlinkLeft", "eyeBlinkRight"], armature=arm, parent=arm)
    rigmap = _detect(arm)
    jaw = rigmap.report()["parts"]["jaw"]
    assert jaw["driver"] == "shape keys jawOpen on Face"
    assert jaw["alternatives"] == ["bone Body:jaw (jaw bone, not driven)"]
    assert "precedence: shape keys before bone" in jaw["why"]
    layer_micro_motion(empty_scene, [arm], BakeOptions(preset="speaking", seed=2))
    assert not any('"jaw"' in p for p in _layer_paths(arm))
    assert 'key_blocks["jawOpen"].value' in _layer_paths(bpy.data.objects["Face"].data.shape_keys)


def _capture_head_on_a_body():
    """A capture head (Face Cap style: the head and each eye turned by an empty) hung on a
    body's head bone: the head can turn by the bone or by the empty, and the eye bones of the
    body carry no eyeball while the eye empties do."""
    arm = add_armature("Body", {})
    head_empty = bpy.data.objects.new("grp_transform", None)
    bpy.context.scene.collection.objects.link(head_empty)
    head_empty.parent, head_empty.parent_type, head_empty.parent_bone = arm, "BONE", "head"
    bpy.context.view_layer.update()
    head_empty.matrix_world = Matrix.Translation((0.0, 0.0, 1.6))
    face = add_mesh("FaceCap", ARKIT, parent=head_empty)
    bpy.context.view_layer.update()
    face.matrix_world = Matrix.Translation((0.0, 0.02, 1.62))
    eyes = {}
    for side, x in (("L", 0.032), ("R", -0.032)):
        empty = bpy.data.objects.new(f"grp_eye{side}", None)
        bpy.context.scene.collection.objects.link(empty)
        empty.parent = head_empty
        bpy.context.view_layer.update()
        empty.matrix_world = Matrix.Translation((x, -0.08, 1.65))
        eyes[side] = add_eyeball(f"Eyeball.{side}", (x, -0.08, 1.65), side, parent=empty)
    return arm, head_empty, face, eyes


def test_a_head_empty_on_a_head_bone_and_eye_empties_beside_eye_bones(empty_scene):
    arm, head_empty, face, eyes = _capture_head_on_a_body()
    (members,) = characters_of([face])
    assert members[0] == arm and {"grp_transform", "grp_eyeL", "grp_eyeR"} <= {
        m.name for m in members
    }
    rigmap = detect(members)
    rep = rigmap.report()
    head = rep["parts"]["head"]
    assert head["driver"].startswith("bone Body:")
    assert head["alternatives"] == ["object grp_transform"]
    assert "precedence: bone before object" in head["why"]
    eye_l = rep["parts"]["eye_L"]
    # The body's eye bones carry no eyeball; the eye empties do, so they drive the eyes.
    assert eye_l["driver"] == "object grp_eyeL (carries Eyeball.L rigidly)"
    assert "bone Body:eye_L (carries no vertex of Eyeball.L: not turned)" in eye_l["not_this_part"]
    assert rep["object_roles"]["head"] == "grp_transform"
    layer_micro_motion(empty_scene, [arm], BakeOptions(seed=4))
    assert not _has_layer(head_empty), "the head turns once, by its bone"
    assert _layer_paths(bpy.data.objects["grp_eyeL"]) == {"rotation_euler"}  # its own mode
    assert not any("eye_L" in p or "eye_R" in p for p in _layer_paths(arm))
    assert any('"head"' in p for p in _layer_paths(arm))


# --- eyes found by evidence ---------------------------------------------------------------------


def test_brow_bones_are_never_taken_for_eyes(empty_scene):
    brows = [
        (f"brow1.{s}_Armature", (x, -0.09, 1.69), (x, -0.11, 1.69), "head")
        for s, x in (("l", 0.03), ("r", -0.03))
    ]
    arm = add_armature("Rig", {"eye_L": None, "eye_R": None}, extra=brows)
    add_mesh("Face", ARKIT, armature=arm, parent=arm)
    rigmap = _detect(arm)
    assert rigmap.skeleton.eyes == {}
    assert not any(t.bone.startswith("brow") for t in rigmap.bones)
    assert any("no eye bones" in n for n in rigmap.notes)
    layer_micro_motion(empty_scene, [arm], BakeOptions(preset="reading_focused", seed=1))
    assert not any("brow" in p for p in _layer_paths(arm))
    for f in range(1, 241, 20):
        empty_scene.frame_set(f)
        for s in "lr":
            q = arm.pose.bones[f"brow1.{s}_Armature"].rotation_quaternion
            assert q == Quaternion(), "the brows receive no gaze rotation"


def test_an_eyeball_mesh_makes_an_unnamed_pair_the_eyes(empty_scene):
    # Bones called nothing in particular, but each carries an eyeball: they are the eyes.
    names = {"eye_L": "Bone.010", "eye_R": "Bone.011", "jaw": None}
    arm = add_armature("Armature", names)
    for side, role in (("L", "eye_L"), ("R", "eye_R")):
        add_eyeball(f"Sphere.{side}", LAYOUT[role][0], side, armature=arm, bone=names[role])
    rigmap = _detect(arm)
    assert rigmap.skeleton.eyes == {"L": "Bone.010", "R": "Bone.011"}
    assert "eyeball mesh" in rigmap.skeleton.found_by["eye_L"]


# --- unsided keys and cues that cannot land ---------------------------------------------------------


def _marker(scene, frame: int, text: str) -> None:
    scene.timeline_markers.new(text, frame=frame)


def test_only_mouth_smile_and_mouth_open_still_smile(empty_scene):
    face = add_mesh("OldRPM", ["mouthSmile", "mouthOpen"])
    rigmap = _detect(face)
    assert rigmap.convention == "arkit52"
    smile = {(t.channel, t.key_block, t.gain) for t in rigmap.shape_keys}
    assert {
        ("zygomaticus_major_L", "mouthSmile", 0.5),
        ("zygomaticus_major_R", "mouthSmile", 0.5),
    } <= smile
    assert ("jaw_drop", "mouthOpen", 1.0) in smile
    _marker(empty_scene, 25, "mf:smile 0.7 duchenne")
    report = layer_micro_motion(empty_scene, [face], BakeOptions(seed=2))
    assert report["characters"][0]["unlanded_cues"] == []
    key = face.data.shape_keys.key_blocks["mouthSmile"]
    values = []
    for f in range(1, 121):
        empty_scene.frame_set(f)
        values.append(key.value)
    values = np.array(values)
    assert values[:24].max() < 0.05  # nothing before the cue
    assert values.max() == pytest.approx(0.7, abs=0.15)  # both halves of a 0.7 smile


def test_a_cue_with_nothing_to_drive_is_reported(empty_scene):
    face = add_mesh("FaceRig", ["eyeBlinkLeft", "eyeBlinkRight", "jawOpen"])
    _marker(empty_scene, 49, "mf:smile 0.7 duchenne")
    _marker(empty_scene, 73, "mf:nod")
    report = layer_micro_motion(empty_scene, [face], BakeOptions(seed=2))
    (char,) = report["characters"]
    assert char["unlanded_cues"] == [
        "smile (duchenne) at 2.0 s: nothing on FaceRig drives zygomaticus major",
        "nod at 3.0 s: nothing on FaceRig drives head pitch",
    ]
    lines = panel.summary_lines(json.dumps(report))
    assert (
        "  cue not landed: smile (duchenne) at 2.0 s: nothing on FaceRig drives zygomaticus major"
        in lines
    )


# --- shoulders of imported skeletons --------------------------------------------------------------


def _mixamo():
    """A Mixamo skeleton as imported: every bone points +Z, whatever limb it carries."""
    bones = [
        ("Hips", (0, 0, 1.0), None),
        ("Spine", (0, 0, 1.1), "Hips"),
        ("Spine1", (0, 0, 1.2), "Spine"),
        ("Spine2", (0, 0, 1.3), "Spine1"),
        ("Neck", (0, 0, 1.45), "Spine2"),
        ("Head", (0, 0, 1.55), "Neck"),
        ("HeadTop_End", (0, 0, 1.75), "Head"),
        ("LeftEye", (0.032, -0.08, 1.65), "Head"),
        ("RightEye", (-0.032, -0.08, 1.65), "Head"),
        ("LeftShoulder", (0.04, 0, 1.42), "Spine2"),
        ("LeftArm", (0.16, 0, 1.42), "LeftShoulder"),
        ("LeftForeArm", (0.42, 0, 1.42), "LeftArm"),
        ("RightShoulder", (-0.04, 0, 1.42), "Spine2"),
        ("RightArm", (-0.16, 0, 1.42), "RightShoulder"),
        ("RightForeArm", (-0.42, 0, 1.42), "RightArm"),
        ("LeftUpLeg", (0.09, 0, 0.95), "Hips"),
        ("RightUpLeg", (-0.09, 0, 0.95), "Hips"),
    ]
    extra = [
        (f"mixamorig:{n}", h, (h[0], h[1], h[2] + 0.08), f"mixamorig:{p}" if p else None)
        for n, h, p in bones
    ]
    return add_armature("Armature", {r: None for r in LAYOUT}, extra=extra)


def test_mixamo_shoulders_are_found_by_where_the_arms_are(empty_scene):
    arm = _mixamo()
    rigmap = _detect(arm)
    sk = rigmap.skeleton
    assert sk.chest == "mixamorig:Spine2"
    assert sk.shoulders == {"L": "mixamorig:LeftShoulder", "R": "mixamorig:RightShoulder"}
    rise = {t.bone: t for t in rigmap.bones if t.channel == "shoulder_rise"}
    assert set(rise) == {"mixamorig:LeftShoulder", "mixamorig:RightShoulder"}
    # A positive shoulder rise lifts the arms: turn each shoulder 5° about its target axis.
    for side, bone in sk.shoulders.items():
        pb = arm.pose.bones[bone]
        arm_bone = arm.pose.bones[bone.replace("Shoulder", "Arm")]
        before = arm_bone.head.z
        pb.rotation_quaternion = Quaternion(Vector(rise[bone].axis), np.radians(5.0))
        bpy.context.view_layer.update()
        assert arm_bone.head.z > before + 0.005, side
        pb.rotation_quaternion = Quaternion()


# --- object targets composed over the user's own keys -------------------------------------------------


def _capture_head():
    """A Face-Cap-like head with no armature: ARKit keys on the face, each eye an eyeball under
    an empty, the head an empty above them all; the user has keyed the left eye empty."""
    root = bpy.data.objects.new("Capture", None)
    bpy.context.scene.collection.objects.link(root)
    head = bpy.data.objects.new("grp_transform", None)
    bpy.context.scene.collection.objects.link(head)
    head.parent = root
    face = add_mesh("Face", ARKIT, parent=head)
    face.location = (0.0, 0.02, 1.62)
    for side, x in (("L", 0.032), ("R", -0.032)):
        empty = bpy.data.objects.new(f"grp_eye{side}", None)
        bpy.context.scene.collection.objects.link(empty)
        empty.parent, empty.location = head, (x, -0.08, 1.65)
        add_eyeball(f"Eyeball.{side}", (x, -0.08, 1.65), side, parent=empty)
    eye = bpy.data.objects["grp_eyeL"]
    for frame, angle in ((1, 0.0), (60, 12.0), (120, -8.0)):
        eye.rotation_euler = (0.0, 0.0, np.radians(angle))
        eye.keyframe_insert("rotation_euler", frame=frame)
    bpy.context.scene.frame_set(1)
    return face


def test_eye_empties_are_turned_over_the_users_own_keys(empty_scene):
    face = _capture_head()
    empty_scene.frame_end = 120
    frames = range(1, 121, 7)
    eye = bpy.data.objects["grp_eyeL"]

    def rotations():
        """The eye empty's own rotation (in the head: the head turns too)."""
        out = []
        for f in frames:
            empty_scene.frame_set(f)
            out.append(eye.matrix_basis.to_quaternion())
        return out

    before = rotations()
    rigmap = _detect(face)
    assert rigmap.object_roles.eyes == {"L": "grp_eyeL", "R": "grp_eyeR"}
    # dense keys: the composition over the user's keys is checked exactly (sparse keys' own
    # error is test_sparse_bake's)
    options = BakeOptions(preset="reading_focused", seed=6, keying=Keying(every_frame=True))
    layer_micro_motion(empty_scene, [face], options)
    after = rotations()
    # The user's keyed turn is still there, and the eye is turned on top of it by exactly the
    # solver's gaze angle (yaw and pitch about orthogonal axes: one rotation of their norm).
    ch = _solved_eye_angles(empty_scene, rigmap, options)
    for i, f in enumerate(frames):
        intended = np.hypot(ch["eye_yaw_L"][f - 1], ch["eye_pitch_L"][f - 1])
        turned = np.degrees(before[i].rotation_difference(after[i]).angle)
        assert turned == pytest.approx(intended, abs=0.05), f
    assert eye.animation_data.action is not None and eye.animation_data.action.name
    remove_micro_motion(empty_scene, [face])
    again = rotations()
    assert max(a.rotation_difference(b).angle for a, b in zip(before, again, strict=True)) < 1e-6
