"""Opening and saving ``.blend`` files for the commands, and choosing the objects to work on.

Why here and not in ``bake``: these are the command line's choices (no scripts run from the
files a batch processes; the input is never the file written; every character by default).
"""

from __future__ import annotations

from pathlib import Path

from ..rig.convention.rigmap import NothingToMapError
from .common import UsageError, blender_chatter, discard, existing_input, one_line, temp_path


def open_blend(path: Path, debug: bool) -> None:
    """Load ``path`` as the current file (scripts in it are not run: a batch tool runs no code
    from the files it processes)."""
    import bpy

    with blender_chatter(debug):
        try:
            bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False, use_scripts=False)
        except RuntimeError as exc:
            raise RuntimeError(f"cannot open {path}: {one_line(exc)}") from exc


def save_copy(final: Path, debug: bool) -> Path:
    """Save the open file as a copy under a temporary name beside ``final``; return that name.

    ``copy=True`` keeps the open file's own path, so the input is never the one written."""
    import bpy

    tmp = temp_path(final)
    with blender_chatter(debug):
        try:
            bpy.ops.wm.save_as_mainfile(filepath=str(tmp), copy=True, check_existing=False)
        except BaseException as exc:
            discard(tmp)
            if isinstance(exc, RuntimeError):
                raise RuntimeError(f"cannot write {final}: {one_line(exc)}") from exc
            raise
    if not tmp.is_file():
        raise RuntimeError(f"cannot write {final}: Blender reported success but wrote nothing")
    return tmp


def character_objects(scene) -> list:
    """Every object that can make up a character: armatures and meshes with shape keys."""
    out = []
    for ob in scene.objects:
        if ob.type == "ARMATURE":
            out.append(ob)
        elif ob.type == "MESH":
            keys = ob.data.shape_keys
            if keys is not None and len(keys.key_blocks) > 1:
                out.append(ob)
    return out


def pick_objects(scene, names: list[str] | None, source: str) -> list:
    """The named objects of ``scene`` (error naming the missing ones), or every character's."""
    if names:
        missing = [n for n in names if scene.objects.get(n) is None]
        if missing:
            have = sorted(ob.name for ob in scene.objects)
            shown = ", ".join(have[:12]) + (", …" if len(have) > 12 else "")
            raise UsageError(
                f"{source}: no object named {', '.join(map(repr, missing))} in scene "
                f"{scene.name!r} (objects: {shown or 'none'})"
            )
        return [scene.objects[n] for n in names]
    objects = character_objects(scene)
    if not objects:
        raise NothingToMapError(
            f"{source}: no character in scene {scene.name!r}: "
            "no mesh with shape keys and no armature"
        )
    return objects


def input_file(args) -> Path | None:
    """The ``.blend`` a command reads: its FILE argument, else the file Blender opened (``blender
    -b FILE.blend -c microface …``; None when that file was never saved)."""
    if args.file:
        return existing_input(args.file)
    if args.file_is_open:
        return current_file()
    raise UsageError("no input file given")


def current_file() -> Path | None:
    import bpy

    return Path(bpy.data.filepath) if bpy.data.filepath else None
