"""Shared fixtures. Integration tests run against the real ``bpy`` module (never a fake)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SHARED_RIGS = ROOT.parent / "shared" / "rigs"


@pytest.fixture
def empty_scene():
    """A factory-fresh empty scene at 24 fps, frames 1–240."""
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = 1, 240
    return scene


def extension_repo(folder: Path) -> Path:
    """A local extensions repository in ``folder`` holding the add-on as the built zip unpacks
    it (package, presets, manifest); returns the repository folder (``…/repo``)."""
    import shutil

    ext = folder / "repo" / "microface"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "microface_addon", ext, ignore=ignore)
    shutil.copytree(ROOT / "presets", ext / "presets", ignore=ignore)
    shutil.copy(ROOT / "blender_manifest.toml", ext)
    return ext.parent


def build_mini_character(
    name: str = "Mini", keys=None, bones: bool = True, rotation_mode="QUATERNION"
):
    """A tiny ARKit-style character: a mesh with a few named shape keys and a face armature.

    Shape keys move distinct vertices so each one's evaluation can be read back.  Built in code so
    tests never depend on binary fixtures.
    """
    import bmesh
    import bpy

    keys = keys or ["eyeBlinkLeft", "eyeBlinkRight", "mouthSmileLeft", "jawOpen", "eyeWideLeft"]
    me = bpy.data.meshes.new(name + "Mesh")
    bm = bmesh.new()
    bmesh.ops.create_cube(bm, size=0.2)
    bm.to_mesh(me)
    bm.free()
    ob = bpy.data.objects.new(name + "Face", me)
    bpy.context.scene.collection.objects.link(ob)
    ob.shape_key_add(name="Basis", from_mix=False)
    for i, k in enumerate(keys):
        kb = ob.shape_key_add(name=k, from_mix=False)
        co = kb.data[i % len(kb.data)].co
        kb.data[i % len(kb.data)].co = (co.x, co.y, co.z + 0.05)
        kb.value = 0.0  # 5.0+ creates keys at 1.0
    arm_obj = None
    if bones:
        arm = bpy.data.armatures.new(name + "Arm")
        arm_obj = bpy.data.objects.new(name + "Rig", arm)
        bpy.context.scene.collection.objects.link(arm_obj)
        bpy.context.view_layer.objects.active = arm_obj
        bpy.ops.object.mode_set(mode="EDIT")
        eb = arm.edit_bones

        def bone(n, head, tail, parent=None):
            b = eb.new(n)
            b.head, b.tail = head, tail
            if parent:
                b.parent = eb[parent]
            return b

        bone("root", (0, 0, 0), (0, 0.1, 0))
        bone("spine", (0, 0, 1.0), (0, 0, 1.25), "root")
        bone("chest", (0, 0, 1.25), (0, 0, 1.45), "spine")
        bone("neck", (0, 0, 1.45), (0, 0, 1.55), "chest")
        bone("head", (0, 0, 1.55), (0, 0, 1.75), "neck")
        bone("eye.L", (0.032, -0.08, 1.65), (0.032, -0.1, 1.65), "head")
        bone("eye.R", (-0.032, -0.08, 1.65), (-0.032, -0.1, 1.65), "head")
        bone("jaw", (0, -0.02, 1.58), (0, -0.08, 1.52), "head")
        bpy.ops.object.mode_set(mode="OBJECT")
        for pb in arm_obj.pose.bones:
            pb.rotation_mode = rotation_mode
        mod = ob.modifiers.new("Armature", "ARMATURE")
        mod.object = arm_obj
        ob.parent = arm_obj
    return ob, arm_obj


def animation_fingerprint() -> str:
    """A hash of all animation data in the file plus animatable values MicroFace may touch.

    Covers every action (F-curves, keys, handles), every ID's animation data (active action,
    blend type, influence, NLA tracks and strips), shape-key values and pose rotations, and
    custom properties on IDs.
    """
    import bpy

    from microface_addon import compat

    out = {}
    for a in sorted(bpy.data.actions, key=lambda a: a.name):
        fcs = []
        for fc in compat.iter_fcurves(a):
            pts = [
                tuple(round(v, 6) for v in (*k.co, *k.handle_left, *k.handle_right))
                + (k.interpolation,)
                for k in fc.keyframe_points
            ]
            fcs.append((fc.data_path, fc.array_index, pts))
        out["action:" + a.name] = sorted(fcs)

    def anim(idb):
        ad = idb.animation_data
        if ad is None:
            return None
        return {
            "action": ad.action.name if ad.action else None,
            "blend": ad.action_blend_type,
            "influence": round(ad.action_influence, 6),
            "tracks": [
                (
                    t.name,
                    [
                        (
                            s.name,
                            s.action.name if s.action else None,
                            s.blend_type,
                            s.frame_start,
                            s.frame_end,
                        )
                        for s in t.strips
                    ],
                )
                for t in ad.nla_tracks
            ],
        }

    for ob in sorted(bpy.data.objects, key=lambda o: o.name):
        out["object:" + ob.name] = {"anim": anim(ob), "props": sorted(ob.keys())}
        if ob.pose:
            out["pose:" + ob.name] = [
                (
                    pb.name,
                    [round(v, 6) for v in pb.rotation_quaternion],
                    [round(v, 6) for v in pb.location],
                    [round(v, 6) for v in pb.rotation_euler],
                )
                for pb in ob.pose.bones
            ]
    for k in sorted(bpy.data.shape_keys, key=lambda k: k.name):
        out["key:" + k.name] = {
            "anim": anim(k),
            "props": sorted(k.keys()),
            "values": [(kb.name, round(kb.value, 6)) for kb in k.key_blocks],
        }
    return hashlib.sha256(json.dumps(out, sort_keys=True, default=str).encode()).hexdigest()


# Known defect, tracked in the closing note: with numpy 1.x (Blender 4.2–5.0) on AVX-512 machines,
# the gaze-derived eye channels of two identical solves in one process differ in the last bits
# (≤ 1e-14 degrees) in about 1 run in 60; numpy 2.x (Blender 5.1+) is bit-identical in every run
# we made.  Everything else is asserted bit-identical on every version.
_NUMPY1 = int(__import__("numpy").__version__.split(".")[0]) < 2
_GAZE_DERIVED = ("eye_yaw_", "eye_pitch_", "upper_lid_gaze_", "gaze_head_share_")


def assert_same_curve(name: str, a, b) -> None:
    """Bit-identical curves (with the documented numpy-1.x tolerance on gaze-derived channels)."""
    import numpy as np

    if _NUMPY1 and name.startswith(_GAZE_DERIVED):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12, err_msg=name)
    else:
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), name


def pytest_sessionfinish(session, exitstatus):
    session.config._microface_exitstatus = int(exitstatus)


def pytest_unconfigure(config):
    """Work around a Blender 4.2 bpy-module crash at interpreter exit.

    With the bpy 4.2 module, merely enabling the bundled Rigify add-on makes the process segfault
    during interpreter teardown (exit 139 after every test passed; reproduced with nothing but
    ``addon_utils.enable("rigify")``; not on 5.0 or 5.2, and disabling Rigify again does not
    help).  The run has been fully reported by now, so in exactly that case leave without the
    teardown, with pytest's own exit status.
    """
    bpy = sys.modules.get("bpy")
    if bpy is None or tuple(bpy.app.version[:2]) != (4, 2) or "rigify" not in sys.modules:
        return
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(getattr(config, "_microface_exitstatus", 1))
