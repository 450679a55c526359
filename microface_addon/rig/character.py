"""Which objects make up a character.

Why: animators select whatever is handy (the face mesh, the armature, the eyelashes); the
character is the armature plus every mesh it deforms or parents, or a lone mesh with shape keys.
"""

from __future__ import annotations

import bpy


def armature_of(obj: bpy.types.Object) -> bpy.types.Object | None:
    if obj.type == "ARMATURE":
        return obj
    for mod in getattr(obj, "modifiers", ()):
        if mod.type == "ARMATURE" and mod.object is not None:
            return mod.object
    p = obj.parent
    while p is not None:
        if p.type == "ARMATURE":
            return p
        p = p.parent
    return None


def _meshes_of(arm: bpy.types.Object) -> list[bpy.types.Object]:
    out = []
    for ob in bpy.data.objects:
        if ob.type == "MESH" and armature_of(ob) == arm:
            out.append(ob)
    return out


def characters_of(objects) -> list[list[bpy.types.Object]]:
    """Group ``objects`` into characters: ``[[armature?, mesh, …], …]``, each listed once.

    The first member is the armature when there is one.  Objects that are neither armatures nor
    meshes (cameras, lights, empties) are ignored.
    """
    seen: set[str] = set()
    groups: list[list[bpy.types.Object]] = []
    for obj in objects:
        if obj is None or obj.name in seen or obj.type not in {"ARMATURE", "MESH"}:
            continue
        arm = armature_of(obj)
        if arm is not None:
            members = [arm] + sorted(_meshes_of(arm), key=lambda o: o.name)
        else:
            members = [obj] + sorted(
                (c for c in obj.children_recursive if c.type == "MESH"), key=lambda o: o.name
            )
        members = [m for m in members if m.name not in seen]
        if not members:
            continue
        seen.update(m.name for m in members)
        groups.append(members)
    return groups


def character_id(members: list[bpy.types.Object]) -> str:
    """Stable id seeding this character's random streams: its armature's (or first mesh's) name."""
    return members[0].name
