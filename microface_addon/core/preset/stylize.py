"""Realism ↔ stylization: one number that turns physiological timing into animated timing.

Why a transform of preset values: stylised animation keeps the *mechanics* of a face — muscles
still recruit each other in the same order, the lids still close a little out of step, the
chest still rises before the head lifts — and changes the *performance*: bigger expressions and
postures, snappier attacks followed by held poses, fewer but clearer events, less noise.  Doing
this on the preset (not on the curves) lets every layer keep its own model, and the result is an
ordinary valid preset a TD can inspect.

What ``amount`` (0–1) changes, by design:

* amplitude up: expression intensity (cascade), postures and head tilts/nods, saccade size,
  breath depth, twitch and leak amplitude;
* timing snapped: attacks and posture glides faster, holds (expressions, fixations, tilts,
  closed lids) longer, muscle rise time shorter;
* fewer, clearer events: blink, sigh, nod/tilt and micro-event rates down; fewer partial blinks;
* less noise: head sway, drift, microsaccades, interval and amplitude jitter down.

Never touched (the mechanics): the cascade graph (edges, delays, order), reaction latency, blink
and cascade asymmetry, blink closing/opening *ratio*, breath rate, inhale share and shape, the
saccade main sequence, VOR and gaze–head coordination.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .reshape import scaled

# How far each kind of change goes at amount = 1 (a factor of 1 + k·amount or 1 − k·amount).
AMPLITUDE_GAIN = 0.6  # expressions, postures, tilts: +60 %
SIZE_GAIN = 0.3  # saccade size, breath depth: +30 % (they have physiological ceilings)
ATTACK_CUT = 0.5  # attacks and glides: half as long
RELEASE_CUT = 0.3
HOLD_GAIN = 1.0  # holds: twice as long
NOISE_CUT = 0.7  # sway, drift, jitter: 30 % left
RATE_CUT = 0.4  # spontaneous event rates: 60 % left


def rules(amount: float) -> list[tuple[str, float]]:
    """``(dotted path, factor)`` for stylization ``amount`` (0 = no change)."""
    a = float(amount)
    amp = 1.0 + AMPLITUDE_GAIN * a
    size = 1.0 + SIZE_GAIN * a
    attack = 1.0 - ATTACK_CUT * a
    release = 1.0 - RELEASE_CUT * a
    hold = 1.0 + HOLD_GAIN * a
    noise = 1.0 - NOISE_CUT * a
    fewer = 1.0 - RATE_CUT * a
    return [
        # blink: fewer, complete, crisp blinks that stay shut a beat; asymmetry kept
        ("blink.rate_per_min.*", 1.0 - 0.3 * a),
        ("blink.ibi_cv", 1.0 - 0.4 * a),
        ("blink.duration_jitter", noise),
        ("blink.partial_share", 1.0 - 0.8 * a),
        ("blink.double_share", fewer),
        ("blink.closing_s", 1.0 - 0.2 * a),  # same factor for both phases: ratio kept
        ("blink.opening_s", 1.0 - 0.2 * a),
        ("blink.closed_s", 1.0 + 1.5 * a),
        # gaze: longer fixations (held looks), bigger darts, quieter fixational noise
        ("gaze.states.*.fixation_on_target_s", hold),
        ("gaze.states.*.fixation_away_s", hold),
        ("gaze.states.*.fixation_cv", noise),
        ("gaze.states.*.amplitude_scale_deg", size),
        ("gaze.microsaccades.rate_per_s", noise),
        ("gaze.drift.rms_deg", noise),
        ("gaze.eye_misalignment_deg", noise),
        # breath: deeper, steadier; rate, inhale share and shape (the phase) untouched
        ("breath.modes.*.amplitude", size),
        ("breath.modes.*.rate_cv", noise),
        ("breath.amplitude_cv", noise),
        ("breath.inhale_share_cv", noise),
        ("breath.sigh.rate_per_hour", fewer),
        ("breath.chest_pitch_deg", size),
        # head: bold postures and tilts that snap in and hold; little idle sway
        ("head.sway.amplitude_deg.*", noise),
        ("head.sway.drift_share", noise),
        ("head.postures.*.*", amp),
        ("head.bias_deg.*", amp),
        ("head.posture_transition_s", attack),
        ("head.listening.tilt_rate_per_min", fewer),
        ("head.listening.tilt_roll_deg", amp),
        ("head.listening.tilt_hold_s", hold),
        ("head.listening.tilt_attack_s", attack),
        ("head.listening.tilt_release_s", release),
        ("head.listening.nod_rate_per_min", fewer),
        ("head.listening.nod_pitch_deg", amp),
        # cascade: stronger, faster in, held longer; graph, latency and asymmetry untouched
        ("cascade.intensity", amp),
        ("cascade.dynamics.tau_rise_s", attack),
        ("cascade.graph.nodes.*.tau_rise_s", attack),
        ("cascade.intents.*.attack_s", attack),
        ("cascade.intents.*.hold_s", hold),
        ("cascade.intents.*.release_s", release),
        ("cascade.intents.*.variants.*.attack_s", attack),
        ("cascade.intents.*.variants.*.hold_s", hold),
        ("cascade.intents.*.variants.*.release_s", release),
        # micro-events: rarer but legible
        ("micro_events.kinds.*.rate_per_min", fewer * fewer),
        ("micro_events.kinds.*.amplitude", amp),
        ("micro_events.interval_cv", noise),
        ("micro_events.micro_expressions.rate_per_min", fewer),
        ("micro_events.micro_expressions.amplitude", amp),
    ]


def stylize(data: Mapping[str, Any], amount: float) -> dict[str, Any]:
    """A copy of the merged preset document ``data`` stylised by ``amount`` (0–1)."""
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"stylization must be within 0…1, got {amount!r}")
    if amount == 0.0:
        return dict(data)
    return scaled(data, rules(amount))
