"""Control-bone targets measured on the character: how far a lid control must travel to close
the eye, which way "up" or "outward" is for this bone, which axis is pitch in its rest space.

Why measure: a control-bone face (Rigify, Auto-Rig Pro) has no blink slider — a blink is the
upper-lid control moving onto the lower lid, and that distance is a few millimetres on a stylised
child and a centimetre on a large adult.  Profiles name the bones and the fraction of a *measured*
rest distance (the lid gap, the mouth width, the eye-to-target lever), so one profile gives a
closing blink on any head size.  Everything here reads rest data only (``Bone.head_local`` in
armature space), never the current pose, so the result does not depend on the frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import bpy
from mathutils import Vector

from ...core.channels import CHANNELS
from ..convention.names import NameIndex, is_helper
from ..convention.profiles import Control
from ..convention.rigmap import BoneLocationTarget, BoneTarget, Skeleton


@dataclass
class Calibrated:
    targets: list  # BoneTarget | BoneLocationTarget
    measured: dict[str, float]  # label → distance (armature units)
    problems: list[str]  # why a control could not be used


def frame_axes(sk: Skeleton) -> dict[str, Vector]:
    """Canonical rotation axes in armature space (docs/channels.md): pitch + = up = about the
    character's right (−left), yaw + = toward the character's left = about up, roll + = top toward
    the left shoulder = about −forward."""
    left, up, fwd = Vector(sk.left), Vector(sk.up), Vector(sk.forward)
    return {"pitch": -left, "yaw": up, "roll": -fwd}


def local_axis(arm_obj, bone_name: str, axis_arm: Vector) -> tuple[float, float, float]:
    """``axis_arm`` (armature space) in the bone's rest space: the space of its pose channels."""
    rest = arm_obj.data.bones[bone_name].matrix_local.to_3x3()
    v = (rest.inverted() @ axis_arm).normalized()
    return (v.x, v.y, v.z)


def _mid_plane_point(arm_obj, sk: Skeleton) -> Vector:
    if sk.head and sk.head in arm_obj.data.bones:
        return arm_obj.data.bones[sk.head].head_local
    return Vector((0.0, 0.0, 0.0))


def direction(words, bone_name: str, arm_obj, sk: Skeleton) -> Vector:
    """Sum of character-frame direction words for ``bone_name``, normalised (armature space)."""
    left, up, fwd = Vector(sk.left), Vector(sk.up), Vector(sk.forward)
    rel = arm_obj.data.bones[bone_name].head_local - _mid_plane_point(arm_obj, sk)
    outward = left if rel.dot(left) >= 0 else -left
    table = {
        "up": up,
        "down": -up,
        "forward": fwd,
        "back": -fwd,
        "left": left,
        "right": -left,
        "outward": outward,
        "inward": -outward,
    }
    v = sum((table[w] for w in words), Vector((0.0, 0.0, 0.0)))
    return v.normalized() if v.length > 1e-9 else v


class _Unmeasurable(Exception):
    """A control's travel cannot be measured on this armature (the message says why)."""


def _travel(c: Control, bone: str, arm_obj, sk: Skeleton, index: NameIndex):
    """(distance, unit direction in armature space, label of what was measured) that ``bone``
    travels at 1.0: toward another bone, or along direction words by a measured or fixed
    distance.  Raises ``_Unmeasurable``."""
    bones = arm_obj.data.bones
    if c.toward:
        other = index.find(c.toward)
        if other is None:
            raise _Unmeasurable(f"bone {c.toward!r} (to move {bone!r} toward) not found")
        vec = bones[other].head_local - bones[bone].head_local
        return vec.length, vec.normalized(), f"{bone}→{other}"
    if c.distance_m is not None:
        dist, label = c.distance_m, f"{bone}: fixed"
    else:
        a, b = (index.find(n) for n in c.distance_between)
        if a is None or b is None:
            missing = [n for n, f in zip(c.distance_between, (a, b), strict=True) if not f]
            raise _Unmeasurable(f"cannot measure {bone!r}: {', '.join(missing)} not found")
        dist = (bones[a].head_local - bones[b].head_local).length
        label = f"{a}↔{b}"
    return dist, direction(c.direction, bone, arm_obj, sk), label


def calibrate(
    channel: str,
    controls,
    arm_obj: bpy.types.Object,
    sk: Skeleton,
    never_write: tuple[str, ...] = (),
    index: NameIndex | None = None,
) -> Calibrated:
    """Turn a profile's ``controls`` for ``channel`` into bone targets measured on ``arm_obj``
    (``index``: the armature's bone names, when the caller already has them indexed)."""
    index = index or NameIndex([b.name for b in arm_obj.data.bones])
    bones = arm_obj.data.bones
    out = Calibrated([], {}, [])
    angle = CHANNELS[channel].kind == "angle"
    for c in controls:
        c: Control
        bone = index.find(c.bone)
        if bone is None:
            out.problems.append(f"control bone {c.bone!r} not on {arm_obj.name}")
            continue
        if is_helper(bone, never_write):
            out.problems.append(f"{bone!r} is a mechanism/deform bone; MicroFace never keys it")
            continue
        if c.rotate:
            axis = frame_axes(sk)[c.rotate]
            out.targets.append(
                BoneTarget(channel, arm_obj.name, bone, local_axis(arm_obj, bone, axis), c.gain)
            )
            continue
        if bones[bone].use_connect:
            out.problems.append(f"{bone!r} is connected to its parent and cannot translate")
            continue
        try:
            dist, dir_arm, label = _travel(c, bone, arm_obj, sk, index)
        except _Unmeasurable as exc:
            out.problems.append(str(exc))
            continue
        if dist <= 1e-7 or dir_arm.length < 0.5:
            out.problems.append(f"{bone!r}: measured distance {label} is zero")
            continue
        out.measured[label] = dist
        gain_m = c.gain * dist * (math.pi / 180.0 if angle else 1.0)
        out.targets.append(
            BoneLocationTarget(
                channel, arm_obj.name, bone, local_axis(arm_obj, bone, dir_arm), gain_m
            )
        )
    return out
