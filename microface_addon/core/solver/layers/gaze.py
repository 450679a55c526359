"""Gaze: where the eyes look, fixation by fixation, and what that does to lids, blinks and head.

Why a stochastic fixation/saccade model: eyes that hold still read as dead and eyes that wander
uniformly read as robotic.  Measured eyes alternate fixations and saccades whose amplitudes are
mostly small (roughly exponential, ~90 % under 15°), mostly horizontal, and that keep coming back
to whatever matters — the person being talked to — with a probability that depends on what the
character is doing (listening holds eye contact, thinking looks away).  Inside each fixation the
eye is never still: microsaccades (~1–2/s, < 1°) and slow drift.

The layer plans fixations in a loop over events (never over samples), turns the plan into curves
with the main-sequence kinematics of ``saccades.py``, adds the primary target (a ``LookAt`` track
on the timeline, or straight ahead) and vergence, and couples to the rest of the face:
  * gaze shifts beyond ~15° recruit the head (``gaze_head_share_*``, lagging the eyes); the eyes
    write gaze − head share, so they counter-rotate while the head catches up and gaze lands once;
  * large shifts (> ~30°) force a blink at saccade onset (``ctx.events["forced_blinks_s"]``);
  * the upper lid follows vertical gaze (``upper_lid_gaze_*``).
Blink *rate* per state is the blink layer's table (it reads the same ``state`` track), so gaze
does not modulate it again.  All numbers come from the preset's ``gaze`` section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ...channels import sided
from ...geometry import eye_in_head_angles
from ...sections import Range, from_section
from ..primitives.lazy_scipy import lfilter
from ..primitives.saccades import MainSequence, minimum_jerk, step_trajectory

NAME = "gaze"
LABEL = "Gaze"
WRITES = (
    *sided("eye_yaw", "eye_pitch", "upper_lid_gaze"),
    "gaze_head_share_yaw",
    "gaze_head_share_pitch",
)
READING = "reading"

# Saccade kinds recorded in ``ctx.events["saccades"]["kind"]``.
AWAY, RETURN, READ_STEP, READ_REGRESSION, READ_SWEEP = 0, 1, 2, 3, 4
# The solve starts somewhere inside the first fixation (this fraction of a drawn one), so seeds
# differ in phase.  A simulation choice, not physiology.
FIRST_FIXATION_PHASE = (0.2, 1.0)
# Attempts at a fixation point inside the field before a saccade away gives up and returns.
AWAY_TARGET_TRIES = 8


@dataclass(frozen=True)
class StateBehaviour:
    """Fixation/saccade statistics of one conversational state (everything but reading)."""

    fixation_on_target_s: float
    fixation_away_s: float
    fixation_cv: float
    return_probability: float
    amplitude_scale_deg: float
    horizontal_share: float
    up_share: float


@dataclass(frozen=True)
class ReadingBehaviour:
    """Lines of text centred on the primary target, read towards the character's right."""

    fixation_s: float
    fixation_cv: float
    step_deg: float
    step_cv: float
    regression_share: float
    line_width_deg: float
    line_spacing_deg: float
    lines_per_block: int
    landing_scatter_deg: float  # SD above/below the line
    first_landing_deg: Range  # how far into the first line the first fixation lands
    regression_fraction: Range  # a regression's size, as a fraction of a forward step
    return_sweep_undershoot_deg: Range  # how short of the line's start a return sweep lands


@dataclass(frozen=True)
class SaccadeDirection:
    horizontal_scatter_deg: float  # SD of a horizontal saccade's direction
    oblique_range_deg: Range  # directions of the others, from +yaw (mirrored for downward ones)


@dataclass(frozen=True)
class Microsaccades:
    rate_per_s: float
    interval_cv: float
    min_interval_s: float
    amplitude_median_deg: float
    amplitude_spread: float
    amplitude_range_deg: Range
    landing_spread_deg: float
    fixation_margin_s: float


@dataclass(frozen=True)
class Drift:
    rms_deg: float
    bandwidth_hz: float


@dataclass(frozen=True)
class Vergence:
    ipd_m: float
    default_distance_m: float
    time_constant_s: float


@dataclass(frozen=True)
class GazeEvokedBlink:
    amplitude_50_deg: float
    width_deg: float
    max_probability: float
    lead_s: float


@dataclass(frozen=True)
class HeadShare:
    """How large gaze shifts recruit the head (``gaze_head_share_*``)."""

    threshold_deg: float
    share: float
    lag_s: float
    duration_base_s: float
    duration_per_deg_s: float
    max_deg: float
    follow_time_constant_s: float


@dataclass(frozen=True)
class GazeParams:
    """The preset's ``gaze`` section (``core/sections.py`` builds it)."""

    hold_eye_contact: bool
    main_sequence: MainSequence
    saccade_amplitude_range_deg: tuple[float, float]
    field_deg: tuple[float, float]
    direction: SaccadeDirection
    state_change_reaction_s: Range
    min_fixation_s: float
    states: Mapping[str, StateBehaviour]
    reading: ReadingBehaviour
    microsaccades: Microsaccades
    drift: Drift
    vergence: Vergence
    eye_misalignment_deg: float
    gaze_evoked_blink: GazeEvokedBlink
    lid_follow_per_deg: float
    head: HeadShare

    def behaviour(self, state: str) -> StateBehaviour:
        return self.states.get(state, self.states["rest"])


@dataclass(frozen=True)
class SaccadePlan:
    """Planned gaze shifts, as offsets (yaw, pitch in degrees) from the primary target."""

    onset_s: np.ndarray  # (K,)
    duration_s: np.ndarray  # (K,)
    start_deg: np.ndarray  # (K, 2) offset before the saccade
    end_deg: np.ndarray  # (K, 2) offset after it
    kind: np.ndarray  # (K,) int8, one of the kind codes above

    @classmethod
    def empty(cls) -> SaccadePlan:
        empty2 = np.zeros((0, 2))
        return cls(np.zeros(0), np.zeros(0), empty2, empty2, np.zeros(0, np.int8))

    @classmethod
    def of(cls, rows: Sequence[tuple[float, float, np.ndarray, np.ndarray, int]]) -> SaccadePlan:
        """From ``(onset_s, duration_s, start_deg, end_deg, kind)`` rows."""
        if not rows:
            return cls.empty()
        onset, duration, start, end, kind = zip(*rows, strict=True)
        as2 = lambda v: np.asarray(v, dtype=np.float64).reshape(-1, 2)  # noqa: E731
        return cls(
            np.asarray(onset, dtype=np.float64),
            np.asarray(duration, dtype=np.float64),
            as2(start),
            as2(end),
            np.asarray(kind, dtype=np.int8),
        )

    @property
    def delta_deg(self) -> np.ndarray:
        return self.end_deg - self.start_deg

    @property
    def amplitude_deg(self) -> np.ndarray:
        return np.hypot(self.delta_deg[:, 0], self.delta_deg[:, 1])

    @property
    def direction_deg(self) -> np.ndarray:
        """0° = towards the character's left (+yaw), 90° = up."""
        return np.degrees(np.arctan2(self.delta_deg[:, 1], self.delta_deg[:, 0]))


# ---------------------------------------------------------------------------------------------
# Planning: one loop over fixations
# ---------------------------------------------------------------------------------------------


def _gamma(rng: np.random.Generator, mean: float, cv: float) -> float:
    shape = 1.0 / max(cv, 1e-3) ** 2
    return float(rng.gamma(shape, mean / shape))


def _truncated_exponential(rng: np.random.Generator, scale: float, lo: float, hi: float) -> float:
    """An amplitude from P(A) ∝ exp(−A/scale) on [lo, hi] (the "Eyes Alive" distribution)."""
    span = 1.0 - np.exp(-(hi - lo) / scale)
    return float(lo - scale * np.log1p(-rng.random() * span))


def _direction(rng: np.random.Generator, b: StateBehaviour, d: SaccadeDirection) -> float:
    """Saccade direction (radians, 0 = +yaw): mostly horizontal, the rest split up/down."""
    if rng.random() < b.horizontal_share:
        scatter = np.radians(d.horizontal_scatter_deg)
        return (0.0 if rng.random() < 0.5 else np.pi) + rng.normal(0.0, scatter)
    lo, hi = np.radians(d.oblique_range_deg)
    theta = rng.uniform(lo, hi)
    return theta if rng.random() < b.up_share else -theta


def _inside(pos: np.ndarray, field: tuple[float, float]) -> bool:
    return (pos[0] / field[0]) ** 2 + (pos[1] / field[1]) ** 2 <= 1.0


def _away_target(
    rng: np.random.Generator, pos: np.ndarray, b: StateBehaviour, p: GazeParams
) -> np.ndarray | None:
    """A new fixation point one saccade away from ``pos`` inside the field (None: give up)."""
    for _ in range(AWAY_TARGET_TRIES):
        amp = _truncated_exponential(rng, b.amplitude_scale_deg, *p.saccade_amplitude_range_deg)
        theta = _direction(rng, b, p.direction)
        step = amp * np.array([np.cos(theta), np.sin(theta)])
        for flip in (np.array([1.0, 1.0]), np.array([-1.0, 1.0]), np.array([1.0, -1.0])):
            cand = pos + step * flip  # mirror at the field's edge, keeping the amplitude
            if _inside(cand, p.field_deg):
                return cand
    return None


class _ReadingCursor:
    """Where the reader is in a block of lines (line index, fixation point)."""

    def __init__(self, r: ReadingBehaviour):
        self.r = r
        self.line = -1

    def line_pitch(self, line: int) -> float:
        top = 0.5 * (self.r.lines_per_block - 1) * self.r.line_spacing_deg
        return top - line * self.r.line_spacing_deg

    def next(self, rng: np.random.Generator, pos: np.ndarray) -> tuple[np.ndarray, int]:
        r = self.r
        half = 0.5 * r.line_width_deg
        jitter = rng.normal(0.0, r.landing_scatter_deg)  # vertical landing scatter on the line
        if self.line < 0:  # entering reading: the start of the first line
            self.line = 0
            start = half - rng.uniform(*r.first_landing_deg)
            return np.array([start, self.line_pitch(0) + jitter]), READ_SWEEP
        step = _gamma(rng, r.step_deg, r.step_cv)
        if rng.random() < r.regression_share and pos[0] < half - step:
            # Regressions: short backward saccades (towards the start of the line, +yaw).
            back = step * rng.uniform(*r.regression_fraction)
            return np.array([pos[0] + back, self.line_pitch(self.line) + jitter]), READ_REGRESSION
        if pos[0] - step < -half:  # past the end of the line: return sweep (or a new block)
            self.line = (self.line + 1) % r.lines_per_block
            # Return sweeps undershoot the line start and are corrected by the next steps.
            land = half - rng.uniform(*r.return_sweep_undershoot_deg)
            return np.array([land, self.line_pitch(self.line) + jitter]), READ_SWEEP
        return np.array([pos[0] - step, self.line_pitch(self.line) + jitter]), READ_STEP


def _fixation_s(
    rng: np.random.Generator, p: GazeParams, state: str, on_target: bool, reading: bool
) -> float:
    """How long the current fixation lasts (``reading``: the reader is already on a line)."""
    if state == READING and reading:
        fix = _gamma(rng, p.reading.fixation_s, p.reading.fixation_cv)
    else:
        b = p.behaviour(state)
        mean = b.fixation_on_target_s if on_target else b.fixation_away_s
        fix = _gamma(rng, mean, b.fixation_cv)
    return max(fix, p.min_fixation_s)


def _next_target(
    rng: np.random.Generator,
    p: GazeParams,
    state: str,
    pos: np.ndarray,
    on_target: bool,
    cursor: _ReadingCursor | None,
) -> tuple[np.ndarray, int, _ReadingCursor | None]:
    """Where the next saccade lands, its kind, and the reading cursor (None outside reading)."""
    if state == READING:
        cursor = _ReadingCursor(p.reading) if cursor is None else cursor
        target, kind = cursor.next(rng, pos)
        return target, kind, cursor
    b = p.behaviour(state)
    if not on_target and rng.random() < b.return_probability:
        return np.zeros(2), RETURN, None
    target = _away_target(rng, pos, b, p)
    return (np.zeros(2), RETURN, None) if target is None else (target, AWAY, None)


def plan_saccades(
    segments: list[tuple[float, float, str]],
    duration_s: float,
    p: GazeParams,
    ms: MainSequence,
    rng: np.random.Generator,
    gain: float = 1.0,
) -> SaccadePlan:
    """Plan every gaze shift over ``duration_s`` from the state segments (one loop over events).

    Offsets are relative to the primary target; ``gain`` (layer intensity) scales every
    excursion, and durations follow the main sequence of the scaled amplitude.
    """
    if p.hold_eye_contact or gain <= 0.0:
        return SaccadePlan.empty()
    bounds = [s[0] for s in segments[1:]]

    def state_at(time: float) -> str:
        return segments[int(np.searchsorted(bounds, time, side="right"))][2]

    rows: list[tuple[float, float, np.ndarray, np.ndarray, int]] = []
    pos = np.zeros(2)
    on_target = True
    cursor: _ReadingCursor | None = None
    t = 0.0
    first = True
    while t < duration_s:
        fix = _fixation_s(rng, p, state_at(t), on_target, cursor is not None)
        if first:  # start somewhere inside the first fixation so seeds differ in phase
            fix *= rng.uniform(*FIRST_FIXATION_PHASE)
            first = False
        onset = t + fix
        nxt = int(np.searchsorted(bounds, t, side="right"))
        if nxt < len(bounds) and onset > bounds[nxt]:
            # The state changed during this fixation: react to it shortly after the change.
            onset = bounds[nxt] + rng.uniform(*p.state_change_reaction_s)
        if onset >= duration_s:
            break
        target, kind, cursor = _next_target(rng, p, state_at(onset), pos, on_target, cursor)
        on_target = kind == RETURN
        amp = float(np.hypot(*(target - pos))) * gain
        if amp < 1e-3:
            t = onset
            continue
        dur = float(ms.duration_s(amp))
        rows.append((onset, dur, pos * gain, target * gain, kind))
        pos = target
        t = onset + dur
    return SaccadePlan.of(rows)


# ---------------------------------------------------------------------------------------------
# Fixational eye movements
# ---------------------------------------------------------------------------------------------


def fixation_mask(t: np.ndarray, plan: SaccadePlan, margin_s: float) -> np.ndarray:
    """True where the eye is fixating, at least ``margin_s`` away from any saccade."""
    mask = np.ones(t.shape, dtype=bool)
    i0 = np.searchsorted(t, plan.onset_s - margin_s, side="left")
    i1 = np.searchsorted(t, plan.onset_s + plan.duration_s + margin_s, side="right")
    for a, b in zip(i0, i1, strict=True):
        mask[a:b] = False
    return mask


def plan_microsaccades(
    t: np.ndarray,
    eligible: np.ndarray,
    drift_deg: np.ndarray,
    p: GazeParams,
    ms: MainSequence,
    rng: np.random.Generator,
    gain: float = 1.0,
) -> SaccadePlan:
    """Microsaccades during fixations: a renewal process in fixation time, each one a small jump
    that pulls the fixational offset (its own jumps plus drift) back towards the fixation point.
    """
    if gain <= 0.0 or p.microsaccades.rate_per_s <= 0.0 or t.size < 2:
        return SaccadePlan.empty()
    dt = t[1] - t[0]
    op = np.cumsum(eligible * dt)  # fixation time elapsed
    total = op[-1]
    shape = 1.0 / p.microsaccades.interval_cv**2
    mean = 1.0 / p.microsaccades.rate_per_s
    n_draw = int(total / mean * 1.5 + 6 * np.sqrt(total / mean + 1) + 10)
    gaps = rng.gamma(shape, mean / shape, size=n_draw)
    times_op = rng.uniform(0.0, 1.0) * gaps[0] + np.concatenate(([0.0], np.cumsum(gaps[1:])))
    times_op = times_op[times_op < total]
    idx = np.minimum(np.searchsorted(op, times_op, side="left"), t.size - 1)
    idx = idx[eligible[idx]]
    keep: list[int] = []
    for i in idx:  # enforce the refractory interval between microsaccades
        if not keep or t[i] - t[keep[-1]] >= p.microsaccades.min_interval_s:
            keep.append(int(i))
    lo, hi = p.microsaccades.amplitude_range_deg
    amps = np.clip(
        p.microsaccades.amplitude_median_deg
        * rng.lognormal(0.0, p.microsaccades.amplitude_spread, len(keep)),
        lo,
        hi,
    )
    aims = rng.normal(0.0, p.microsaccades.landing_spread_deg, size=(len(keep), 2))
    offset = np.zeros(2)
    starts, ends = [], []
    for j, i in enumerate(keep):
        current = offset + drift_deg[i] / max(gain, 1e-9)
        direction = aims[j] - current
        norm = float(np.hypot(*direction))
        direction = direction / norm if norm > 1e-9 else np.array([1.0, 0.0])
        starts.append(offset.copy())
        offset = offset + amps[j] * direction
        ends.append(offset.copy())
    start = np.asarray(starts, dtype=np.float64).reshape(-1, 2) * gain
    end = np.asarray(ends, dtype=np.float64).reshape(-1, 2) * gain
    amp = np.hypot(*(end - start).T) if len(keep) else np.zeros(0)
    return SaccadePlan(
        t[np.asarray(keep, dtype=np.int64)],
        ms.duration_s(amp),
        start,
        end,
        np.zeros(len(keep), dtype=np.int8),
    )


def drift(
    n: int, rate_hz: float, rms_deg: float, bandwidth_hz: float, rng: np.random.Generator
) -> np.ndarray:
    """Slow fixational drift: white noise through two one-pole low-passes, ``(n, 2)`` degrees.

    Two poles make it smooth (its velocity stays ~1 °/s, far below any saccade), and the RMS is
    set from the filter's own impulse response so it does not depend on the clip length.
    """
    if rms_deg <= 0.0 or n == 0:
        return np.zeros((n, 2))
    a = np.exp(-2.0 * np.pi * bandwidth_hz / rate_hz)
    warm = int(5.0 * rate_hz / (2.0 * np.pi * bandwidth_hz)) + 1
    x = rng.standard_normal((n + warm, 2))
    y = lfilter([1.0 - a], [1.0, -a], lfilter([1.0 - a], [1.0, -a], x, axis=0), axis=0)[warm:]
    impulse = np.zeros(warm * 4)
    impulse[0] = 1.0
    h = lfilter([1.0 - a], [1.0, -a], lfilter([1.0 - a], [1.0, -a], impulse))
    return y * (rms_deg / np.sqrt(np.sum(h**2)))


# ---------------------------------------------------------------------------------------------
# Couplings
# ---------------------------------------------------------------------------------------------


def blink_probability(amplitude_deg: np.ndarray, p: GazeParams) -> np.ndarray:
    """Probability that a gaze shift of this size comes with a blink (logistic in amplitude)."""
    z = (
        np.asarray(amplitude_deg, float) - p.gaze_evoked_blink.amplitude_50_deg
    ) / p.gaze_evoked_blink.width_deg
    return p.gaze_evoked_blink.max_probability / (1.0 + np.exp(-z))


def comfortable_head_deg(gaze_deg: np.ndarray, p: GazeParams) -> np.ndarray:
    """Head orientation (yaw, pitch) for looking at ``gaze_deg`` (``(..., 2)``, head-rest frame).

    Inside the eye-only range (``threshold``) the eyes do it all; beyond it the head takes
    ``share`` of the excess (Stahl 1999), up to ``max_deg``.
    """
    g = np.asarray(gaze_deg, dtype=np.float64)
    r = np.hypot(g[..., 0], g[..., 1])[..., None]
    take = np.minimum(p.head.share * np.maximum(r - p.head.threshold_deg, 0.0), p.head.max_deg)
    return np.divide(g * take, r, out=np.zeros_like(g), where=r > 0.0)


def head_recruitment(
    plan: SaccadePlan, p: GazeParams, target_at_onset_deg: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Head movement per planned saccade: ``(onsets_s, deltas_deg (K, 2))``, zero for most.

    Only shifts larger than ``threshold`` move the head (smaller ones never do), starting ``lag``
    after the eyes; each re-aims the head at the comfortable orientation for the new gaze point.
    From straight ahead that is ``share`` of the excess beyond the threshold; a shift that lands
    near the target brings the head back, and one whose end point the eyes can reach alone
    (a reading return sweep) leaves it where it is instead of creeping.  ``target_at_onset_deg``
    (K, 2) is the primary target's direction at each onset; the part of the head orientation the
    target alone asks for is followed continuously elsewhere (``target_head_deg``).
    """
    amp = plan.amplitude_deg
    target = np.zeros((amp.size, 2)) if target_at_onset_deg is None else target_at_onset_deg
    deltas = np.zeros((amp.size, 2))
    total = np.zeros(2)
    for k in np.flatnonzero(amp > p.head.threshold_deg):
        want = comfortable_head_deg(target[k] + plan.end_deg[k], p)
        want = want - comfortable_head_deg(target[k], p)
        deltas[k] = want - total
        total = want
    return plan.onset_s + p.head.lag_s, deltas


def target_head_deg(
    target_yaw: np.ndarray, target_pitch: np.ndarray, rate_hz: float, p: GazeParams
) -> np.ndarray:
    """Head orientation that keeps an eccentric target within the eyes' comfortable range,
    following the target with a first-order lag (zero for targets inside the eye-only range)."""
    want = comfortable_head_deg(np.stack([target_yaw, target_pitch], axis=-1), p)
    if not np.any(want) or p.head.follow_time_constant_s <= 0.0:
        return want
    a = np.exp(-1.0 / (p.head.follow_time_constant_s * rate_hz))
    y, _ = lfilter([1.0 - a], [1.0, -a], want, axis=0, zi=a * want[:1])
    return y


def head_durations_s(deltas_deg: np.ndarray, p: GazeParams) -> np.ndarray:
    """Head movements are slower than saccades and last longer the further they go."""
    return p.head.duration_base_s + p.head.duration_per_deg_s * np.hypot(*deltas_deg.T)


def smoothed_distance(distance_m: np.ndarray, rate_hz: float, time_constant_s: float) -> np.ndarray:
    """Vergence follows changes of fixation distance with a first-order lag (on 1/distance)."""
    inv = 1.0 / np.asarray(distance_m, dtype=np.float64)
    if time_constant_s <= 0.0 or inv.size == 0:
        return 1.0 / inv
    a = np.exp(-1.0 / (time_constant_s * rate_hz))
    y, _ = lfilter([1.0 - a], [1.0, -a], inv, zi=[a * inv[0]])
    return 1.0 / y


# ---------------------------------------------------------------------------------------------
# The layer
# ---------------------------------------------------------------------------------------------


def _events(plan: SaccadePlan) -> dict[str, np.ndarray]:
    return {
        "onset_s": plan.onset_s,
        "duration_s": plan.duration_s,
        "amplitude_deg": plan.amplitude_deg,
        "direction_deg": plan.direction_deg,
        "kind": plan.kind,
    }


@dataclass(frozen=True)
class PrimaryTarget:
    """Where the eyes look when they are not looking away, per sample (head-rest frame)."""

    yaw_deg: np.ndarray
    pitch_deg: np.ndarray
    distance_m: np.ndarray  # smoothed: vergence follows with a lag
    ipd_m: float
    pivot_lup: np.ndarray | None  # the centre the head turns about (a rig's look-at track)


def primary_target(ctx, p: GazeParams) -> PrimaryTarget:
    """The timeline's look-at track, or straight ahead at the default distance."""
    t = ctx.t
    look = ctx.timeline.look_at
    if look is not None:
        yaw, pitch, distance = look.sample(t)
        ipd = look.ipd_m if look.ipd_m is not None else p.vergence.ipd_m
    else:
        yaw = pitch = np.zeros_like(t)
        distance = np.full(t.shape, p.vergence.default_distance_m)
        ipd = p.vergence.ipd_m
    distance = smoothed_distance(distance, ctx.rate_hz, p.vergence.time_constant_s)
    return PrimaryTarget(yaw, pitch, distance, ipd, None if look is None else look.pivot_lup)


def head_share(
    ctx, plan: SaccadePlan, target: PrimaryTarget, p: GazeParams
) -> tuple[np.ndarray, np.ndarray]:
    """The head share ``(n, 2)`` degrees, and each saccade's head movement ``(K, 2)``: zero
    unless a head layer will actually turn the head."""
    t = ctx.t
    at_onset = np.stack(
        [np.interp(plan.onset_s, t, target.yaw_deg), np.interp(plan.onset_s, t, target.pitch_deg)],
        1,
    )
    h_on, h_delta = head_recruitment(plan, p, at_onset)
    head_on = ctx.settings.layer_enabled("head")
    if not head_on:
        h_delta[:] = 0.0
    moving = np.flatnonzero(np.any(h_delta != 0.0, axis=1))
    head = step_trajectory(
        t, h_on[moving], head_durations_s(h_delta[moving], p), h_delta[moving], minimum_jerk
    )
    if head_on:
        head += target_head_deg(target.yaw_deg, target.pitch_deg, ctx.rate_hz, p)
    return head, h_delta


def _forced_blinks(ctx, plan: SaccadePlan, p: GazeParams, rng: np.random.Generator) -> np.ndarray:
    """Gaze-evoked blinks: large shifts come with a blink timed to the saccade's onset; they are
    appended to what other layers forced.  Returns which saccades blink."""
    blink = rng.random(plan.onset_s.size) < blink_probability(plan.amplitude_deg, p)
    forced = plan.onset_s[blink] + p.gaze_evoked_blink.lead_s
    forced = forced[(forced >= 0.0) & (forced < ctx.duration_s)]
    prior = ctx.events.get("forced_blinks_s")
    prior = np.zeros(0) if prior is None else np.asarray(prior, dtype=np.float64).ravel()
    ctx.events["forced_blinks_s"] = np.sort(np.concatenate([prior, forced]))
    return blink


def apply(ctx) -> None:
    """Gaze layer: eye angles per eye, lid follow, head share, forced blinks, saccade events."""
    p = from_section(GazeParams, ctx.settings.section(NAME))
    ms = p.main_sequence
    rng = ctx.rng(NAME)
    gain = ctx.settings.layer_gain(NAME)
    t = ctx.t
    segments = ctx.timeline.segments("state", ctx.settings.state, ctx.duration_s)

    plan = plan_saccades(segments, ctx.duration_s, p, ms, rng, gain)
    offsets = step_trajectory(t, plan.onset_s, plan.duration_s, plan.delta_deg, ms.progress)
    slow = gain * drift(t.size, ctx.rate_hz, p.drift.rms_deg, p.drift.bandwidth_hz, rng)
    eligible = fixation_mask(t, plan, p.microsaccades.fixation_margin_s)
    micro = plan_microsaccades(t, eligible, slow, p, ms, rng, gain)
    offsets += step_trajectory(t, micro.onset_s, micro.duration_s, micro.delta_deg, ms.progress)
    offsets += slow

    target = primary_target(ctx, p)
    head, h_delta = head_share(ctx, plan, target, p)
    eyes = eye_in_head_angles(
        target.yaw_deg + offsets[:, 0],
        target.pitch_deg + offsets[:, 1],
        target.distance_m,
        target.ipd_m,
        head[:, 0],
        head[:, 1],
        target.pivot_lup,
    )
    ctx.add("gaze_head_share_yaw", head[:, 0])
    ctx.add("gaze_head_share_pitch", head[:, 1])

    # Tiny per-character misalignment between the eyes (no two eyes are perfectly yoked).
    misalign = rng.normal(0.0, p.eye_misalignment_deg / np.sqrt(2.0), size=(2, 2)) * gain
    for i, eye in enumerate(("L", "R")):
        yaw, pitch = eyes[eye][0] + misalign[i, 0], eyes[eye][1] + misalign[i, 1]
        ctx.add(f"eye_yaw_{eye}", yaw)
        ctx.add(f"eye_pitch_{eye}", pitch)
        # The upper lid rides with the eye: down-gaze lowers it (+), up-gaze raises it (−).
        ctx.add(f"upper_lid_gaze_{eye}", -p.lid_follow_per_deg * pitch)

    blink = _forced_blinks(ctx, plan, p, rng)
    head_deg = np.hypot(h_delta[:, 0], h_delta[:, 1])
    ctx.events["saccades"] = {**_events(plan), "head_deg": head_deg, "blink": blink}
    ctx.events["microsaccades"] = _events(micro)
