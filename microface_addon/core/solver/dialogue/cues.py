"""Cues the voice gives the face: intents placed on the timeline from the speech track.

Why intents: a brow raise is what the cascade already performs for ``mf:brow_raise 0.3``, a nod
what the head performs for ``mf:nod``; placing them as intents keeps one way of moving each
muscle, shows them in the report, and lets a user move or delete one in an intents file.

- Speaking: brief brow raises co-occur with pitch accents (Cavé et al. 1996; Flecha-García
  2010) and small head nods with stressed syllables (Hadar et al. 1983; Graf et al. 2002).
  Both are produced *with* the speech, not in reaction to it, so their drive starts slightly
  ahead of the accent (the cascade's reaction latency is taken off again).  Stronger accents
  get them more often; cues never come closer than ``min_interval_s``.
- Listening: back-channel nods and small smiles at the speaker's pauses and turn ends (Yngve
  1970; Poggi et al. 2010) — reactions, so they come a beat *after* the pause starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...timeline.intents import Intent
from ...timeline.speech import SpokenAccent
from .conversation import Conversation
from .params import AccentCueParams, BackChannelParams

BROW = "brow_raise"
NOD = "nod"
SMILE = "smile"
SOURCE = "dialogue"


@dataclass(frozen=True)
class Timing:
    """What the cues must know of other layers' settings to land on time."""

    reaction_latency_s: float  # the cascade's delay from an intent to its drive
    nod_duration_s: float  # how long the head's cued nod lasts (its dip is half-way)


def _amount(r: tuple[float, float], x: float, scale: float) -> float:
    return float(np.clip((r[0] + (r[1] - r[0]) * x) * scale, 0.0, 1.0))


def _spaced_accents(
    accents: Sequence[SpokenAccent], p: AccentCueParams, rng: np.random.Generator
) -> list[SpokenAccent]:
    """The accents that get this cue: strong enough, drawn by strength (the strongest with
    ``probability``, the weakest kept with half of it), spaced out."""
    draws = rng.random(len(accents))
    out: list[SpokenAccent] = []
    for a, u in zip(accents, draws, strict=True):
        if a.strength < p.min_strength or u >= p.probability * (0.5 + 0.5 * a.strength):
            continue
        if out and a.at_s - out[-1].at_s < p.min_interval_s:
            continue
        out.append(a)
    return out


def accent_cues(
    accents: Sequence[SpokenAccent],
    brows: AccentCueParams,
    nods: AccentCueParams,
    timing: Timing,
    gain: float,
    rng: np.random.Generator,
) -> list[Intent]:
    """Brow raises and nods on the character's own accents (in time order)."""
    ordered = sorted(accents, key=lambda a: a.at_s)
    out: list[Intent] = []
    scale = gain * brows.intensity
    if scale > 0:
        for a in _spaced_accents(ordered, brows, rng):
            at = a.at_s - brows.lead_s - timing.reaction_latency_s
            amount = _amount(brows.amount, a.strength, scale)
            out.append(Intent(BROW, at, amount, source=f"{SOURCE}: accent at {a.at_s:.2f} s"))
    scale = gain * nods.intensity
    if scale > 0:
        for a in _spaced_accents(ordered, nods, rng):
            at = a.at_s - nods.lead_s - 0.5 * timing.nod_duration_s  # the dip on the accent
            amount = _amount(nods.amount, a.strength, scale)
            out.append(Intent(NOD, at, amount, source=f"{SOURCE}: accent at {a.at_s:.2f} s"))
    return sorted(out, key=lambda i: i.start_s)


def back_channels(
    conv: Conversation, p: BackChannelParams, gain: float, rng: np.random.Generator
) -> list[Intent]:
    """A listener's nods and small smiles at the speakers' pauses and turn ends."""
    scale = gain * p.intensity
    if scale <= 0:
        return []
    out: list[Intent] = []
    last = -np.inf
    for turn in conv.other_turns:
        ends = [(s, e - s) for s, e in turn.pauses] + [(turn.end_s, np.inf)]
        for s, length in ends:
            u_nod, u_smile, u_delay, u_amount = rng.random(4)
            if length < p.min_pause_s or s - last < p.min_interval_s:
                continue
            at = s + p.delay_s[0] + (p.delay_s[1] - p.delay_s[0]) * u_delay
            src = f"{SOURCE}: {turn.speaker} pauses at {s:.2f} s"
            cued = False
            if u_nod < p.nod_probability:
                out.append(Intent(NOD, at, _amount(p.nod_amount, u_amount, scale), source=src))
                cued = True
            if u_smile < p.smile_probability:
                out.append(
                    Intent(
                        SMILE,
                        at,
                        _amount(p.smile_amount, u_amount, scale),
                        variant=p.smile_variant,
                        duration_s=p.smile_s,
                        source=src,
                    )
                )
                cued = True
            if cued:
                last = s
    return sorted(out, key=lambda i: i.start_s)
