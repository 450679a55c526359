"""Lids and orbicularis tone by state: how open the eyes sit between blinks, and how tight.

Why a layer of its own: the lid-follow coupling (gaze, head) moves the upper lid with the eye's
pitch, but a face also sets *where* the lid rests, and that depends on the person's state.
Sleepiness lowers the upper lid and slows the blinks (Schleicher et al. 2008; Caffier et al. 2003
— the drooping lid is what PERCLOS, the share of time the eyes are mostly closed, measures;
Wierwille & Ellsworth 1994), tension and concentration narrow the aperture through orbicularis
oculi tone (FACS AU7, the lid tightener; Ekman & Friesen 1978), and surprise widens it (the
cascade's ``surprise`` drives the lid raiser, AU5).  So this layer writes:

* ``upper_lid_droop`` — a baseline the lid-follow adds to (same units as ``upper_lid_gaze``,
  + lowers the lid): per state (``droop``), plus ``fatigue_droop`` × ``fatigue`` and
  ``tension_droop`` × tension.  A tired levator also lifts the lid less when the eyes look up:
  ``fatigue_lift_loss`` × ``fatigue`` of the up-gaze lift the gaze layer's lid-follow gave is
  taken back, so a tired face looking up at the camera keeps heavy lids instead of opening wide.
* ``lid_tightener`` (AU7) — per state (``tightening``: concentration) plus
  ``tension_tightening`` × the shared tension, from every layer (breath holding, the cascade's
  intents).  Held tone lives like any held contraction: it wanders with the cascade's
  ``living`` parameters.

It runs after gaze and head (it reads the final eye pitch) and before blink.  Numbers come from
the preset's ``lids`` section; sources are in ``docs/science.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ...channels import SIDES, sided
from ...sections import from_section
from ..primitives.ramps import stepped
from .instances import LivingHold, Wobble, node_wobble, tension_scale

NAME = "lids"
LABEL = "Lids and tone"
WRITES = sided("upper_lid_droop", "lid_tightener")
STATE_TRACK = "state"
# The state whose values stand in for a state the tables do not list.
DEFAULT_STATE = "rest"


@dataclass(frozen=True)
class LidsParams:
    """The preset's ``lids`` section (``core/sections.py`` builds it)."""

    droop: Mapping[str, float]  # per state: upper-lid baseline, + lowers (lid units)
    tightening: Mapping[str, float]  # per state: AU7 tone (concentration)
    fatigue: float  # 0 alert … 1 exhausted
    fatigue_droop: float  # upper-lid lowering at fatigue 1
    fatigue_lift_loss: float  # share of the up-gaze lid lift lost at fatigue 1
    tension_tightening: float  # AU7 per unit tension
    tension_droop: float  # upper-lid lowering per unit tension
    transition_s: float  # how long a state change takes to reach the lids

    def per_state(self, table: Mapping[str, float], state: str) -> float:
        return float(table.get(state, table.get(DEFAULT_STATE, 0.0)))


def state_baseline(ctx, p: LidsParams, table: Mapping[str, float]) -> np.ndarray:
    """A per-state value over time, gliding over ``transition_s`` at each state change."""
    segments = ctx.timeline.segments(STATE_TRACK, ctx.settings.state, ctx.duration_s)
    values = [p.per_state(table, s[2]) for s in segments]
    return stepped(ctx.t, [s[0] for s in segments], values, p.transition_s)


def lost_lift(ctx, p: LidsParams, side: str) -> np.ndarray:
    """The part of the up-gaze lid lift a tired levator does not deliver (lid units, + lowers):
    ``fatigue_lift_loss`` × ``fatigue`` of what the lid-follow gives for the eye's final pitch."""
    loss = p.fatigue * p.fatigue_lift_loss
    if loss <= 0.0 or not ctx.settings.layer_enabled("gaze"):
        return np.zeros_like(ctx.t)
    per_deg = float(ctx.settings.section("gaze")["lid_follow_per_deg"])
    up = np.maximum(ctx.get(f"eye_pitch_{side}"), 0.0)
    return loss * per_deg * up


def tone_wobbles(ctx) -> tuple[list[Wobble], LivingHold]:
    """The tone's own living wander per side, with the cascade's ``living`` parameters (a held
    tone is a held contraction like any other), from this layer's stream."""
    hold = from_section(LivingHold, ctx.settings.section("cascade")["living"])
    base = int(ctx.rng(NAME).integers(0, 2**63 - 1))
    return [node_wobble(base, "lid_tightener", row, hold) for row in range(len(SIDES))], hold


def apply(ctx) -> None:
    """Lids layer: the upper-lid baseline by state, fatigue and tension; AU7 tone."""
    p = from_section(LidsParams, ctx.settings.section(NAME))
    gain = ctx.settings.layer_gain(NAME)
    tension = np.clip(ctx.get("tension"), 0.0, 1.0)
    droop = state_baseline(ctx, p, p.droop) + p.fatigue * p.fatigue_droop
    droop = droop + p.tension_droop * tension
    tone = state_baseline(ctx, p, p.tightening) + p.tension_tightening * tension
    wobbles, hold = tone_wobbles(ctx)
    alive = tension_scale(hold, tension)
    for side, wobble in zip(SIDES, wobbles, strict=True):
        lid = droop + lost_lift(ctx, p, side)
        if np.any(lid):  # a lid that never leaves its usual place is not baked
            ctx.add(f"upper_lid_droop_{side}", gain * lid)
        if np.any(tone):
            ctx.add(f"lid_tightener_{side}", gain * tone * (1.0 + alive * wobble(ctx.t)))
