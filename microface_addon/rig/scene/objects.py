"""Heads and eyes moved by objects: Face Cap's ``grp_transform`` head and ``grp_eyeLeft`` /
``grp_eyeRight`` eye empties.

Why: a capture head exported without an armature turns its head and eyes by rotating empties;
reading only bones, MicroFace reported "no head, no eye bones" and left gaze and head motion
out.  These objects are targets like bones (``ObjectRotationTarget``), composed over the user's
own keys by the same rules.

Found by evidence, not names:
- an *eye object* carries one round mesh (an eyeball, ``eyeballs.is_round``) and nothing else of
  the face, and is the topmost such object (``grp_eyeLeft``, not its child ``eyeLeft``); the two
  form a mirrored pair;
- the *head object* is the nearest empty above both eyes and the face mesh (``grp_transform``);
  without eye objects, an empty above the face named like a head;
- the character frame comes from geometry: forward is from the face's middle toward the eyes,
  up is world Z, so the left eye is the one on the character's left whatever it is called
  (Face Cap's ``grp_eyeLeft`` sits on the character's *right*: it is named from the viewer).

Objects deformed by or parented directly to the armature are the bones' business, not this
module's.  Reads the scene only.
"""

from __future__ import annotations

import numpy as np

from ..convention.names import side_of, words
from ..convention.rigmap import ObjectRoles
from .eyeballs import Eyeball, eyeball_of_object, is_round, world_coordinates

# Two eye objects mirror each other when their eyeballs' radii agree within this share.
RADIUS_TOLERANCE = 0.2


def _ancestors(obj) -> list:
    out, p = [], obj.parent
    while p is not None:
        out.append(p)
        p = p.parent
    return out


def _on_the_armature(mesh) -> bool:
    """Moved by bones: skinned (Armature modifier) or parented straight to an armature."""
    if any(m.type == "ARMATURE" and m.object is not None for m in mesh.modifiers):
        return True
    return mesh.parent is not None and mesh.parent.type == "ARMATURE"


def _eye_carriers(members, face_meshes: set[str]) -> dict[str, Eyeball]:
    """Object → the eyeball it carries, for the topmost object carrying exactly one round mesh
    and no face mesh."""
    out: dict[str, Eyeball] = {}
    names = {m.name for m in members}
    for obj in members:
        if obj.type not in {"EMPTY", "MESH"} or obj.name in face_meshes:
            continue
        meshes = [m for m in (obj, *obj.children_recursive) if m.type == "MESH"]
        if not meshes or any(m.name in face_meshes or _on_the_armature(m) for m in meshes):
            continue
        eye = eyeball_of_object(obj) if obj.type == "EMPTY" else _round_mesh(obj, meshes)
        if eye is None:
            continue
        parent = obj.parent
        parent_carries_only_it = (
            parent is not None
            and parent.name in names
            and not any(
                m.type == "MESH" and m.name != eye.mesh and not _small_part_of(m, eye)
                for m in parent.children_recursive
            )
        )
        if not parent_carries_only_it:
            out[obj.name] = eye
    return out


def _round_mesh(mesh, meshes) -> Eyeball | None:
    """A lone eyeball mesh, turned as an object itself."""
    if len(meshes) != 1:
        return None
    co = world_coordinates(mesh)
    return (
        Eyeball(mesh.name, np.arange(len(co)), co, np.ones(len(co)), "itself")
        if is_round(co)
        else None
    )


def _small_part_of(mesh, eye: Eyeball) -> bool:
    """A mesh inside the eyeball (a separate iris or cornea) belongs to it."""
    co = world_coordinates(mesh)
    return bool(len(co)) and np.linalg.norm(co.mean(axis=0) - eye.centre) < eye.radius


def _face(members, keyed) -> object | None:
    """The face: the mesh with the most shape keys that is no eyeball, else the largest mesh."""
    keyed_names = {m.name for m in keyed}
    meshes = [m for m in members if m.type == "MESH" and not is_round(world_coordinates(m))]

    def size(m) -> tuple[int, int]:
        keys = len(m.data.shape_keys.key_blocks) if m.name in keyed_names else 0
        return keys, len(m.data.vertices)

    return max(meshes, key=size, default=None)


def _frame(face, eyes: dict[str, Eyeball]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(left, up, forward) in world space: forward from the face's middle toward the eyes."""
    centres = [e.centre for e in eyes.values()]
    mid = np.mean(centres, axis=0)
    co = world_coordinates(face)
    middle = (co.min(axis=0) + co.max(axis=0)) / 2.0
    up = np.array([0.0, 0.0, 1.0])
    forward = mid - middle
    forward -= forward.dot(up) * up
    if np.linalg.norm(forward) < 1e-9:
        return None
    forward /= np.linalg.norm(forward)
    left = np.cross(up, forward)
    return left, up, forward


def find_object_roles(members, keyed_meshes) -> ObjectRoles | None:
    """Head and eye objects of a character (``members`` include its empties), or None."""
    if not any(
        m.type == "EMPTY" or (m.type == "MESH" and not _on_the_armature(m)) for m in members
    ):
        return None  # everything hangs on the armature: the bones' business
    face = _face(members, keyed_meshes)
    if face is None:
        return None
    carriers = _eye_carriers(members, {m.name for m in keyed_meshes} | {face.name})
    roles = ObjectRoles()
    eyes: dict[str, tuple[str, Eyeball]] = {}
    pair = _mirrored(carriers)
    if pair is not None:
        frame = _frame(face, {k: carriers[k] for k in pair})
        if frame is not None:
            left, up, forward = frame
            a, b = sorted(pair, key=lambda n: -float(carriers[n].centre @ left))
            eyes = {"L": (a, carriers[a]), "R": (b, carriers[b])}
            roles.left, roles.up, roles.forward = (
                tuple(map(float, v)) for v in (left, up, forward)
            )
            roles.eyes = {s: n for s, (n, _) in eyes.items()}
            how = (
                f"mirrored pair of objects carrying eyeballs ({carriers[a].mesh}, "
                f"{carriers[b].mesh}); sides by position"
            )
            named = [n for s, (n, _) in eyes.items() if side_of(n) not in (None, s)]
            if named:
                how += f" ({', '.join(named)}: named from the viewer's side)"
            roles.found_by["eyes"] = how
    head = _head_object(face, [members_by_name(members, n) for n in roles.eyes.values()])
    if head is not None:
        roles.head = head.name
        roles.found_by["head"] = (
            "nearest empty above the eyes and the face"
            if roles.eyes
            else "empty above the face named like a head"
        )
    return roles if roles else None


def members_by_name(members, name: str):
    return next(m for m in members if m.name == name)


def _mirrored(carriers: dict[str, Eyeball]) -> tuple[str, str] | None:
    """The two eye objects whose eyeballs match in size and sit apart (the best such pair)."""
    best = None
    names = sorted(carriers)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            ea, eb = carriers[a], carriers[b]
            ra, rb = ea.radius, eb.radius
            if abs(ra - rb) > RADIUS_TOLERANCE * max(ra, rb):
                continue
            gap = float(np.linalg.norm(ea.centre - eb.centre))
            if gap < 2.0 * max(ra, rb):
                continue
            cost = abs(ra - rb) / max(ra, rb)
            if best is None or cost < best[0]:
                best = (cost, a, b)
    return best[1:] if best else None


def _head_object(face, eye_objects):
    """The nearest empty above the face and every eye object; without eye objects, an empty
    above the face named like a head."""
    chains = [_ancestors(face)] + [[o, *_ancestors(o)] for o in eye_objects]
    if eye_objects:
        common = [p for p in chains[0] if all(p in c for c in chains[1:])]
        return next((p for p in common if p.type == "EMPTY"), None)
    return next((p for p in chains[0] if p.type == "EMPTY" and "head" in words(p.name)), None)
