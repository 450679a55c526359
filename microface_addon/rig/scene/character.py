"""Which objects make up a character.

Why: animators select whatever is handy (the face mesh, the armature, the eyelashes, the teeth);
the character is the armature plus every mesh it deforms (Armature modifier) or that hangs
below it (object, bone or empty parenting, at any depth: eyelashes parented to the face, teeth
parented to a jaw bone, a head mesh under an empty under a bone).  A character without an
armature (a Face Cap / ARKit head) is every mesh under its top-most empty, so the eyes and
teeth beside the face come along.  The empties on the way belong to it too: they may turn the
head or the eyes (Face Cap's ``grp_transform``, ``grp_eyeLeft``).
"""

from __future__ import annotations

import bpy


def _armature_modifier_target(obj: bpy.types.Object) -> bpy.types.Object | None:
    for mod in getattr(obj, "modifiers", ()):
        if mod.type == "ARMATURE" and mod.object is not None:
            return mod.object
    return None


def armature_of(obj: bpy.types.Object) -> bpy.types.Object | None:
    """The armature ``obj`` belongs to: itself, its Armature modifier's, or an ancestor's."""
    p = obj
    while p is not None:
        if p.type == "ARMATURE":
            return p
        target = _armature_modifier_target(p)
        if target is not None:
            return target
        p = p.parent
    return None


def _top_empty(obj: bpy.types.Object) -> bpy.types.Object | None:
    top = None
    p = obj.parent
    while p is not None:
        if p.type == "EMPTY":
            top = p
        p = p.parent
    return top


def _meshes_of(arm: bpy.types.Object) -> list[bpy.types.Object]:
    return [ob for ob in bpy.data.objects if ob.type == "MESH" and armature_of(ob) == arm]


def _meshes_under(root: bpy.types.Object) -> list[bpy.types.Object]:
    return [ob for ob in root.children_recursive if ob.type == "MESH" and armature_of(ob) is None]


def _empties_carrying(meshes, root: bpy.types.Object | None) -> list[bpy.types.Object]:
    """The empties between ``meshes`` and ``root`` (the armature, or the top-most empty, which
    is included): they may move the head or the eyes (Face Cap's ``grp_transform``,
    ``grp_eyeLeft``), so they belong to the character."""
    found: dict[str, bpy.types.Object] = {}
    for mesh in meshes:
        p = mesh.parent
        while p is not None and p != root:
            if p.type == "EMPTY":
                found[p.name] = p
            p = p.parent
        if p is None and root is not None and root.type == "ARMATURE":
            # Not below the armature at all (deformed by it, parented elsewhere): none of these.
            for name in [n for n, e in found.items() if root not in _ancestors(e)]:
                del found[name]
    if root is not None and root.type == "EMPTY":
        found[root.name] = root
    return sorted(found.values(), key=lambda o: o.name)


def _ancestors(obj: bpy.types.Object) -> list[bpy.types.Object]:
    out, p = [], obj.parent
    while p is not None:
        out.append(p)
        p = p.parent
    return out


def _entry_points(obj: bpy.types.Object) -> list[bpy.types.Object]:
    """A selected empty stands for the armatures and meshes below it."""
    if obj.type in {"ARMATURE", "MESH"}:
        return [obj]
    if obj.type == "EMPTY":
        return [c for c in obj.children_recursive if c.type in {"ARMATURE", "MESH"}]
    return []


def characters_of(objects) -> list[list[bpy.types.Object]]:
    """Group ``objects`` into characters: ``[[armature?, mesh, …, empty, …], …]``, each listed
    once.

    The first member is the armature when there is one (else the mesh with the most keys); the
    empties between the meshes and the armature (or the top-most empty) come last.  Cameras and
    lights are ignored; a selected empty stands for what hangs below it.
    """
    seen: set[tuple[str, str]] = set()
    groups: list[list[bpy.types.Object]] = []
    for picked in objects:
        if picked is None:
            continue
        for obj in _entry_points(picked):
            if _identity(obj) in seen:
                continue
            arm = armature_of(obj)
            if arm is not None:
                meshes = sorted(_meshes_of(arm), key=lambda o: o.name)
                members = [arm, *meshes, *_empties_carrying(meshes, arm)]
            else:
                top = _top_empty(obj)
                meshes = _meshes_under(top) if top is not None else []
                if obj not in meshes:
                    meshes = [obj] + [c for c in obj.children_recursive if c.type == "MESH"]
                    top = None
                # The mesh with the most shape keys first: it names the character.
                meshes.sort(key=lambda o: (-_key_count(o), o.name))
                members = [*meshes, *_empties_carrying(meshes, top)]
            members = [m for m in members if _identity(m) not in seen]
            if not members:
                continue
            seen.update(_identity(m) for m in members)
            groups.append(members)
    return groups


def _identity(ob: bpy.types.Object) -> tuple[str, str]:
    """An object's name is unique only within its file: a library override and the linked
    object it overrides share it."""
    return ob.name, ob.library.filepath if ob.library is not None else ""


def _key_count(ob: bpy.types.Object) -> int:
    key = ob.data.shape_keys if ob.type == "MESH" else None
    return len(key.key_blocks) if key else 0


# Custom property on a character's first member (its armature, or its main mesh) holding the
# identity its random streams are seeded from, stamped by the bake (``bake.transaction``) and
# removed with the layer.
IDENTITY_PROP = "microface_character"


def character_id(members: list[bpy.types.Object]) -> str:
    """The identity seeding this character's random streams.

    A character never baked is its armature's (or main mesh's) name, as it always was, so
    existing bakes of existing names stay bit-identical.  The bake stamps that identity on the
    object (``IDENTITY_PROP``), so after a rename the same seed still gives the same motion.  A
    copy of a baked object (Shift+D) carries its original's stamp: of several objects with one
    stamp, the one named like the stamp keeps it (or, all renamed, the first by name) and the
    others are themselves again, by name.
    """
    owner = members[0]
    stamp = owner.get(IDENTITY_PROP)
    if isinstance(stamp, str) and stamp and _keeps_stamp(owner, stamp):
        return stamp
    return owner.name


def _keeps_stamp(owner: bpy.types.Object, stamp: str) -> bool:
    holders = sorted(ob.name for ob in bpy.data.objects if ob.get(IDENTITY_PROP) == stamp)
    if len(holders) < 2:
        return True
    return owner.name == (stamp if stamp in holders else holders[0])
