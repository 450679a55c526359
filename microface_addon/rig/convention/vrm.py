"""VRM files as Blender imports them: humanoid bone assignments an importer stored on the
armature, and the morph target names Blender's glTF importer loses.

Why read them: a VRM file says exactly which bone is the head, neck, eyes and jaw; when an
importer kept that, it beats any guess from names or geometry.  Two places are read, tolerant of
the VRM add-on being installed or not (its data survives as plain ID properties either way):
- VRM Add-on for Blender: ``armature.data["vrm_addon_extension"]`` with ``vrm0.humanoid.human_bones``
  (a list of ``{"bone": "head", "node": {"bone_name": …}}``) or ``vrm1.humanoid.human_bones``
  (``{"head": {"node": {"bone_name": …}}, "left_eye": …}``);
- older importers: custom properties on the armature object or data named after humanoid bones
  (``head``, ``neck``, ``leftEye`` …) whose value is a bone name.

Why the morph names: VRM 0.x keeps each mesh's blend-shape names in its *primitives'*
``extras.targetNames``; Blender's glTF importer reads only the mesh's, so the keys arrive as
``target_0``, ``target_1`` … and no convention can recognise them.  Detection says so
(``has_unnamed_targets``), and ``vrm-names`` puts the names back from the file's JSON
(``gltf_document``, ``morph_target_names``, ``restored_names``).
"""

from __future__ import annotations

import json
import os
import re
import struct
from pathlib import Path
from typing import Any

# VRM humanoid bone → MicroFace skeleton role (VRM 1.0 snake_case spellings included).
ROLE_OF = {
    "head": "head",
    "neck": "neck",
    "leftEye": "eye_L",
    "left_eye": "eye_L",
    "rightEye": "eye_R",
    "right_eye": "eye_R",
    "jaw": "jaw",
    "upperChest": "upper_chest",
    "upper_chest": "upper_chest",
    "chest": "chest",
    "spine": "spine",
    "hips": "root",
}


def _plain(value: Any) -> Any:
    """ID-property groups/arrays → plain dicts/lists (works with or without the add-on)."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    to_list = getattr(value, "to_list", None)
    if callable(to_list):
        return to_list()
    return value


def _bone_name(node: Any) -> str | None:
    node = _plain(node)
    if isinstance(node, dict):
        for key in ("bone_name", "value"):
            if isinstance(node.get(key), str) and node[key]:
                return node[key]
    return None


def _from_extension(ext: dict) -> dict[str, str]:
    found: dict[str, str] = {}
    vrm0 = (((ext.get("vrm0") or {}).get("humanoid") or {}).get("human_bones")) or []
    for item in vrm0 if isinstance(vrm0, list) else []:
        item = _plain(item)
        if isinstance(item, dict) and isinstance(item.get("bone"), str):
            name = _bone_name(item.get("node"))
            if name:
                found.setdefault(item["bone"], name)
    vrm1 = (((ext.get("vrm1") or {}).get("humanoid") or {}).get("human_bones")) or {}
    if isinstance(vrm1, dict):
        for bone, item in vrm1.items():
            item = _plain(item)
            name = _bone_name(item.get("node")) if isinstance(item, dict) else None
            if name:
                found.setdefault(bone, name)
    return found


def humanoid_bones(arm_obj) -> dict[str, str]:
    """MicroFace role → bone name from VRM metadata, only for bones that exist on the armature."""
    bones = arm_obj.data.bones
    raw: dict[str, str] = {}
    for owner in (arm_obj.data, arm_obj):
        ext = _plain(owner.get("vrm_addon_extension")) if hasattr(owner, "get") else None
        if isinstance(ext, dict):
            for k, v in _from_extension(ext).items():
                raw.setdefault(k, v)
    for owner in (arm_obj.data, arm_obj):
        for key in ROLE_OF:
            value = owner.get(key) if hasattr(owner, "get") else None
            if isinstance(value, str) and value:
                raw.setdefault(key, value)
    out: dict[str, str] = {}
    for vrm_name, bone in raw.items():
        role = ROLE_OF.get(vrm_name)
        if role and bone in bones:
            out.setdefault(role, bone)
    return out


# --- morph target names a glTF importer lost ----------------------------------------------------

# Blender's glTF importer names a morph target it finds no name for "target_<index>".
UNNAMED_TARGET = re.compile(r"^target_(\d+)$")
# A mesh whose keys are at least this share "target_N" lost its names on import.
UNNAMED_SHARE = 0.8
GLB_MAGIC = b"glTF"
GLB_JSON_CHUNK = 0x4E4F534A  # "JSON"


def has_unnamed_targets(key_names: list[str]) -> bool:
    """Keys called ``target_0`` … (two or more, nearly all of them): the importer found no
    names — a VRM 0.x file keeps them in each primitive's ``extras.targetNames``, which
    Blender's glTF importer does not read (it reads the mesh's)."""
    unnamed = sum(1 for n in key_names if UNNAMED_TARGET.match(n))
    return unnamed >= 2 and unnamed >= UNNAMED_SHARE * len(key_names)


def unnamed_targets_hint(meshes: list[str], count: int) -> str:
    """What to tell the user about meshes whose keys are ``target_0…target_<count-1>``."""
    return (
        f"{', '.join(meshes)}: shape keys named target_0…target_{count - 1}: a VRM 0.x file "
        "imported with Blender's glTF importer, which does not read the names VRM keeps in each "
        "primitive's extras. Import it with the VRM Add-on for Blender, or restore the names: "
        "python -m microface_addon vrm-names FILE.blend --from AVATAR.vrm --output OUT.blend"
    )


class GltfError(ValueError):
    """A .vrm/.glb/.gltf file that cannot be read (the message names the file and why)."""


def gltf_document(path: str | os.PathLike) -> dict:
    """The JSON document of a ``.gltf`` file or of a binary ``.glb``/``.vrm`` container."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise GltfError(f"{p}: cannot read: {exc}") from None
    try:
        if data[:4] == GLB_MAGIC:
            length, kind = struct.unpack_from("<II", data, 12)
            if kind != GLB_JSON_CHUNK:
                raise GltfError(f"{p}: the first chunk of this binary glTF is not JSON")
            return json.loads(data[20 : 20 + length].decode("utf-8"))
        return json.loads(data.decode("utf-8"))
    except (struct.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GltfError(f"{p}: not a glTF/VRM file ({exc})") from None


def morph_target_names(doc: dict) -> dict[str, list[str | None]]:
    """glTF mesh name (as Blender's importer names the mesh data: the mesh's ``name``, else
    ``Mesh_<index>``) → its morph target names, from the mesh's ``extras.targetNames`` or, as
    VRM 0.x writes them, the first primitive's; None where a target has no name."""
    out: dict[str, list[str | None]] = {}
    for i, mesh in enumerate(doc.get("meshes", [])):
        prims = mesh.get("primitives") or [{}]
        count = len(prims[0].get("targets") or [])
        names = (mesh.get("extras") or {}).get("targetNames") or (prims[0].get("extras") or {}).get(
            "targetNames"
        )
        if not count or not isinstance(names, list):
            continue
        listed = [n if isinstance(n, str) and n else None for n in names[:count]]
        out[mesh.get("name") or f"Mesh_{i}"] = listed + [None] * (count - len(listed))
    return out


def restored_names(mesh_name: str, key_names: list[str], names: dict) -> dict[str, str]:
    """``target_N`` key → its name from ``morph_target_names`` for one Blender mesh datablock
    (``mesh_name`` may carry Blender's ``.001`` suffix); empty when nothing matches."""
    base = re.sub(r"\.\d{3}$", "", mesh_name)
    listed = names.get(base)
    if listed is None:
        return {}
    out = {}
    for key in key_names:
        m = UNNAMED_TARGET.match(key)
        if m and int(m[1]) < len(listed) and listed[int(m[1])]:
            out[key] = listed[int(m[1])]
    return out
