"""RigMap: how canonical channels land on one character's shape keys and bones.

Why plain data: detection (which needs ``bpy``) produces it once; the bake, the report, the
panel and the CLI only read it.  It names datablocks by name, never holds ``bpy`` references,
because undo invalidates every Python reference to ID data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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

    @property
    def mapped_channels(self) -> list[str]:
        return sorted({t.channel for t in self.shape_keys} | {t.channel for t in self.bones})

    def is_empty(self) -> bool:
        return not self.shape_keys and not self.bones

    def report(self) -> dict[str, Any]:
        """JSON-ready description for the panel, the CLI report and ``inspect``."""
        by_channel: dict[str, list[str]] = {}
        for t in self.shape_keys:
            by_channel.setdefault(t.channel, []).append(f"{t.mesh}:{t.key_block} ×{t.gain:g}")
        for b in self.bones:
            by_channel.setdefault(b.channel, []).append(f"{b.armature}:{b.bone} ×{b.gain:g}")
        return {
            "character": self.character,
            "convention": self.convention,
            "score": round(self.score, 3),
            "runner_up": list(self.runner_up) if self.runner_up else None,
            "objects": list(self.objects),
            "mapped": {k: sorted(v) for k, v in sorted(by_channel.items())},
            "unmapped": dict(sorted(self.unmapped.items())),
            "skeleton": dict(self.skeleton),
            "notes": list(self.notes),
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
