"""RigMap: how canonical channels land on one character's shape keys and bones.

Why plain data: detection (which needs ``bpy``) produces it once; the bake, the report, the
panel and the CLI only read it.  It names datablocks by name, never holds ``bpy`` references,
because undo invalidates every Python reference to ID data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ...core.channels import CHANNELS


class RigError(Exception):
    """A character cannot be used as asked (exit code 1 unless a subclass says otherwise)."""


class NothingToMapError(RigError):
    """No canonical channel maps onto anything on the character (CLI exit code 3)."""


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


@dataclass
class RigMap:
    character: str  # stable id: seeds the character's random streams
    convention: str
    score: float
    objects: list[str] = field(default_factory=list)  # every object that makes up the character
    shape_keys: list[ShapeKeyTarget] = field(default_factory=list)
    bones: list[BoneTarget] = field(default_factory=list)
    skeleton: dict[str, Any] = field(default_factory=dict)  # role → bone name(s)
    unmapped: dict[str, str] = field(default_factory=dict)  # channel → why
    notes: list[str] = field(default_factory=list)
    runner_up: tuple[str, float] | None = None
    bone_locations: list[BoneLocationTarget] = field(default_factory=list)
    bone_convention: str | None = None  # profile that named the bones/controls (may = convention)
    ambiguous: list[str] = field(default_factory=list)  # profiles within the margin of the best
    scores: list[dict[str, Any]] = field(default_factory=list)  # every profile's score, best first
    skipped: dict[str, str] = field(default_factory=dict)  # "mesh:key" → why it is not keyed
    unused: list[str] = field(default_factory=list)  # rig targets no channel drives
    calibration: dict[str, float] = field(default_factory=dict)  # measured distances, metres
    overridden: list[str] = field(default_factory=list)  # channels mapped by the override map

    @property
    def mapped_channels(self) -> list[str]:
        return sorted(
            {t.channel for t in self.shape_keys}
            | {t.channel for t in self.bones}
            | {t.channel for t in self.bone_locations}
        )

    def is_empty(self) -> bool:
        return not self.shape_keys and not self.bones and not self.bone_locations

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
        return {
            "character": self.character,
            "convention": self.convention,
            "score": round(self.score, 3),
            "runner_up": list(self.runner_up) if self.runner_up else None,
            "bone_convention": self.bone_convention,
            "ambiguous": list(self.ambiguous),
            "scores": [dict(s) for s in self.scores],
            "objects": list(self.objects),
            "mapped": {k: sorted(v) for k, v in sorted(by_channel.items())},
            "overridden": sorted(self.overridden),
            "unmapped": dict(sorted(self.unmapped.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "unused": sorted(self.unused),
            "skeleton": dict(self.skeleton),
            "calibration": {k: round(v, 5) for k, v in sorted(self.calibration.items())},
            "notes": list(self.notes),
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
