"""The bundled sample head, measured on the real bpy: every ARKit key moves the right part of the
face in the right direction, the rig is wired as documented, and the .blend writer is atomic.

Regions are expressed relative to the rig's own landmarks (eye bones, jaw bone), not copied
from the builder's constants.  Character frame: faces -Y, +Z up, character's left = +X.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import bpy
import numpy as np
import pytest
from mathutils import Quaternion, Vector

from microface_addon.assets import sample_head
from microface_addon.assets.sample_head import build_sample_head, save_sample_head

ROOT = Path(__file__).resolve().parents[1]
VOCABULARY = json.loads(
    (ROOT / "microface_addon" / "rig" / "convention" / "profiles" / "arkit52.json").read_text(
        encoding="utf-8"
    )
)["vocabulary"]


@pytest.fixture(scope="module")
def built_head(tmp_path_factory):
    """One head built from factory settings, kept as a .blend that every test opens afresh
    (building takes ~0.2 s, opening ~0.03 s); the names are those the build returned."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    names = {part: ob.name for part, ob in build_sample_head().items()}
    path = tmp_path_factory.mktemp("sample_head") / "built.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True)
    return path, names


@pytest.fixture
def sample(built_head):
    path, names = built_head
    bpy.ops.wm.open_mainfile(filepath=str(path))
    return {part: bpy.data.objects[name] for part, name in names.items()}


def _co(seq) -> np.ndarray:
    out = np.empty(len(seq) * 3)
    seq.foreach_get("co", out)
    return out.reshape(-1, 3)


def _evaluated_co(obj) -> np.ndarray:
    depsgraph = bpy.context.evaluated_depsgraph_get()
    depsgraph.update()
    return _co(obj.evaluated_get(depsgraph).data.vertices)


def _rotate_bone(rig, bone_name: str, world_axis, degrees: float) -> None:
    """Pose ``bone_name`` rotated about an armature-space axis (rig is at the origin)."""
    pb = rig.pose.bones[bone_name]
    axis = pb.bone.matrix_local.to_3x3().inverted() @ Vector(world_axis)
    pb.rotation_quaternion = Quaternion(axis.normalized(), math.radians(degrees))


def _landmarks(rig) -> dict:
    bones = rig.data.bones
    eye_l, eye_r = bones["eye.L"].head_local, bones["eye.R"].head_local
    return {
        "eye_L": np.array(eye_l),
        "eye_R": np.array(eye_r),
        "eye_z": (eye_l.z + eye_r.z) / 2,
        "chin": np.array(bones["jaw"].tail_local),
    }


# --- Shape keys -----------------------------------------------------------------------------


def test_all_52_arkit_keys_exist_at_zero(sample):
    key = sample["head"].data.shape_keys
    blocks = key.key_blocks
    assert blocks[0].name == "Basis"
    names = [kb.name for kb in blocks][1:]
    assert sorted(names) == sorted(VOCABULARY)
    assert len(names) == 52
    for kb in list(blocks)[1:]:
        assert kb.value == 0.0, kb.name
        assert (kb.slider_min, kb.slider_max) == (0.0, 1.0), kb.name
        assert kb.relative_key == blocks[0], kb.name


def test_rest_pose_shows_no_key(sample):
    """With every value 0 the evaluated mesh is the basis (no key left on by the 5.0 default)."""
    head = sample["head"]
    basis = _co(head.data.shape_keys.key_blocks[0].data)
    assert np.abs(_evaluated_co(head) - basis).max() < 1e-6


def _key_field(head, name):
    blocks = head.data.shape_keys.key_blocks
    basis = _co(blocks[0].data)
    return basis, _co(blocks[name].data) - basis


def _region(L):
    """Predicates over rest positions p (n, 3) for the face regions the table refers to."""
    ez, chin = L["eye_z"], L["chin"]

    def near_eye(side):
        c = L["eye_L"] if side > 0 else L["eye_R"]
        return lambda p: np.linalg.norm(p - c, axis=1) < 0.03

    def brow(p):
        return (p[:, 2] > ez + 0.005) & (p[:, 2] < ez + 0.06)

    def cheek(p):
        return (p[:, 2] > chin[2] + 0.02) & (p[:, 2] < ez) & (np.abs(p[:, 0]) > 0.02)

    def nose_side(p):
        return (p[:, 2] > ez - 0.05) & (p[:, 2] < ez - 0.01) & (np.abs(p[:, 0]) < 0.03)

    def mouth(p):
        return (p[:, 2] > chin[2] - 0.005) & (p[:, 2] < ez - 0.045) & (np.abs(p[:, 0]) < 0.045)

    def lower_face(p):
        return p[:, 2] < ez - 0.04

    return {
        "eye": near_eye,
        "brow": brow,
        "cheek": cheek,
        "nose": nose_side,
        "mouth": mouth,
        "lower_face": lower_face,
    }


# key → (region, side, axis, sign). side: +1 left (+X), -1 right, 0 symmetric.  axis "out"
# means away from the mid-plane (sign(x)·dx), "squeeze" means towards the lip line vertically.
def _expectations():
    table = {}
    for suffix, s in (("Left", 1), ("Right", -1)):
        table.update(
            {
                "eyeBlink" + suffix: ("eye", s, "z", -1),
                "eyeWide" + suffix: ("eye", s, "z", +1),
                "eyeSquint" + suffix: ("eye", s, "z", +1),
                "eyeLookUp" + suffix: ("eye", s, "z", +1),
                "eyeLookDown" + suffix: ("eye", s, "z", -1),
                # In = towards the nose: -X for the left eye, +X for the right eye.
                "eyeLookIn" + suffix: ("eye", s, "x", -s),
                "eyeLookOut" + suffix: ("eye", s, "x", +s),
                "browDown" + suffix: ("brow", s, "z", -1),
                "browOuterUp" + suffix: ("brow", s, "z", +1),
                "cheekSquint" + suffix: ("cheek", s, "z", +1),
                "noseSneer" + suffix: ("nose", s, "z", +1),
                "mouthSmile" + suffix: ("mouth", s, "z", +1),
                "mouthFrown" + suffix: ("mouth", s, "z", -1),
                "mouthDimple" + suffix: ("mouth", s, "y", +1),
                "mouthStretch" + suffix: ("mouth", s, "out", +1),
                "mouthPress" + suffix: ("mouth", s, "squeeze", +1),
                "mouthUpperUp" + suffix: ("mouth", s, "z", +1),
                "mouthLowerDown" + suffix: ("mouth", s, "z", -1),
            }
        )
    table.update(
        {
            "browInnerUp": ("brow", 0, "z", +1),
            "cheekPuff": ("cheek", 0, "out", +1),
            "jawOpen": ("lower_face", 0, "z", -1),
            "jawForward": ("lower_face", 0, "y", -1),
            "jawLeft": ("lower_face", 0, "x", +1),
            "jawRight": ("lower_face", 0, "x", -1),
            "mouthClose": ("mouth", 0, "z", +1),
            "mouthFunnel": ("mouth", 0, "y", -1),
            "mouthPucker": ("mouth", 0, "y", -1),
            "mouthLeft": ("mouth", 0, "x", +1),
            "mouthRight": ("mouth", 0, "x", -1),
            "mouthRollLower": ("mouth", 0, "y", +1),
            "mouthRollUpper": ("mouth", 0, "y", +1),
            "mouthShrugLower": ("mouth", 0, "z", +1),
            "mouthShrugUpper": ("mouth", 0, "z", +1),
            "tongueOut": ("mouth", 0, "y", -1),
        }
    )
    return table


def test_expectation_table_covers_the_vocabulary():
    assert set(_expectations()) == set(VOCABULARY)


def test_every_key_moves_its_region_in_its_direction(sample):
    head, rig = sample["head"], sample["armature"]
    regions = _region(_landmarks(rig))
    failures = []
    for name, (region, side, axis, sign) in _expectations().items():
        basis, d = _key_field(head, name)
        mag = np.linalg.norm(d, axis=1)
        peak = mag.max()
        if peak < 0.003:
            failures.append(f"{name}: largest displacement {peak * 1000:.2f} mm < 3 mm")
            continue
        moved = mag > 0.25 * peak
        p, dm, w = basis[moved], d[moved], mag[moved]
        region_fn = regions[region](side) if region == "eye" else regions[region]
        share = w[region_fn(p)].sum() / w.sum()
        if share < 0.9:
            failures.append(f"{name}: only {share:.0%} of the motion is in the {region} region")
        cx = np.average(p[:, 0], weights=w)
        if side and side * cx < 0.01:
            failures.append(
                f"{name}: motion centred at x={cx * 1000:.1f} mm, expected side {side:+d}"
            )
        if not side and abs(cx) > 0.004 and axis not in ("x",):
            failures.append(
                f"{name}: symmetric key centred off the mid-plane at x={cx * 1000:.1f} mm"
            )
        if axis in ("x", "y", "z"):
            comp = dm[:, "xyz".index(axis)]
        elif axis == "out":
            comp = np.sign(p[:, 0]) * dm[:, 0]
        else:  # squeeze: vertices above the key's centre move down, those below move up
            cz = np.average(p[:, 2], weights=w)
            comp = -np.sign(p[:, 2] - cz) * dm[:, 2]
        along = np.average(comp, weights=w) * sign
        if along < 0.25 * np.average(w, weights=w):
            failures.append(
                f"{name}: mean motion along {axis} {sign:+d} is {along * 1000:.2f} mm "
                f"(mean |d| {np.average(w, weights=w) * 1000:.2f} mm)"
            )
    assert not failures, "\n".join(failures)


def test_left_and_right_keys_mirror_each_other(sample):
    head = sample["head"]
    for name in VOCABULARY:
        if not name.endswith("Left"):
            continue
        basis, dl = _key_field(head, name)
        _, dr = _key_field(head, name[: -len("Left")] + "Right")
        ml, mr = np.linalg.norm(dl, axis=1), np.linalg.norm(dr, axis=1)
        assert ml.max() == pytest.approx(mr.max(), rel=1e-3), name
        cl = np.average(basis, axis=0, weights=ml)
        cr = np.average(basis, axis=0, weights=mr)
        assert cl[0] == pytest.approx(-cr[0], abs=1e-4), name
        assert cl[1:] == pytest.approx(cr[1:], abs=1e-4), name


def test_upper_and_lower_lip_keys_act_on_their_own_lip(sample):
    head = sample["head"]

    def centre_z(name):
        basis, d = _key_field(head, name)
        return np.average(basis[:, 2], weights=np.linalg.norm(d, axis=1))

    assert centre_z("mouthUpperUpLeft") > centre_z("mouthLowerDownLeft") + 0.004
    assert centre_z("mouthRollUpper") > centre_z("mouthRollLower") + 0.004
    assert centre_z("mouthShrugUpper") > centre_z("mouthShrugLower") + 0.004


def test_blink_covers_the_eye_and_jaw_open_parts_the_lips(sample):
    """eyeBlinkLeft = 1 hides the left iris from the front; jawOpen = 1 drops the chin ≥ 2 cm."""
    head, rig = sample["head"], sample["armature"]
    L = _landmarks(rig)
    blocks = head.data.shape_keys.key_blocks
    basis = _co(blocks[0].data)
    blink = basis + _key_field(head, "eyeBlinkLeft")[1]
    # Lid vertices in front of the left eye's centre (within the iris' projected disc).
    rel_rest = basis - L["eye_L"]
    rel_blink = blink - L["eye_L"]
    dist = np.linalg.norm(rel_blink, axis=1)
    shell = (dist > 0.0125) & (dist < 0.016) & (rel_blink[:, 1] < 0)
    disc_blink = shell & (np.hypot(rel_blink[:, 0], rel_blink[:, 2]) < 0.0025)
    disc_rest = shell & (np.hypot(rel_rest[:, 0], rel_rest[:, 2]) < 0.0025)
    assert disc_blink.sum() >= 3, "no lid in front of the pupil after eyeBlinkLeft"
    assert disc_rest.sum() == 0, "the pupil is covered at rest"
    # The right eye is untouched.
    d = _key_field(head, "eyeBlinkLeft")[1]
    near_right = np.linalg.norm(basis - L["eye_R"], axis=1) < 0.03
    assert np.abs(d[near_right]).max() == 0.0

    jaw = _key_field(head, "jawOpen")[1]
    chin = np.linalg.norm(basis - L["chin"], axis=1) < 0.015
    assert chin.any()
    assert jaw[chin, 2].mean() < -0.02


# --- Rig ------------------------------------------------------------------------------------


def test_bone_hierarchy_and_rest_positions(sample):
    rig = sample["armature"]
    assert rig.name == "MicroFaceRig" and rig.type == "ARMATURE"
    bones = rig.data.bones
    parents = {b.name: (b.parent.name if b.parent else None) for b in bones}
    assert parents == {
        "root": None,
        "spine": "root",
        "chest": "spine",
        "neck": "chest",
        "head": "neck",
        "eye.L": "head",
        "eye.R": "head",
        "jaw": "head",
    }
    for pb in rig.pose.bones:
        assert pb.rotation_mode == "QUATERNION"
    head, neck, jaw = bones["head"], bones["neck"], bones["jaw"]
    assert neck.head_local.z < head.head_local.z <= neck.tail_local.z + 1e-6
    assert 1.5 < head.head_local.z < 1.6
    for side, sign in (("L", 1), ("R", -1)):
        eye = bones["eye." + side]
        assert sign * eye.head_local.x > 0.02  # character's left is +X
        direction = (eye.tail_local - eye.head_local).normalized()
        assert direction.dot(Vector((0, -1, 0))) > 0.99  # looking forward, -Y
        eye_obj = sample["eye_" + side]
        assert (eye_obj.matrix_world.translation - eye.head_local).length < 1e-5
        assert eye_obj.parent == rig and eye_obj.parent_type == "BONE"
        assert eye_obj.parent_bone == "eye." + side
    # Eyes at adult standing height, level, ~6 cm apart, in front of the head bone.
    el, er = bones["eye.L"].head_local, bones["eye.R"].head_local
    assert 1.55 < el.z < 1.65 and abs(el.z - er.z) < 1e-6
    assert 0.055 < (el - er).length < 0.07
    assert el.y < head.head_local.y
    # Jaw: hinge below the eyes, pointing down and forward to the chin.
    assert jaw.head_local.z < el.z
    d = jaw.tail_local - jaw.head_local
    assert d.z < 0 and d.y < 0


def test_head_mesh_is_skinned(sample):
    head, rig = sample["head"], sample["armature"]
    mods = [m for m in head.modifiers if m.type == "ARMATURE"]
    assert len(mods) == 1 and mods[0].object == rig
    assert {"head", "jaw", "neck"} <= set(head.vertex_groups.keys())
    groups = {g.index: g.name for g in head.vertex_groups}
    totals = np.zeros(len(head.data.vertices))
    for v in head.data.vertices:
        for g in v.groups:
            assert groups[g.group] in {"head", "jaw", "neck"}
            totals[v.index] += g.weight
    assert np.abs(totals - 1.0).max() < 0.01


def test_jaw_bone_opens_the_mouth_and_head_bone_turns_the_head(sample):
    head, rig = sample["head"], sample["armature"]
    L = _landmarks(rig)
    rest = _evaluated_co(head)
    chin = np.linalg.norm(rest - L["chin"], axis=1) < 0.015
    forehead = (rest[:, 2] > L["eye_z"] + 0.04) & (rest[:, 1] < -0.04)
    low_neck = rest[:, 2] < 1.43
    assert chin.any() and forehead.any() and low_neck.any()

    _rotate_bone(rig, "jaw", (1, 0, 0), 15.0)  # +X rotation swings forward points down
    opened = _evaluated_co(head)
    assert (opened - rest)[chin, 2].mean() < -0.01
    assert np.abs(opened - rest)[forehead].max() < 1e-5

    rig.pose.bones["jaw"].rotation_quaternion = (1, 0, 0, 0)
    _rotate_bone(rig, "head", (0, 0, 1), 20.0)  # turn towards the character's left
    turned = _evaluated_co(head)
    nose_tip = np.argmin(rest[:, 1])
    assert turned[nose_tip, 0] - rest[nose_tip, 0] > 0.01
    assert np.linalg.norm(turned - rest, axis=1)[forehead].min() > 0.001
    assert np.linalg.norm(turned - rest, axis=1)[low_neck].max() < 0.002


def test_eyeballs_follow_their_bones(sample):
    rig = sample["armature"]
    eye_l, eye_r = sample["eye_L"], sample["eye_R"]

    def front_point(obj):
        co = _co(obj.data.vertices)
        local = Vector(co[np.argmin(co[:, 1])])  # the pupil's centre at rest
        return np.array(obj.matrix_world @ local)

    rest_l, rest_r = front_point(eye_l), front_point(eye_r)
    _rotate_bone(rig, "eye.L", (0, 0, 1), 20.0)  # look towards the character's left (+X)
    bpy.context.view_layer.update()
    moved_l, moved_r = front_point(eye_l), front_point(eye_r)
    assert moved_l[0] - rest_l[0] > 0.003
    assert np.allclose(moved_r, rest_r, atol=1e-7)
    centre = np.array(rig.data.bones["eye.L"].head_local)
    assert np.linalg.norm(moved_l - centre) == pytest.approx(
        np.linalg.norm(rest_l - centre), abs=1e-6
    )


def test_eyes_show_where_they_look(sample):
    """The front of each eyeball (around -Y) is coloured differently from the white."""
    for side in ("L", "R"):
        me = sample["eye_" + side].data
        idx = np.empty(len(me.polygons), dtype=np.int32)
        me.polygons.foreach_get("material_index", idx)
        centres = np.empty(len(me.polygons) * 3)
        me.polygons.foreach_get("center", centres)
        centres = centres.reshape(-1, 3)
        radius = np.linalg.norm(centres, axis=1)
        facing = -centres[:, 1] / radius  # cosine of the angle from straight ahead

        colour = [tuple(round(c, 3) for c in me.materials[i].diffuse_color) for i in idx]
        ahead = {colour[i] for i in np.flatnonzero(facing > 0.97)}
        sideways = {colour[i] for i in np.flatnonzero(facing < 0.5)}
        assert ahead and sideways and ahead.isdisjoint(sideways), side


def test_build_into_another_scene_with_another_name():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    other = bpy.data.scenes.new("Other")
    objs = build_sample_head(scene=other, name="ExtraHead")
    assert {o.name for o in other.objects} == {"ExtraRig", "ExtraHead", "ExtraEye.L", "ExtraEye.R"}
    assert objs["head"].name == "ExtraHead" and objs["armature"].name == "ExtraRig"
    assert len(bpy.context.scene.objects) == 0
    assert bpy.context.mode == "OBJECT"


# --- .blend writer --------------------------------------------------------------------------


def test_save_writes_a_loadable_blend_and_nothing_else(tmp_path):
    path = tmp_path / "head.blend"
    path.write_bytes(b"old contents")  # overwritten atomically
    save_sample_head(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["head.blend"]
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.wm.open_mainfile(filepath=str(path))
    scene = bpy.context.scene
    assert {"MicroFaceRig", "MicroFaceHead", "MicroFaceEye.L", "MicroFaceEye.R"} <= set(
        bpy.data.objects.keys()
    )
    assert scene.render.fps == 24 and scene.render.fps_base == 1.0
    assert (scene.frame_start, scene.frame_end) == (1, 240)
    assert scene.camera is not None and any(o.type == "LIGHT" for o in scene.objects)
    blocks = bpy.data.objects["MicroFaceHead"].data.shape_keys.key_blocks
    assert sorted(kb.name for kb in blocks[1:]) == sorted(VOCABULARY)
    assert all(kb.value == 0.0 for kb in blocks[1:])
    # The camera sees the face: the eyes project inside the frame, near its middle.
    from bpy_extras.object_utils import world_to_camera_view

    for side in ("L", "R"):
        eye = bpy.data.objects["MicroFaceEye." + side].matrix_world.translation
        u, v, depth = world_to_camera_view(scene, scene.camera, eye)
        assert 0.2 < u < 0.8 and 0.3 < v < 0.9 and depth > 0


def test_failed_save_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "head.blend"
    path.write_bytes(b"old contents")

    def refuse(src, dst):
        raise OSError("simulated failure while replacing")

    monkeypatch.setattr(sample_head.os, "replace", refuse)
    with pytest.raises(OSError, match="simulated"):
        save_sample_head(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["head.blend"]
    assert path.read_bytes() == b"old contents"
