"""One source per moved part: which control drives each eyeball, lid, the jaw and the head.

Why: real avatars offer several ways to move the same thing — an eyeball skinned to an eye bone
that also carries ``eyeLook*`` morphs (Ready Player Me, VRoid), a jaw bone beside a ``jawOpen``
key, a head bone below a Face Cap head moved by an empty.  Driving all of them moves the part
twice (an intended 17° gaze became 31°).  So every control that moves a part is a *candidate*;
exactly one drives it, chosen by evidence and then by a documented precedence, and the report
lists the choice and the alternatives with what was measured.

Evidence first: a candidate measured *not* to move the part (``moves=False``: ``eyeLook*`` keys
on the face mesh that bend the lids but move no eyeball vertex) is never its driver — it stays
as it is, for what it does move.  Among the others (measured to move it, or not measurable),
the part's precedence decides:

========  ===========================================================================
part      precedence (first present wins)
========  ===========================================================================
eye       override map → bone → object → shape keys (a rotation is rigid at any angle
          and is what the look-at measures from; a morph is a linear blend)
lid       override map → shape keys → control behind a driven key → face control
jaw       override map → shape keys (a sculpted ``jawOpen`` carries lips and cheeks)
          → control behind a driven key → bone
head      override map → bone (shared along the neck chain) → object
========  ===========================================================================

Pure data and logic (no ``bpy``): the scene side (``rig/scene/parts.py``) measures the
candidates and applies the decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Part → the channels that move it.
PARTS: dict[str, tuple[str, ...]] = {
    "eye_L": ("eye_yaw_L", "eye_pitch_L"),
    "eye_R": ("eye_yaw_R", "eye_pitch_R"),
    "lid_L": ("orbicularis_oculi_palpebral_L",),
    "lid_R": ("orbicularis_oculi_palpebral_R",),
    "jaw": ("jaw_drop",),
    "head": ("head_yaw", "head_pitch", "head_roll"),
}

OVERRIDE, BONE, OBJECT, SHAPE_KEYS, DRIVEN, CONTROL = (
    "override",
    "bone",
    "object",
    "shape keys",
    "driven control",
    "face control",
)

# Kind of part (``eye_L`` → ``eye``) → kinds of control in the order the part prefers them.
PRECEDENCE: dict[str, tuple[str, ...]] = {
    "eye": (OVERRIDE, BONE, CONTROL, OBJECT, SHAPE_KEYS),
    "lid": (OVERRIDE, SHAPE_KEYS, DRIVEN, CONTROL, BONE),
    "jaw": (OVERRIDE, SHAPE_KEYS, DRIVEN, CONTROL, BONE),
    "head": (OVERRIDE, BONE, CONTROL, OBJECT),
}


def part_kind(part: str) -> str:
    return part.split("_")[0]


def part_of(channel: str) -> str | None:
    """The part ``channel`` moves, or None for channels outside ``PARTS``."""
    return next((p for p, chs in PARTS.items() if channel in chs), None)


@dataclass(frozen=True)
class Candidate:
    """One control that could move a part.

    ``label`` names it as the report does (``Rig:eye.L``, ``shape keys on EyeLeft``);
    ``moves``: True measured to move the part, False measured not to, None not measurable;
    ``evidence``: what was measured (``turns EyeLeft 1.00°/°``); ``mapped``: whether detection
    mapped it to channels (an unmapped candidate — a jaw bone beside a ``jawOpen`` key — is
    only ever an alternative to report).
    """

    kind: str
    label: str
    moves: bool | None = None
    evidence: str = ""
    mapped: bool = True

    def describe(self) -> str:
        return f"{self.kind} {self.label}" + (f" ({self.evidence})" if self.evidence else "")


@dataclass
class PartChoice:
    """The driver chosen for one part, the alternatives and why."""

    part: str
    driver: Candidate | None
    alternatives: list[Candidate] = field(default_factory=list)
    why: str = ""
    kept: list[Candidate] = field(default_factory=list)  # measured to move something else

    def as_report(self) -> dict:
        return {
            "driver": self.driver.describe() if self.driver else None,
            "why": self.why,
            "alternatives": [c.describe() for c in self.alternatives],
            "not_this_part": [c.describe() for c in self.kept],
        }


def decide(part: str, candidates: list[Candidate]) -> PartChoice:
    """Exactly one driver for ``part`` among ``candidates`` (see the module's table)."""
    kept = [c for c in candidates if c.moves is False]
    able = [c for c in candidates if c.moves is not False]
    order = PRECEDENCE[part_kind(part)]
    rank = {k: i for i, k in enumerate(order)}
    mapped = [c for c in able if c.mapped]
    if not mapped:
        return PartChoice(part, None, able, "nothing on the character drives it", kept)
    # Measured evidence beats an unmeasured claim of the same kind; then precedence.
    best = min(mapped, key=lambda c: (rank.get(c.kind, len(order)), c.moves is not True))
    rest = [c for c in able if c is not best]
    if best.kind == OVERRIDE:
        why = "named by the override map"
    elif not rest:
        why = "the only control that moves it" + (" (measured)" if best.moves else "")
    else:
        others = sorted({c.kind for c in rest}, key=lambda k: rank.get(k, len(order)))
        why = f"precedence: {best.kind} before {', '.join(others)}"
        if best.moves:
            why += "; measured to move it"
    return PartChoice(part, best, rest, why, kept)
