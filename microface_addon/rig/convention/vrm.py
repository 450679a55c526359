"""VRM humanoid bone assignments stored on an armature by VRM importers.

Why read them: a VRM file says exactly which bone is the head, neck, eyes and jaw; when an
importer kept that, it beats any guess from names or geometry.  Two places are read, tolerant of
the VRM add-on being installed or not (its data survives as plain ID properties either way):
- VRM Add-on for Blender: ``armature.data["vrm_addon_extension"]`` with ``vrm0.humanoid.human_bones``
  (a list of ``{"bone": "head", "node": {"bone_name": …}}``) or ``vrm1.humanoid.human_bones``
  (``{"head": {"node": {"bone_name": …}}, "left_eye": …}``);
- older importers: custom properties on the armature object or data named after humanoid bones
  (``head``, ``neck``, ``leftEye`` …) whose value is a bone name.
"""

from __future__ import annotations

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
