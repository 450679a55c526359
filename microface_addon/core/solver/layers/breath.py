"""Breathing: a phase-integrated oscillator with modes, sighs and breath holds, and the tension
a held breath builds up in the face.

Why this shape:
- The phase is the integral of a rate that glides between modes, so a mode change on the
  timeline only changes how fast the cycle runs: the chest never jumps.
- Each cycle draws its own duration, depth and inhale share, and depth and the end-exhale level
  wander from breath to breath with memory (real breathing is irregular, and its irregularity
  has structure; ``BreathMemory``).  They only switch at end-exhale, and each breath starts from
  the level the previous one ended at, so none of it can make the chest jump.
- A hold (mode ``held``) overrides the oscillator: a quick catch-breath up to the hold level, a
  held plateau that still lives (straining, the heartbeat: ``_held_alive``), then a release
  exhale (often a sigh).  Meanwhile the oscillator's phase waits at the start of a fresh cycle,
  so breathing resumes from the resting level exactly where the release ends.
- Sighs are extra-large, longer cycles at a rate per hour (a renewal process in operational time,
  so the rate can differ per mode).

Outputs: ``breath`` (state, 0 exhaled … 1 full inhale), ``chest_pitch`` (deg), nostril flare on
inhale flow, slight jaw opening in deep/speech breathing, ``tension`` (state) with its face
signs (jaw clench, lip press, slight jaw thrust, brow lowering), the ``blink_rate`` modulation
(suppressed while holding, a burst after the release) and forced blinks right after a release.
Numbers come from the preset's ``breath`` section; sources are in ``docs/science.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ...channels import CHANNELS, SOFT_KNEE_FRACTION, sided, soft_limit
from ...sections import Range, from_section
from ..primitives.noise import multisine
from ..primitives.ramps import cosine_ramp, stepped

NAME = "breath"
LABEL = "Breath"
WRITES = (
    "breath",
    "chest_pitch",
    "shoulder_rise",
    "tension",
    "jaw_drop",
    "jaw_clench",
    "jaw_forward",
    *sided("nasalis", "orbicularis_oris", "corrugator"),
)
TRACK = "breath"
MODES = ("calm", "shallow_quick", "deep", "held", "speech")
HELD = "held"
# Deepest single breath, breath units: just below where the breath channel's soft limit starts.
DEPTH_CEILING = CHANNELS["breath"].hi - SOFT_KNEE_FRACTION * (
    CHANNELS["breath"].hi - CHANNELS["breath"].lo
)
# Rhythm used inside a held segment before its first hold and between repeated holds when no
# rhythmic mode came before it.
FALLBACK_MODE = "calm"


@dataclass(frozen=True)
class ModeParams:
    rate_per_min: float
    rate_cv: float
    amplitude: float
    inhale_share: float
    exhale_skew: float
    jaw_drop: float
    tension: float
    blink_rate_factor: float
    sigh_rate_factor: float


@dataclass(frozen=True)
class HeldAlive:
    """What keeps a held breath alive: slow straining of the chest around the hold level and the
    heartbeat's small push (``breath.hold.alive``)."""

    strain_sd: float  # RMS of the straining wander, fraction of the hold level
    strain_band_hz: Range
    cardiac_amplitude: float  # breath units
    cardiac_band_hz: Range  # the heart rate, hertz


@dataclass(frozen=True)
class HoldParams:
    level: float
    onset_s: float
    release_s: float
    release_skew: float
    max_hold_s: float
    hold_s: Range
    recovery_s: Range
    release_sigh_share: float
    tension_peak: float
    tension_rise_s: float
    tension_decay_s: float
    blink_suppression: float
    blink_burst: float
    blink_burst_s: float
    release_blinks_s: tuple[float, ...]
    alive: HeldAlive


@dataclass(frozen=True)
class SighParams:
    rate_per_hour: float
    interval_cv: float
    volume_factor: float
    duration_factor: float
    inhale_s: float


@dataclass(frozen=True)
class TensionFace:
    jaw_clench: float
    lip_press: float
    jaw_forward: float
    brow: float


@dataclass(frozen=True)
class BreathParams:
    """The preset's ``breath`` section (``core/sections.py`` builds it)."""

    mode: str
    modes: Mapping[str, ModeParams]  # the rhythmic modes ("held" is configured under ``hold``)
    amplitude_cv: float
    amplitude_memory: float  # correlation of one breath's depth with the next one's
    end_exhale_sd: float  # SD of the end-exhale level, fraction of the mode's depth
    end_exhale_memory: float  # correlation of one end-exhale level with the next one's
    inhale_share_cv: float
    transition_s: float
    hold: HoldParams
    sigh: SighParams
    chest_pitch_deg: float
    shoulder_rise_deg: float
    nostril_flare: float
    flare_flow_ref_per_s: float
    tension_face: TensionFace


@dataclass(frozen=True)
class Hold:
    """One breath hold: catch-breath from ``start_s``, flat from ``plateau_s``, release exhale
    from ``release_s`` until ``end_s`` (end-exhale, where normal breathing resumes)."""

    start_s: float
    plateau_s: float
    release_s: float
    end_s: float
    level: float
    sigh: bool


@dataclass
class Breath:
    """Everything the breath layer computes, before gains (volume in lung-volume units)."""

    volume: np.ndarray
    tension: np.ndarray
    blink_factor: np.ndarray
    jaw_drop: np.ndarray
    holds: list[Hold]
    sigh_cycle_starts_s: np.ndarray
    forced_blinks_s: np.ndarray


def mode_segments(timeline, initial: str, duration_s: float) -> list[tuple[float, float, str]]:
    """Piecewise-constant breath modes ``(start_s, end_s, mode)`` from the timeline's ``breath``
    track, checking every mode name."""
    return timeline.checked_segments(TRACK, initial, duration_s, MODES, "breath mode")


def release_duration_s(hp: HoldParams, sp: SighParams, sigh: bool) -> float:
    return sp.inhale_s + hp.release_s * sp.duration_factor if sigh else hp.release_s


def schedule_holds(
    segments: Sequence[tuple[float, float, str]],
    duration_s: float,
    hp: HoldParams,
    sp: SighParams,
    rng: np.random.Generator,
) -> list[Hold]:
    """Breath holds for every ``held`` segment.

    A segment no longer than ``max_hold_s`` is one hold released at its end (a marker such as
    ``mf:breath held 6``).  A longer one (a character who keeps holding their breath) becomes
    holds of ``hold_s`` with a few recovery breaths between them.
    """
    holds: list[Hold] = []
    min_hold = hp.onset_s + 0.5
    for s0, s1, mode in segments:
        if mode != HELD:
            continue
        t = s0
        if holds:  # never start before the previous release has finished
            t = max(t, holds[-1].end_s)
        single = s1 - t <= hp.max_hold_s
        while True:
            remaining = s1 - t
            if single:
                length = remaining  # one hold for the whole segment, released at its end
            else:
                # Repeated holds; a last piece shorter than the shortest hold is just breathed.
                length = min(rng.uniform(*hp.hold_s), remaining)
                if remaining < hp.hold_s[0]:
                    break
            if length < min_hold:
                break
            sigh = bool(rng.random() < hp.release_sigh_share)
            release = t + length
            end = release + release_duration_s(hp, sp, sigh)
            holds.append(Hold(t, t + hp.onset_s, release, end, hp.level, sigh))
            if single:
                break
            t = end + rng.uniform(*hp.recovery_s)
    return [h for h in holds if h.start_s < duration_s]


def exhale_shape(x: np.ndarray, skew: float) -> np.ndarray:
    """Volume 1 → 0 over x ∈ [0, 1]; ``skew`` > 1 empties fast first and tails off (passive
    recoil), 1 is symmetric (controlled, speech-like).  Zero slope at both ends."""
    g = 1.0 - (1.0 - np.clip(x, 0.0, 1.0)) ** skew
    return 0.5 + 0.5 * np.cos(np.pi * g)


def _mode_arrays(
    t: np.ndarray, segments: Sequence[tuple[float, float, str]], p: BreathParams
) -> dict[str, np.ndarray]:
    """Per-sample rhythm parameters that glide over ``transition_s`` at each mode change.

    Inside a ``held`` segment the rhythm of the mode before it carries on (it is what the
    character breathes between holds and after the last release).
    """
    rhythm = []
    last = FALLBACK_MODE
    for _, _, m in segments:
        if m != HELD:
            last = m
        rhythm.append(last)
    starts = [s[0] for s in segments]
    out = {}
    for field in ModeParams.__dataclass_fields__:
        vals = [getattr(p.modes[m], field) for m in rhythm]
        out[field] = stepped(t, starts, vals, p.transition_s)
    # Depth follows from the gliding mean inhale flow (depth / inhale time), not from a
    # gliding depth: otherwise a breath taken half-way from shallow-quick to deep would be
    # both fairly deep and fairly quick, an inhale faster than either mode's.
    flow = [
        p.modes[m].amplitude / (p.modes[m].inhale_share * 60.0 / p.modes[m].rate_per_min)
        for m in rhythm
    ]
    inhale_s = out["inhale_share"] * 60.0 / out["rate_per_min"]
    out["amplitude"] = stepped(t, starts, flow, p.transition_s) * inhale_s
    return out


def _renewal_times(
    rate_per_s: np.ndarray, t: np.ndarray, cv: float, rng: np.random.Generator
) -> np.ndarray:
    """Event times of a gamma renewal process with time-varying rate (operational time)."""
    dt = t[1] - t[0]
    lam = np.concatenate(([0.0], np.cumsum(np.maximum(rate_per_s[:-1], 0.0) * dt)))
    total = lam[-1]
    if total <= 0:
        return np.empty(0)
    shape = 1.0 / max(cv, 1e-3) ** 2
    n = int(total * 2 + 6 * np.sqrt(total + 1) + 4)
    first = rng.uniform()
    gaps = rng.gamma(shape, 1.0 / shape, size=n)
    op = first * gaps[0] + np.concatenate(([0.0], np.cumsum(gaps[1:])))
    op = op[op < total]
    # Operational time is flat where the rate is 0; the right side of a flat run is where
    # events can next happen.
    idx = np.searchsorted(lam, op, side="right")
    idx = np.clip(idx, 1, t.size - 1)
    frac = (op - lam[idx - 1]) / np.maximum(lam[idx] - lam[idx - 1], 1e-300)
    return t[idx - 1] + np.clip(frac, 0.0, 1.0) * dt


@dataclass(frozen=True)
class Cycles:
    """The breaths, one entry each: when they start, how long, how deep, their shape, and the
    end-exhale level each starts from (the next one's is where it ends)."""

    start_s: np.ndarray
    duration_s: np.ndarray
    depth: np.ndarray
    inhale_share: np.ndarray
    skew: np.ndarray
    sigh: np.ndarray
    level: np.ndarray
    end_level: np.ndarray


@dataclass
class BreathMemory:
    """Breath-to-breath variability with memory: the log-depth and the end-exhale level are each
    a first-order autoregression over breaths (Benchetrit & Bertrand 1975; Tobin et al. 1988
    found both a correlated and a random part), so depth and resting level drift over several
    breaths instead of jumping independently.  A sigh (or the release of a hold) resets both:
    the next breath starts from the resting level with fresh depth (the resetter of Vlemincx et
    al. 2010)."""

    p: BreathParams
    depth_dev: float = 0.0  # log-depth deviation (stationary SD: ``depth_sigma``)
    level_dev: float = 0.0  # end-exhale level, in units of the mode's depth

    @property
    def depth_sigma(self) -> float:
        return float(np.sqrt(np.log1p(self.p.amplitude_cv**2)))

    def start(self, z_depth: float, z_level: float) -> None:
        """The first breath: both in their stationary distribution."""
        self.depth_dev = self.depth_sigma * z_depth
        self.level_dev = self.p.end_exhale_sd * z_level

    def step(self, z_depth: float, z_level: float, reset: bool) -> None:
        """The next breath (``reset`` after a sigh or a hold: level back to rest, memory gone)."""
        p = self.p
        if reset:
            self.depth_dev = self.depth_sigma * z_depth
            self.level_dev = 0.0
            return
        rd, rl = p.amplitude_memory, p.end_exhale_memory
        self.depth_dev = rd * self.depth_dev + np.sqrt(1.0 - rd * rd) * self.depth_sigma * z_depth
        self.level_dev = rl * self.level_dev + np.sqrt(1.0 - rl * rl) * p.end_exhale_sd * z_level

    def depth_factor(self) -> float:
        """Unit-mean log-normal factor on the mode's depth."""
        return float(np.exp(self.depth_dev - 0.5 * self.depth_sigma**2))


def breath_cycles(
    t: np.ndarray,
    ma: Mapping[str, np.ndarray],
    holds: Sequence[Hold],
    quiet: np.ndarray,
    sigh_times: np.ndarray,
    p: BreathParams,
    rng: np.random.Generator,
) -> Cycles:
    """Lay breaths end to end; each takes rate, depth and shape from its mode at its start.

    Parameters only change from one breath to the next, at end-exhale, so neither a mode change
    nor breath-to-breath variability can make the chest jump: a breath starts from the level the
    previous one ended at.  Depth and end-exhale level wander with memory (``BreathMemory``).  A
    hold cuts the breath in progress (the hold's catch-breath takes over) and breathing resumes
    with a fresh breath from the resting level where the release ends.  A sigh makes the next
    breath that starts outside a hold deeper and longer, and breathing after it starts afresh.
    """
    dt = t[1] - t[0]
    n = int(np.sum(ma["rate_per_min"]) / 60.0 * dt * 2.0) + 2 * len(holds) + 32
    first_phase = rng.uniform()
    z = rng.standard_normal(size=(n, 4))  # rate, depth, inhale share, end-exhale level
    sig_s = np.sqrt(np.log1p(p.inhale_share_cv**2))
    memory = BreathMemory(p)
    out: dict[str, list] = {k: [] for k in Cycles.__dataclass_fields__ if k != "end_level"}
    hold_i, sigh_i = 0, 0
    tk = None
    k = 0
    reset = False
    while True:
        if k >= z.shape[0]:
            z = np.concatenate([z, rng.standard_normal(size=(n, 4))])
        i = min(int(round(max(tk or 0.0, 0.0) / dt)), t.size - 1)
        cv = ma["rate_cv"][i]
        sig_r = np.sqrt(np.log1p(cv**2))
        dur = 60.0 / ma["rate_per_min"][i] * np.exp(sig_r * z[k, 0] - 0.5 * sig_r**2)
        if tk is None:  # the first breath is already under way at 0 s
            tk = -first_phase * dur
            memory.start(z[k, 1], z[k, 3])
        else:
            memory.step(z[k, 1], z[k, 3], reset)
        sigh = False
        while sigh_i < sigh_times.size and sigh_times[sigh_i] <= tk:
            sigh_i += 1
            sigh = sigh or not quiet[i]
        depth = ma["amplitude"][i] * memory.depth_factor()
        if sigh:
            dur *= p.sigh.duration_factor
            depth *= p.sigh.volume_factor
        # A sigh on top of a deep breath cannot go past full lungs: cap the breath's depth
        # smoothly below the channel's soft knee, so its top stays round instead of flattened.
        depth = float(soft_limit(np.array([depth]), 0.0, DEPTH_CEILING)[0])
        share = ma["inhale_share"][i] * np.exp(sig_s * z[k, 2] - 0.5 * sig_s**2)
        level = memory.level_dev * ma["amplitude"][i]
        for key, v in zip(
            out,
            (tk, dur, depth, min(share, 0.8), ma["exhale_skew"][i], sigh, level),
            strict=True,
        ):
            out[key].append(v)
        k += 1
        nxt = tk + dur
        reset = sigh
        while hold_i < len(holds) and holds[hold_i].end_s <= tk:
            hold_i += 1
        if hold_i < len(holds) and nxt > holds[hold_i].plateau_s:
            nxt = holds[hold_i].end_s  # cut by the hold; breathing resumes after the release
            hold_i += 1
            reset = True
        tk = nxt
        if tk > t[-1]:
            break
    cols = {key: np.asarray(v) for key, v in out.items()}
    # Each breath ends where the next one starts (the last one where a next one would).
    if k >= z.shape[0]:
        z = np.concatenate([z, rng.standard_normal(size=(1, 4))])
    memory.step(z[k, 1], z[k, 3], reset)
    last = memory.level_dev * ma["amplitude"][-1]
    cols["end_level"] = np.append(cols["level"][1:], last)
    return Cycles(**cols)


def _quiet(t: np.ndarray, segments: Sequence, holds: Sequence[Hold]) -> np.ndarray:
    """Where no spontaneous sigh may start: during holds and ``held`` segments."""
    quiet = np.zeros(t.size, dtype=bool)
    for h in holds:
        quiet[np.searchsorted(t, h.start_s) : np.searchsorted(t, h.end_s)] = True
    for s0, s1, m in segments:
        if m == HELD:
            quiet[np.searchsorted(t, s0) : np.searchsorted(t, s1)] = True
    return quiet


def cycle_volume(t: np.ndarray, c: Cycles) -> np.ndarray:
    """Lung volume of the breaths laid end to end (a cycle cut short by a hold is hidden by it):
    each rises from its own start level by its depth and falls to the next one's start level."""
    k = np.searchsorted(c.start_s, t, side="right") - 1  # which cycle, how far into it
    u = np.clip((t - c.start_s[k]) / c.duration_s[k], 0.0, 1.0 - 1e-12)
    share = c.inhale_share[k]
    start, end = c.level[k], c.end_level[k]
    top = start + c.depth[k]
    rise = start + c.depth[k] * cosine_ramp(u / share)
    fall = end + (top - end) * exhale_shape((u - share) / (1.0 - share), c.skew[k])
    return np.where(u < share, rise, fall)


@dataclass
class HoldTracks:
    """What the breath holds do over time, before they are blended with the breathing."""

    weight: np.ndarray  # 0 = breathing … 1 = the hold's own volume
    volume: np.ndarray  # the holds' volume (catch-breath level, then the release exhale)
    tension: np.ndarray  # built over each hold, fading after its release
    blink_factor: np.ndarray  # the modes' blink factor, suppressed while holding, burst after
    forced_blinks_s: list[float]  # right after each release


def _hold_volume(t: np.ndarray, h: Hold, idx: Sequence[int], p: BreathParams, out: HoldTracks):
    """Blend into the hold level over the catch-breath, hold, release (or sigh it out)."""
    i0, i1, i2, i3 = idx
    hp, sp = p.hold, p.sigh
    out.weight[i0:i1] = cosine_ramp((t[i0:i1] - h.start_s) / max(h.plateau_s - h.start_s, 1e-9))
    out.weight[i1:i3] = 1.0
    out.volume[i0:i2] = h.level
    x = t[i2:i3] - h.release_s
    if h.sigh:
        top = h.level * sp.volume_factor**0.5
        up = x < sp.inhale_s
        down = (x - sp.inhale_s) / (hp.release_s * sp.duration_factor)
        out.volume[i2:i3] = np.where(
            up,
            h.level + (top - h.level) * cosine_ramp(x / sp.inhale_s),
            top * exhale_shape(down, hp.release_skew),
        )
    else:
        out.volume[i2:i3] = h.level * exhale_shape(x / hp.release_s, hp.release_skew)


def _held_alive(
    t: np.ndarray, h: Hold, idx: Sequence[int], alive: HeldAlive, rng: np.random.Generator
) -> np.ndarray:
    """Held, not frozen: straining wander around the hold level and the heartbeat's push, over
    the hold (``idx``: its start, plateau, release and end samples), fading out during the
    release exhale so the exhale ends exactly at rest."""
    i0, _, i2, i3 = idx
    strain = multisine(rng, alive.strain_band_hz, 1.0)
    heart = multisine(rng, alive.cardiac_band_hz, 0.0, n=1)
    tt = t[i0:i3]
    fade = 1.0 - cosine_ramp((tt - h.release_s) / max(h.end_s - h.release_s, 1e-9))
    wobble = alive.strain_sd * h.level * strain(tt) + alive.cardiac_amplitude * heart(tt)
    return wobble * fade


def _hold_tension(t: np.ndarray, h: Hold, i0: int, i2: int, hp: HoldParams, tension: np.ndarray):
    """Tension builds over the hold and fades after the release."""
    rise = hp.tension_peak * (1.0 - np.exp(-(t[i0:i2] - h.start_s) / hp.tension_rise_s))
    np.maximum(tension[i0:i2], rise, out=tension[i0:i2])
    at_release = hp.tension_peak * (1.0 - np.exp(-(h.release_s - h.start_s) / hp.tension_rise_s))
    i4 = int(np.searchsorted(t, h.release_s + 8.0 * hp.tension_decay_s))
    fade = at_release * np.exp(-(t[i2:i4] - h.release_s) / hp.tension_decay_s)
    np.maximum(tension[i2:i4], fade, out=tension[i2:i4])


def _hold_blinks(t: np.ndarray, h: Hold, i0: int, i2: int, hp: HoldParams, out: HoldTracks):
    """Blinks: suppressed while holding (eased in over the catch-breath), a burst after."""
    supp = 1.0 - (1.0 - hp.blink_suppression) * out.weight[i0:i2]
    out.blink_factor[i0:i2] *= supp
    i5 = int(np.searchsorted(t, h.release_s + 8.0 * hp.blink_burst_s))
    out.blink_factor[i2:i5] *= 1.0 + (hp.blink_burst - 1.0) * np.exp(
        -(t[i2:i5] - h.release_s) / hp.blink_burst_s
    )
    end = float(t[-1])
    out.forced_blinks_s += [h.release_s + d for d in hp.release_blinks_s if h.release_s + d < end]


def hold_tracks(
    t: np.ndarray,
    holds: Sequence[Hold],
    blink_factor: np.ndarray,
    p: BreathParams,
    alive_seed: int = 0,
) -> HoldTracks:
    """Volume, tension and blink modulation of every hold (``blink_factor``: the modes').  Each
    hold's living wobble comes from its own stream (``alive_seed`` and its place in time)."""
    z = np.zeros_like(t)
    out = HoldTracks(z, z.copy(), z.copy(), blink_factor.copy(), [])
    for n, h in enumerate(holds):
        idx = np.searchsorted(t, [h.start_s, h.plateau_s, h.release_s, h.end_s])
        _hold_volume(t, h, idx, p, out)
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([alive_seed, n])))
        out.volume[idx[0] : idx[3]] += _held_alive(t, h, idx, p.hold.alive, rng)
        _hold_tension(t, h, idx[0], idx[2], p.hold, out.tension)
        _hold_blinks(t, h, idx[0], idx[2], p.hold, out)
    return out


def breathe(
    t: np.ndarray,
    segments: Sequence[tuple[float, float, str]],
    p: BreathParams,
    rng: np.random.Generator,
    speech=None,
) -> Breath:
    """The breathing performance over ``t`` (uniform grid, s) for the mode ``segments``.

    ``speech`` (a ``dialogue.breathing.SpeechBreath``: volume and weight on ``t``) takes the
    rhythm over where the character speaks; a breath hold still wins over both.
    """
    if t.size < 2:
        z = np.zeros_like(t)
        return Breath(z, z.copy(), np.ones_like(t), z.copy(), [], np.empty(0), np.empty(0))
    # Independent child streams, so e.g. a longer bake draws the same first cycles.
    seeds = rng.integers(0, 2**63 - 1, size=4)
    r_hold, r_cycle, r_sigh = (np.random.Generator(np.random.PCG64(s)) for s in seeds[:3])

    holds = schedule_holds(segments, float(t[-1]), p.hold, p.sigh, r_hold)
    ma = _mode_arrays(t, segments, p)
    quiet = _quiet(t, segments, holds)
    sigh_rate = p.sigh.rate_per_hour / 3600.0 * ma["sigh_rate_factor"] * ~quiet
    sigh_times = _renewal_times(sigh_rate, t, p.sigh.interval_cv, r_sigh)
    c = breath_cycles(t, ma, holds, quiet, sigh_times, p, r_cycle)
    ht = hold_tracks(t, holds, ma["blink_rate_factor"], p, int(seeds[3]))
    # Keep inside the breath channel's range smoothly (a sigh on top of a deep breath), so the
    # chest and face follow exactly what the state says.
    ch = CHANNELS["breath"]
    rhythm = cycle_volume(t, c)
    if speech is not None:
        rhythm = (1.0 - speech.weight) * rhythm + speech.weight * speech.volume
    volume = soft_limit((1.0 - ht.weight) * rhythm + ht.weight * ht.volume, ch.lo, ch.hi)
    # Lips part a little with the breath in deep and speech breathing.
    jaw = ma["jaw_drop"] * np.clip(volume / np.maximum(ma["amplitude"], 1e-6), 0.0, 1.5)
    return Breath(
        volume=volume,
        tension=np.clip(ma["tension"] + ht.tension, 0.0, 1.0),
        blink_factor=ht.blink_factor,
        jaw_drop=jaw,
        holds=holds,
        sigh_cycle_starts_s=c.start_s[c.sigh],
        forced_blinks_s=np.asarray(ht.forced_blinks_s, dtype=np.float64),
    )


def apply(ctx) -> None:
    """Breath layer: volume, chest pitch, nostril flare, jaw, tension and its face, blinks."""
    p = from_section(BreathParams, ctx.settings.section(NAME))
    segments = mode_segments(ctx.timeline, p.mode, ctx.duration_s)
    dialogue = ctx.events.get("dialogue")  # the dialogue layer's plan, when there is speech
    b = breathe(ctx.t, segments, p, ctx.rng(NAME), getattr(dialogue, "breath", None))
    gain = ctx.settings.layer_gain(NAME)
    volume = gain * b.volume
    ctx.add("breath", volume)
    ctx.add("chest_pitch", p.chest_pitch_deg * volume)
    ctx.add("shoulder_rise", p.shoulder_rise_deg * volume)
    flow = np.gradient(volume, ctx.t) if ctx.t.size > 1 else np.zeros_like(volume)
    flare = p.nostril_flare * np.tanh(np.maximum(flow, 0.0) / p.flare_flow_ref_per_s)
    # While the character speaks the mouth is the lip-sync's (the dialogue layer's "mouth_free").
    mouth = ctx.modulator("mouth_free")
    jaw = gain * b.jaw_drop * mouth
    tension = gain * b.tension
    tf = p.tension_face
    ctx.add("tension", tension)
    ctx.add("jaw_drop", jaw)
    ctx.add("jaw_clench", tf.jaw_clench * tension * mouth)
    ctx.add("jaw_forward", tf.jaw_forward * tension * mouth)
    for side in ("L", "R"):
        ctx.add(f"nasalis_{side}", flare)
        ctx.add(f"orbicularis_oris_{side}", tf.lip_press * tension * mouth)
        ctx.add(f"corrugator_{side}", tf.brow * tension)
    ctx.modulate("blink_rate", b.blink_factor**gain)
    if gain > 0 and b.forced_blinks_s.size:
        prev = np.asarray(ctx.events.get("forced_blinks_s", []), dtype=np.float64)
        ctx.events["forced_blinks_s"] = np.sort(np.concatenate([prev, b.forced_blinks_s]))
    ctx.events[NAME] = {
        "holds": [
            {
                "start_s": h.start_s,
                "plateau_s": h.plateau_s,
                "release_s": h.release_s,
                "end_s": h.end_s,
                "sigh": h.sigh,
            }
            for h in b.holds
        ],
        "sigh_cycle_starts_s": b.sigh_cycle_starts_s,
    }
