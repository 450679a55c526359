"""``vrm-names``: give back the shape-key names a VRM 0.x file lost on import.

Why: VRM 0.x keeps each mesh's blend-shape names in its primitives' ``extras.targetNames``;
Blender's glTF importer reads only the mesh's, so the keys arrive as ``target_0``,
``target_1`` … and no convention recognises them (``inspect`` and ``bake`` say so).  This reads
the names from the ``.vrm``'s own JSON and renames the keys in a copy of the ``.blend``; the input
is never changed.  (Importing with the VRM Add-on for Blender keeps the names in the first
place.)
"""

from __future__ import annotations

import argparse
import os

from ..rig.convention import vrm
from ..rig.convention.rigmap import NothingToMapError
from .blendfile import input_file, open_blend, save_copy
from .common import EXIT_OK, UsageError, add_common_arguments, destination, discard, existing_input


def add_vrm_names_arguments(parser: argparse.ArgumentParser, file_is_open: bool) -> None:
    parser.add_argument(
        "file",
        nargs="?" if file_is_open else None,
        metavar="FILE.blend",
        help="the file the VRM was imported into"
        + (" (default: the file Blender opened)" if file_is_open else ""),
    )
    parser.add_argument(
        "--from",
        dest="gltf",
        required=True,
        metavar="AVATAR.vrm",
        help="the .vrm (or .glb/.gltf) the avatar was imported from",
    )
    parser.add_argument(
        "--output", "-o", required=True, metavar="OUT.blend", help="where to write the copy"
    )
    add_common_arguments(parser)


def rename_targets(objects, names: dict) -> dict[str, int]:
    """Rename ``target_N`` keys of ``objects``' meshes from ``vrm.morph_target_names``; returns
    mesh object → keys renamed.  Linked duplicates share one key datablock: renamed once."""
    done: dict[str, int] = {}
    seen = set()
    for ob in objects:
        key = ob.data.shape_keys if ob.type == "MESH" else None
        if key is None or key.name in seen:
            continue
        seen.add(key.name)
        blocks = key.key_blocks
        new = vrm.restored_names(ob.data.name, [kb.name for kb in blocks], names)
        for old, name in new.items():
            blocks[old].name = name
        if new:
            done[ob.name] = len(new)
    return done


def run_vrm_names(args: argparse.Namespace) -> int:
    gltf = existing_input(args.gltf)
    try:
        names = vrm.morph_target_names(vrm.gltf_document(gltf))
    except vrm.GltfError as exc:
        raise UsageError(str(exc)) from None
    if not names:
        raise UsageError(f"{gltf}: no mesh in it names its morph targets (no targetNames)")
    output = destination(args.output, "output")
    source = input_file(args)
    if source is not None and source == output:
        raise UsageError(f"refusing to overwrite {output}: it is the input")

    import bpy

    if args.file:
        open_blend(source, args.debug)
    done = rename_targets(bpy.data.objects, names)
    if not done:
        raise NothingToMapError(
            f"{source or 'open file'}: no mesh has keys named target_N matching the meshes of "
            f"{gltf.name} ({', '.join(sorted(names))})"
        )
    tmp = save_copy(output, args.debug)
    try:
        os.replace(tmp, output)
    except OSError:
        discard(tmp)
        raise
    for ob, n in sorted(done.items()):
        print(f"{ob}: {n} shape keys named from {gltf.name}")
    print(f"wrote {output}")
    return EXIT_OK
