"""Head layer: sway spectrum and amplitude, tension stiffness, posture, listening behaviour,
breath coupling, gaze head share and the VOR — measured from the solved curves."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import csd, welch
from scipy.spatial.transform import Rotation

from microface_addon.core import load_preset, solve
from microface_addon.core.measure import stats
from microface_addon.core.solver.compose import SolveContext
from microface_addon.core.solver.layers import head
from microface_addon.core.timeline import (
    MarkerError,
    StateChange,
    Timeline,
    timeline_from_markers,
)
from microface_addon.core.timeline.intents import Intent

RATE_HZ = 240.0
TEN_MIN = 600.0
QUIET = {
    "gaze": {"enabled": False},
    "cascade": {"enabled": False},
    "micro_events": {"enabled": False},
    "blink": {"enabled": False},
}


_RUNS: dict = {}


def run(
    head_over=None, breath=None, duration=TEN_MIN, seed=1, timeline=None, state="rest", shared=True
):
    """A head-only solve.  Without a timeline it is made once per set of arguments and shared
    read-only (the baseline 10-minute run is the reference of several tests); ``shared=False``
    always solves anew (determinism tests compare two solves, never one with itself)."""
    shared = shared and timeline is None
    key = repr((head_over, breath, duration, seed, state)) if shared else None
    if key in _RUNS:
        return _RUNS[key]
    s = load_preset("neutral_idle").with_overrides(
        {**QUIET, "state": state, "head": head_over or {}, "breath": breath or {"enabled": False}}
    )
    perf = solve(s, duration, seed, "ada", timeline)
    if key is not None:
        for a in perf.channels.values():
            a.setflags(write=False)  # shared between tests: none may change them in place
        _RUNS[key] = perf
    return perf


@pytest.mark.parametrize("axis", ["pitch", "yaw", "roll"])
def test_sway_spectrum_falls_from_slow_drift_to_fast(axis):
    """1/f-like postural sway: power keeps rising towards slow frequencies (science-targets:
    log-log slope ≤ -0.5 over 0.02-0.3 Hz, octaves weighted equally), and falls steeply above the
    smoothing corner (no frame-to-frame jitter)."""
    slow = []
    for seed in (1, 2, 3):
        x = run(seed=seed).channels[f"head_{axis}"]
        f, psd = stats.power_spectrum(x, RATE_HZ)
        slow.append(stats.loglog_slope(f, psd, 0.02, 0.3, bins_per_octave=3))
        assert stats.loglog_slope(f, psd, 0.5, 5.0) < -1.0
        assert stats.loglog_slope(f, psd, 1.0, 10.0) < -1.0
    assert max(slow) <= -0.5, slow
    # Not band-limited jitter: the slowest octave holds more power than the one at 0.3 Hz.
    f, psd = stats.power_spectrum(run(seed=4).channels[f"head_{axis}"], RATE_HZ)
    low, mid = psd[(f >= 0.02) & (f < 0.04)].mean(), psd[(f >= 0.2) & (f < 0.4)].mean()
    assert low > 3 * mid, (low, mid)


def test_sway_amplitude_matches_preset():
    cfg = load_preset("neutral_idle").section("head")["sway"]["amplitude_deg"]
    for scale in (1.0, 2.5):
        amp = {a: v * scale for a, v in cfg.items()}
        perf = run({"sway": {"amplitude_deg": amp}})
        for a, want in amp.items():
            rms = float(np.std(perf.channels[f"head_{a}"]))
            assert 0.75 * want <= rms <= 1.25 * want, (a, rms, want)
    # The default sits in the published range of resting sway (sub-degree to ~2 degrees).
    peak_to_peak = np.percentile(run().channels["head_pitch"], [2.5, 97.5])
    assert 0.5 <= np.diff(peak_to_peak)[0] <= 4.0


def test_tension_stiffens_the_neck():
    # Same seed, same sway noise: only the breath mode (and so the tension) differs.
    calm = run(breath={"mode": "calm"}).channels
    held = run(breath={"mode": "held"}).channels
    assert held["tension"].mean() > calm["tension"].mean() + 0.2
    hi = held["tension"] > 0.5
    ratio = np.std(held["head_roll"][hi]) / np.std(calm["head_roll"][hi])
    assert ratio < 0.8, ratio


def test_posture_bias_shifts_mean_pitch_and_roll():
    base = run().channels
    up = run({"posture": "chin_up"}).channels
    assert np.mean(up["head_pitch"]) - np.mean(base["head_pitch"]) == pytest.approx(8.0, abs=0.3)
    biased = run({"bias_deg": {"roll": 3.0, "pitch": -1.5, "yaw": 0.0}}).channels
    assert np.mean(biased["head_roll"]) - np.mean(base["head_roll"]) == pytest.approx(3.0, abs=0.3)
    assert np.mean(biased["head_pitch"]) - np.mean(base["head_pitch"]) == pytest.approx(
        -1.5, abs=0.3
    )


def test_posture_track_glides_to_new_posture():
    tl = Timeline((StateChange(300.0, "posture", "lean_in", "mf:posture lean_in"),))
    perf = run(timeline=tl)
    first, second = slice(0, int(295 * RATE_HZ)), slice(int(305 * RATE_HZ), None)
    for axis, want in (("pitch", -4.0), ("roll", 4.0)):
        x = perf.channels[f"head_{axis}"]
        assert np.mean(x[second]) - np.mean(x[first]) == pytest.approx(want, abs=0.5)
    # Same seed without the change: same sway, so the difference is the posture glide alone.
    glide = perf.channels["head_roll"] - run().channels["head_roll"]
    assert glide[: int(300 * RATE_HZ)] == pytest.approx(0.0, abs=1e-9)  # nothing anticipates
    assert glide[int(302 * RATE_HZ) :] == pytest.approx(4.0, abs=1e-9)
    assert stats.frame_steps(glide, RATE_HZ, 60.0).max() < 0.15  # deg per frame: no jump


def test_sway_is_smooth_from_frame_to_frame():
    x = run().channels["head_pitch"]
    frames = np.interp(np.arange(0, TEN_MIN, 1 / 60), np.arange(x.size) / RATE_HZ, x)
    vel, acc = np.diff(frames), np.diff(frames, 2)
    assert np.std(acc) < 0.35 * np.std(vel)  # jittery (white) velocity would give about 1.4
    assert np.abs(vel).max() * 60 < 20.0  # deg/s: a drifting head, never a jerk


def test_listening_tilts_held_for_seconds_and_nods():
    lp = load_preset("neutral_idle").section("head")["listening"]
    rest = run(seed=3).channels
    listen = run(seed=3, state="listening").channels
    long_tilts = stats.spans_above(np.abs(listen["head_roll"]), RATE_HZ, 4.0, min_s=2.0)
    per_min = len(long_tilts) / (TEN_MIN / 60)
    assert 0.4 * lp["tilt_rate_per_min"] <= per_min <= 1.5 * lp["tilt_rate_per_min"], per_min
    assert np.percentile(np.abs(rest["head_roll"]), 99.9) < 4.0  # no such tilts at rest
    # Nods: brief chin dips; pitch has a heavier downward tail while listening.
    dips_listen = np.percentile(listen["head_pitch"] - np.median(listen["head_pitch"]), 1)
    dips_rest = np.percentile(rest["head_pitch"] - np.median(rest["head_pitch"]), 1)
    assert dips_listen < dips_rest - 0.5


def test_breath_coupled_pitch_is_coherent_and_in_phase():
    perf = run(breath={"mode": "deep"})
    b, pitch = perf.channels["breath"], perf.channels["head_pitch"]
    cyc = stats.detect_breath_cycles(b, RATE_HZ)
    f_breath = cyc.rate_per_min / 60.0
    nper = int(120 * RATE_HZ)
    f, pxy = csd(b, pitch, fs=RATE_HZ, nperseg=nper)
    _, pxx = welch(b, fs=RATE_HZ, nperseg=nper)
    _, pyy = welch(pitch, fs=RATE_HZ, nperseg=nper)
    i = int(np.argmin(np.abs(f - f_breath)))
    coherence = np.abs(pxy[i]) ** 2 / (pxx[i] * pyy[i])
    assert coherence > 0.5, coherence
    assert abs(np.angle(pxy[i])) < np.radians(20)  # chin lifts as the chest fills


def world_eye_error_deg(ch: dict, side: str = "L") -> np.ndarray:
    """Angle between the eye-in-world direction and straight ahead, composed with scipy's
    rotations (an implementation independent of the layer's)."""
    left, up, fwd = np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), np.array([0, -1.0, 0])
    n = ch["head_yaw"].size
    z = np.zeros(n)

    def rot(yaw, pitch, roll):
        rv = np.radians(yaw)[:, None] * up - np.radians(pitch)[:, None] * left
        return Rotation.from_rotvec(rv - np.radians(roll)[:, None] * fwd)

    chest = rot(z, ch.get("chest_pitch", z), z)
    hd = rot(ch["head_yaw"], ch["head_pitch"], ch["head_roll"])
    eye = rot(ch[f"eye_yaw_{side}"], ch[f"eye_pitch_{side}"], z)
    world = (chest * hd * eye).apply(np.tile(fwd, (n, 1)))
    return np.degrees(np.arccos(np.clip(world @ fwd, -1, 1)))


def test_vor_keeps_eyes_on_target_while_head_sways_and_tilts():
    tl = Timeline((StateChange(100.0, "posture", "listening_tilt"),))
    perf = run(breath={"mode": "deep"}, timeline=tl, state="listening")
    ch = perf.channels
    still_eyes = {"eye_yaw_L": 0 * ch["head_yaw"], "eye_pitch_L": 0 * ch["head_yaw"]}
    head_motion = world_eye_error_deg({**ch, **still_eyes})
    assert head_motion.max() > 5.0  # the head really moves (posture, tilts, nods, sway)
    assert world_eye_error_deg(ch, "L").max() < 0.01
    assert world_eye_error_deg(ch, "R").max() < 0.01


def test_vor_switch_off_lets_eyes_ride_with_the_head():
    ch = run({"vor": False}).channels
    assert "eye_yaw_L" not in ch
    assert np.abs(ch["head_yaw"]).max() > 0.5


def contract_context(duration=120.0, seed=4, head_over=None):
    s = load_preset("neutral_idle").with_overrides({**QUIET, "head": head_over or {}})
    n = int(duration * RATE_HZ) + 1
    t = np.arange(n) / RATE_HZ
    return SolveContext(s, Timeline(), duration, RATE_HZ, seed, "ada", t)


def test_gaze_head_share_lands_once_with_eyes_aimed_off_axis():
    """The gaze layer's plan (eyes 25 deg left and 10 deg down, head taking 12 deg of yaw and
    -4 of pitch) must survive the head's own motion: the eyes end where gaze aimed them."""
    ctx = contract_context()
    t = ctx.t
    share_yaw = 12.0 * np.clip((t - 30) / 0.4, 0, 1)
    share_pitch = -4.0 * np.clip((t - 30) / 0.4, 0, 1)
    ctx.add("gaze_head_share_yaw", share_yaw)
    ctx.add("gaze_head_share_pitch", share_pitch)
    for side in ("L", "R"):
        ctx.add(f"eye_yaw_{side}", np.full_like(t, 13.0))  # 25 deg gaze minus the 12 deg share
        ctx.add(f"eye_pitch_{side}", np.full_like(t, -6.0))
    ctx.add("chest_pitch", 0.8 * np.sin(2 * np.pi * 0.25 * t))
    ctx.add("tension", np.zeros_like(t))
    planned = world_direction(share_yaw, share_pitch, 13.0, -6.0)
    head.apply(ctx)
    ch = ctx.channels
    # The head carries the share on top of its own motion.
    own_yaw = ch["head_yaw"] - share_yaw
    assert abs(np.mean(own_yaw)) < 0.5 and np.std(own_yaw) > 0.2
    # The eye-in-world direction is where gaze put it (independent composition with scipy).
    left, up, fwd = np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), np.array([0, -1.0, 0])
    z = np.zeros_like(t)

    def rot(yaw, pitch, roll):
        rv = np.radians(yaw)[:, None] * up - np.radians(pitch)[:, None] * left
        return Rotation.from_rotvec(rv - np.radians(roll)[:, None] * fwd)

    world = (
        rot(z, ch["chest_pitch"], z)
        * rot(ch["head_yaw"], ch["head_pitch"], ch["head_roll"])
        * rot(ch["eye_yaw_L"], ch["eye_pitch_L"], z)
    ).apply(np.tile(fwd, (t.size, 1)))
    err = np.degrees(np.arccos(np.clip(np.sum(world * planned, axis=1), -1, 1)))
    assert err.max() < 0.01


def world_direction(share_yaw, share_pitch, eye_yaw, eye_pitch):
    left, up, fwd = np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), np.array([0, -1.0, 0])
    n = share_yaw.size
    hd = Rotation.from_rotvec(
        np.radians(share_yaw)[:, None] * up - np.radians(share_pitch)[:, None] * left
    )
    eye = Rotation.from_rotvec(
        np.tile(np.radians(eye_yaw) * up - np.radians(eye_pitch) * left, (n, 1))
    )
    return (hd * eye).apply(np.tile(fwd, (n, 1)))


def test_intensity_scales_own_motion_but_never_the_gaze_share():
    ctx = contract_context(head_over={"intensity": 0.0})
    share = np.linspace(0, 20, ctx.t.size)
    ctx.add("gaze_head_share_yaw", share)
    head.apply(ctx)
    assert np.allclose(ctx.channels["head_yaw"], share)
    assert np.allclose(ctx.channels["head_roll"], 0.0)
    assert np.allclose(ctx.channels["eye_yaw_L"], 0.0, atol=1e-9)


def test_deterministic_per_character_and_prefix_stable():
    a = run(duration=60, seed=8, shared=False).channels["head_pitch"]
    b = run(duration=60, seed=8, shared=False).channels["head_pitch"]
    assert a is not b and np.array_equal(a, b)
    longer = run(duration=200, seed=8, shared=False).channels["head_pitch"]
    assert np.array_equal(a, longer[: a.size])
    s = load_preset("neutral_idle").with_overrides({**QUIET, "breath": {"enabled": False}})
    other = solve(s, 60, 8, "bob").channels["head_pitch"]
    assert not np.allclose(a, other)


def test_unknown_posture_names_its_source():
    tl = Timeline((StateChange(3.0, "posture", "slouch", "marker 'mf:posture slouch' @ 72"),))
    with pytest.raises(ValueError, match="slouch.*mf:posture slouch"):
        run(duration=10.0, timeline=tl)


def test_posture_marker_with_duration_comes_and_goes():
    tl = timeline_from_markers([("mf:posture chin_up 6", 100.0, "marker 'mf:posture chin_up 6'")])
    glide = (
        run(timeline=tl, duration=200).channels["head_pitch"]
        - run(duration=200).channels["head_pitch"]
    )
    at = lambda s: glide[int(s * RATE_HZ)]  # noqa: E731
    assert at(99.0) == pytest.approx(0.0, abs=1e-9)
    assert at(103.0) == pytest.approx(8.0, abs=1e-6)  # chin up during the marker's 6 s
    assert at(110.0) == pytest.approx(0.0, abs=1e-6)  # and back afterwards


def test_malformed_posture_marker_names_the_marker():
    with pytest.raises(MarkerError, match="marker 7.*mf:posture <neutral"):
        timeline_from_markers([("mf:posture slouch", 1.0, "marker 7")])


def test_nod_intent_dips_the_chin_once():
    tl = Timeline(intents=(Intent(kind="nod", start_s=50.0, intensity=0.5),))
    dip = (
        run(timeline=tl, duration=80).channels["head_pitch"]
        - run(duration=80).channels["head_pitch"]
    )
    lp = load_preset("neutral_idle").section("head")["listening"]
    assert dip.min() == pytest.approx(-np.mean(lp["nod_pitch_deg"]), rel=0.02)
    moving = np.flatnonzero(np.abs(dip) > 1e-6) / RATE_HZ
    assert 50.0 <= moving[0] and moving[-1] <= 50.0 + max(lp["nod_duration_s"])


@pytest.mark.parametrize("state", ["rest", "listening"])
def test_with_the_gaze_layer_the_eyes_land_where_gaze_aimed(state):
    """The gaze layer's plan (its eye angles on a head turned by its share only, read from a run
    without the head layer) is where the eyes point in the world once the head adds sway,
    posture, nods, tilts and breath on a breathing chest."""
    base = {"state": state, "cascade": {"enabled": False}, "micro_events": {"enabled": False}}
    base["breath"] = {"mode": "deep"}
    prof = load_preset("neutral_idle")
    on = solve(prof.with_overrides(base), 90.0, 3, "ada").channels
    off = solve(prof.with_overrides({**base, "head": {"enabled": False}}), 90.0, 3, "ada").channels
    n = on["eye_yaw_L"].size
    z = np.zeros(n)
    left, up, fwd = np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), np.array([0, -1.0, 0])

    def rot(yaw, pitch, roll):
        rv = np.radians(yaw)[:, None] * up - np.radians(pitch)[:, None] * left
        return Rotation.from_rotvec(rv - np.radians(roll)[:, None] * fwd)

    ahead = np.tile(fwd, (n, 1))
    for side in ("L", "R"):
        share = rot(off.get("gaze_head_share_yaw", z), off.get("gaze_head_share_pitch", z), z)
        plan = (share * rot(off[f"eye_yaw_{side}"], off[f"eye_pitch_{side}"], z)).apply(ahead)
        world = (
            rot(z, on["chest_pitch"], z)
            * rot(on["head_yaw"], on["head_pitch"], on["head_roll"])
            * rot(on[f"eye_yaw_{side}"], on[f"eye_pitch_{side}"], z)
        ).apply(ahead)
        err = np.degrees(np.arccos(np.clip(np.sum(plan * world, axis=1), -1, 1)))
        assert err.max() < 0.05, (side, err.max())
    assert np.abs(off["eye_yaw_L"]).max() > 5.0  # gaze really moves the eyes
