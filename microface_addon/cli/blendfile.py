"""Opening and saving ``.blend`` files for the commands, and choosing the objects to work on.

Why here and not in ``bake``: these are the command line's choices (no scripts run from the
files a batch processes; the input is never the file written; every character by default), and
its promise about files: an input is checked whole before it is opened (Blender opens a file
cut short without a word), and a saved output is flushed, its structure read to the end and read
back by Blender before it may replace anything (Blender's writer reported success on a full disk).
"""

from __future__ import annotations

from pathlib import Path

from ..rig.convention.rigmap import NothingToMapError
from .blendcheck import DamagedBlend, check_blend
from .common import (
    UsageError,
    blender_chatter,
    discard,
    existing_input,
    fsync_path,
    one_line,
    temp_path,
    write_failure,
)


def check_input(path: Path) -> None:
    """Refuse an input ``.blend`` that is not whole (cut short, or not a ``.blend``)."""
    try:
        check_blend(path, trailing_ok=True)
    except DamagedBlend as exc:
        raise UsageError(
            f"input {path} is damaged: {exc}; MicroFace does not bake a file Blender would read "
            "only in part (copy it again from where it came from)"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read input {path}: {exc.strerror or exc}") from None


def open_blend(path: Path, debug: bool) -> None:
    """Load ``path`` as the current file, once it is known whole (scripts in it are not run: a
    batch tool runs no code from the files it processes)."""
    import bpy

    check_input(path)
    with blender_chatter(debug):
        try:
            bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False, use_scripts=False)
        except RuntimeError as exc:
            raise UsageError(f"cannot open {path}: {one_line(exc)}") from exc


def _read_back(path: Path) -> None:
    """Blender reads the saved file's list of data-blocks (it decompresses and walks every block
    to find it), without loading it into the session."""
    import bpy

    with bpy.data.libraries.load(str(path)) as (data_from, _data_to):
        if not data_from.scenes:
            raise DamagedBlend("Blender reads no scene in it")


def save_copy(final: Path, debug: bool, compress: bool | None = None) -> Path:
    """Save the open file as a copy under a temporary name beside ``final``; return that name
    once the copy is known whole: flushed to disk, its blocks read to the end (every byte it
    announces is on disk) and read back by Blender.  On any failure the temporary file is
    removed and ``OutputError`` says why ("the disk is full") — ``final`` was never touched.

    ``copy=True`` keeps the open file's own path, so the input is never the one written;
    ``compress`` None keeps the open file's own compression."""
    import bpy

    tmp = temp_path(final, ".blend")
    options = {} if compress is None else {"compress": compress}
    with blender_chatter(debug):
        try:
            bpy.ops.wm.save_as_mainfile(
                filepath=str(tmp), copy=True, check_existing=False, **options
            )
        except BaseException as exc:
            discard(tmp)
            if isinstance(exc, RuntimeError):
                raise write_failure(final, one_line(exc)) from exc
            raise
    try:
        if not tmp.is_file():
            raise DamagedBlend("Blender reported success but wrote nothing")
        fsync_path(tmp)
        check_blend(tmp)
        with blender_chatter(debug):
            _read_back(tmp)
    except OSError as exc:
        discard(tmp)
        raise write_failure(final, exc) from exc
    except DamagedBlend as exc:
        discard(tmp)
        incomplete = f"the disk is probably full: the saved copy is incomplete, {exc}"
        raise write_failure(final, incomplete) from exc
    except BaseException:
        discard(tmp)
        raise
    return tmp


def character_objects(scene) -> list:
    """Every object that can make up a character: armatures and meshes with shape keys, and
    collection instances showing a linked character (which the bake refuses with the fix)."""
    from ..bake.overrides import linked_instances

    out = []
    for ob in scene.objects:
        if ob.type == "ARMATURE":
            out.append(ob)
        elif ob.type == "MESH":
            keys = ob.data.shape_keys
            if keys is not None and len(keys.key_blocks) > 1:
                out.append(ob)
    return out + linked_instances(scene.objects)


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
