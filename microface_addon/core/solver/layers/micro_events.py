"""Micro-motion: brief seeded twitches, flickers, skin tension shifts and micro-expressions.

Why: a face at rest is never still — a brow flickers, a lip corner tightens, a nostril moves —
and a person holding an expression back lets it slip for a fraction of a second (Ekman's
micro-expressions, at most about half a second).  Each kind is a renewal process whose rate
rises with the shared ``tension`` state; each event is one smooth pulse on one muscle (or a
leak of the held-back expression's muscles).  Numbers are in the preset's ``micro_events``
section; sources are in ``docs/science.md``.

Events are drawn in fixed-size batches per kind, so extending the solved duration never changes
the events already drawn: the same seed gives the same twitches whatever the bake length.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ...sections import Range, from_section
from ...timeline.intents import SUPPRESS, IntentSpan, envelope
from .cascade import muscle_channels, muscle_problem, muscles

NAME = "micro_events"
LABEL = "Micro-events"
WRITES = muscle_channels()
MICRO_EXPRESSION = "micro_expression"
_BATCH = 64


@dataclass(frozen=True)
class EventKind:
    """One kind of micro-event (``micro_events.kinds.<name>``; ``core/sections.py`` builds it)."""

    rate_per_min: float
    duration_s: Range
    amplitude: Range
    unilateral_share: float = 0.5
    muscles: Mapping[str, float] = field(default_factory=dict)  # muscle → relative weight

    @property
    def names(self) -> tuple[str, ...]:
        """The muscles, sorted (the order ``weights`` and the drawn indices refer to)."""
        return tuple(sorted(self.muscles))

    @property
    def weights(self) -> np.ndarray:
        """Probability of each muscle in ``names`` (the weights normalised to sum 1)."""
        w = np.array([self.muscles[m] for m in self.names])
        return w / w.sum() if w.sum() > 0 else w


@dataclass(frozen=True)
class MicroExpressions:
    """Leaks of an expression held back by a ``suppress`` intent."""

    rate_per_min: float  # during a fully held suppress intent of intensity 1
    duration_s: Range
    amplitude: Range  # fraction of the suppress intent's intensity


@dataclass(frozen=True)
class MicroEventsParams:
    """The preset's ``micro_events`` section (``core/sections.py`` builds it)."""

    interval_cv: float
    tension_rate_gain: float
    tension_amplitude_gain: float
    rise_share: float
    micro_expressions: MicroExpressions
    kinds: Mapping[str, EventKind] = field(default_factory=dict)


def check(section: Mapping) -> list[tuple[list, str]]:
    """Unknown muscles in the kinds (the schema cannot know the muscle names); the registry runs
    it when a preset loads."""
    return [
        (["kinds", kind, "muscles", m], msg)
        for kind, spec in section.get("kinds", {}).items()
        for m in spec.get("muscles", {})
        if (msg := muscle_problem(m))
    ]


def pulse(t: np.ndarray, onset_s: float, duration_s: float, rise_share: float) -> np.ndarray:
    """A smooth 0→1→0 bump lasting exactly ``duration_s`` (eased rise, slower eased fall)."""
    rise = rise_share * duration_s
    fall = duration_s - rise
    return envelope(t, onset_s, rise, 0.0, fall)


def renewal_events(
    rate_per_s: np.ndarray,
    t: np.ndarray,
    cv: float,
    rng: np.random.Generator,
    draw: Callable[[np.random.Generator, int], dict[str, np.ndarray]],
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Onset times (s) of a gamma renewal process with time-varying rate, with their parameters.

    Intervals are unit-mean gamma (coefficient of variation ``cv``) in operational time
    Λ(t) = ∫ rate dt, so the interval shape stays while the rate follows tension.  Gaps and
    per-event parameters (``draw(rng, n)`` → arrays of length n) come in fixed-size batches, in
    the same order whatever the duration: a longer solve only appends events.
    """
    step = t[1] - t[0] if t.size > 1 else 1.0
    lam = np.concatenate(([0.0], np.cumsum(rate_per_s[1:]) * step))
    total = lam[-1]
    shape = 1.0 / cv**2
    op = rng.uniform(0.0, 1.0) * rng.gamma(shape, 1.0 / shape)  # start mid-interval
    ops, params = [], []
    while op < total:
        gaps = rng.gamma(shape, 1.0 / shape, size=_BATCH)
        steps = op + np.concatenate(([0.0], np.cumsum(gaps[:-1])))
        ops.append(steps)
        params.append(draw(rng, _BATCH))
        op = steps[-1] + gaps[-1]
    if not ops:
        return np.empty(0), {}
    ops_all = np.concatenate(ops)
    keep = ops_all < total
    merged = {k: np.concatenate([p[k] for p in params])[keep] for k in params[0]}
    return np.interp(ops_all[keep], lam, t), merged


def _twitch_params(kind: EventKind) -> Callable[[np.random.Generator, int], dict[str, np.ndarray]]:
    def draw(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        uni = rng.random(n) < kind.unilateral_share
        left = rng.random(n) < 0.5
        return {
            "duration": rng.uniform(*kind.duration_s, size=n),
            "amplitude": rng.uniform(*kind.amplitude, size=n),
            "muscle": rng.choice(len(kind.names), size=n, p=kind.weights),
            "side": np.where(uni, np.where(left, 1, -1), 0),  # +1 left, -1 right, 0 both
        }

    return draw


def _leak_params(
    me: MicroExpressions,
) -> Callable[[np.random.Generator, int], dict[str, np.ndarray]]:
    def draw(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        return {
            "duration": rng.uniform(*me.duration_s, size=n),
            "fraction": rng.uniform(*me.amplitude, size=n),
        }

    return draw


def _kind_rng(base: int, name: str) -> np.random.Generator:
    """A stream per kind, keyed by its name: adding a kind never reshuffles another."""
    seq = np.random.SeedSequence([base, zlib.crc32(name.encode("utf-8"))])
    return np.random.Generator(np.random.PCG64(seq))


def _index(times_s, rate_hz: float, n: int):
    return np.clip(np.round(np.asarray(times_s) * rate_hz).astype(np.int64), 0, n - 1)


def suppress_rate(spans: list[IntentSpan], t: np.ndarray, rate_hz: float) -> np.ndarray:
    """Intensity-weighted envelope of all suppress intents (0 when nothing is held back)."""
    out = np.zeros_like(t)
    for s in spans:
        if s.kind != SUPPRESS or not s.leak_drive:
            continue
        i0 = max(int(np.floor(s.onset_s * rate_hz)), 0)
        i1 = min(int(np.ceil(s.end_s * rate_hz)) + 2, t.size)
        if i1 > i0:
            out[i0:i1] += s.intensity * envelope(
                t[i0:i1], s.onset_s, s.attack_s, s.hold_s, s.release_s
            )
    return out


@dataclass
class _Pulses:
    """Smooth pulses summed per channel over the grid ``t``, and what drew them."""

    t: np.ndarray
    rate_hz: float
    rise_share: float
    base_seed: int  # each kind's own stream derives from it (``_kind_rng``)
    rate_scale: np.ndarray  # tension raises rates …
    amp_scale: np.ndarray  # … and amplitudes
    cv: float
    out: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, channel: str, onset: float, dur: float, amp: float) -> None:
        t, rate = self.t, self.rate_hz
        i0 = max(int(np.floor(onset * rate)), 0)
        i1 = min(int(np.ceil((onset + dur) * rate)) + 2, t.size)
        if i1 <= i0:
            return
        row = self.out.get(channel)
        if row is None:  # one full-length row per channel (setdefault would allocate per pulse)
            row = self.out[channel] = np.zeros_like(t)
        row[i0:i1] += amp * pulse(t[i0:i1], onset, dur, self.rise_share)

    def amp_at(self, times_s) -> np.ndarray:
        return self.amp_scale[_index(times_s, self.rate_hz, self.t.size)]


def _sides_of(muscle: str, side: int) -> tuple[str, ...]:
    """The channels a pulse on ``muscle`` moves: +1 left only, -1 right only, 0 both."""
    names = muscles()[muscle]
    if len(names) == 1 or side == 0:
        return names
    return (names[0],) if side > 0 else (names[1],)


def _twitches(name: str, kind: EventKind, pulses: _Pulses) -> dict[str, np.ndarray] | None:
    """Add one kind's twitches to ``pulses``; their log (None when there are none)."""
    if kind.rate_per_min <= 0 or not kind.muscles:
        return None
    rng = _kind_rng(pulses.base_seed, name)
    rate = kind.rate_per_min / 60.0 * pulses.rate_scale
    onsets, p = renewal_events(rate, pulses.t, pulses.cv, rng, _twitch_params(kind))
    if not onsets.size:
        return None
    p["amplitude"] = p["amplitude"] * pulses.amp_at(onsets)
    for onset, dur, amp, mi, side in zip(
        onsets, p["duration"], p["amplitude"], p["muscle"], p["side"], strict=True
    ):
        for ch in _sides_of(kind.names[int(mi)], int(side)):
            pulses.add(ch, float(onset), float(dur), float(amp))
    return {"onset_s": onsets, **p}


def _leaks(
    me: MicroExpressions, spans: list[IntentSpan], pulses: _Pulses
) -> dict[str, np.ndarray] | None:
    """Add the micro-expressions leaked while ``suppress`` intents hold something back; their
    log (None when nothing is held back)."""
    held = suppress_rate(spans, pulses.t, pulses.rate_hz)
    if not np.any(held) or me.rate_per_min <= 0:
        return None
    rng = _kind_rng(pulses.base_seed, MICRO_EXPRESSION)
    me_rate = me.rate_per_min / 60.0 * held * pulses.rate_scale
    onsets, p = renewal_events(me_rate, pulses.t, pulses.cv, rng, _leak_params(me))
    leaks = []
    for onset, dur, frac in zip(onsets, p.get("duration", []), p.get("fraction", []), strict=True):
        # The leak shows the strongest suppress intent active at that moment.
        active = [s for s in spans if s.kind == SUPPRESS and s.onset_s <= onset <= s.end_s]
        if not active:
            continue
        s = max(active, key=lambda x: x.intensity)
        strength = float(frac) * s.intensity * float(pulses.amp_at(onset))
        for m, g in s.leak_drive.items():
            for ch in muscles()[m]:
                pulses.add(ch, float(onset), float(dur), strength * g)
        leaks.append((float(onset), float(dur), strength, s.variant))
    return {
        "onset_s": np.array([x[0] for x in leaks]),
        "duration": np.array([x[1] for x in leaks]),
        "amplitude": np.array([x[2] for x in leaks]),
        "leaked": np.array([x[3] for x in leaks], dtype=object),
    }


def apply(ctx) -> None:
    """Micro-events layer: seeded pulses; rates and amplitudes scale with ``tension``."""
    params = from_section(MicroEventsParams, ctx.settings.section(NAME))
    tension = np.clip(ctx.get("tension"), 0.0, 1.0)
    pulses = _Pulses(
        ctx.t,
        ctx.rate_hz,
        params.rise_share,
        int(ctx.rng(NAME).integers(0, 2**63 - 1)),
        1.0 + params.tension_rate_gain * tension,
        1.0 + params.tension_amplitude_gain * tension,
        params.interval_cv,
    )
    log: dict[str, dict[str, np.ndarray]] = {}
    for name in sorted(params.kinds):
        if (twitches := _twitches(name, params.kinds[name], pulses)) is not None:
            log[name] = twitches
    spans = ctx.events.get("intent_spans", [])
    if (leaks := _leaks(params.micro_expressions, spans, pulses)) is not None:
        log[MICRO_EXPRESSION] = leaks
    ctx.events[NAME] = log
    gain = ctx.settings.layer_gain(NAME)
    for ch in sorted(pulses.out):
        ctx.add(ch, gain * pulses.out[ch])
