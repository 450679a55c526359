"""Find the head, neck chain, chest, eyes and jaw of an armature from its hierarchy and geometry.

Why not by name: every rig names bones differently (``head``, ``Head``, ``CC_Base_Head``,
``J_Bip_C_Head``…).  The eyes are the most recognisable thing on a face rig — a left/right pair
mirrored across the body's mid-plane — so we find them first and read the rest off the
hierarchy: the head is where the eyes hang, the neck is the chain below it, the chest is where
that chain meets the body.  Names only break ties.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import bpy
from mathutils import Vector

from .names import normalise

# Rigify/ARP helper layers that must never be keyed: deform, mechanism and original bones.
HELPER_PREFIXES = ("DEF-", "MCH-", "ORG-", "VIS_", "WGT-")


@dataclass
class Skeleton:
    head: str | None = None
    neck: list[str] = field(default_factory=list)  # bottom → top
    chest: str | None = None
    eyes: dict[str, str] = field(default_factory=dict)  # "L"/"R" → bone
    jaw: str | None = None
    forward: tuple[float, float, float] = (0.0, -1.0, 0.0)  # armature space
    up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    left: tuple[float, float, float] = (1.0, 0.0, 0.0)

    def as_report(self) -> dict:
        return {
            "head": self.head,
            "neck": list(self.neck),
            "chest": self.chest,
            "eyes": dict(self.eyes),
            "jaw": self.jaw,
            "forward": [round(v, 3) for v in self.forward],
        }


def _usable(bone: bpy.types.Bone) -> bool:
    return not bone.name.startswith(HELPER_PREFIXES)


def _side(name: str) -> str | None:
    n = normalise(name)
    if n.endswith("left") or n.startswith("left") or "left" in n:
        return "L"
    if n.endswith("right") or n.startswith("right") or "right" in n:
        return "R"
    return None


def _ancestors(bone: bpy.types.Bone) -> list[bpy.types.Bone]:
    out = []
    p = bone.parent
    while p is not None:
        out.append(p)
        p = p.parent
    return out


def _find_eyes(bones) -> dict[str, bpy.types.Bone]:
    cands = [b for b in bones if _usable(b) and "eye" in normalise(b.name)]
    cands = [
        b
        for b in cands
        if not any(w in normalise(b.name) for w in ("lid", "brow", "lash", "target", "socket"))
    ]
    best: tuple[float, bpy.types.Bone, bpy.types.Bone] | None = None
    for a in cands:
        for b in cands:
            if a is b or _side(a.name) != "L" or _side(b.name) != "R":
                continue
            pa, pb = a.head_local, b.head_local
            mirror = Vector((-pb.x, pb.y, pb.z))
            err = (pa - mirror).length / max((pa - pb).length, 1e-6)
            # Prefer mirrored pairs sharing a parent and with short names (eye.L over eye_fk.L).
            cost = err + (0 if a.parent == b.parent else 0.5) + 0.01 * len(a.name)
            if best is None or cost < best[0]:
                best = (cost, a, b)
    if best is None or best[0] > 1.0:
        return {}
    return {"L": best[1], "R": best[2]}


def find_skeleton(arm_obj: bpy.types.Object) -> Skeleton:
    bones = arm_obj.data.bones
    sk = Skeleton()
    eyes = _find_eyes(bones)
    head = None
    if eyes:
        sk.eyes = {s: b.name for s, b in eyes.items()}
        common = [a for a in _ancestors(eyes["L"]) if a in _ancestors(eyes["R"])]
        usable = [a for a in common if _usable(a)]
        head = usable[0] if usable else (common[0] if common else None)
    if head is None:
        named = [b for b in bones if _usable(b) and "head" in normalise(b.name)]
        named.sort(key=lambda b: (normalise(b.name) != "head", len(b.name)))
        head = named[0] if named else None
    if head is None:
        return sk
    sk.head = head.name
    # Neck: the chain below the head while it is named like a neck; otherwise one parent.
    chain = []
    p = head.parent
    while p is not None and "neck" in normalise(p.name):
        chain.append(p)
        p = p.parent
    if not chain and head.parent is not None and head.parent.parent is not None:
        chain = [head.parent]
        p = head.parent.parent
    sk.neck = [b.name for b in reversed(chain)]
    if p is not None:
        sk.chest = p.name
    # Jaw: a usable descendant of the head that is not an eye, preferring "jaw" names, else the
    # child whose tail points most downward/forward from below the eyes.
    eye_names = set(sk.eyes.values())
    desc = [b for b in head.children_recursive if _usable(b) and b.name not in eye_names]
    named = [b for b in desc if "jaw" in normalise(b.name)]
    if named:
        named.sort(key=lambda b: (len(_ancestors(b)), len(b.name)))
        sk.jaw = named[0].name
    # Character frame from the eyes: forward is from the head towards the eyes' midpoint.
    if eyes:
        mid = (eyes["L"].head_local + eyes["R"].head_local) / 2
        fwd = mid - head.head_local
        fwd.z = 0.0
        left = eyes["L"].head_local - eyes["R"].head_local
        left.z = 0.0
        if left.length > 1e-6:
            left.normalize()
            up = Vector((0.0, 0.0, 1.0))
            fwd2 = left.cross(up)  # left × up = forward for a right-handed frame
            if fwd.length > 1e-6 and fwd2.dot(fwd) < 0:
                fwd2 = -fwd2
            sk.forward = tuple(fwd2.normalized())
            sk.left = tuple(left)
            sk.up = (0.0, 0.0, 1.0)
    return sk
