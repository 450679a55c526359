"""Resolve a scene look-at target (camera, object, bone or fixed direction) into a ``LookAt`` track.

Why here: the pure core only knows "the target is at this yaw/pitch/distance from between the
eyes, in the head's frame, over time" (``core.timeline.look_at.LookAt``).  Turning a camera that
flies around a head that the animator also moves into that track needs the evaluated scene, so
it lives on the bpy side and runs once per character before anything is written.

The head and eyes are the ones detection found (``RigMap.skeleton``), so a profile's hints and a
TD's override map count here exactly as they do for the baked bones.  The frame is the
character's head as the scene evaluates it, with the eyes' rest positions carried by the head:
the same frame the gaze layer's eye-in-head angles are measured in.  That head must be the one
the *user* animated, so a re-bake does not chase its previous result: callers sample with
MicroFace's layer muted (``with bake.muted(members): resolve_look_at(…)``, as ``apply`` does);
the rig stage never reaches into the bake to do it itself.
"""

from __future__ import annotations

import difflib
import re

import bpy
import numpy as np
from mathutils import Matrix, Vector

from ...core.timeline.look_at import LookAt
from ..convention.rigmap import RigError, RigMap

DIRECTION_SPEC = re.compile(
    r"^\s*dir:\s*(?P<yaw>[-+]?\d+(?:\.\d*)?)\s*,\s*(?P<pitch>[-+]?\d+(?:\.\d*)?)"
    r"(?:\s*,\s*(?P<dist>\d+(?:\.\d*)?))?\s*$"
)
DEFAULT_DIRECTION_DISTANCE_M = 1.5
ACTIVE_CAMERA = "@camera"  # the scene's active camera, whatever it is called


class LookAtError(RigError):
    """The look-at target cannot be found or used (bad input: the CLI exits 2, as for every
    ``RigError``)."""


def _candidates(spec: str) -> str:
    """What the user may have meant: close names first, then the cameras, then other objects."""
    names = sorted(o.name for o in bpy.data.objects)
    close = difflib.get_close_matches(spec, names, n=3, cutoff=0.5)
    close += [n for n in names if spec.lower() in n.lower() and n not in close][:3]
    cameras = [n for n in names if bpy.data.objects[n].type == "CAMERA"]
    others = [n for n in names if n not in cameras]
    parts = []
    if close:
        parts.append("did you mean " + " or ".join(repr(n) for n in close) + "?")
    parts.append("cameras: " + (", ".join(cameras) if cameras else "none"))
    if others:
        more = f" … (+{len(others) - 12})" if len(others) > 12 else ""
        parts.append("objects: " + ", ".join(others[:12]) + more)
    return "; ".join(parts)


def _target_point(scene, spec: str):
    """A function returning the target's world position at the current frame, and a label."""
    if spec.strip() == ACTIVE_CAMERA:
        if scene.camera is None:
            raise LookAtError(
                f"look-at target {ACTIVE_CAMERA}: the scene has no active camera "
                "(set one in the Scene properties, or pick an object)"
            )
        spec = scene.camera.name
    obj = bpy.data.objects.get(spec)
    if obj is not None:
        return (lambda: obj.matrix_world.translation.copy()), obj, obj.name
    if ":" in spec:
        arm_name, _, bone_name = spec.rpartition(":")
        arm = bpy.data.objects.get(arm_name)
        if arm is not None and arm.type == "ARMATURE" and bone_name in arm.pose.bones:
            pb = arm.pose.bones[bone_name]
            return (lambda: arm.matrix_world @ pb.head), arm, f"{arm.name}:{bone_name}"
        if arm is not None and arm.type == "ARMATURE":
            bones = [b.name for b in arm.pose.bones]
            close = difflib.get_close_matches(bone_name, bones, n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(repr(b) for b in close)}?" if close else ""
            raise LookAtError(
                f"look-at target {spec!r}: armature {arm.name!r} has no bone {bone_name!r}{hint}"
            )
    raise LookAtError(
        f"look-at target {spec!r} not found ({_candidates(spec)}); give an object or camera "
        f"name, 'Armature:bone', {ACTIVE_CAMERA} or 'dir:YAW,PITCH[,DISTANCE]'"
    )


def _depends_on_time(obj) -> bool:
    """Could ``obj``'s world transform change over the frame range? (animation, drivers,
    constraints, or any of that on a parent)."""
    while obj is not None:
        ad = obj.animation_data
        if ad is not None and (ad.action is not None or len(ad.nla_tracks) or len(ad.drivers)):
            return True
        if len(obj.constraints):
            return True
        if (
            obj.type == "ARMATURE"
            and obj.pose
            and any(len(pb.constraints) for pb in obj.pose.bones)
        ):
            return True
        obj = obj.parent
    return False


def _armature(rigmap: RigMap):
    """The character's armature object (the one its skeleton was found on), or None."""
    if rigmap.skeleton is None:
        return None
    objs = (bpy.data.objects.get(n) for n in rigmap.objects)
    return next((o for o in objs if o is not None and o.type == "ARMATURE"), None)


class _HeadFrame:
    """The character's head frame: cyclopean eye position and left/up/forward axes in world."""

    def __init__(self, rigmap: RigMap):
        self.arm = _armature(rigmap)
        self.notes: list[str] = []
        self.head_bone = None
        self.eye_offset = None
        self.pivot = None
        if self.arm is None:
            roles = rigmap.object_roles
            if roles is not None and roles.head:
                self._from_objects(rigmap, roles)
                return
            self.owner = bpy.data.objects[rigmap.objects[0]]
            self.axes = [Vector((1, 0, 0)), Vector((0, 0, 1)), Vector((0, -1, 0))]
            self.centre = Vector((0.0, 0.0, 0.0))
            self.notes.append(f"look-at: no armature; measuring from {self.owner.name}'s origin")
            return
        arm, sk = self.arm, rigmap.skeleton  # detection's roles: hints and overrides included
        self.owner = arm
        self.axes = [Vector(sk.left), Vector(sk.up), Vector(sk.forward)]
        self.head_bone = sk.head
        if len(sk.eyes) == 2:
            el = arm.data.bones[sk.eyes["L"]].head_local
            er = arm.data.bones[sk.eyes["R"]].head_local
            self.centre, self.eye_offset = (el + er) / 2.0, el - er
        elif sk.head:
            b = arm.data.bones[sk.head]
            self.centre = (b.head_local + b.tail_local) / 2.0
            self.notes.append("look-at: no eye bones; measuring from the head bone's middle")
        else:
            self.centre = Vector((0.0, 0.0, 0.0))
            self.notes.append("look-at: no head bone; measuring from the armature origin")
        self.pivot = self._pivot(rigmap, arm)

    def _from_objects(self, rigmap: RigMap, roles) -> None:
        """The head and eyes are objects (Face Cap): measure in the head object's own space,
        from between the eye objects, with the frame detection measured; the head turns about
        its origin."""
        self.owner = bpy.data.objects[roles.head]
        to_local = self.owner.matrix_world.inverted()
        rot = to_local.to_3x3()
        self.axes = [(rot @ Vector(a)).normalized() for a in (roles.left, roles.up, roles.forward)]
        if len(roles.eyes) == 2:
            el = to_local @ bpy.data.objects[roles.eyes["L"]].matrix_world.translation
            er = to_local @ bpy.data.objects[roles.eyes["R"]].matrix_world.translation
            self.centre, self.eye_offset = (el + er) / 2.0, el - er
        else:
            self.centre = Vector((0.0, 0.0, 0.0))
            self.notes.append(f"look-at: no eye objects; measuring from {roles.head}'s origin")
        turns = any(
            o.obj == roles.head and o.channel == "head_yaw" for o in rigmap.object_rotations
        )
        if turns:
            rel = -self.centre
            self.pivot = tuple(float(rel.dot(a) * self._scale(a)) for a in self.axes)

    def _scale(self, axis_local: Vector) -> float:
        """Metres per unit of the owner's space along ``axis_local``."""
        return (self.owner.matrix_world.to_3x3() @ axis_local).length

    def _pivot(self, rigmap: RigMap, arm) -> tuple[float, float, float] | None:
        """Where the baked head turn happens, relative to the cyclopean eye in (left, up,
        forward): the bake shares head angles over the neck chain, so the centre is the
        share-weighted mean of those joints (exact to first order in the angle)."""
        joints = [b for b in rigmap.bones if b.channel == "head_yaw" and b.armature == arm.name]
        total = sum(b.gain for b in joints)
        if not joints or total <= 0.0:
            return None
        centre = sum((arm.data.bones[b.bone].head_local * b.gain for b in joints), Vector())
        rel = centre / total - self.centre
        return tuple(float(rel.dot(a.normalized())) for a in self.axes)

    def matrix(self) -> Matrix:
        """World matrix carrying rest-pose armature space with the head as currently posed."""
        m = self.owner.matrix_world.copy()
        if self.arm is not None and self.head_bone:
            pb = self.arm.pose.bones[self.head_bone]
            m = m @ pb.matrix @ self.arm.data.bones[self.head_bone].matrix_local.inverted()
        return m

    def relative(self, point_world: Vector) -> tuple[float, float, float]:
        """``point_world`` as (left, up, forward) metres from the cyclopean eye."""
        m = self.matrix()
        centre = m @ self.centre
        rot = m.to_3x3()
        axes = [(rot @ a).normalized() for a in self.axes]
        v = point_world - centre
        return (v.dot(axes[0]), v.dot(axes[1]), v.dot(axes[2]))

    def ipd(self) -> float | None:
        if self.eye_offset is None:
            return None
        return float((self.matrix().to_3x3() @ self.eye_offset).length)


def resolve_look_at(
    scene: bpy.types.Scene,
    rigmap: RigMap,
    spec: str,
    frame_start: int,
    frame_end: int,
    fps: float,
) -> tuple[LookAt, list[str]]:
    """The look-at track for one character over the bake range (seconds from ``frame_start``).

    ``spec`` is an object or camera name, ``"Armature:bone"``, ``"@camera"`` (the scene's
    active camera) or ``"dir:YAW,PITCH[,DIST]"`` (degrees, metres; a fixed direction in the
    head's frame).  Returns the track and notes for
    the report.  The scene is sampled as it evaluates: mute MicroFace's layer around the call
    (``bake.muted``) to measure against the user's own animation.  Raises ``LookAtError`` when the target does not exist.
    """
    m = DIRECTION_SPEC.match(spec)
    if m:
        dist = float(m["dist"]) if m["dist"] else DEFAULT_DIRECTION_DISTANCE_M
        look = LookAt.fixed(float(m["yaw"]), float(m["pitch"]), dist, source=spec.strip())
        return look, [f"look-at: fixed direction {spec.strip()}"]
    point, target_obj, label = _target_point(scene, spec)
    return _track(scene, rigmap, point, target_obj, label, frame_start, frame_end, fps)


def _track(
    scene: bpy.types.Scene,
    rigmap: RigMap,
    point,
    target_obj,
    label: str,
    frame_start: int,
    frame_end: int,
    fps: float,
) -> tuple[LookAt, list[str]]:
    """Sample ``point()`` (a world position) in ``rigmap``'s head frame over the frame range."""
    frame = _HeadFrame(rigmap)
    if target_obj is not None and target_obj.name in rigmap.objects and label == target_obj.name:
        raise LookAtError(f"look-at target {label!r} is part of the character itself")
    moving = _depends_on_time(target_obj) or _depends_on_time(frame.owner)
    frames = list(range(frame_start, frame_end + 1)) if moving else [frame_start]
    current = scene.frame_current
    points, ipds = [], []
    try:
        for f in frames:
            scene.frame_set(f)
            points.append(frame.relative(point()))
            ipd = frame.ipd()
            if ipd is not None:
                ipds.append(ipd)
    finally:
        scene.frame_set(current)
    pts = np.asarray(points, dtype=np.float64)
    if np.any(np.linalg.norm(pts, axis=1) < 1e-4):
        raise LookAtError(f"look-at target {label!r} sits on the character's eyes")
    if np.any(pts[:, 2] <= 0.0):
        frame.notes.append(f"look-at: {label} is behind the character on some frames")
    times = (np.asarray(frames, dtype=np.float64) - frame_start) / fps
    ipd = float(np.median(ipds)) if ipds and 0.0 < np.median(ipds) < 1.0 else None
    look = LookAt.from_points(times, pts, ipd_m=ipd, source=label, pivot_lup=frame.pivot)
    notes = frame.notes + [
        f"look-at: {label} ({'sampled per frame' if moving else 'static'}, "
        f"{np.linalg.norm(pts, axis=1).mean():.2f} m away)"
    ]
    return look, notes


def _character_point(speaker: RigMap):
    """A function returning where ``speaker``'s eyes are (world, current frame), its object and
    a label: between its eye bones, else the middle of its head bone, else the top of its
    first mesh's bounding box (a face without bones)."""
    arm = _armature(speaker)
    sk = speaker.skeleton
    if arm is not None and sk is not None and len(sk.eyes) == 2:
        el, er = arm.pose.bones[sk.eyes["L"]], arm.pose.bones[sk.eyes["R"]]
        return (lambda: arm.matrix_world @ ((el.head + er.head) / 2.0)), arm, speaker.character
    if arm is not None and sk is not None and sk.head:
        pb = arm.pose.bones[sk.head]
        return (lambda: arm.matrix_world @ ((pb.head + pb.tail) / 2.0)), arm, speaker.character
    obj = bpy.data.objects[speaker.objects[0]]

    def top() -> Vector:
        corners = [obj.matrix_world @ Vector(c) for c in obj.bound_box]
        z = max(c.z for c in corners)
        near = [c for c in corners if c.z >= z - 1e-6]
        return sum(near, Vector()) / len(near)

    return top, obj, speaker.character


def look_at_character(
    scene: bpy.types.Scene,
    rigmap: RigMap,
    speaker: RigMap,
    frame_start: int,
    frame_end: int,
    fps: float,
) -> tuple[LookAt, list[str]]:
    """The look-at track from ``rigmap``'s eyes to another character's eyes (a conversation
    partner), like ``resolve_look_at`` for an object."""
    point, target_obj, label = _character_point(speaker)
    return _track(scene, rigmap, point, target_obj, label, frame_start, frame_end, fps)
