"""Spontaneous blinking: *when* blinks happen and *what* each one looks like.

Why a renewal process in operational time: blink intervals are right-skewed and irregular
(CV ≈ 0.8) and their mean depends on what the person is doing.  Drawing unit-mean gamma
intervals (gamma rather than log-normal: its lighter tail never leaves a resting face unblinking
for a minute) and mapping them through the integrated rate Λ(t) keeps the interval shape while the
rate follows the state (rest/speaking/reading…) and any modulation (tension) other layers apply.
Numbers come from the preset (``blink`` section); sources are in ``docs/science.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ...sections import Range, from_section

NAME = "blink"
LABEL = "Blinks"
WRITES = ("orbicularis_oculi_palpebral_L", "orbicularis_oculi_palpebral_R")

# Blink kinds recorded in ``ctx.events["blinks"]["kind"]``.
SPONTANEOUS, DOUBLE, FORCED = 0, 1, 2


@dataclass(frozen=True)
class BlinkAsymmetry:
    onset_s: float  # SD of the right eye's onset offset drawn per blink, s
    amplitude: float  # SD of the right eye's relative amplitude difference (per seed and blink)
    onset_bias_s: float = 0.0  # SD of the character's own (per-seed) onset offset, s


@dataclass(frozen=True)
class BlinkParams:
    """The preset's ``blink`` section (``core/sections.py`` builds it)."""

    rate_per_min: Mapping[str, float]
    ibi_cv: float
    refractory_s: float
    closing_s: float
    closed_s: float
    opening_s: float
    duration_jitter: float
    partial_share: float
    partial_amplitude: Range
    double_share: float
    double_gap_s: Range
    asymmetry: BlinkAsymmetry


def spontaneous_onsets(
    rate_per_s: np.ndarray, t: np.ndarray, p: BlinkParams, rng: np.random.Generator
) -> np.ndarray:
    """Onset times (s) of a renewal process with gamma intervals and rate ``rate_per_s(t)``.

    ``rate_per_s`` already includes the share of blinks that doubles will add, so the caller
    passes the rate of *primary* blinks.
    """
    from scipy.special import gammainc  # lazy: solver/__init__.py

    shape = 1.0 / p.ibi_cv**2  # gamma with unit mean in operational time and the preset's CV
    # Intervals shorter than the refractory time are dropped below; raise the rate by the share
    # they would take so the measured rate still matches the preset.
    dropped = gammainc(shape, shape * p.refractory_s * rate_per_s)
    rate_per_s = rate_per_s / np.maximum(1.0 - dropped, 0.5)
    dt = np.diff(t, prepend=t[0])
    lam = np.cumsum(np.maximum(rate_per_s, 1e-9) * dt)  # integrated rate Λ(t), strictly rising
    total = lam[-1]
    n_draw = int(total * 1.5 + 6 * np.sqrt(total + 1) + 10)
    # Start mid-interval (stationary phase) so the first blink isn't always at the same time.
    first = rng.uniform(0.0, 1.0)
    gaps = rng.gamma(shape, 1.0 / shape, size=n_draw)
    op = first * gaps[0] + np.concatenate(([0.0], np.cumsum(gaps[1:])))
    op = op[op < total]
    onsets = np.interp(op, lam, t)
    if onsets.size == 0:
        return onsets
    # Independent blinks cannot follow each other inside the refractory interval.
    keep = [0]
    for i in range(1, onsets.size):
        if onsets[i] - onsets[keep[-1]] >= p.refractory_s:
            keep.append(i)
    return onsets[keep]


def schedule(
    onsets: np.ndarray,
    kinds: np.ndarray,
    p: BlinkParams,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Give each onset its amplitude, phase durations, per-eye asymmetry, and add doubles."""
    n = onsets.size
    partial = rng.random(n) < p.partial_share
    amp = np.where(partial, rng.uniform(*p.partial_amplitude, size=n), 1.0)
    amp[kinds == FORCED] = 1.0  # gaze-evoked blinks are complete
    # Shared per-blink speed factor plus small independent parts per phase.
    speed = rng.lognormal(0.0, p.duration_jitter, size=n)
    size_scale = 0.5 + 0.5 * amp  # partial blinks travel less and take less time
    closing = p.closing_s * speed * size_scale * rng.lognormal(0.0, p.duration_jitter / 2, size=n)
    closed = p.closed_s * amp * rng.lognormal(0.0, p.duration_jitter, size=n)
    opening = p.opening_s * speed * size_scale * rng.lognormal(0.0, p.duration_jitter / 2, size=n)
    # Double blinks: a second complete closure as soon as the lid has mostly reopened.
    double = rng.random(n) < p.double_share
    gap = rng.uniform(*p.double_gap_s, size=n)
    second_onset = onsets + closing + closed + 0.8 * opening + gap
    ev = {
        "onset_s": np.concatenate([onsets, second_onset[double]]),
        "amplitude": np.concatenate([amp, np.ones(int(double.sum()))]),
        "closing_s": np.concatenate([closing, closing[double]]),
        "closed_s": np.concatenate([closed, closed[double]]),
        "opening_s": np.concatenate([opening, opening[double]]),
        "kind": np.concatenate([kinds, np.full(int(double.sum()), DOUBLE)]).astype(np.int8),
    }
    order = np.argsort(ev["onset_s"], kind="stable")
    ev = {k: v[order] for k, v in ev.items()}
    m = ev["onset_s"].size
    # Per-eye differences: a per-seed bias plus per-blink scatter (the two lids start a few
    # milliseconds apart, differently each blink: at 120 fps often a frame apart).
    bias_onset = rng.normal(0.0, p.asymmetry.onset_bias_s)
    ev["onset_offset_R_s"] = bias_onset + rng.normal(0.0, p.asymmetry.onset_s, size=m)
    bias_amp = rng.normal(0.0, p.asymmetry.amplitude)
    amp_r = ev["amplitude"] * (1.0 + bias_amp + rng.normal(0.0, p.asymmetry.amplitude, size=m))
    ev["amplitude_R"] = np.where(ev["amplitude"] >= 1.0, 1.0, np.clip(amp_r, 0.05, 1.0))
    return ev


def _cosine_ramp(u: np.ndarray) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(u, 0.0, 1.0))


def waveform(t: np.ndarray, ev: Mapping[str, np.ndarray], eye: str) -> np.ndarray:
    """Lid closure (0 open … 1 closed) of one eye over ``t`` for the blinks in ``ev``.

    Each blink: eased closing, a short closed hold, a slower eased opening (opening takes about
    twice as long as closing).  Overlapping blinks combine by maximum.
    """
    out = np.zeros_like(t)
    rate = 1.0 / (t[1] - t[0]) if t.size > 1 else 1.0
    offset = ev["onset_offset_R_s"] if eye == "R" else np.zeros_like(ev["onset_s"])
    amps = ev["amplitude_R"] if eye == "R" else ev["amplitude"]
    for t0, c, h, o, a in zip(
        ev["onset_s"] + offset, ev["closing_s"], ev["closed_s"], ev["opening_s"], amps, strict=True
    ):
        i0 = max(int(np.floor(t0 * rate)), 0)
        i1 = min(int(np.ceil((t0 + c + h + o) * rate)) + 1, t.size)
        if i1 <= i0:
            continue
        s = t[i0:i1] - t0
        shape = np.where(
            s < c,
            _cosine_ramp(s / c),
            np.where(s < c + h, 1.0, 1.0 - _cosine_ramp((s - c - h) / o)),
        )
        np.maximum(out[i0:i1], a * shape, out=out[i0:i1])
    return out


def _state_rates(ctx, rate_per_min: Mapping[str, float]) -> np.ndarray:
    """Blink rate per minute at every sample from the state track: one lookup per state the
    timeline can take, not one per sample (a 10-minute solve has 144,000 samples)."""
    states = ctx.state_values()
    out = np.empty(states.shape, dtype=np.float64)
    names = {ctx.settings.state, *(c.value for c in ctx.timeline.changes if c.track == "state")}
    for name in names:
        out[states == name] = float(rate_per_min.get(name, rate_per_min["rest"]))
    return out


def apply(ctx) -> None:
    """Blink layer: rate from the state track × modulators, plus blinks other layers forced."""
    p = from_section(BlinkParams, ctx.settings.section(NAME))
    rng = ctx.rng(NAME)
    base = _state_rates(ctx, p.rate_per_min)
    primary_rate = base / 60.0 / (1.0 + p.double_share) * ctx.modulator("blink_rate")
    onsets = spontaneous_onsets(primary_rate, ctx.t, p, rng)
    kinds = np.full(onsets.size, SPONTANEOUS, dtype=np.int8)
    forced = np.asarray(ctx.events.get("forced_blinks_s", []), dtype=np.float64)
    if forced.size:
        # A forced blink replaces spontaneous ones inside its refractory window.
        near = np.abs(onsets[:, None] - forced[None, :]).min(axis=1) < p.refractory_s
        onsets = np.concatenate([onsets[~near], forced])
        kinds = np.concatenate([kinds[~near], np.full(forced.size, FORCED, dtype=np.int8)])
        order = np.argsort(onsets, kind="stable")
        onsets, kinds = onsets[order], kinds[order]
    ev = schedule(onsets, kinds, p, rng)
    ctx.events["blinks"] = ev
    gain = ctx.settings.layer_gain(NAME)
    for eye in ("L", "R"):
        ctx.add(f"orbicularis_oculi_palpebral_{eye}", gain * waveform(ctx.t, ev, eye))
