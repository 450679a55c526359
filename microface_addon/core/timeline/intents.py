"""Intents: what the character feels or does, and when — the input the muscle cascade answers.

Why a separate vocabulary from muscles: an animator says "a felt smile at 3.2 s, intensity 0.6",
not "zygomaticus 0.6, levator 0.3 a beat later…".  The cascade turns an ``Intent`` into muscle
drive using the kind's definition in the preset (``cascade.intents``); this module only holds the
plain record, its timing resolved against those definitions (``IntentSpan``), and the drive
envelope every layer that reads intents uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..sections import from_section

# Kinds with behaviour of their own beyond driving muscles.
SUPPRESS = "suppress"  # holds another kind back; its variant names the kind held back
RELAX = "relax"  # lets every expression active at its start go (their hold ends there)

# Kinds cued on the same timeline but performed by another layer (head: ``nod``); they have no
# variants and the cascade leaves them alone.
OTHER_LAYER_KINDS = ("nod",)

# Default intensity of an intent that does not say (markers such as ``mf:frown``).
DEFAULT_INTENSITY = 0.5


@dataclass(frozen=True)
class Intent:
    """One cue on the timeline.  Times in seconds; ``None`` fields take the kind's preset default.

    ``side`` biases the expression to one half of the face: +1 = only the character's left,
    -1 = only the right, 0 = both (before the per-seed asymmetry).  ``duration_s``, when given,
    is attack + hold + release (the hold absorbs the difference).
    """

    kind: str
    start_s: float
    intensity: float = DEFAULT_INTENSITY
    variant: str = ""
    attack_s: float | None = None
    hold_s: float | None = None
    release_s: float | None = None
    duration_s: float | None = None
    side: float | None = None
    source: str = field(default="", compare=False)


@dataclass(frozen=True)
class IntentKind:
    """A kind's definition from the preset (``cascade.intents.<kind>``) with a variant applied."""

    attack_s: float
    hold_s: float
    release_s: float
    # muscle (without side) → drive gain per unit intensity
    drive: Mapping[str, float] = field(default_factory=dict)
    tension: float = 0.0  # added to the shared tension state per unit intensity
    side: float = 0.0
    default_variant: str = ""
    variants: tuple[str, ...] = ()  # the kind's variant names

    @classmethod
    def of(cls, kind: Mapping, variant: str = "") -> IntentKind:
        """The kind's fields, with those of ``variant`` (if the kind has it) on top."""
        merged = dict(kind)
        if variant and variant in kind.get("variants", {}):
            merged.update(kind["variants"][variant])
        return from_section(cls, merged)


@dataclass(frozen=True)
class IntentSpan:
    """An intent with every time resolved: the drive starts at ``onset_s`` (cue + reaction latency).

    ``leak_drive`` is, for ``suppress``, the drive pattern of the expression held back (what a
    micro-expression leaks); empty otherwise.
    """

    kind: str
    variant: str
    intensity: float
    side: float
    onset_s: float
    attack_s: float
    hold_s: float
    release_s: float
    drive: Mapping[str, float]
    tension: float
    leak_drive: Mapping[str, float] = field(default_factory=dict)
    source: str = ""

    @property
    def release_start_s(self) -> float:
        return self.onset_s + self.attack_s + self.hold_s

    @property
    def end_s(self) -> float:
        return self.release_start_s + self.release_s


def vocabulary(intents_section: Mapping) -> dict[str, tuple[str, ...]]:
    """Known kinds and their variants (``suppress`` accepts any other cascade kind as its
    variant), plus the kinds other layers perform (``OTHER_LAYER_KINDS``)."""
    vocab = {k: tuple(v.get("variants", {})) for k, v in intents_section.items()}
    if SUPPRESS in vocab:
        vocab[SUPPRESS] = tuple(k for k in vocab if k not in (SUPPRESS, RELAX))
    for k in OTHER_LAYER_KINDS:
        vocab.setdefault(k, ())
    return vocab


def ease(x: np.ndarray) -> np.ndarray:
    """Raised cosine 0→1 over x in [0, 1]: zero slope at both ends, like a minimum-jerk reach."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def envelope(
    t: np.ndarray,
    onset_s: float,
    attack_s: float,
    hold_s: float,
    release_s: float,
    pause_at: float = 0.0,
    pause_s: float = 0.0,
) -> np.ndarray:
    """Drive envelope 0…1 of one intent at times ``t``: eased attack, hold, eased release.

    With ``pause_s`` > 0 the release stops for ``pause_s`` seconds when the envelope has fallen to
    ``pause_at`` (0–1): the hesitation of a jaw that relaxes in two steps.  The pause lengthens the
    release; each part of the fall keeps its share of ``release_s``.
    """
    s = t - onset_s
    up = ease(s / attack_s) if attack_s > 0 else (s >= 0).astype(np.float64)
    r = s - attack_s - hold_s
    if pause_s > 0 and 0.0 < pause_at < 1.0:
        first = release_s * (1.0 - pause_at)
        second = release_s * pause_at
        fall1 = (1.0 - pause_at) * (ease(r / first) if first > 0 else (r >= 0))
        r2 = r - first - pause_s
        fall2 = pause_at * (ease(r2 / second) if second > 0 else (r2 >= 0))
        down = fall1 + fall2
    else:
        down = ease(r / release_s) if release_s > 0 else (r >= 0).astype(np.float64)
    return np.where(s < 0, 0.0, np.minimum(up, 1.0 - down))


def resolve(
    intents: Iterable[Intent], kinds: Mapping[str, Mapping], reaction_latency_s: float
) -> list[IntentSpan]:
    """Resolve intents against the preset's kind definitions, in start order.

    A ``relax`` ends the hold of every expression that is still attacking or holding at its
    start (each then releases with its own release time).  Kinds the preset does not define
    (another layer's, such as ``nod``) are skipped; unknown ones were rejected when the timeline
    was built.
    """
    ordered = sorted(intents, key=lambda i: (i.start_s, i.kind))
    relax_times = [i.start_s + reaction_latency_s for i in ordered if i.kind == RELAX]
    spans = []
    for it in ordered:
        if it.kind == RELAX or it.kind not in kinds:
            continue
        spec = kinds[it.kind]
        variant = it.variant or str(spec.get("default_variant", ""))
        k = IntentKind.of(spec, variant)
        attack = k.attack_s if it.attack_s is None else float(it.attack_s)
        release = k.release_s if it.release_s is None else float(it.release_s)
        hold = k.hold_s if it.hold_s is None else float(it.hold_s)
        if it.duration_s is not None:
            hold = max(0.0, float(it.duration_s) - attack - release)
        onset = float(it.start_s) + reaction_latency_s
        for r in relax_times:
            if onset < r < onset + attack + hold:
                hold = max(0.0, r - onset - attack)  # an attack under way completes first
                break
        leak: dict[str, float] = {}
        if it.kind == SUPPRESS and variant in kinds:
            held = kinds[variant]
            leak = dict(IntentKind.of(held, str(held.get("default_variant", ""))).drive)
        spans.append(
            IntentSpan(
                kind=it.kind,
                variant=variant,
                intensity=float(it.intensity),
                side=k.side if it.side is None else float(it.side),
                onset_s=onset,
                attack_s=attack,
                hold_s=hold,
                release_s=release,
                drive=k.drive,
                tension=k.tension,
                leak_drive=leak,
                source=it.source,
            )
        )
    return spans
