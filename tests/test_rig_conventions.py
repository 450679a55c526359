"""Characters of each convention, built in code on the real bpy: detection, mapping, report and
a bake that moves the right targets (read back after ``frame_set``)."""

from __future__ import annotations

import json
import math

import bpy
import numpy as np
import pytest
from conftest import layer_paths, layer_tracks
from mathutils import Vector
from rig_builders import (
    LAYOUT,
    add_armature,
    add_mesh,
    drive_key,
    drive_key_by_property,
    lift,
)

from microface_addon.apply import BakeOptions, layer_micro_motion
from microface_addon.core import load_preset, solve
from microface_addon.core.channels import TENSION_CHANNELS
from microface_addon.rig.convention import profiles as profiles_mod
from microface_addon.rig.convention.profiles import PROFILE_DIR, ProfileError
from microface_addon.rig.convention.rigmap import (
    BoneLocationTarget,
    BoneTarget,
    NothingToMapError,
    RigError,
)
from microface_addon.rig.scene.character import characters_of
from microface_addon.rig.scene.detect import detect

ARKIT = json.loads((PROFILE_DIR / "arkit52.json").read_text(encoding="utf-8"))["vocabulary"]
HUMANOID = {}  # LAYOUT's own role names: hips, spine, chest, neck1, neck2, head, eye_L…


@pytest.fixture(autouse=True)
def _only_shipped_profiles(monkeypatch, tmp_path):
    monkeypatch.delenv(profiles_mod.PROFILE_PATH_ENV, raising=False)
    monkeypatch.setenv("BLENDER_USER_CONFIG", str(tmp_path / "user_config"))


def _detect(obj, **kw):
    groups = characters_of([obj])
    assert len(groups) == 1
    return detect(groups[0], **kw)


def _targets(rigmap, channel):
    return [
        t
        for t in (*rigmap.shape_keys, *rigmap.bones, *rigmap.bone_locations)
        if t.channel == channel
    ]


def _layer_paths(idb) -> set[str]:
    """Data paths the MicroFace layer animates on ``idb`` (a layer must be there)."""
    assert layer_tracks(idb), f"no MicroFace layer on {idb.name}"
    return layer_paths(idb)


def _values_over(scene, frames, getter):
    out = []
    for f in frames:
        scene.frame_set(int(f))
        out.append(getter())
    return np.array(out)


def _arkit_character(spell=lambda n: n.replace("Left", "_L").replace("Right", "_R")):
    """Face with the 52 keys in ``spell``, eyelashes parented to the face (no modifier), teeth
    parented to the jaw bone, each with the keys that concern them."""
    arm = add_armature("Body", HUMANOID)
    face = add_mesh("Face", [spell(n) for n in ARKIT], armature=arm, parent=arm)
    lashes = add_mesh(
        "Lashes", [spell(n) for n in ("eyeBlinkLeft", "eyeBlinkRight", "eyeWideLeft")], parent=face
    )
    teeth = add_mesh("Teeth", [spell("jawOpen")], parent=arm, parent_bone="jaw")
    return arm, face, lashes, teeth


# --- multi-object characters -----------------------------------------------------------------


def test_any_part_finds_the_whole_character(empty_scene):
    arm, face, lashes, teeth = _arkit_character()
    bpy.ops.object.empty_add()
    for picked in (arm, face, lashes, teeth):
        groups = characters_of([picked, bpy.context.object])
        assert len(groups) == 1
        assert groups[0][0] == arm
        assert {o.name for o in groups[0]} == {"Body", "Face", "Lashes", "Teeth"}


def test_every_mesh_with_a_key_is_driven_identically(empty_scene):
    arm, face, lashes, teeth = _arkit_character()
    rigmap = _detect(lashes)
    assert rigmap.convention == "arkit52" and rigmap.score == pytest.approx(1.0, abs=0.02)
    blink = {(t.mesh, t.key_block) for t in _targets(rigmap, "orbicularis_oculi_palpebral_L")}
    assert blink == {("Face", "eyeBlink_L"), ("Lashes", "eyeBlink_L")}
    assert ("Teeth", "jawOpen") in {(t.mesh, t.key_block) for t in rigmap.shape_keys}

    layer_micro_motion(empty_scene, [lashes], BakeOptions(seed=5))
    frames = np.arange(1, 241, 3)
    f_val = _values_over(
        empty_scene, frames, lambda: face.data.shape_keys.key_blocks["eyeBlink_L"].value
    )
    empty_scene.frame_set(1)
    l_val = _values_over(
        empty_scene, frames, lambda: lashes.data.shape_keys.key_blocks["eyeBlink_L"].value
    )
    assert f_val.max() > 0.8, "a 10 s bake at a spontaneous blink rate closes the eye"
    np.testing.assert_allclose(l_val, f_val, atol=1e-6)
    # ...and the evaluated geometry follows the value (the key really deforms the lashes).
    peak = int(frames[int(np.argmax(l_val))])
    empty_scene.frame_set(peak)
    assert lift(lashes, "eyeBlink_L") == pytest.approx(0.01 * l_val.max(), abs=1e-4)


# --- conventions ------------------------------------------------------------------------------


CC_BONES = {
    "hips": "CC_Base_Hip",
    "spine": "CC_Base_Spine01",
    "chest": "CC_Base_Spine02",
    "shoulder_L": "CC_Base_L_Clavicle",
    "shoulder_R": "CC_Base_R_Clavicle",
    "neck1": "CC_Base_NeckTwist01",
    "neck2": "CC_Base_NeckTwist02",
    "head": "CC_Base_Head",
    "eye_L": "CC_Base_L_Eye",
    "eye_R": "CC_Base_R_Eye",
    "jaw": "CC_Base_JawRoot",
}
CC_KEYS = [
    f"{n}_{s}"
    for n in ("Eye_Blink", "Eye_Wide", "Eye_Squint", "Cheek_Raise", "Brow_Drop", "Brow_Raise_Inner")
    + (
        "Brow_Raise_Outer",
        "Nose_Sneer",
        "Mouth_Smile",
        "Mouth_Frown",
        "Mouth_Press",
        "Mouth_Dimple",
    )
    for s in "LR"
] + ["Jaw_Open", "V_Open", "V_Tight_O", "Mouth_Roll_In_Upper_L", "Tongue_Out"]


def test_reallusion_character_keys_and_two_joint_neck(empty_scene):
    arm = add_armature("CC_Base_Body", CC_BONES)
    body = add_mesh("CC_Base_Body_Mesh", CC_KEYS, armature=arm, parent=arm)
    brows = add_mesh("CC_Base_Eyebrow", ["Brow_Drop_L", "Brow_Drop_R"], armature=arm)
    rigmap = _detect(brows)
    assert rigmap.convention == "reallusion_cc" and rigmap.bone_convention == "reallusion_cc"
    assert not rigmap.ambiguous
    sk = rigmap.skeleton
    assert sk.neck == ["CC_Base_NeckTwist01", "CC_Base_NeckTwist02"]
    assert sk.head == "CC_Base_Head" and sk.chest == "CC_Base_Spine02"
    assert sk.eyes == {"L": "CC_Base_L_Eye", "R": "CC_Base_R_Eye"}
    assert sk.jaw == "CC_Base_JawRoot"
    assert {t.key_block for t in _targets(rigmap, "zygomaticus_major_L")} == {"Mouth_Smile_L"}
    assert {(t.mesh, t.key_block) for t in _targets(rigmap, "corrugator_R")} == {
        (body.name, "Brow_Drop_R"),
        (brows.name, "Brow_Drop_R"),
    }
    head_yaw = {t.bone: t.gain for t in _targets(rigmap, "head_yaw")}
    assert set(head_yaw) == {"CC_Base_NeckTwist01", "CC_Base_NeckTwist02", "CC_Base_Head"}
    assert sum(head_yaw.values()) == pytest.approx(1.0)
    # The jaw has a shape key, so the jaw bone is not turned as well.
    assert {type(t) for t in _targets(rigmap, "jaw_drop")} == {type(rigmap.shape_keys[0])}

    layer_micro_motion(empty_scene, [body], BakeOptions(seed=2))
    frames = np.arange(1, 241, 6)
    angles = _values_over(
        empty_scene,
        frames,
        lambda: [
            arm.pose.bones[n].rotation_quaternion.angle
            for n in ("CC_Base_NeckTwist01", "CC_Base_NeckTwist02", "CC_Base_Head", "CC_Base_Hip")
        ],
    )
    assert (angles[:, :3].max(axis=0) > math.radians(0.05)).all(), "head and both neck joints move"
    assert angles[:, 3].max() == 0.0, "the hips are not part of the head chain"


def test_vroid_keys_and_bones(empty_scene):
    names = {
        "hips": "J_Bip_C_Hips",
        "spine": "J_Bip_C_Spine",
        "chest": "J_Bip_C_Chest",
        "shoulder_L": "J_Bip_L_Shoulder",
        "shoulder_R": "J_Bip_R_Shoulder",
        "neck1": "J_Bip_C_Neck",
        "neck2": None,
        "head": "J_Bip_C_Head",
        "eye_L": "J_Adj_L_FaceEye",
        "eye_R": "J_Adj_R_FaceEye",
        "jaw": None,
    }
    arm = add_armature("Armature", names)
    keys = [
        "Fcl_ALL_Neutral",
        "Fcl_ALL_Joy",
        "Fcl_BRW_Angry",
        "Fcl_BRW_Sorrow",
        "Fcl_BRW_Surprised",
    ]
    keys += [
        "Fcl_EYE_Close",
        "Fcl_EYE_Close_L",
        "Fcl_EYE_Close_R",
        "Fcl_EYE_Joy_L",
        "Fcl_EYE_Joy_R",
    ]
    keys += ["Fcl_EYE_Surprised", "Fcl_MTH_A", "Fcl_MTH_Fun", "Fcl_MTH_Close", "Fcl_HA_Hide"]
    face = add_mesh("Face", keys, armature=arm)
    rigmap = _detect(face)
    assert rigmap.convention == "vrm" and rigmap.bone_convention == "vrm"
    assert {t.key_block for t in _targets(rigmap, "orbicularis_oculi_palpebral_L")} == {
        "Fcl_EYE_Close_L"
    }
    assert rigmap.skeleton.eyes == {"L": "J_Adj_L_FaceEye", "R": "J_Adj_R_FaceEye"}
    assert rigmap.skeleton.neck == ["J_Bip_C_Neck"] and rigmap.skeleton.chest == "J_Bip_C_Chest"
    assert "shape key Fcl_HA_Hide (Face)" in rigmap.unused


def _tension_keys(rigmap, channel):
    """The shape keys a tension channel drives, from the report (names only, gains dropped)."""
    return {t.split(":")[1].split(" ")[0] for t in rigmap.report()["tension"][channel]}


def test_the_report_says_what_tension_drives_on_each_convention(empty_scene):
    """Tension (a held breath, a suppressed expression) tightens the lids and clenches the jaw;
    each convention offers its own keys for it, and where a rig has none the report says why."""
    _, face, _, _ = _arkit_character(spell=lambda n: n)
    arkit = _detect(face)
    assert _tension_keys(arkit, "lid_tightener_L") == {"eyeSquintLeft"}
    assert _tension_keys(arkit, "upper_lid_droop_R") == {"eyeBlinkRight", "eyeWideRight"}
    # ARKit has no clench key: the clench presses the lips instead.
    assert _tension_keys(arkit, "jaw_clench") == {"mouthPressLeft", "mouthPressRight"}
    assert set(arkit.report()["tension"]) == set(TENSION_CHANNELS)

    arm = add_armature("CC_Base_Body", CC_BONES)
    cc = _detect(add_mesh("CC_Base_Body_Mesh", CC_KEYS, armature=arm, parent=arm))
    assert _tension_keys(cc, "lid_tightener_R") == {"Eye_Squint_R"}
    assert _tension_keys(cc, "jaw_clench") == {"Mouth_Press_L", "Mouth_Press_R"}

    vroid = _detect(add_mesh("VFace", ["Fcl_EYE_Close_L", "Fcl_EYE_Close_R", "Fcl_MTH_A"]))
    assert vroid.convention == "vrm"
    # VRM has no squint: a partial lid close stands in for AU7; no mouth-close key, no clench.
    assert _tension_keys(vroid, "lid_tightener_L") == {"Fcl_EYE_Close_L"}
    (why,) = vroid.report()["tension"]["jaw_clench"]
    assert why.startswith("nothing: ") and "vrm" in why


@pytest.mark.parametrize("version", ["vrm0", "vrm1"])
def test_vrm_humanoid_metadata_beats_names_and_geometry(empty_scene, version):
    # Bones with meaningless names; only the importer's metadata says which is which.
    names = {role: f"B{i}" for i, role in enumerate(LAYOUT)}
    arm = add_armature("Armature", names)
    meta = {"head": names["head"], "neck": names["neck2"], "leftEye": names["eye_L"]}
    meta |= {"rightEye": names["eye_R"], "upperChest": names["chest"]}
    if version == "vrm0":
        bones = [{"bone": k, "node": {"bone_name": v}} for k, v in meta.items()]
        arm.data["vrm_addon_extension"] = {"vrm0": {"humanoid": {"human_bones": bones}}}
    else:
        snake = {"leftEye": "left_eye", "rightEye": "right_eye", "upperChest": "upper_chest"}
        bones = {snake.get(k, k): {"node": {"bone_name": v}} for k, v in meta.items()}
        arm.data["vrm_addon_extension"] = {"vrm1": {"humanoid": {"human_bones": bones}}}
    rigmap = _detect(arm)
    sk = rigmap.skeleton
    assert sk.head == names["head"] and sk.neck == [names["neck2"]]
    assert sk.eyes == {"L": names["eye_L"], "R": names["eye_R"]}
    assert sk.chest == names["chest"]
    assert sk.found_by["head"] == "VRM humanoid metadata"


def test_facs_keys_with_and_without_side(empty_scene):
    keys = ["AU01_L", "AU01_R", "AU02_L", "AU02_R", "AU04_L", "AU04_R", "AU06_L", "AU06_R"]
    keys += ["AU12", "AU45_L", "AU45_R", "AU26", "AU17"]
    face = add_mesh("FacsHead", keys)
    rigmap = _detect(face)
    assert rigmap.convention == "facs"
    smile = {t.channel: (t.key_block, t.gain) for t in rigmap.shape_keys if t.key_block == "AU12"}
    assert smile == {"zygomaticus_major_L": ("AU12", 0.5), "zygomaticus_major_R": ("AU12", 0.5)}
    assert {t.key_block for t in _targets(rigmap, "orbicularis_oculi_orbital_R")} == {"AU06_R"}
    assert {t.key_block for t in _targets(rigmap, "orbicularis_oculi_palpebral_L")} == {"AU45_L"}
    assert rigmap.unmapped["head_yaw"] == "character has no armature"


def test_hierarchy_and_geometry_find_an_unnamed_skeleton(empty_scene):
    names = {role: ("Bone" if i == 0 else f"Bone.{i:03d}") for i, role in enumerate(LAYOUT)}
    arm = add_armature("Armature", names, rotation_mode="XYZ")
    rigmap = _detect(arm)
    sk = rigmap.skeleton
    assert sk.head == names["head"]
    assert sk.neck == [names["neck1"], names["neck2"]]
    assert sk.chest == names["chest"]
    assert sk.eyes == {"L": names["eye_L"], "R": names["eye_R"]}
    assert sk.jaw == names["jaw"]
    assert rigmap.convention == "none" and rigmap.bone_convention is None
    # Euler bones: the head's pitch axis, read in its own rest space, is the character's right.
    pitch = next(t for t in _targets(rigmap, "head_pitch") if t.bone == names["head"])
    world = arm.data.bones[names["head"]].matrix_local.to_3x3() @ Vector(pitch.axis)
    assert world.x == pytest.approx(-1.0, abs=1e-6)


def _arp_rig(scale=1.0):
    names = {
        "hips": "c_root_master.x",
        "spine": "c_spine_01.x",
        "chest": "c_spine_02.x",
        "shoulder_L": "c_shoulder.l",
        "shoulder_R": "c_shoulder.r",
        "neck1": "neck.x",
        "neck2": "c_neck.x",
        "head": "c_head.x",
        "eye_L": "c_eye.l",
        "eye_R": "c_eye.r",
        "jaw": "c_jawbone.x",
    }
    extra = []
    for s, x in (("l", 0.032), ("r", -0.032)):
        extra += [
            (f"c_eyelid_top.{s}", (x, -0.1, 1.66), (x, -0.11, 1.66), "c_head.x"),
            (f"c_eyelid_bot.{s}", (x, -0.1, 1.64), (x, -0.11, 1.64), "c_head.x"),
            (f"c_lips_smile.{s}", (x * 0.8, -0.1, 1.57), (x * 0.8, -0.11, 1.57), "c_jawbone.x"),
            (f"c_eyebrow_full.{s}", (x, -0.1, 1.69), (x, -0.11, 1.69), "c_head.x"),
        ]
    extra.append(("c_traj", (0, 0, 0), (0, 0.2, 0), None))
    return add_armature("ARP", names, extra, scale=scale)


@pytest.mark.parametrize("scale", [1.0, 0.55])
def test_auto_rig_pro_blink_is_calibrated_on_the_measured_lid_gap(empty_scene, scale):
    arm = _arp_rig(scale)
    rigmap = _detect(arm)
    assert rigmap.convention == "autorigpro"
    assert rigmap.skeleton.head == "c_head.x" and rigmap.skeleton.eyes["L"] == "c_eye.l"
    blink = _targets(rigmap, "orbicularis_oculi_palpebral_L")
    assert {type(t) for t in blink} == {BoneLocationTarget}
    assert {t.bone for t in blink} == {"c_eyelid_top.l", "c_eyelid_bot.l"}
    pb = arm.pose.bones

    def gap():
        bpy.context.view_layer.update()
        return (pb["c_eyelid_top.l"].head - pb["c_eyelid_bot.l"].head).length

    rest = gap()
    assert rest == pytest.approx(0.02 * scale, rel=1e-4)
    for t in blink:  # blink = 1.0, as the bake composes it
        pb[t.bone].location += Vector(t.direction_local) * t.gain_m
    assert gap() < 1e-3 * rest, "blink 1.0 closes the lids whatever the head size"
    for t in blink:
        pb[t.bone].location = (0, 0, 0)
    for t in _targets(rigmap, "levator_palpebrae_L"):  # widening opens them further
        pb[t.bone].location += Vector(t.direction_local) * t.gain_m
    assert gap() > 1.2 * rest


# --- driven shape keys ------------------------------------------------------------------------


def _driven_character():
    arm = add_armature(
        "Rig",
        HUMANOID,
        extra=[
            ("blink_ctrl.L", (0.05, -0.15, 1.7), (0.05, -0.15, 1.72), "head"),
            ("jaw_ctrl", (0, -0.15, 1.5), (0, -0.15, 1.52), "head"),
        ],
    )
    face = add_mesh("Face", ["eyeBlinkLeft", "eyeBlinkRight", "jawOpen", "eyeLookUpLeft"], arm, arm)
    drive_key(face, "eyeBlinkLeft", arm, "blink_ctrl.L", "LOC_Z", "var * 20")
    drive_key(face, "jawOpen", arm, "jaw_ctrl", "ROT_X", "-var * 2")
    drive_key_by_property(face, "eyeBlinkRight", arm, "blink_R")
    return arm, face


def test_driven_keys_drive_their_controls_or_are_skipped_with_the_reason(empty_scene):
    arm, face = _driven_character()
    rigmap = _detect(face)
    (blink,) = _targets(rigmap, "orbicularis_oculi_palpebral_L")
    assert isinstance(blink, BoneLocationTarget) and blink.bone == "blink_ctrl.L"
    assert blink.direction_local == pytest.approx((0.0, 0.0, 1.0))
    assert blink.gain_m == pytest.approx(0.05)
    (jaw,) = _targets(rigmap, "jaw_drop")
    assert isinstance(jaw, BoneTarget) and jaw.bone == "jaw_ctrl"
    assert jaw.axis == (1.0, 0.0, 0.0) and jaw.gain == pytest.approx(-math.degrees(0.5))
    why = rigmap.report()["skipped"]["Face:eyeBlinkRight"]
    assert "driven by a driver" in why and "a property" in why
    assert "orbicularis_oculi_palpebral_R" in rigmap.unmapped
    # The calibration is real: moving the control by the target's amount gives the key 1.0.
    arm.pose.bones["blink_ctrl.L"].location = Vector(blink.direction_local) * blink.gain_m
    bpy.context.view_layer.update()
    empty_scene.frame_set(empty_scene.frame_current)
    assert face.data.shape_keys.key_blocks["eyeBlinkLeft"].value == pytest.approx(1.0, abs=1e-4)
    arm.pose.bones["blink_ctrl.L"].location = (0, 0, 0)

    layer_micro_motion(empty_scene, [arm], BakeOptions(seed=1))
    paths = _layer_paths(face.data.shape_keys)
    assert 'key_blocks["eyeLookUpLeft"].value' in paths
    assert not any(n in p for p in paths for n in ("eyeBlinkLeft", "eyeBlinkRight", "jawOpen"))
    assert 'pose.bones["jaw_ctrl"].rotation_quaternion' in _layer_paths(arm)


# --- profiles, overrides, ambiguity -----------------------------------------------------------


def test_studio_profile_dropped_into_the_user_folder_is_detected(
    empty_scene, tmp_path, monkeypatch
):
    folder = tmp_path / "user_config" / "microface" / "profiles"
    folder.mkdir(parents=True)
    doc = {
        "name": "studio_ghost",
        "description": "Ghost Studio heads",
        "shape_keys": {
            "orbicularis_oculi_palpebral_{side}": [{"key": "GH_lidClose_{side}"}],
            "zygomaticus_major_{side}": [{"key": "GH_smile_{side}", "gain": 0.6}],
        },
    }
    (folder / "ghost.json").write_text(json.dumps(doc), encoding="utf-8")
    face = add_mesh("Ghost", ["GH_lidClose_L", "GH_lidClose_R", "GH_smile_L", "GH_smile_R"])
    rigmap = _detect(face)
    assert rigmap.convention == "studio_ghost" and rigmap.score == pytest.approx(1.0)
    assert {(t.key_block, t.gain) for t in _targets(rigmap, "zygomaticus_major_R")} == {
        ("GH_smile_R", 0.6)
    }
    report = layer_micro_motion(empty_scene, [face], BakeOptions(seed=4))
    assert report["characters"][0]["convention"] == "studio_ghost"
    frames = np.arange(1, 241, 3)
    lid = _values_over(
        empty_scene, frames, lambda: face.data.shape_keys.key_blocks["GH_lidClose_L"].value
    )
    assert lid.max() > 0.8


def test_a_profile_range_keeps_a_driven_key_inside_it(empty_scene, tmp_path, monkeypatch):
    """A TD caps a key that breaks past 0.5: blinks then approach 0.5 smoothly, never beyond."""
    folder = tmp_path / "user_config" / "microface" / "profiles"
    folder.mkdir(parents=True)
    doc = {
        "name": "studio_capped",
        "shape_keys": {
            "orbicularis_oculi_palpebral_{side}": [{"key": "CP_lid_{side}", "range": [0, 0.5]}]
        },
    }
    (folder / "capped.json").write_text(json.dumps(doc), encoding="utf-8")
    face = add_mesh("Capped", ["CP_lid_L", "CP_lid_R"])
    rigmap = _detect(face)
    assert {t.range for t in _targets(rigmap, "orbicularis_oculi_palpebral_L")} == {(0.0, 0.5)}
    layer_micro_motion(empty_scene, [face], BakeOptions(seed=4))
    lid = _values_over(
        empty_scene, np.arange(1, 241), lambda: face.data.shape_keys.key_blocks["CP_lid_L"].value
    )
    assert 0.45 < lid.max() <= 0.5 + 1e-6  # Blender keeps keys and handles in float32


def test_override_map_wins_over_detection(empty_scene, tmp_path):
    arm, face, lashes, teeth = _arkit_character()
    for name in ("SmileL_custom", "BlinkL_custom"):
        face.shape_key_add(name=name, from_mix=False).value = 0.0
    overrides = {
        "zygomaticus_major_L": {"shape_key": "SmileL_custom", "gain": 0.8},
        "orbicularis_oculi_palpebral_L": {"shape_key": "BlinkL_custom", "gain": 0.8},
        "head_yaw": {"bone": "neck1"},
        "risorius_L": [],
        "orbicularis_oculi_palpebral_R": [{"bone": "eye_R", "rotate": "pitch", "gain": -10}],
    }
    rigmap = _detect(face, overrides=overrides)
    assert {(t.key_block, t.gain) for t in _targets(rigmap, "zygomaticus_major_L")} == {
        ("SmileL_custom", 0.8)
    }
    assert {t.bone for t in _targets(rigmap, "head_yaw")} == {"neck1"}
    assert "switched off" in rigmap.unmapped["risorius_L"]
    assert [type(t) for t in _targets(rigmap, "orbicularis_oculi_palpebral_R")] == [BoneTarget]
    assert set(rigmap.report()["overridden"]) == set(overrides)
    # The same map from a file, through the bake options: the custom key carries the blink
    # channel × 0.8 on every frame; the eyelashes' detected blink key is no longer driven by it.
    path = tmp_path / "char.json"
    path.write_text(json.dumps(overrides), encoding="utf-8")
    layer_micro_motion(empty_scene, [face], BakeOptions(seed=1, overrides_map=str(path)))
    fps = empty_scene.render.fps
    perf = solve(load_preset(), 239 / fps, 1, "Body")
    blink = perf.at_frames(fps, 240)["orbicularis_oculi_palpebral_L"]
    frames = np.arange(1, 241, 4)
    got = _values_over(
        empty_scene, frames, lambda: face.data.shape_keys.key_blocks["BlinkL_custom"].value
    )
    np.testing.assert_allclose(got, 0.8 * blink[frames - 1], atol=2e-3)
    assert got.max() > 0.5
    paths = _layer_paths(face.data.shape_keys)
    assert 'key_blocks["BlinkL_custom"].value' in paths
    assert 'key_blocks["mouthStretch_L"].value' not in paths
    # Head yaw turns only the neck joint now: the head bone keeps no yaw (its local Y is up).
    yaw = _values_over(
        empty_scene,
        frames,
        lambda: [arm.pose.bones[n].rotation_quaternion.y for n in ("head", "neck1")],
    )
    assert np.abs(yaw[:, 0]).max() < 1e-6 < np.abs(yaw[:, 1]).max()


def test_bad_override_maps_are_clear_errors(empty_scene, tmp_path):
    arm, face, lashes, teeth = _arkit_character()
    with pytest.raises(ProfileError, match="unknown channel.*'smile_L'"):
        _detect(face, overrides={"smile_L": {"shape_key": "x"}})
    with pytest.raises(RigError, match="'NoSuchKey' is on no mesh"):
        _detect(face, overrides={"zygomaticus_major_L": {"shape_key": "NoSuchKey"}})
    path = tmp_path / "bad.json"
    path.write_text('{\n  "head_yaw": {"bone": "neck1", "gain": "big"}\n}\n', encoding="utf-8")
    with pytest.raises(ProfileError, match=r"bad\.json:2:41: /head_yaw/gain: expected number"):
        layer_micro_motion(empty_scene, [face], BakeOptions(overrides_map=str(path)))


def test_ambiguous_conventions_are_reported_and_an_explicit_profile_settles_it(
    empty_scene, tmp_path, monkeypatch
):
    # A studio copy of ARKit with other gains claims the very same names: choosing it drives
    # the same keys differently, so it is a real alternative.
    doc = json.loads((PROFILE_DIR / "arkit52.json").read_text(encoding="utf-8"))
    doc["name"] = "arkit_studio"
    doc["shape_keys"]["zygomaticus_major_L"] = [{"key": "mouthSmileLeft", "gain": 0.7}]
    monkeypatch.setenv(profiles_mod.PROFILE_PATH_ENV, str(tmp_path))
    (tmp_path / "arkit_studio.json").write_text(json.dumps(doc), encoding="utf-8")
    face = add_mesh("Face", ARKIT)
    rigmap = _detect(face)
    assert rigmap.ambiguous == ["arkit_studio"]
    assert any(
        n.startswith(
            "ambiguous shape keys: arkit52 1.000 vs arkit_studio 1.000 (shape-key coverage"
        )
        for n in rigmap.notes
    )
    # The very same mapping under another name is no alternative: nothing would change.
    doc["shape_keys"] = json.loads((PROFILE_DIR / "arkit52.json").read_text())["shape_keys"]
    (tmp_path / "arkit_studio.json").write_text(json.dumps(doc), encoding="utf-8")
    assert _detect(face).ambiguous == []
    assert rigmap.report()["ambiguous"] == ["arkit_studio"]
    chosen = _detect(face, profile="arkit_studio")
    assert chosen.convention == "arkit_studio" and not chosen.ambiguous
    assert "profile 'arkit_studio' chosen explicitly" in chosen.notes


def test_a_character_with_no_face_says_what_it_looked_for(empty_scene):
    arm = add_armature("Prop", {r: (r if r == "hips" else None) for r in LAYOUT})
    cube = add_mesh("Crate", ["Dent", "Open"], armature=arm, parent=arm)
    with pytest.raises(NothingToMapError) as err:
        _detect(cube)
    msg = str(err.value)
    assert "nothing to drive on character 'Prop'" in msg and "Crate" in msg
    # short, and it says what to do next
    assert len(msg) < 300 and "override map" in msg and "microface inspect" in msg
    details = err.value.details  # what inspect prints
    for looked in ("arkit52 keys (e.g. eyeBlinkLeft)", "reallusion_cc", "vrm", "facs"):
        assert looked in details
    assert "rigify_face bones" in details and "an eye pair" in details
