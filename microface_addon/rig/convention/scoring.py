"""How well each convention profile fits a character's names (pure: names in, scores out).

Why these measures:
- Shape keys: a profile fits when the channels it maps find their keys (*coverage*: the share
  of its target choices present) and when it explains the character's keys (*precision*: the
  share of the character's keys in its vocabulary).  Their harmonic mean (F1) rewards both, so
  a huge vocabulary (Reallusion's 140 keys) is not punished for a character exporting a subset,
  and a small profile whose names are common words does not win on a rig full of other keys.
  A profile whose mapped keys are all absent scores 0 even if its vocabulary matches (whole-face
  emotion keys such as ``Angry`` are recognised but drive no micro-motion channel).
- Bones: the share of the profile's signature bones present.
- A profile's overall score is the mean over the kinds of evidence both it and the character
  have, so a shape-key-only profile is not penalised for the character's armature.
- ``choose`` decides shape keys and bones separately (real characters mix conventions) and
  names the rivals within ``AMBIGUITY_MARGIN`` that claim the same names, so a near-tie is
  reported, never guessed silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .names import NameIndex
from .profiles import Profile

# Two profiles within this overall score of each other are reported as ambiguous.
AMBIGUITY_MARGIN = 0.05
# Below this, a profile is not considered a match at all.
MIN_SCORE = 0.15


@dataclass(frozen=True)
class Score:
    profile: str
    keys: float  # F1 of coverage and precision over shape keys (0 when not applicable)
    coverage: float
    precision: float
    bones: float  # share of signature bones present (0 when not applicable)
    overall: float
    fallback: bool = False

    def as_report(self) -> dict:
        return {
            "profile": self.profile,
            "overall": round(self.overall, 3),
            "shape_keys": round(self.keys, 3),
            "coverage": round(self.coverage, 3),
            "precision": round(self.precision, 3),
            "bones": round(self.bones, 3),
        }


def key_fit(profile: Profile, keys: NameIndex) -> tuple[float, float, float]:
    """(F1, coverage, precision) of ``profile``'s shape keys on a character's key names."""
    choices = [alts for per_channel in profile.shape_keys.values() for alts in per_channel]
    if not choices or not keys.names:
        return 0.0, 0.0, 0.0
    # A key name shared by several choices (browInnerUp for both sides) counts once.
    wanted = {tuple(t.key for t in alts) for alts in choices}
    covered = sum(1 for alts in wanted if any(k in keys for k in alts))
    coverage = covered / len(wanted)
    explained = {keys.find(v) for v in profile.vocabulary} - {None}
    precision = len(explained) / len(keys.names)
    if coverage == 0.0 or precision == 0.0:
        return 0.0, coverage, precision
    return 2 * coverage * precision / (coverage + precision), coverage, precision


def bone_fit(profile: Profile, bones: NameIndex) -> float:
    if not profile.bones or not bones.names:
        return 0.0
    present = sum(1 for alts in profile.bones if any(b in bones for b in alts))
    return present / len(profile.bones)


def score_profiles(
    profiles: Iterable[Profile], key_names: Iterable[str], bone_names: Iterable[str]
) -> list[Score]:
    """Every profile's score, best first (ties: specific before fallback, then by name)."""
    keys = NameIndex(sorted(set(key_names)))
    bones = NameIndex(sorted(set(bone_names)))
    out = []
    for p in profiles:
        f1, cov, prec = key_fit(p, keys)
        b = bone_fit(p, bones)
        parts = []
        if p.has_keys and keys.names:
            parts.append(f1)
        if p.has_bones and bones.names:
            parts.append(b)
        overall = sum(parts) / len(parts) if parts else 0.0
        out.append(Score(p.name, f1, cov, prec, b, overall, p.fallback))
    out.sort(key=lambda s: (-round(s.overall, 9), s.fallback, s.profile))
    return out


@dataclass
class Choice:
    """The profile chosen for one kind of evidence, its score and its ambiguous rivals."""

    profile: Profile | None = None
    score: Score | None = None
    rivals: list[str] = field(default_factory=list)


def matched_names(profile: Profile, index: NameIndex, kind: str) -> set[str]:
    """The character's names ``profile`` recognises: shape keys (``kind="keys"``) or bones."""
    wanted = profile.vocabulary if kind == "keys" else [b for alts in profile.bones for b in alts]
    return {index.find(n) for n in wanted} - {None}


def choose(
    scores: list[Score], profiles: dict[str, Profile], kind: str, index: NameIndex
) -> Choice:
    """The best profile for ``kind`` ``"keys"`` or ``"bones"`` (``index``: the character's names
    of that kind); fallback profiles only when no specific one scores ``MIN_SCORE``."""
    usable = [s for s in scores if getattr(s, kind) >= MIN_SCORE]
    pool = [s for s in usable if not s.fallback] or usable
    if not pool:
        return Choice()
    pool.sort(key=lambda s: (-getattr(s, kind), s.profile))
    best = pool[0]
    matched = matched_names(profiles[best.profile], index, kind)
    rivals = []
    for s in pool[1:]:
        if getattr(best, kind) - getattr(s, kind) > AMBIGUITY_MARGIN:
            break
        # A rival explaining strictly less than the winner (CC's names that happen to be
        # ARKit's too) is no real alternative; one claiming the very same names is.
        if not matched_names(profiles[s.profile], index, kind) < matched:
            rivals.append(s.profile)
    return Choice(profiles[best.profile], best, rivals)
