"""Head and neck: postural sway, breath-coupled pitch, posture, listening tilts and nods, the gaze
layer's head share, and the vestibulo-ocular reflex that keeps the eyes on target.

Why this shape:
- Sway is filtered noise, not a sum of sines: mostly a slow postural drift whose power keeps
  rising towards slow frequencies (1/f-like, tens of seconds; ``pink_process``), with a smaller
  damped resonance on top, then smoothed so the head's velocity is smooth.  It never repeats, and
  the filters are causal and start stationary, so a longer bake starts with the same motion.
- Tension stiffens the neck: sway shrinks as the shared ``tension`` state rises.
- Posture is a bias that glides to each new value on the timeline's ``posture`` track
  (``mf:posture chin_up 4``); listening brings its own behaviour (tilts held for seconds, small
  nods), and ``nod`` intents add nods on cue.
- The VOR is computed in 3-D, not by subtracting angles: the eye-in-head direction is rotated
  by the inverse of everything the head and chest did that the gaze layer did not plan for (its
  head share).  So the eye-in-world direction is unchanged even with a rolled head and eyes
  looking to the side.
Numbers come from the preset's ``head`` section; sources are in ``docs/science.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ...channels import sided
from ...geometry import (
    Rotation,
    angles_of_components,
    direction_components,
    in_blocks,
    rotation_components,
)
from ...sections import Range, from_section
from ...timeline.intents import DEFAULT_INTENSITY
from ..primitives.noise import pink_process
from ..primitives.ramps import cosine_ramp, stepped

NAME = "head"
LABEL = "Head"
# Head angles, and the VOR's correction of the eyes (and the lids that ride with them).
WRITES = ("head_pitch", "head_yaw", "head_roll", *sided("eye_yaw", "eye_pitch", "upper_lid_gaze"))
POSTURE_TRACK = "posture"
NOD = "nod"
AXES = ("pitch", "yaw", "roll")
# Filter warm-up before 0 s, so the sway's resonance starts in its stationary state (the drift
# starts stationary by construction).
WARMUP_S = 30.0
# Ornstein-Uhlenbeck parts of the postural drift (corners spread over its band).
DRIFT_POLES = 7
# The drift is simulated at this rate and interpolated: its fastest corner is well under 1 Hz, and
# the smoothing filter that follows removes the interpolation's corners.
DRIFT_RATE_HZ = 10.0
# Length of the impulse response summed to find the sway filters' output level (their slowest
# pole decays far within it).
IMPULSE_S = 120.0


@dataclass(frozen=True)
class SwayParams:
    amplitude_deg: Mapping[str, float]  # per axis (``AXES``)
    peak_hz: float
    q: float
    drift_share: float  # share of the variance in the slow postural drift (the rest: resonance)
    drift_band_hz: Range  # the drift's power falls as 1/f^drift_exponent inside this band
    drift_exponent: float
    smoothing_hz: float
    tension_stiffness: float


@dataclass(frozen=True)
class ListeningParams:
    tilt_rate_per_min: float
    tilt_roll_deg: Range
    tilt_hold_s: Range
    tilt_attack_s: float
    tilt_release_s: float
    tilt_side_bias: float
    tilt_pitch_per_roll: float  # chin dip per degree of tilt
    nod_rate_per_min: float
    nod_pitch_deg: Range
    nod_duration_s: Range
    double_nod_share: float
    double_nod_ratio: float  # the second nod's depth / the first's


@dataclass(frozen=True)
class HeadParams:
    """The preset's ``head`` section (``core/sections.py`` builds it)."""

    sway: SwayParams
    breath_pitch_deg: float
    posture: str
    bias_deg: Mapping[str, float]  # per axis
    postures: Mapping[str, Mapping[str, float]]  # posture name → angle per axis
    posture_transition_s: float
    listening: ListeningParams
    vor: bool


# --- Sway ---------------------------------------------------------------------------------


def _filtered(noise: np.ndarray, stages: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    from scipy.signal import lfilter  # lazy: solver/__init__.py

    for b, a in stages:
        noise = lfilter(b, a, noise)
    return noise


def _output_sd(stages: Sequence[tuple[np.ndarray, np.ndarray]], fs: float) -> float:
    """Output standard deviation of the filter chain for unit-variance white input."""
    impulse = np.zeros(int(fs * IMPULSE_S))
    impulse[0] = 1.0
    return float(np.sqrt(np.sum(_filtered(impulse, stages) ** 2)))


def _smoothed(x: np.ndarray, smooth: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``x`` through the smoothing filter, started at rest on ``x``'s first value (no transient)."""
    from scipy.signal import lfilter, lfilter_zi  # lazy: solver/__init__.py

    b, a = smooth
    y, _ = lfilter(b, a, x, zi=lfilter_zi(b, a) * x[0])
    return y


def postural_drift(t: np.ndarray, p: SwayParams, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance 1/f-like drift per axis, ``(len(AXES), t.size)``: ``pink_process`` at
    ``DRIFT_RATE_HZ``, interpolated onto ``t`` (drawn row by row, so a longer solve starts the
    same)."""
    n = int(np.ceil(t[-1] * DRIFT_RATE_HZ)) + 2
    coarse = np.arange(n) / DRIFT_RATE_HZ
    noise = rng.standard_normal(size=(n, len(AXES) * DRIFT_POLES))
    out = np.empty((len(AXES), t.size))
    for j in range(len(AXES)):
        cols = noise[:, j * DRIFT_POLES : (j + 1) * DRIFT_POLES]
        out[j] = np.interp(
            t, coarse, pink_process(cols, DRIFT_RATE_HZ, p.drift_band_hz, p.drift_exponent)
        )
    return out


def sway(t: np.ndarray, p: SwayParams, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Postural sway per axis (degrees, before tension): a slow 1/f-like drift (``drift_share``
    of the variance) and a band-pass resonance, both smoothed above ``smoothing_hz`` so the head's
    velocity is smooth from frame to frame.

    Each axis has an RMS of ``amplitude_deg[axis]`` (both parts are normalised to unit variance
    before mixing).  The resonance and the drift draw from child streams of their own, each block
    row by row, so a longer solve starts with the same rows and therefore the same motion.
    """
    from scipy.signal import butter, iirpeak  # lazy: solver/__init__.py

    fs = 1.0 / (t[1] - t[0])
    r_res, r_drift = (
        np.random.Generator(np.random.PCG64(s)) for s in rng.integers(0, 2**63 - 1, 2)
    )
    smooth = butter(2, p.smoothing_hz, fs=fs)
    resonance = [iirpeak(p.peak_hz, p.q, fs=fs), smooth]
    sd_r = _output_sd(resonance, fs)
    warm = int(WARMUP_S * fs)
    noise = r_res.standard_normal(size=(warm + t.size, len(AXES)))
    drift = postural_drift(t, p, r_drift)
    out = {}
    for j, axis in enumerate(AXES):
        res = _filtered(noise[:, j], resonance)[warm:] / sd_r
        dri = _smoothed(drift[j], smooth)
        mix = np.sqrt(1.0 - p.drift_share) * res + np.sqrt(p.drift_share) * dri
        out[axis] = p.amplitude_deg[axis] * mix
    return out


# --- Posture, tilts, nods --------------------------------------------------------------------


def posture_segments(timeline, p: HeadParams, duration_s: float) -> list[tuple[float, float, str]]:
    """Posture over time from the timeline's ``posture`` track, checking every name."""
    known = tuple(p.postures)
    return timeline.checked_segments(POSTURE_TRACK, p.posture, duration_s, known, "head posture")


def posture_angles(
    t: np.ndarray, segments: Sequence[tuple[float, float, str]], p: HeadParams
) -> dict[str, np.ndarray]:
    """Bias (constant) + named posture per segment, gliding over ``posture_transition_s``."""
    starts = [s[0] for s in segments]
    return {
        a: p.bias_deg[a]
        + stepped(t, starts, [p.postures[s[2]][a] for s in segments], p.posture_transition_s)
        for a in AXES
    }


def _poisson_times(
    mask: np.ndarray, t: np.ndarray, rate_per_s: float, rng: np.random.Generator
) -> np.ndarray:
    """Event times of a Poisson process running only where ``mask`` is true."""
    dt = t[1] - t[0]
    lam = np.concatenate(([0.0], np.cumsum(mask[:-1] * rate_per_s * dt)))
    total = lam[-1]
    n = int(total + 6 * np.sqrt(total + 1) + 4)
    op = np.cumsum(rng.exponential(1.0, size=n))
    op = op[op < total]
    idx = np.clip(np.searchsorted(lam, op, side="right"), 1, t.size - 1)
    return t[idx]


def listening_motion(
    t: np.ndarray, listening: np.ndarray, lp: ListeningParams, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Tilts (roll held for seconds, with a slight chin-down) and small nods while listening.

    Tilts do not overlap: one that would start before the previous has released is dropped.
    The character has a preferred side (``tilt_side_bias`` of tilts go that way).
    """
    out = {a: np.zeros_like(t) for a in AXES}
    side = 1.0 if rng.random() < 0.5 else -1.0
    if not listening.any():
        return out
    busy_until = -np.inf
    for t0 in _poisson_times(listening, t, lp.tilt_rate_per_min / 60.0, rng):
        roll = rng.uniform(*lp.tilt_roll_deg) * (
            side if rng.random() < lp.tilt_side_bias else -side
        )
        hold = rng.uniform(*lp.tilt_hold_s)
        if t0 < busy_until:
            continue
        rel0 = t0 + lp.tilt_attack_s + hold
        busy_until = rel0 + lp.tilt_release_s
        i0, i1 = np.searchsorted(t, [t0, busy_until])
        s = t[i0:i1]
        env = np.minimum(
            cosine_ramp((s - t0) / lp.tilt_attack_s),
            1.0 - cosine_ramp((s - rel0) / lp.tilt_release_s),
        )
        out["roll"][i0:i1] += roll * env
        out["pitch"][i0:i1] -= lp.tilt_pitch_per_roll * abs(roll) * env
    for t0 in _poisson_times(listening, t, lp.nod_rate_per_min / 60.0, rng):
        amp = rng.uniform(*lp.nod_pitch_deg)
        dur = rng.uniform(*lp.nod_duration_s)
        n_nods = 2 if rng.random() < lp.double_nod_share else 1
        for j in range(n_nods):
            a = amp * (lp.double_nod_ratio**j)
            start = t0 + j * dur
            add_nod(out["pitch"], t, start, dur, a)
    return out


def nod_shape(t: np.ndarray, start_s: float, duration_s: float, depth_deg: float) -> np.ndarray:
    """One nod: the chin dips ``depth_deg`` and comes back up, smoothly, in ``duration_s``."""
    x = (t - start_s) / duration_s
    inside = (x >= 0) & (x <= 1)
    return np.where(inside, -depth_deg * np.sin(np.pi * np.clip(x, 0, 1)) ** 2, 0.0)


def add_nod(
    out: np.ndarray, t: np.ndarray, start_s: float, duration_s: float, depth_deg: float
) -> None:
    """Add ``nod_shape`` to ``out`` in place over the samples the nod spans (two samples of margin
    each side): it is zero everywhere else, so a listening hour's hundreds of nods cost their own
    length, not the shot's length each."""
    margin = 2.0 * (t[1] - t[0]) if t.size > 1 else 0.0
    i0, i1 = np.searchsorted(t, [start_s - margin, start_s + duration_s + margin])
    out[i0:i1] += nod_shape(t[i0:i1], start_s, duration_s, depth_deg)


def nod_intents(t: np.ndarray, intents: Sequence, p: HeadParams) -> np.ndarray:
    """Pitch (degrees) of nods cued as intents of kind ``nod``: the default intensity (0.5) gives a
    nod of the middle of the listening nod range, 1 one twice as deep."""
    out = np.zeros_like(t)
    lp = p.listening
    for it in intents:
        if it.kind == NOD:
            depth = float(it.intensity) / DEFAULT_INTENSITY * float(np.mean(lp.nod_pitch_deg))
            add_nod(out, t, float(it.start_s), float(np.mean(lp.nod_duration_s)), depth)
    return out


# --- The VOR (rotation maths shared with the gaze layer: core/geometry.py) ---------------------


def vor_eye_angles(
    eye_yaw: np.ndarray,
    eye_pitch: np.ndarray,
    planned: tuple[np.ndarray, np.ndarray, np.ndarray],
    actual: tuple[np.ndarray, np.ndarray, np.ndarray],
    chest_pitch: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Eye yaw/pitch that keep the eye-in-world direction the gaze layer planned.

    The gaze layer aimed the eyes assuming the head turns by ``planned`` (yaw, pitch, roll: its
    head share) on a still chest; the head actually turns by ``actual`` on a chest pitched by
    ``chest_pitch``.  World = chest · head · eye, so the eye must point along
    head⁻¹ · chest⁻¹ · planned · eye.
    """
    return vor_angles(eye_yaw, eye_pitch, vor_rotations(planned, actual, chest_pitch))


def vor_rotations(
    planned: tuple[np.ndarray, np.ndarray, np.ndarray],
    actual: tuple[np.ndarray, np.ndarray, np.ndarray],
    chest_pitch: np.ndarray,
) -> tuple[Rotation, Rotation, Rotation]:
    """The VOR's three rotations (planned head; chest⁻¹; actual head⁻¹), prepared once for both
    eyes (``vor_eye_angles``)."""
    chest = Rotation(*rotation_components(0.0, chest_pitch, 0.0)).inverse()
    head = Rotation(*rotation_components(*actual)).inverse()
    return Rotation(*rotation_components(*planned)), chest, head


def vor_angles(
    eye_yaw: np.ndarray, eye_pitch: np.ndarray, rotations: tuple[Rotation, Rotation, Rotation]
) -> tuple[np.ndarray, np.ndarray]:
    """``vor_eye_angles`` with the rotations ``vor_rotations`` prepared."""
    planned, chest_back, head_back = rotations
    world = planned.apply_components(*direction_components(eye_yaw, eye_pitch))
    return angles_of_components(*head_back.apply_components(*chest_back.apply_components(*world)))


def _vor_both_eyes(yaw_l, pitch_l, yaw_r, pitch_r, *head_and_chest):
    """``vor_eye_angles`` of both eyes, the rotations prepared once (a block: ``in_blocks``)."""
    planned, actual, chest = head_and_chest[0:3], head_and_chest[3:6], head_and_chest[6]
    rotations = vor_rotations(planned, actual, chest)
    return vor_angles(yaw_l, pitch_l, rotations), vor_angles(yaw_r, pitch_r, rotations)


# --- The layer -----------------------------------------------------------------------------


def apply(ctx) -> None:
    """Head layer: sway + breath pitch + posture + listening + nods + gaze share; VOR."""
    p = from_section(HeadParams, ctx.settings.section(NAME))
    gain = ctx.settings.layer_gain(NAME)
    t = ctx.t
    if t.size < 2:
        return
    seeds = ctx.rng(NAME).integers(0, 2**63 - 1, size=2)
    r_sway, r_listen = (np.random.Generator(np.random.PCG64(s)) for s in seeds)

    tension = np.clip(ctx.get("tension"), 0.0, 1.0)
    stiff = 1.0 - p.sway.tension_stiffness * tension
    sw = sway(t, p.sway, r_sway)
    pose = posture_angles(t, posture_segments(ctx.timeline, p, ctx.duration_s), p)
    listening = ctx.state_values() == "listening"
    lm = listening_motion(t, listening, p.listening, r_listen)
    own = {a: gain * (stiff * sw[a] + pose[a] + lm[a]) for a in AXES}
    nods = nod_intents(t, ctx.timeline.intents, p)
    own["pitch"] = own["pitch"] + gain * (nods + p.breath_pitch_deg * ctx.get("breath"))

    share_yaw = ctx.get("gaze_head_share_yaw")
    share_pitch = ctx.get("gaze_head_share_pitch")
    zeros = np.zeros_like(t)
    total = (share_yaw + own["yaw"], share_pitch + own["pitch"], own["roll"])
    ctx.add("head_yaw", total[0])
    ctx.add("head_pitch", total[1])
    ctx.add("head_roll", total[2])
    if p.vor:
        planned = (share_yaw, share_pitch, zeros)
        chest = ctx.get("chest_pitch")
        # The upper lid rides with the eye's pitch in the head, whatever turned the eye: the VOR's
        # pitch correction moves the lid by the same rule the gaze layer uses.
        lid_per_deg = (
            float(ctx.settings.section("gaze")["lid_follow_per_deg"])
            if ctx.settings.layer_enabled("gaze")
            else 0.0
        )
        eyes = tuple(ctx.get(f"eye_{a}_{side}") for side in ("L", "R") for a in ("yaw", "pitch"))
        corrected = in_blocks(_vor_both_eyes, t.size, *eyes, *planned, *total, chest)
        for side, y0, p0, (y1, p1) in zip(
            ("L", "R"), eyes[::2], eyes[1::2], corrected, strict=True
        ):
            ctx.add(f"eye_yaw_{side}", y1 - y0)
            ctx.add(f"eye_pitch_{side}", p1 - p0)
            if lid_per_deg:
                ctx.add(f"upper_lid_gaze_{side}", -lid_per_deg * (p1 - p0))
    ctx.events[NAME] = {"listening_s": float(np.count_nonzero(listening) / ctx.rate_hz)}
