"""Shot files for the reliability tests, built in code with the real ``bpy`` (no binary fixtures).

- ``save_sample_shot``: the sample head (the add-on's own asset), optionally uncompressed.
- ``save_mini_shot``: a tiny ARKit character (a few shape keys and a face armature), fast to
  open, bake and save: what the fuzzing runs thousands of times.
- ``save_library_shots``: the sample head in a collection of a library file, and shots that use
  it the ways studios do: linked into the scene, as a collection instance, and as a hierarchy
  library override (fully editable), the linked collection replaced by its override as
  Blender's "Make Library Override" does.
- ``save_variant``: a copy of a shot with something changed (frame rate, range, markers, a
  stored record).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import bpy
import numpy as np

CHARACTER_COLLECTION = "Character"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save_sample_shot(path: Path, compress: bool = True) -> Path:
    from microface_addon.assets.sample_head import add_camera_and_light, build_sample_head

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    build_sample_head(scene)
    add_camera_and_light(scene)
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = 1, 48
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True, compress=compress)
    return path


def save_mini_shot(path: Path) -> Path:
    from conftest import build_mini_character

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = 1, 24
    build_mini_character()
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True)
    return path


def save_library_shots(folder: Path) -> dict[str, Path]:
    """lib.blend and the shots using it: linked.blend, instance.blend, override.blend."""
    from microface_addon.assets.sample_head import build_sample_head

    folder.mkdir(parents=True, exist_ok=True)
    out = {"lib": folder / "lib.blend"}
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    build_sample_head(scene)
    coll = bpy.data.collections.new(CHARACTER_COLLECTION)
    scene.collection.children.link(coll)
    for ob in list(scene.collection.objects):
        coll.objects.link(ob)
        scene.collection.objects.unlink(ob)
    bpy.ops.wm.save_as_mainfile(filepath=str(out["lib"]))

    def shot(name: str, use: Callable) -> None:
        bpy.ops.wm.read_factory_settings(use_empty=True)
        scene = bpy.context.scene
        scene.render.fps, scene.render.fps_base = 24, 1.0
        scene.frame_start, scene.frame_end = 1, 48
        with bpy.data.libraries.load(str(out["lib"]), link=True, relative=True) as (_, dst):
            dst.collections = [CHARACTER_COLLECTION]
        use(scene, dst.collections[0])
        out[name] = folder / f"{name}.blend"
        bpy.ops.wm.save_as_mainfile(filepath=str(out[name]))

    def linked(scene, coll):
        scene.collection.children.link(coll)

    def instance(scene, coll):
        empty = bpy.data.objects.new("CharacterInstance", None)
        empty.instance_type = "COLLECTION"
        empty.instance_collection = coll
        scene.collection.objects.link(empty)

    def override(scene, coll):
        scene.collection.children.link(coll)
        coll.override_hierarchy_create(scene, bpy.context.view_layer, do_fully_editable=True)
        scene.collection.children.unlink(coll)  # the override replaces it, as in the UI

    shot("linked", linked)
    shot("instance", instance)
    shot("override", override)
    return out


def save_variant(source: Path, path: Path, change: Callable) -> Path:
    """``source`` opened, ``change(scene)`` applied, saved as ``path``."""
    bpy.ops.wm.open_mainfile(filepath=str(source))
    change(bpy.context.scene)
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True)
    return path


def local_object(name: str):
    return bpy.data.objects.get((name, None))


def assert_finite_layer_keys() -> int:
    """Every key of the MicroFace layers in the open file is a finite number; how many."""
    from microface_addon import compat

    n = 0
    for act in bpy.data.actions:
        if not act.name.startswith("MicroFace|"):
            continue
        for fc in compat.iter_fcurves(act):
            co = np.empty(2 * len(fc.keyframe_points), dtype=np.float64)
            fc.keyframe_points.foreach_get("co", co)
            assert np.isfinite(co).all(), (act.name, fc.data_path)
            n += co.size // 2
    return n
