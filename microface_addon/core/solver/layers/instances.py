"""No two expressions alike, none frozen: what each intent instance draws, and the living wander
of a held contraction.  Used by the cascade layer (``cascade.py``); not a layer of its own.

Why per instance: spontaneous smiles differ from one to the next in onset time, amplitude and
duration (Schmidt et al. 2006; Cohn & Schmidt 2004), and their left/right asymmetry changes from
one expression to the next and between muscles around a person's own bias (Sackeim et al. 1978;
Borod et al. 1997).  A cue therefore becomes an *instance*: its reaction latency, attack, peak and
release are drawn around the preset's values (``cascade.instances``), and each muscle gets its own
left/right gain difference and each event its own onset offset around the character's per-seed
asymmetry (``cascade.asymmetry``).  The latency scatter is clipped at two standard deviations so
the cue-to-movement delay stays in its published band; the graph (edges, delays) is untouched, so
the muscles still recruit in the same order.

Why living holds: a muscle under sustained contraction never holds a constant force.  Force
fluctuates by a few per cent of its level, most of the power below a few hertz and falling with
frequency (Slifkin & Newell 1999; Vaillancourt & Newell 2003), with a standard deviation that grows
with the force (signal-dependent noise: Harris & Wolpert 1998; Jones, Hamilton & Wolpert 2002), and
a small physiological tremor at 8-12 Hz rides on top (Elble & Koller 1990; McAuley & Marsden 2000).
So every drive is multiplied by ``1 + w(t)``: ``w`` is a slow 1/f-like multisine (``wander_*``) plus
a band-limited tremor (``tremor_*``), per muscle and per side, its size raised by tension
(``tension_gain``) and, in weak contractions, relatively larger (the coefficient of variation of
force rises at low forces: Galganski, Fuglevand & Enoka 1993; Moritz et al. 2005): below
``wander_floor`` it stops shrinking in proportion, up to ``low_force_gain`` times.  The muscle and tissue dynamics downstream filter it the way muscle and skin
filter real force noise: the tremor is all but invisible, the wander shows as a face that lives.
Each instance draws its own wander (and its size); muscles driven through the graph or by tension
wander on their own as well (``node_wander``).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ...channels import SOFT_KNEE_FRACTION
from ...sections import Range
from ...timeline.intents import IntentSpan
from ..primitives.noise import Multisine, multisine

# Latency scatter is clipped at this many standard deviations (keeps the reaction in its band).
LATENCY_CLIP_SD = 2.0
# An instance may not push its drive into the saturating knee of a muscle's range by chance (a
# saturated muscle is a flattened, frozen one); a cue that asks for more than this gets it as is.
PEAK_CEILING = 1.0 - SOFT_KNEE_FRACTION
# Tag separating the character-wide node wander streams from the per-instance ones.
_NODE_STREAM = 0x6E6F6465


@dataclass(frozen=True)
class InstanceSpread:
    """How far each instance departs from its intent's values (``cascade.instances``)."""

    latency_sd_s: float
    attack_cv: float
    release_cv: float
    peak_cv: float


@dataclass(frozen=True)
class LivingHold:
    """The force wander and tremor of a held contraction (``cascade.living``)."""

    wander_cv: float  # RMS of the slow wander, fraction of the drive
    wander_band_hz: Range
    wander_exponent: float  # power ∝ 1/f^exponent
    wander_spread: float  # per-instance log-normal spread of the wander's size (sigma of ln)
    tremor_cv: float  # RMS of the tremor, fraction of the drive
    tremor_band_hz: Range
    tension_gain: float  # wander and tremor × (1 + tension_gain · tension)
    wander_floor: float  # below this drive the wander stops shrinking in proportion …
    low_force_gain: float  # … up to this many times its relative size

    def relative_size(self, drive):
        """How large the wobble is relative to ``drive`` (1 = ``wander_cv``/``tremor_cv`` as
        given; scalar or array): force fluctuates relatively more in weak contractions."""
        d = np.asarray(drive, dtype=np.float64)
        bigger = np.maximum(d, np.minimum(self.wander_floor, self.low_force_gain * d))
        out = np.divide(bigger, d, out=np.ones_like(d), where=d > 0.0)
        return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class EventAsymmetry:
    """Per-event scatter around the character's per-seed asymmetry (``cascade.asymmetry``)."""

    event_gain_sd: float  # left-minus-right gain difference, per event and muscle
    event_onset_sd_s: float  # right side's onset offset, per event


@dataclass(frozen=True)
class Wobble:
    """One row's (muscle side's) wander and tremor: ``w(t) = size·wander(t) + tremor(t)``."""

    wander: Multisine
    tremor: Multisine
    wander_size: float
    tremor_size: float

    def __call__(self, t: np.ndarray) -> np.ndarray:
        return self.wander_size * self.wander(t) + self.tremor_size * self.tremor(t)


@dataclass
class GridWobble:
    """A wobble over the solve's grid ``t``, evaluated block by block on demand and kept: the
    muscles the graph recruits are asked for it window after window (once per edge group), and
    a sparse timeline only ever needs a few blocks."""

    wobble: Wobble
    t: np.ndarray
    block: int = 2400  # samples per cached block (10 s at 240 Hz)
    _blocks: dict[int, np.ndarray] = field(default_factory=dict)

    def values(self, sl: slice) -> np.ndarray:
        """The wobble at ``t[sl]``."""
        first, last = sl.start // self.block, (sl.stop - 1) // self.block
        parts = []
        for b in range(first, last + 1):
            if b not in self._blocks:
                self._blocks[b] = self.wobble(self.t[b * self.block : (b + 1) * self.block])
            parts.append(self._blocks[b])
        joined = np.concatenate(parts) if len(parts) > 1 else parts[0]
        offset = sl.start - first * self.block
        return joined[offset : offset + (sl.stop - sl.start)]


@dataclass(frozen=True)
class Instance:
    """One performed intent: its span as performed, its own asymmetry and its wobbles."""

    span: IntentSpan
    gain_diff: Mapping[str, float]  # muscle → extra left-minus-right gain difference
    onset_R_s: float  # extra right-side onset offset of this event
    wobble: Mapping[tuple[str, int], Wobble] = field(default_factory=dict)  # (muscle, row)

    def as_event(self) -> dict:
        s = self.span
        return {
            "onset_s": s.onset_s,
            "attack_s": s.attack_s,
            "release_s": s.release_s,
            "intensity": s.intensity,
            "onset_R_s": self.onset_R_s,
            "gain_diff": dict(self.gain_diff),
        }


def unit_lognormal(z: float | np.ndarray, cv: float):
    """A unit-mean log-normal factor with coefficient of variation ``cv`` from standard normals."""
    sigma = np.sqrt(np.log1p(float(cv) ** 2))
    return np.exp(sigma * np.asarray(z) - 0.5 * sigma * sigma)


def _peak(intensity: float, factor: float) -> float:
    """The instance's intensity: the cue's times ``factor``, never pushed by chance past
    ``PEAK_CEILING`` (unless the cue itself is already past it)."""
    return min(intensity * factor, max(intensity, PEAK_CEILING))


def _wobble(rng: np.random.Generator, hold: LivingHold, size: float) -> Wobble:
    wander = multisine(rng, hold.wander_band_hz, hold.wander_exponent)
    tremor = multisine(rng, hold.tremor_band_hz, 0.0)
    return Wobble(wander, tremor, hold.wander_cv * size, hold.tremor_cv)


def draw_instance(
    span: IntentSpan,
    rng: np.random.Generator,
    spread: InstanceSpread,
    hold: LivingHold,
    asym: EventAsymmetry,
    rows: Mapping[str, int],
) -> Instance:
    """The instance a span becomes: latency, attack, release, peak, asymmetry and wobbles.

    Draws a fixed number of values per muscle in a fixed order (muscles sorted by name), so the
    draw of one instance never depends on another's.  ``rows`` gives each muscle's number of
    sides (1 for a midline muscle).
    """
    z = rng.standard_normal(6)
    latency = float(np.clip(z[0], -LATENCY_CLIP_SD, LATENCY_CLIP_SD)) * spread.latency_sd_s
    performed = replace(
        span,
        onset_s=span.onset_s + latency,
        attack_s=span.attack_s * float(unit_lognormal(z[1], spread.attack_cv)),
        release_s=span.release_s * float(unit_lognormal(z[2], spread.release_cv)),
        intensity=_peak(span.intensity, float(unit_lognormal(z[3], spread.peak_cv))),
    )
    size = float(np.exp(hold.wander_spread * z[4] - 0.5 * hold.wander_spread**2))
    onset_R = float(z[5]) * asym.event_onset_sd_s
    gain_diff, wobble = {}, {}
    for m in sorted(span.drive):
        gain_diff[m] = float(rng.normal(0.0, asym.event_gain_sd))
        for r in range(rows[m]):
            wobble[(m, r)] = _wobble(rng, hold, size)
    return Instance(performed, gain_diff, onset_R, wobble)


def draw_instances(
    spans: Sequence[IntentSpan],
    base_seed: int,
    spread: InstanceSpread,
    hold: LivingHold,
    asym: EventAsymmetry,
    rows: Mapping[str, int],
) -> list[Instance]:
    """One instance per span, each from its own stream (keyed by the span's place in time
    order): adding a later cue never changes an earlier instance."""
    out = []
    for i, span in enumerate(spans):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([base_seed, i])))
        out.append(draw_instance(span, rng, spread, hold, asym, rows))
    return out


def node_wobble(base_seed: int, muscle: str, row: int, hold: LivingHold) -> Wobble:
    """A muscle side's own character-wide wobble (for drive that reaches it through the graph or
    from tension), keyed by the muscle's name: the same muscle always wanders the same way."""
    key = [base_seed, _NODE_STREAM, zlib.crc32(muscle.encode("utf-8")), row]
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(key)))
    return _wobble(rng, hold, 1.0)


def tension_scale(hold: LivingHold, tension: np.ndarray) -> np.ndarray:
    """How much tension enlarges the wander and tremor (1 when relaxed)."""
    return 1.0 + hold.tension_gain * np.clip(tension, 0.0, 1.0)
