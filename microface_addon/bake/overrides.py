"""Linked and library-overridden characters: where a layer can be saved, and making it so.

Why: studios bring characters into shots by linking them from a library file and making a
library override.  Blender saves NLA tracks, blend types and values on an override ID (as
override operations, verified on 4.2 and 5.2) but nothing on linked data: a layer written onto a
linked ID is gone when the shot is saved.  A hierarchy override (Object ▸ Library Override ▸
Make) overrides the objects but leaves their mesh data linked, and with it the Key holding the
shape keys — so the face lost its layer while the rig kept its own.  Here:

- ``refuse_linked(objects)`` — a character that is only linked (its objects, or a collection
  instance of linked objects) is refused with the fix: make it a library override.
- ``editable_shape_keys(mesh_object)`` — an overridden (or local) object whose mesh is still
  linked gets an override of that mesh, for that object only (as Blender's own "Make Library Override" on
  the mesh does), so its Key is an override too and keeps the layer in the shot file.  What was
  made is returned so a failed bake can undo it and ``Remove`` can put the linked mesh back.
- ``saved_where(idb)`` — what the report says about each ID written.

Custom properties added to an override ID are *not* saved (checked on 4.2 and 5.2), so the
layer's record is also kept on the layer's own action (``layer.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import bpy

from ..core.limits import InputError


class LinkedDataError(InputError):
    """A character that is only linked from a library: Blender would not save its layer."""


@dataclass(frozen=True)
class MadeOverride:
    """A mesh override made so that an object's shape keys can carry the layer."""

    object_name: str
    mesh_name: str  # the override's name (local)


HOW_TO_OVERRIDE = (
    "Blender saves no animation on linked data: make it a library override (in Blender select "
    "it, Object > Library Override > Make > Selected & Content; in Python "
    "collection.override_hierarchy_create(scene, view_layer, do_fully_editable=True)), save the "
    "shot and bake again — or leave it out with --objects"
)


def _library_name(idb) -> str:
    lib = idb.library
    return lib.filepath or lib.name if lib is not None else ""


def is_linked(idb) -> bool:
    """Linked from a library and not overridden: Blender does not save changes to it."""
    return idb is not None and idb.library is not None


def _instanced_characters(ob) -> list:
    """The armatures and meshes with shape keys a collection instance shows."""
    coll = ob.instance_collection if ob.instance_type == "COLLECTION" else None
    if coll is None:
        return []
    return [
        o
        for o in coll.all_objects
        if o.type == "ARMATURE" or (o.type == "MESH" and o.data.shape_keys is not None)
    ]


def linked_instances(objects) -> list:
    """The collection-instance empties among ``objects`` that show a linked character."""
    return [
        ob
        for ob in objects
        if ob is not None
        and ob.type == "EMPTY"
        and ob.instance_collection is not None
        and any(is_linked(o) for o in _instanced_characters(ob))
    ]


def refuse_linked(objects, members_of_characters) -> None:
    """``LinkedDataError`` naming every character of ``objects`` that is only linked (an object
    of it, or a collection instance showing one), with the way to override it."""
    found = []
    for ob in linked_instances(objects):
        lib = next(_library_name(o) for o in _instanced_characters(ob) if is_linked(o))
        found.append(
            f"{ob.name!r} (an instance of collection {ob.instance_collection.name!r} from {lib})"
        )
    for members in members_of_characters:
        linked = [m for m in members if is_linked(m)]
        if linked:
            found.append(f"{members[0].name!r} (linked from {_library_name(linked[0])})")
    if found:
        what = "character " + found[0] if len(found) == 1 else "characters " + ", ".join(found)
        raise LinkedDataError(f"{what} cannot keep a layer: {HOW_TO_OVERRIDE}")


def editable_shape_keys(mesh_object) -> MadeOverride | None:
    """Make ``mesh_object``'s shape keys savable: when the object is a library override (or
    local) but its mesh (and so its Key) is still linked, override the mesh for this object
    only (two overrides of one character must not share a face).  Returns what was made, or
    None when there was nothing to do."""
    mesh = mesh_object.data
    if is_linked(mesh_object) or not is_linked(mesh) or mesh.shape_keys is None:
        return None
    override = mesh.override_create(remap_local_usages=False)
    if override is None:
        raise LinkedDataError(
            f"{mesh_object.name!r}: Blender could not make an override of its linked mesh "
            f"{mesh.name!r} from {_library_name(mesh)}; {HOW_TO_OVERRIDE}"
        )
    mesh_object.data = override
    return MadeOverride(mesh_object.name, override.name)


def _local_object(name: str):
    return bpy.data.objects.get((name, None))


def _holds_changes(key, ref_key) -> bool:
    """Whether an overridden Key differs from its library's: values, mutes, animation."""
    if key is None or ref_key is None:
        return key is not ref_key
    for kb in key.key_blocks:
        ref = ref_key.key_blocks.get(kb.name)
        if ref is None or ref.value != kb.value or ref.mute != kb.mute:
            return True
    ad, ref_ad = key.animation_data, ref_key.animation_data
    if (ad is None) != (ref_ad is None):
        return True
    return ad is not None and (
        ad.action != ref_ad.action
        or ad.action_blend_type != ref_ad.action_blend_type
        or len(ad.nla_tracks) != len(ref_ad.nla_tracks)
    )


def undo_override(made: MadeOverride, force: bool = False) -> bool:
    """Give the object back its linked mesh and delete the override made for it — unless the
    override now holds the user's own changes (shape-key values, animation), which ``Remove``
    keeps; ``force`` (a failed bake rolling back) undoes it regardless.  True when undone."""
    ob = _local_object(made.object_name)
    mesh = bpy.data.meshes.get((made.mesh_name, None))
    if ob is None or mesh is None or mesh.override_library is None:
        return False
    reference = mesh.override_library.reference
    if reference is None:
        return False
    if not force and _holds_changes(mesh.shape_keys, reference.shape_keys):
        return False
    if ob.data == mesh:
        ob.data = reference
    if mesh.users == 0:
        bpy.data.meshes.remove(mesh)
    return True


def saved_where(idb) -> str:
    """Where the layer on ``idb`` is saved, for the report."""
    if idb.override_library is not None:
        reference = idb.override_library.reference
        lib = _library_name(reference) if reference is not None else "a library"
        return f"shot file, as a library override of {lib}"
    owner = getattr(idb, "user", None)  # a Key: the mesh it belongs to
    if owner is not None and owner.override_library is not None:
        reference = owner.override_library.reference
        lib = _library_name(reference) if reference is not None else "a library"
        return f"shot file, on the shape keys of the library override {owner.name!r} ({lib})"
    return "shot file"
