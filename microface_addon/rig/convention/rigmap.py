"""RigMap: how canonical channels land on one character's shape keys and bones, and the
``Skeleton`` (which bone plays which role) they were found on.

Why plain data: detection (which needs ``bpy``) produces it once; the bake, the look-at, the
report, the panel and the CLI only read it, so nothing after detection finds the skeleton or the
targets again.  It names datablocks by name, never holds ``bpy`` references, because undo
invalidates every Python reference to ID data.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ...core.channels import CHANNELS, TENSION_CHANNELS
from .parts import PartChoice


class RigError(Exception):
    """A character cannot be used as asked (exit code 1 unless a subclass says otherwise)."""


class NothingToMapError(RigError):
    """No canonical channel maps onto anything on the character (CLI exit code 3).

    The message is short and says what to do next; ``details`` says everything detection looked
    for (``inspect`` prints it)."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


@dataclass
class Skeleton:
    """Roles of one armature's bones; axes are in armature space."""

    head: str | None = None
    neck: list[str] = field(default_factory=list)  # bottom → top
    chest: str | None = None
    eyes: dict[str, str] = field(default_factory=dict)  # "L"/"R" → bone
    jaw: str | None = None
    shoulders: dict[str, str] = field(default_factory=dict)  # "L"/"R" → bone off the chest
    root: str | None = None
    spine: list[str] = field(default_factory=list)  # root → chest, exclusive
    forward: tuple[float, float, float] = (0.0, -1.0, 0.0)  # armature space
    up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    left: tuple[float, float, float] = (1.0, 0.0, 0.0)
    found_by: dict[str, str] = field(default_factory=dict)  # role → how it was found

    def assign(
        self, roles: Mapping[str, str | list[str]], bones: Container[str], source: str, where: str
    ) -> None:
        """Give roles the bones a TD named (an override map's ``skeleton``); they win over what
        was found.  ``bones``: the armature's bone names; ``where``: the armature, for messages.
        Raises ``RigError`` naming the role and the missing bones."""
        for role, value in roles.items():
            names = value if isinstance(value, list) else [value]
            missing = [n for n in names if n not in bones]
            if missing:
                raise RigError(f"{source}: skeleton {role}: bone(s) {missing} not on {where}")
            if role == "neck":
                self.neck = list(names)
            elif role in ("eye_L", "eye_R"):
                self.eyes[role[-1]] = names[0]
            else:
                setattr(self, role, names[0])
            self.found_by[role] = source

    def as_report(self) -> dict:
        return {
            "head": self.head,
            "neck": list(self.neck),
            "chest": self.chest,
            "eyes": dict(self.eyes),
            "jaw": self.jaw,
            "shoulders": dict(self.shoulders),
            "root": self.root,
            "spine": list(self.spine),
            "forward": [round(v, 3) for v in self.forward],
            "found_by": dict(self.found_by),
        }


@dataclass(frozen=True)
class ShapeKeyTarget:
    """``channel`` × ``gain`` drives shape key ``key_block`` of mesh object ``mesh``."""

    channel: str
    mesh: str  # mesh object name; its shape-key datablock is mesh.data.shape_keys
    key_block: str
    gain: float = 1.0
    range: tuple[float, float] | None = None  # keep the key inside; None = its slider range


@dataclass(frozen=True)
class BoneTarget:
    """An angle channel (degrees) × ``gain`` rotates ``bone`` about ``axis``.

    ``axis`` is a unit vector in the bone's own local (rest) space, so the bake can compose the
    rotation in the bone's rotation mode without knowing how the bone is oriented.
    """

    channel: str
    armature: str  # armature object name
    bone: str
    axis: tuple[float, float, float]
    gain: float = 1.0


@dataclass(frozen=True)
class BoneLocationTarget:
    """``channel`` × ``gain_m`` translates ``bone`` along ``direction_local``.

    For control-bone faces (Rigify, Auto-Rig Pro, driver-driven keys): blink = the upper-lid
    control moving toward the lower lid.  ``direction_local`` is a unit vector in the bone's own
    rest space, which is the space of ``pose.bones[bone].location``; ``gain_m`` is in armature
    units (metres at scale 1) per unit of channel (per degree for angle channels) and was
    calibrated on this character (e.g. its measured lid gap), so 1.0 closes the eye whatever the
    head size.  The bake adds ``channel × gain_m × direction_local`` to the bone's location,
    composed over the user's own location keys (NLA COMBINE adds locations).
    """

    channel: str
    armature: str  # armature object name
    bone: str
    direction_local: tuple[float, float, float]
    gain_m: float


@dataclass(frozen=True)
class ObjectRotationTarget:
    """An angle channel (degrees) × ``gain`` rotates object ``obj`` about ``axis``.

    For faces moved by objects rather than bones (Face Cap's ``grp_transform`` head and
    ``grp_eyeLeft``/``grp_eyeRight`` eyes).  ``axis`` is a unit vector in the object's own space
    before its rotation (its parent frame), the space of ``rotation_quaternion`` /
    ``rotation_euler``; the bake composes it over the user's own keys exactly as bone rotations.
    """

    channel: str
    obj: str  # object name
    axis: tuple[float, float, float]
    gain: float = 1.0


@dataclass
class ObjectRoles:
    """Objects that move parts of the face, with the character frame measured from them
    (world space): the head an empty turns, the eyes empties turn."""

    head: str | None = None
    eyes: dict[str, str] = field(default_factory=dict)  # "L"/"R" → object
    forward: tuple[float, float, float] = (0.0, -1.0, 0.0)
    up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    left: tuple[float, float, float] = (1.0, 0.0, 0.0)
    found_by: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.head or self.eyes)

    def as_report(self) -> dict:
        return {
            "head": self.head,
            "eyes": dict(self.eyes),
            "forward": [round(v, 3) for v in self.forward],
            "found_by": dict(self.found_by),
        }


@dataclass
class RigMap:
    character: str  # stable id: seeds the character's random streams
    convention: str
    score: float
    objects: list[str] = field(default_factory=list)  # every object that makes up the character
    shape_keys: list[ShapeKeyTarget] = field(default_factory=list)
    bones: list[BoneTarget] = field(default_factory=list)
    skeleton: Skeleton | None = None  # the armature's bone roles (None: no armature)
    unmapped: dict[str, str] = field(default_factory=dict)  # channel → why
    notes: list[str] = field(default_factory=list)
    runner_up: tuple[str, float] | None = None  # best other profile, same kind of score
    score_kind: str = ""  # what ``score`` and ``runner_up`` measure ("shape-key coverage"…)
    bone_score: float | None = None  # the bone convention's bone coverage
    bone_locations: list[BoneLocationTarget] = field(default_factory=list)
    bone_convention: str | None = None  # profile that named the bones/controls (may = convention)
    ambiguous: list[str] = field(default_factory=list)  # profiles within the margin of the best
    scores: list[dict[str, Any]] = field(default_factory=list)  # every profile's score, best first
    skipped: dict[str, str] = field(default_factory=dict)  # "mesh:key" → why it is not keyed
    unused: list[str] = field(default_factory=list)  # rig targets no channel drives
    calibration: dict[str, float] = field(default_factory=dict)  # measured distances, metres
    overridden: list[str] = field(default_factory=list)  # channels mapped by the override map
    object_rotations: list[ObjectRotationTarget] = field(default_factory=list)
    object_roles: ObjectRoles | None = None  # objects moving the head/eyes (None: none)
    parts: list[PartChoice] = field(default_factory=list)  # one driver per moved part
    # Measured eyeball turn per unit of each gaze control (degrees; "°/°" for rotations) and
    # the gain it gave; label → value.
    gaze_calibration: dict[str, float] = field(default_factory=dict)

    @property
    def mapped_channels(self) -> list[str]:
        return sorted({t.channel for t in self.targets()})

    def targets(self) -> list:
        """Every target of every kind."""
        return [*self.shape_keys, *self.bones, *self.bone_locations, *self.object_rotations]

    def is_empty(self) -> bool:
        return not self.targets()

    def report(self) -> dict[str, Any]:
        """JSON-ready description for the panel, the CLI report and ``inspect``."""
        by_channel: dict[str, list[str]] = {}
        for t in self.shape_keys:
            cap = f" in [{t.range[0]:g}, {t.range[1]:g}]" if t.range else ""
            by_channel.setdefault(t.channel, []).append(f"{t.mesh}:{t.key_block} ×{t.gain:g}{cap}")
        for b in self.bones:
            by_channel.setdefault(b.channel, []).append(f"{b.armature}:{b.bone} ×{b.gain:g}")
        for b in self.bone_locations:
            unit = "mm/°" if b.channel in CHANNELS and CHANNELS[b.channel].kind == "angle" else "mm"
            by_channel.setdefault(b.channel, []).append(
                f"{b.armature}:{b.bone} moves {b.gain_m * 1000:.3g} {unit}"
            )
        for o in self.object_rotations:
            by_channel.setdefault(o.channel, []).append(f"object {o.obj} ×{o.gain:g}")
        # What tension moves on this character, channel by channel: its targets, or why nothing.
        tension = {
            ch: sorted(by_channel[ch])
            if ch in by_channel
            else [f"nothing: {self.unmapped.get(ch, 'not mapped on this rig')}"]
            for ch in TENSION_CHANNELS
        }
        return {
            "character": self.character,
            "convention": self.convention,
            "score": round(self.score, 3),
            "score_kind": self.score_kind,
            "runner_up": list(self.runner_up) if self.runner_up else None,
            "bone_convention": self.bone_convention,
            "bone_score": None if self.bone_score is None else round(self.bone_score, 3),
            "ambiguous": list(self.ambiguous),
            "scores": [dict(s) for s in self.scores],
            "objects": list(self.objects),
            "mapped": {k: sorted(v) for k, v in sorted(by_channel.items())},
            "overridden": sorted(self.overridden),
            "unmapped": dict(sorted(self.unmapped.items())),
            "tension": tension,
            "skipped": dict(sorted(self.skipped.items())),
            "unused": sorted(self.unused),
            "skeleton": self.skeleton.as_report() if self.skeleton else {},
            "object_roles": self.object_roles.as_report() if self.object_roles else {},
            "parts": {c.part: c.as_report() for c in self.parts},
            "calibration": {k: round(v, 5) for k, v in sorted(self.calibration.items())},
            "gaze_calibration": {k: round(v, 4) for k, v in sorted(self.gaze_calibration.items())},
            "notes": list(self.notes),
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
