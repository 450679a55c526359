"""One source per moved part, on the scene: gather every control detection mapped onto each part
(``rig.convention.parts.PARTS``), measure the eyeballs, let ``decide`` pick one driver, drop the
others' targets and calibrate the driver's gaze gains on the eyeball's geometry.

Why after mapping: each convention maps its own way (profiles map ``eyeLook*`` keys, the
skeleton maps eye bones, object roles map empties), so only here, with everything mapped, can
two sources of one eyeball be seen and one chosen (``docs/rigs.md``, "One source per part").

Gaze calibration: the driver of an eyeball is measured on the eyeball (``eyeballs.py``) and
its gains set so one degree of the solver's eye angle turns the eyeball one degree — a bone that
carries the eyeball at weight 0.8 gets gain 1.25, an ``eyeLookOut`` morph sculpted to 40° gets
1/40 instead of ARKit's documented 1/30.  Where no eyeball can be measured the documented
defaults stay, and ``eyeLook*`` keys beside an eye bone are presumed to bend the lids and kept.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import bpy
import numpy as np

from ..convention.parts import (
    BONE,
    CONTROL,
    DRIVEN,
    OBJECT,
    OVERRIDE,
    PARTS,
    SHAPE_KEYS,
    Candidate,
    decide,
    part_kind,
)
from ..convention.rigmap import (
    BoneTarget,
    ObjectRotationTarget,
    RigMap,
    ShapeKeyTarget,
)
from .eyeballs import (
    Eyeball,
    Skins,
    bone_head_world,
    bone_turn,
    eyeball_by_name,
    eyeball_of_bone,
    eyeball_of_object,
    shape_key_turn,
)

# A control turning the eyeball by less than this (degrees at 1.0 of a key, or per degree ×
# this for rotations) does not move it.
MIN_TURN_DEG = 0.5
# A vertex share below this is not carried.
MIN_SHARE = 0.01


@dataclass
class _Group:
    """Targets of one part that come from one control (one candidate)."""

    kind: str
    label: str
    targets: list
    mesh: str | None = None  # shape keys of one mesh (eyes)
    owner: str | None = None  # the bone or object rotated (eyes)


def _kind(t, source: str, overridden: set[str]) -> str:
    if t.channel in overridden:
        return OVERRIDE
    if isinstance(t, ShapeKeyTarget):
        return SHAPE_KEYS
    if isinstance(t, ObjectRotationTarget):
        return OBJECT
    if source.startswith("driver of"):
        return DRIVEN
    if isinstance(t, BoneTarget) and source == "skeleton":
        return BONE
    return CONTROL


def _groups(part: str, rigmap: RigMap, source_of: dict) -> list[_Group]:
    channels = PARTS[part]
    overridden = set(rigmap.overridden)
    out: dict[tuple, _Group] = {}
    for t in rigmap.targets():
        if t.channel not in channels:
            continue
        kind = _kind(t, source_of.get(t, ""), overridden)
        if kind == SHAPE_KEYS:
            key = (kind, t.mesh if part_kind(part) == "eye" else "")
            name, mesh, owner = t.key_block, t.mesh, None
        elif kind == OBJECT:
            key, name, mesh, owner = (kind, t.obj), t.obj, None, t.obj
        elif kind == OVERRIDE:
            key, name, mesh, owner = (kind,), _target_name(t), None, None
        else:
            key, name, mesh, owner = (kind,), f"{t.armature}:{t.bone}", None, t.bone
        g = out.setdefault(key, _Group(kind, "", [], mesh, owner))
        g.targets.append(t)
        if name not in g.label.split(", "):
            g.label = f"{g.label}, {name}" if g.label else name
    for g in out.values():
        if g.kind == SHAPE_KEYS:
            meshes = sorted({t.mesh for t in g.targets})
            g.label = f"{g.label} on {', '.join(meshes)}"
    return list(out.values())


def _target_name(t) -> str:
    if isinstance(t, ShapeKeyTarget):
        return f"{t.mesh}:{t.key_block}"
    if isinstance(t, ObjectRotationTarget):
        return t.obj
    return f"{t.armature}:{t.bone}"


# --- the eyes ---------------------------------------------------------------------------------


class _EyeFrame:
    """The canonical eye rotation axes in world space (``world_axes``: yaw, pitch → vector)."""

    def __init__(self, world_axes):
        self.axes = {k: np.array(tuple(v), dtype=np.float64) for k, v in world_axes.items()}

    def axis(self, channel: str) -> np.ndarray:
        """Rotation axis of an eye channel: yaw about up, pitch about the character's right."""
        return self.axes["yaw" if channel.startswith("eye_yaw") else "pitch"]


def _eyeball(side: str, rigmap: RigMap, skins: Skins, meshes) -> Eyeball | None:
    sk, roles = rigmap.skeleton, rigmap.object_roles
    if sk is not None and side in sk.eyes and skins.arm is not None:
        eye = eyeball_of_bone(skins, sk.eyes[side])
        if eye is not None:
            return eye
    if roles is not None and side in roles.eyes:
        eye = eyeball_of_object(bpy.data.objects[roles.eyes[side]])
        if eye is not None:
            return eye
    return eyeball_by_name(meshes, side)


def _carried_by_bone(eye: Eyeball, skins: Skins, bone: str) -> np.ndarray:
    """The share of each eyeball vertex that ``bone`` (and its children) moves."""
    arm = skins.arm
    family = {bone, *(c.name for c in arm.data.bones[bone].children_recursive)}
    mesh = bpy.data.objects[eye.mesh]
    o = mesh
    while o is not None:
        if o.parent == arm and o.parent_type == "BONE" and o.parent_bone in family:
            return np.ones(len(eye.indices))
        o = o.parent
    sw = skins.of(mesh, family)
    return sw.share(family)[eye.indices] if sw is not None else np.zeros(len(eye.indices))


def _carried_by_object(eye: Eyeball, obj_name: str) -> bool:
    o = bpy.data.objects[eye.mesh]
    while o is not None:
        if o.name == obj_name:
            return True
        o = o.parent
    return False


class _EyeMeasure:
    """Measures each candidate of one eyeball and calibrates the chosen one."""

    def __init__(self, eye: Eyeball | None, frame: _EyeFrame, skins: Skins, arm):
        self.eye, self.frame, self.skins, self.arm = eye, frame, skins, arm
        self.turns: dict[int, dict] = {}  # id(group) → channel or target → measured turn

    def measure(self, g: _Group, others: list[_Group]) -> Candidate:
        eye = self.eye
        if eye is None:
            if g.kind == SHAPE_KEYS and any(o.kind in (BONE, OBJECT, CONTROL) for o in others):
                why = "no eyeball found to measure: kept, presumed to bend the lids"
                return Candidate(g.kind, g.label, False, why)
            return Candidate(g.kind, g.label, None, "no eyeball found to measure")
        if g.kind == BONE:
            share = _carried_by_bone(eye, self.skins, g.owner)
            if share.max(initial=0.0) < MIN_SHARE:
                why = f"carries no vertex of {eye.mesh}: not turned"
                return Candidate(g.kind, g.label, False, why)
            carried = replace(eye, weight=share)
            pivot = bone_head_world(self.arm, g.owner)
            ratios = {
                t.channel: bone_turn(carried, pivot, self.frame.axis(t.channel)) for t in g.targets
            }
            self.turns[id(g)] = ratios
            text = ", ".join(f"{r:.2f}°/°" for r in sorted(set(ratios.values())))
            return Candidate(g.kind, g.label, True, f"turns {eye.mesh} {text}")
        if g.kind == OBJECT:
            if not _carried_by_object(eye, g.owner):
                return Candidate(g.kind, g.label, False, f"does not carry {eye.mesh}: not turned")
            return Candidate(g.kind, g.label, True, f"carries {eye.mesh} rigidly")
        if g.kind == SHAPE_KEYS:
            mesh = bpy.data.objects[g.mesh]
            turns = {}
            for t in g.targets:
                rv = shape_key_turn(eye, mesh, t.key_block)
                turns[t] = float(rv @ self.frame.axis(t.channel))
            moving = {t: d for t, d in turns.items() if abs(d) >= MIN_TURN_DEG}
            if not moving:
                why = f"turns no vertex of {eye.mesh}: kept for what it moves (the lids)"
                return Candidate(g.kind, g.label, False, why)
            self.turns[id(g)] = turns
            text = ", ".join(
                f"{t.key_block} {d:+.1f}°"
                for t, d in sorted(moving.items(), key=lambda x: x[0].key_block)
            )
            return Candidate(g.kind, g.label, True, f"turns {eye.mesh}: {text} at 1.0")
        return Candidate(g.kind, g.label, None, "")

    def calibrated(self, g: _Group, rigmap: RigMap) -> dict:
        """Target → its calibrated replacement (None: drop it), for the chosen group."""
        turns = self.turns.get(id(g))
        out: dict = {}
        if not turns or self.eye is None:
            return out
        if g.kind == BONE:
            for t in g.targets:
                ratio = turns[t.channel]
                label = f"{t.armature}:{t.bone} turns {self.eye.mesh} ({t.channel}), °/°"
                rigmap.gaze_calibration[label] = ratio
                if abs(ratio) > 0.05 and ratio != 1.0:
                    out[t] = replace(t, gain=t.gain / ratio)
        elif g.kind == SHAPE_KEYS:
            for t in g.targets:
                deg = turns[t]
                label = f"{t.mesh}:{t.key_block} turns {self.eye.mesh} ({t.channel}), ° at 1.0"
                rigmap.gaze_calibration[label] = deg
                out[t] = replace(t, gain=1.0 / deg) if abs(deg) >= MIN_TURN_DEG else None
        return out


# --- every part -------------------------------------------------------------------------------


def resolve_parts(
    rigmap: RigMap,
    source_of: dict,
    alternatives: dict[str, list[Candidate]],
    skins: Skins,
    meshes,
    world_axes,
) -> None:
    """Exactly one driver per part: decide, drop the others' targets, calibrate the eyes.

    ``source_of``: target → where detection found it (profile name, ``skeleton``, ``driver of
    …``, an override map); ``alternatives``: part → candidates detection saw but did not map
    (a jaw bone beside a ``jawOpen`` key); ``world_axes``: the character's rotation axes in
    world space (``yaw``, ``pitch`` → vector).  Fills ``rigmap.parts`` and
    ``rigmap.gaze_calibration``."""
    arm = skins.arm
    frame = _EyeFrame(world_axes)
    drop: set = set()
    swap: dict = {}
    for part in PARTS:
        groups = _groups(part, rigmap, source_of)
        if not groups and not alternatives.get(part):
            continue
        measure = None
        if part_kind(part) == "eye":
            measure = _EyeMeasure(_eyeball(part[-1], rigmap, skins, meshes), frame, skins, arm)
        cands = []
        for g in groups:
            if measure is not None:
                cands.append(measure.measure(g, [o for o in groups if o is not g]))
            else:
                cands.append(Candidate(g.kind, g.label))
        choice = decide(part, cands + list(alternatives.get(part, ())))
        rigmap.parts.append(choice)
        for g, c in zip(groups, cands, strict=True):
            if c is choice.driver:
                if measure is not None:
                    swap.update(measure.calibrated(g, rigmap))
            elif c.moves is not False or g.kind != SHAPE_KEYS:
                # Keys measured to move something else (the lids) stay; a bone or object that
                # carries nothing of the eyeball is no eye control and is not turned.
                drop.update(g.targets)
    _apply(rigmap, drop, swap)


def _apply(rigmap: RigMap, drop: set, swap: dict) -> None:
    def kept(targets: list) -> list:
        out = []
        for t in targets:
            if t in drop:
                continue
            t = swap.get(t, t)
            if t is not None:
                out.append(t)
        return out

    rigmap.shape_keys = kept(rigmap.shape_keys)
    rigmap.bones = kept(rigmap.bones)
    rigmap.bone_locations = kept(rigmap.bone_locations)
    rigmap.object_rotations = kept(rigmap.object_rotations)
