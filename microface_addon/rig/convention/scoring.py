"""How well each convention profile fits a character's names (pure: names in, scores out).

One kind of score everywhere — **coverage**, the share of a convention's *own* names found on
the character, 0…1:
- shape keys: the share of the profile's target choices (the keys it drives channels with)
  present;
- bones: the share of the profile's signature bones present.

Why coverage and not the share of the character's keys a profile explains: unrelated names
(a thousand correctives, visemes, a second convention's set) must never outvote a complete
set.  The sample head with 1,000 extra keys still has every ARKit key, so ARKit covers 1.0.

How a kind of evidence is decided (``choose``):
- a profile qualifies when its coverage reaches ``MIN_SCORE``, or when it drives channels with
  at least ``MIN_MAPPED_KEYS`` of the character's names (an old export with only ``mouthSmile``
  and ``mouthOpen`` covers few ARKit choices, but both keys are ARKit's and both drive);
- the best coverage wins; rivals within ``AMBIGUITY_MARGIN`` are reported as ambiguous only
  when choosing them would drive something else (a profile mapping a subset of the winner's
  (channel, key, gain) triples is no real alternative);
- shape keys and bones are decided separately (real characters mix conventions); a profile's
  ``overall`` (the mean coverage over the kinds both it and the character have) only orders the
  ``scores`` list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .names import NameIndex
from .profiles import Profile

# Two profiles within this coverage of each other are reported as ambiguous.
AMBIGUITY_MARGIN = 0.05
# Below this coverage a profile matches only on the strength of the keys it drives.
MIN_SCORE = 0.15
# A profile that drives channels with at least this many of the character's names matches
# whatever its coverage.
MIN_MAPPED_KEYS = 2
# What a score measures, as the report and inspect name it.
SCORE_KIND = "coverage"


@dataclass(frozen=True)
class Score:
    profile: str
    keys: float  # coverage of the profile's shape-key choices (0 when not applicable)
    bones: float  # coverage of the profile's signature bones (0 when not applicable)
    overall: float  # mean coverage over the kinds of evidence both have (orders the list)
    mapped_keys: int = 0  # the character's keys the profile drives channels with
    fallback: bool = False

    def of(self, kind: str) -> float:
        """The coverage for ``kind`` ``"keys"`` or ``"bones"``."""
        return self.keys if kind == "keys" else self.bones

    def as_report(self) -> dict:
        return {
            "profile": self.profile,
            "shape_keys": round(self.keys, 3),
            "bones": round(self.bones, 3),
            "keys_driven": self.mapped_keys,
        }


def _mapping(profile: Profile, keys: NameIndex) -> set[tuple[str, str, float]]:
    """(channel, the character's key, gain) triples ``profile`` would drive on these names."""
    out = set()
    for channel, choices in profile.shape_keys.items():
        for alts in choices:
            for t in alts:
                actual = keys.find(t.key)
                if actual is not None:
                    out.add((channel, actual, t.gain))
                    break
    return out


def key_fit(profile: Profile, keys: NameIndex) -> tuple[float, int]:
    """(coverage, number of the character's keys driven) of ``profile``'s shape keys."""
    choices = [alts for per_channel in profile.shape_keys.values() for alts in per_channel]
    if not choices or not keys.names:
        return 0.0, 0
    # A key name shared by several choices (browInnerUp for both sides) counts once.
    wanted = {tuple(t.key for t in alts) for alts in choices}
    covered = sum(1 for alts in wanted if any(k in keys for k in alts))
    driven = {actual for _, actual, _ in _mapping(profile, keys)}
    return covered / len(wanted), len(driven)


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
        cov, driven = key_fit(p, keys)
        b = bone_fit(p, bones)
        parts = []
        if p.has_keys and keys.names:
            parts.append(cov)
        if p.has_bones and bones.names:
            parts.append(b)
        overall = sum(parts) / len(parts) if parts else 0.0
        out.append(Score(p.name, cov, b, overall, driven, p.fallback))
    out.sort(key=lambda s: (-round(s.overall, 9), s.fallback, s.profile))
    return out


@dataclass
class Choice:
    """The profile chosen for one kind of evidence, its score, its ambiguous rivals and the
    best other profile of the same kind (the runner-up the report quotes)."""

    profile: Profile | None = None
    score: Score | None = None
    rivals: list[str] = field(default_factory=list)
    runner_up: Score | None = None

    def coverage(self, kind: str) -> float:
        return self.score.of(kind) if self.score is not None else 0.0


def matched_names(profile: Profile, index: NameIndex, kind: str) -> set:
    """What ``profile`` would do with the character's names: the (channel, key, gain) triples it
    drives (``kind="keys"``), or the signature bones it recognises (``"bones"``)."""
    if kind == "keys":
        return _mapping(profile, index)
    return {index.find(b) for alts in profile.bones for b in alts} - {None}


def _qualifies(s: Score, kind: str) -> bool:
    if s.of(kind) >= MIN_SCORE:
        return True
    return kind == "keys" and s.mapped_keys >= MIN_MAPPED_KEYS


def choose(
    scores: list[Score], profiles: dict[str, Profile], kind: str, index: NameIndex
) -> Choice:
    """The best profile for ``kind`` ``"keys"`` or ``"bones"`` (``index``: the character's names
    of that kind); fallback profiles only when no specific one qualifies."""
    ranked = sorted(
        (s for s in scores if s.of(kind) > 0.0),
        key=lambda s: (-s.of(kind), -s.mapped_keys, s.fallback, s.profile),
    )
    usable = [s for s in ranked if _qualifies(s, kind)]
    pool = [s for s in usable if not s.fallback] or usable
    if not pool:
        return Choice()
    best = pool[0]
    runner_up = next((s for s in ranked if s.profile != best.profile), None)
    matched = matched_names(profiles[best.profile], index, kind)
    rivals = []
    for s in pool[1:]:
        if best.of(kind) - s.of(kind) > AMBIGUITY_MARGIN:
            break
        # A rival doing a subset of what the winner does (CC's names that happen to be ARKit's
        # too, a copy of the winner's shape keys) is no real alternative; one doing anything
        # else is.  Bones: a rival recognising the very same bones may drive other controls.
        theirs = matched_names(profiles[s.profile], index, kind)
        if not (theirs <= matched if kind == "keys" else theirs < matched):
            rivals.append(s.profile)
    return Choice(profiles[best.profile], best, rivals, runner_up)
