"""Third-party characters nobody on this project made (``../shared/rigs/``, see its README):
imported with Blender's glTF importer, detected, baked.  Skipped with the reason when absent.

- facecap.glb — "Model by Face Cap / Bannaflak": ARKit-52 keys spelled ``_L``/``_R``, no
  armature, an existing 11 s animation that must still play underneath the layer.
- RobotExpressive.glb — Tomás Laulhé (Quaternius), CC0: neck/head bones and only Angry/Surprised/
  Sad keys, so blinks and smiles have nothing to drive while the head and neck do.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import bpy
import numpy as np
import pytest
from conftest import SHARED_RIGS, animation_fingerprint, import_gltf
from mathutils import Quaternion, Vector

from microface_addon import compat
from microface_addon.apply import BakeOptions, layer_micro_motion, remove_micro_motion
from microface_addon.bake import Keying
from microface_addon.rig.convention import profiles as profiles_mod
from microface_addon.rig.scene.character import characters_of
from microface_addon.rig.scene.detect import detect
from microface_addon.rig.scene.look_at import resolve_look_at


@functools.cache
def _as_blend(name: str) -> Path:
    """The asset imported by Blender's glTF importer (in a child process) and saved as .blend."""
    out = Path(tempfile.mkdtemp(prefix="mf_shared_")) / f"{Path(name).stem}.blend"
    import_gltf(SHARED_RIGS / name, out)
    return out


def _import(name: str):
    path = SHARED_RIGS / name
    if not path.is_file():
        pytest.skip(f"third-party rig {name} not found at {path} (see ../shared/rigs/README.md)")
    bpy.ops.wm.open_mainfile(filepath=str(_as_blend(name)))
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    return scene


@pytest.fixture(autouse=True)
def _only_shipped_profiles(monkeypatch, tmp_path):
    monkeypatch.delenv(profiles_mod.PROFILE_PATH_ENV, raising=False)
    monkeypatch.setenv("BLENDER_USER_CONFIG", str(tmp_path / "user_config"))


def _key_values(key, frames) -> dict[str, np.ndarray]:
    scene = bpy.context.scene
    out = {kb.name: [] for kb in key.key_blocks[1:]}
    for f in frames:
        scene.frame_set(int(f))
        for kb in key.key_blocks[1:]:
            out[kb.name].append(kb.value)
    return {k: np.array(v) for k, v in out.items()}


def _rotations(name: str, frames) -> list:
    """The object's evaluated rotation (quaternion) on each frame."""
    scene, ob = bpy.context.scene, bpy.data.objects[name]
    out = []
    for f in frames:
        scene.frame_set(int(f))
        out.append(ob.matrix_basis.to_quaternion())
    return out


def _layer_rotation(ob, frames) -> list:
    """The rotation MicroFace's layer holds for ``ob`` on each frame (quaternions)."""
    track = next(t for t in ob.animation_data.nla_tracks if t.name == "MicroFace")
    curves = {
        fc.array_index: fc
        for fc in compat.iter_fcurves(track.strips[0].action)
        if fc.data_path == "rotation_quaternion"
    }
    return [Quaternion([curves[i].evaluate(float(f)) for i in range(4)]) for f in frames]


def test_facecap_is_arkit_and_its_own_animation_plays_underneath():
    scene = _import("facecap.glb")
    head = bpy.data.objects["Mesh_2"]
    (members,) = characters_of([bpy.data.objects["Mesh_3"]])  # picking the teeth finds the head
    assert members[0] == head and {"Mesh_0", "Mesh_1", "Mesh_3"} <= {m.name for m in members}
    rigmap = detect(members)
    assert rigmap.convention == "arkit52" and rigmap.score > 0.95
    assert rigmap.runner_up is not None and rigmap.runner_up[1] < 0.7
    blink = {t.key_block for t in rigmap.shape_keys if t.channel == "orbicularis_oculi_palpebral_L"}
    assert blink == {"eyeBlink_L"}
    # The head and the eyes are turned by empties: found by what they carry, sides by position
    # (the capture names its eye empties from the viewer: grp_eyeLeft is the character's right,
    # while its eyeBlink_L closes the character's left eye).
    rep = rigmap.report()
    roles = rep["object_roles"]
    assert roles["head"] == "grp_transform"
    assert roles["eyes"] == {"L": "grp_eyeRight", "R": "grp_eyeLeft"}
    assert rep["mapped"]["head_yaw"] == ["object grp_transform ×1"]
    assert "object grp_eyeRight ×1" in rep["mapped"]["eye_yaw_L"]
    eye_l = rep["parts"]["eye_L"]
    assert eye_l["driver"].startswith("object grp_eyeRight (carries Mesh_1")
    # eyeLook keys bend the face around the eye; they turn no eyeball vertex, so both stay.
    assert "eyeLookOut_L" in eye_l["not_this_part"][0]
    assert "Mesh_2:eyeLookOut_L ×0.0333333" in rep["mapped"]["eye_yaw_L"]

    # The look-at measures from those empties: a target straight ahead of the eyes is at 0°, one
    # half as far to the character's left as ahead is at atan(0.5) = 26.6° to the left.
    eyes = [bpy.data.objects[n].matrix_world.translation for n in roles["eyes"].values()]
    mid, fwd = (eyes[0] + eyes[1]) / 2, Vector(roles["forward"])
    left = Vector((0.0, 0.0, 1.0)).cross(fwd)
    target = bpy.data.objects.new("Target", None)
    scene.collection.objects.link(target)
    for offset, yaw in ((fwd * 3.0, 0.0), (fwd * 3.0 + left * 1.5, 26.57)):
        target.location = mid + offset
        bpy.context.view_layer.update()
        look, notes = resolve_look_at(scene, rigmap, "Target", 1, 10, 24.0)
        assert float(look.yaw_deg[0]) == pytest.approx(yaw, abs=0.5)
        assert float(look.pitch_deg[0]) == pytest.approx(0.0, abs=0.5)
        assert not any("origin" in n for n in notes)
    bpy.data.objects.remove(target)

    key = head.data.shape_keys
    scene.frame_start, scene.frame_end = 1, 264  # the capture's 11 s at 24 fps
    frames = np.arange(1, 265, 5)
    before = _key_values(key, frames)
    assert before["jawOpen"].std() > 0.01, "the capture animates the face"
    rotations = {n: _rotations(n, frames) for n in ("grp_transform", "grp_eyeLeft", "grp_eyeRight")}
    scene.frame_set(1)
    fingerprint = animation_fingerprint()
    # dense: one strip whose rotation _layer_rotation reads back as is
    report = layer_micro_motion(scene, [head], BakeOptions(seed=7, keying=Keying(every_frame=True)))
    after = _key_values(key, frames)
    track = next(t for t in key.animation_data.nla_tracks if t.name == "MicroFace")
    layer = {fc.data_path: fc for fc in compat.iter_fcurves(track.strips[0].action)}
    default = compat.shape_key_value_default()
    for name in before:
        fc = layer.get(f'key_blocks["{name}"].value')
        if fc is None:  # keys MicroFace leaves alone play exactly as captured
            np.testing.assert_allclose(after[name], before[name], atol=1e-6, err_msg=name)
        else:  # the layer adds on top of the capture (COMBINE), within the slider range
            micro = np.array([fc.evaluate(float(f)) for f in frames]) - default
            expected = np.clip(before[name] + micro, 0.0, 1.0)
            np.testing.assert_allclose(after[name], expected, atol=2e-4, err_msg=name)
    assert 'key_blocks["eyeBlink_L"].value' in layer
    assert report["characters"][0]["convention"] == "arkit52"
    # The empties hold the capture's pose (the importer leaves their clips on muted NLA tracks,
    # untouched here): the layer carries that pose and turns it by the micro rotation, a
    # fraction of a degree to a few degrees, every frame.
    for name in ("grp_transform", "grp_eyeLeft", "grp_eyeRight"):
        after = _rotations(name, frames)
        held = _layer_rotation(bpy.data.objects[name], frames)
        assert max(a.rotation_difference(h).angle for a, h in zip(after, held, strict=True)) < 1e-5
        turned = [
            b.rotation_difference(a).angle for b, a in zip(rotations[name], after, strict=True)
        ]
        assert 0.001 < max(turned) < np.radians(20.0), name
        assert np.std(turned) > 1e-4, name
    remove_micro_motion(scene, [head])
    scene.frame_set(1)
    assert animation_fingerprint() == fingerprint, "removing the layer restores the capture"
    for name in ("grp_transform", "grp_eyeLeft"):
        again = _rotations(name, frames)
        assert (
            max(a.rotation_difference(b).angle for a, b in zip(rotations[name], again, strict=True))
            < 1e-6
        )


def test_robot_drives_head_and_neck_and_says_blink_and_smile_have_no_target():
    scene = _import("RobotExpressive.glb")
    arm = bpy.data.objects["RobotArmature"]
    (members,) = characters_of([bpy.data.objects["Head_2"]])
    assert members[0] == arm and {"Head_2", "Head_3", "Head_4"} <= {m.name for m in members}
    rigmap = detect(members)
    rep = rigmap.report()
    assert rep["skeleton"]["head"] == "Head" and rep["skeleton"]["neck"] == ["Neck"]
    assert rep["skeleton"]["chest"] == "Torso_1"
    assert rigmap.convention == "humanoid" and all(s["shape_keys"] == 0 for s in rep["scores"])
    for ch in ("orbicularis_oculi_palpebral_L", "zygomaticus_major_R"):
        assert ch not in rep["mapped"]
        assert "no shape key of a known convention" in rep["unmapped"][ch]
    assert {t.split(" ")[0] for t in rep["mapped"]["head_yaw"]} == {
        "RobotArmature:Head",
        "RobotArmature:Neck",
    }
    assert rep["mapped"]["chest_pitch"] == ["RobotArmature:Torso_1 ×1"]
    assert "shape key Angry (Head_2, Head_3, Head_4)" in rep["unused"]

    scene.frame_start, scene.frame_end = 1, 120
    user_action = arm.animation_data.action
    layer_micro_motion(scene, [arm], BakeOptions(seed=2))
    assert arm.animation_data.action == user_action
    angles = []
    for f in range(1, 121, 6):
        scene.frame_set(f)
        angles.append(arm.pose.bones["Head"].matrix.to_quaternion())
    spread = max(angles[0].rotation_difference(q).angle for q in angles)
    assert spread > np.radians(0.2)
