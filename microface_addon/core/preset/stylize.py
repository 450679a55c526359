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
* less noise: head sway, drift, microsaccades, interval and amplitude jitter down; expression
  instances closer to their intent and holds that wander less (never frozen: the wander is cut,
  not removed).

How far each change goes at ``amount`` 1 is the preset's ``stylization_rules`` (defaults in
``presets/defaults.json``, reasons in ``docs/science.md``).

Never touched (the mechanics): the cascade graph (edges, delays, order), reaction latency (its
mean; the per-instance scatter is noise), blink and cascade asymmetry, blink closing/opening
*ratio*, breath rate, inhale share and shape, the saccade main sequence, VOR and gaze–head
coordination.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .reshape import scaled


def rules(amount: float, k: Mapping[str, float]) -> list[tuple[str, float]]:
    """``(dotted path, factor)`` for stylization ``amount`` (0 = no change), with the preset's
    ``stylization_rules`` ``k`` (gains: 1 + k·amount, cuts: 1 − k·amount)."""
    a = float(amount)
    amp = 1.0 + k["amplitude_gain"] * a  # expressions, postures, tilts
    size = 1.0 + k["size_gain"] * a  # saccade size, breath depth (physiological ceilings)
    attack = 1.0 - k["attack_cut"] * a  # attacks and glides
    release = 1.0 - k["release_cut"] * a
    hold = 1.0 + k["hold_gain"] * a  # holds
    noise = 1.0 - k["noise_cut"] * a  # sway, drift, jitter
    fewer = 1.0 - k["rate_cut"] * a  # spontaneous event rates
    blink_speed = 1.0 - k["blink_speed_cut"] * a  # same factor for both phases: ratio kept
    return [
        # blink: fewer, complete, crisp blinks that stay shut a beat; asymmetry kept
        ("blink.rate_per_min.*", 1.0 - k["blink_rate_cut"] * a),
        ("blink.ibi_cv", 1.0 - k["blink_ibi_cv_cut"] * a),
        ("blink.duration_jitter", noise),
        ("blink.partial_share", 1.0 - k["partial_blink_cut"] * a),
        ("blink.double_share", fewer),
        ("blink.closing_s", blink_speed),
        ("blink.opening_s", blink_speed),
        ("blink.closed_s", 1.0 + k["blink_closed_gain"] * a),
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
        ("breath.end_exhale_sd", noise),
        ("breath.inhale_share_cv", noise),
        ("breath.sigh.rate_per_hour", fewer),
        ("breath.chest_pitch_deg", size),
        # head: bold postures and tilts that snap in and hold; little idle sway
        ("head.sway.amplitude_deg.*", noise),
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
        # …and tidier: each instance closer to the intent, holds that wander less
        ("cascade.instances.latency_sd_s", noise),
        ("cascade.instances.attack_cv", noise),
        ("cascade.instances.release_cv", noise),
        ("cascade.instances.peak_cv", noise),
        ("cascade.living.wander_cv", noise),
        ("cascade.living.tremor_cv", noise),
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
    return scaled(data, rules(amount, data["stylization_rules"]))
