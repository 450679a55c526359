"""Gaze layer, measured from the finished curves over 10 simulated minutes per state.

Every statistic is measured the way an eye tracker would: saccades are found by a velocity
threshold on the gaze curves (``stats.detect_saccades``), blinks on the lid curve
(``stats.detect_blinks``).  Gaze is measured in the torso's frame — eye-in-head composed with the
head and chest curves — so it does not matter which part of a shift the head takes.  The bands
are the published ones in /work/shared/science-targets.md, written out here, not read from the
code under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_same_curve

from microface_addon.core import StateChange, Timeline, load_preset, solve
from microface_addon.core.geometry import direction_vectors, gaze_in_world
from microface_addon.core.measure.stats import (
    coincidence_share,
    detect_blinks,
    detect_saccades,
    event_mask,
)
from microface_addon.core.solver.compose import SolveContext
from microface_addon.core.solver.layers import gaze as gaze_layer
from microface_addon.core.timeline import LookAt

STATES = ("rest", "listening", "speaking", "thinking", "reading", "scanning")
CONVERSATION = ("rest", "listening", "speaking", "thinking", "scanning")
MINUTES = 10
DURATION_S = MINUTES * 60.0
# The bands are judged on events pooled over these seeds, never on one tuned seed.
SEEDS = (0, 1, 2)
# Layers the gaze statistics do not need (they draw from their own streams, so gaze is the same).
QUIET = {"cascade": {"enabled": False}, "micro_events": {"enabled": False}}

# Published bands (science-targets.md, "Eye movements" and "Blinks").
AMPLITUDE_MEDIAN_DEG = (3.0, 8.0)  # Lee, Badler & Badler 2002; Bahill 1975
SHARE_UNDER_15_DEG = (0.85, 0.95)
MAIN_SEQUENCE_TOLERANCE = 0.20  # D ≈ 2.2·A + 21 ms (Carpenter 1988; Baloh 1975)
MICROSACCADE_RATE_PER_S = (0.5, 3.0)  # Martinez-Conde et al. 2004
GAZE_EVOKED_BLINK_SHARE = 0.80  # Evinger et al. 1994: ~97 % of shifts > 33°
LID_PITCH_R = 0.8
HEAD_ONLY_ABOVE_DEG = 15.0  # Stahl 1999; Freedman & Sparks 1997
HEAD_LAG_S = (0.020, 0.050)


def main_sequence_ms(amplitude_deg):
    return 2.2 * np.asarray(amplitude_deg) + 21.0


_CACHE: dict = {}
_MEASURED: dict = {}  # (id of a cached run, what) -> measurement of that run


@pytest.fixture(scope="module", autouse=True)
def _free_the_runs():
    """Drop the cached runs when the module is done: ~0.6 GB of curves over three seeds, which
    a later test's forked child would otherwise count in its peak memory (test_reliability)."""
    yield
    _CACHE.clear()
    _MEASURED.clear()


def _read_only(*arrays):
    for a in arrays:
        a.setflags(write=False)  # shared between tests: none may change them in place


def run(state: str, seed: int = 0, **overrides):
    """A 10-minute solve, made once per (state, seed, overrides) and shared read-only."""
    key = (state, seed, repr(sorted(overrides.items())))
    if key not in _CACHE:
        over = {"state": state, **QUIET, **overrides}
        settings = load_preset("neutral_idle").with_overrides(over)
        perf = solve(settings, DURATION_S, seed=seed, character_id="GazeTest")
        _read_only(*perf.channels.values())
        _CACHE[key] = perf
    return _CACHE[key]


def pooled_saccades(state: str):
    """Saccades of ``SEEDS`` runs of a state, pooled (amplitude, duration, direction, onset)."""
    dets = [measured_saccades(run(state, seed)) for seed in SEEDS]
    return {
        f: np.concatenate([getattr(d, f) for d in dets])
        for f in ("amplitude_deg", "duration_s", "direction_deg")
    }


def _measured_once(perf, what, measure):
    """``measure()`` once per cached run (the runs live as long as the session, so their ids
    stay theirs); anything else is measured every time."""
    if not any(perf is p for p in _CACHE.values()):
        return measure()
    key = (id(perf), what)
    if key not in _MEASURED:
        _MEASURED[key] = measure()
    return _MEASURED[key]


def world_gaze(perf, eye: str = "L"):
    def measure():
        yaw, pitch = _world_gaze(perf, eye)
        _read_only(yaw, pitch)
        return yaw, pitch

    return _measured_once(perf, ("world_gaze", eye), measure)


def _world_gaze(perf, eye):
    c = perf.channels
    z = np.zeros(perf.n_samples)
    return gaze_in_world(
        c[f"eye_yaw_{eye}"],
        c[f"eye_pitch_{eye}"],
        c.get("head_yaw", z),
        c.get("head_pitch", z),
        c.get("head_roll", z),
        c.get("chest_pitch", z),
    )


def measured_saccades(perf):
    def measure():
        yaw, pitch = world_gaze(perf)
        det = detect_saccades(yaw, pitch, perf.rate_hz)
        _read_only(*(getattr(det, f) for f in det.__dataclass_fields__))
        return det

    return _measured_once(perf, "saccades", measure)


# --- Saccade amplitudes and durations -----------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
def test_amplitude_distribution_matches_published(state):
    det = pooled_saccades(state)
    amp = det["amplitude_deg"][det["amplitude_deg"] >= 1.0]  # under 1° is a microsaccade
    assert amp.size > 600, f"{state}: only {amp.size} saccades in {len(SEEDS)} x {MINUTES} min"
    median = float(np.median(amp))
    under_15 = float(np.mean(amp < 15.0))
    assert AMPLITUDE_MEDIAN_DEG[0] <= median <= AMPLITUDE_MEDIAN_DEG[1], (state, median)
    assert SHARE_UNDER_15_DEG[0] <= under_15 <= SHARE_UNDER_15_DEG[1], (state, under_15)


@pytest.mark.parametrize("state", STATES)
def test_durations_follow_main_sequence(state):
    det = pooled_saccades(state)
    sel = det["amplitude_deg"] >= 1.0
    ratio = det["duration_s"][sel] * 1000.0 / main_sequence_ms(det["amplitude_deg"][sel])
    within = np.abs(ratio - 1.0) <= MAIN_SEQUENCE_TOLERANCE
    # Allow a handful of merged events (two movements inside one velocity window).
    assert np.mean(within) >= 0.98, (state, np.mean(within), np.percentile(ratio, [1, 50, 99]))
    assert 0.9 <= np.median(ratio) <= 1.1, (state, np.median(ratio))


def test_peak_velocity_rises_and_saturates():
    dets = [measured_saccades(run("scanning", seed)) for seed in SEEDS]
    amp = np.concatenate([d.amplitude_deg for d in dets])
    peak = np.concatenate([d.peak_velocity_deg_s for d in dets])
    edges = [1, 3, 6, 10, 15, 20, 30, 45]
    medians = [
        np.median(peak[(amp >= a) & (amp < b)]) for a, b in zip(edges[:-1], edges[1:], strict=True)
    ]
    assert np.all(np.diff(medians) > 0), medians  # monotone in amplitude
    big = peak[amp >= 25.0]
    assert big.size >= 5 and 450.0 <= np.median(big) <= 800.0, np.median(big)
    # Saturating: °/s gained per degree falls off for large saccades.
    gain_small = (medians[2] - medians[0]) / (8.0 - 2.0)
    gain_large = (medians[-1] - medians[-3]) / (37.5 - 17.5)
    assert gain_large < 0.25 * gain_small, (gain_small, gain_large)


@pytest.mark.parametrize("state", CONVERSATION)
def test_directions_mostly_horizontal(state):
    det = pooled_saccades(state)
    d = det["direction_deg"][det["amplitude_deg"] >= 1.0]
    horizontal = np.mean(np.minimum(np.abs(d), 180.0 - np.abs(d)) <= 30.0)
    # Thinking averts gaze up/down more often, but horizontal stays the single commonest class.
    assert horizontal >= (0.35 if state == "thinking" else 0.5), (state, horizontal)


def test_thinking_looks_away_and_up_listening_holds_contact():
    def near_target(perf):
        yaw, pitch = world_gaze(perf)
        return float(np.mean(np.hypot(yaw, pitch) < 2.5)), float(np.mean(pitch))

    for seed in SEEDS:
        listen_near, listen_pitch = near_target(run("listening", seed))
        think_near, think_pitch = near_target(run("thinking", seed))
        assert listen_near > 0.5, listen_near  # listeners look at the speaker most of the time
        assert think_near < 0.5 * listen_near, (think_near, listen_near)
        assert think_pitch > listen_pitch + 2.0, (think_pitch, listen_pitch)


@pytest.mark.parametrize("seed", SEEDS)
def test_reading_moves_along_lines_towards_the_characters_right(seed):
    det = measured_saccades(run("reading", seed))
    sel = det.amplitude_deg >= 1.0
    d = det.direction_deg[sel]
    rightward = np.mean(np.abs(np.abs(d) - 180.0) <= 20.0)  # 180° = towards -yaw
    assert rightward > 0.6, rightward
    # Fixations are short while reading (~200-250 ms; Rayner 1998).
    gaps = np.diff(det.onsets_s[sel])
    assert 0.18 <= np.median(gaps) <= 0.35, np.median(gaps)


# --- Fixational eye movements -------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
def test_microsaccade_rate_and_size(state):
    count, fixation_s = 0, 0.0
    for seed in SEEDS:
        perf = run(state, seed)
        det = measured_saccades(perf)
        micro = det.amplitude_deg < 1.0
        fixation_s += DURATION_S - float(det.duration_s[~micro].sum())
        count += int(micro.sum())
        planned = perf.events["microsaccades"]["amplitude_deg"]
        assert planned.size and planned.max() < 1.0
        # Nearly every planned microsaccade is seen by the detector (they are real movements).
        assert micro.sum() >= 0.9 * planned.size, (micro.sum(), planned.size)
    rate = count / fixation_s
    assert MICROSACCADE_RATE_PER_S[0] <= rate <= MICROSACCADE_RATE_PER_S[1], (state, rate)


def test_drift_is_present_but_small():
    perf = run("listening")
    yaw, pitch = world_gaze(perf)
    det = measured_saccades(perf)
    moving = event_mask(yaw.size, perf.rate_hz, det.onsets_s, det.offsets_s, pad_s=0.01)
    # Stretches between any two movements (saccade or microsaccade) longer than 0.4 s.
    edges = np.diff(moving.astype(np.int8), prepend=1, append=1)
    starts, ends = np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)
    spans = []
    for a, b in zip(starts, ends, strict=True):
        if (b - a) / perf.rate_hz >= 0.4:
            spans.append(np.hypot(np.ptp(yaw[a:b]), np.ptp(pitch[a:b])))
    spans = np.array(spans)
    assert spans.size > 100
    assert np.median(spans) > 0.01  # the eye is never frozen
    assert np.percentile(spans, 99) < 0.5, np.percentile(spans, 99)


# --- Couplings ----------------------------------------------------------------------------------


def test_large_gaze_shifts_come_with_blinks():
    hits_by_bin = {(0, 15): [], (20, 30): [], (30, 90): []}
    for state in ("rest", "thinking", "scanning"):
        for seed in SEEDS:
            perf = run(state, seed)
            det = measured_saccades(perf)
            blinks = detect_blinks(perf.channels["orbicularis_oculi_palpebral_L"], perf.rate_hz)
            for (lo, hi), hits in hits_by_bin.items():
                sel = (det.amplitude_deg >= max(lo, 1.0)) & (det.amplitude_deg < hi)
                hits.append((coincidence_share(det.onsets_s[sel], blinks.onsets_s, 0.1), sel.sum()))
    n_big = sum(int(n) for _, n in hits_by_bin[(30, 90)])
    assert n_big >= 20, f"only {n_big} shifts > 30° to test"

    def pooled(hits):
        return sum(s * n for s, n in hits if n) / sum(n for _, n in hits)

    big = pooled(hits_by_bin[(30, 90)])
    mid = pooled(hits_by_bin[(20, 30)])
    small = pooled(hits_by_bin[(0, 15)])
    assert big >= GAZE_EVOKED_BLINK_SHARE, big
    assert small < mid < big, (small, mid, big)  # rises with amplitude
    assert small < 0.15, small  # small saccades meet blinks only by chance


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("seed", SEEDS)
def test_upper_lid_follows_eye_pitch_outside_blinks(state, seed):
    perf = run(state, seed)
    c = perf.channels
    for eye in ("L", "R"):
        blinks = detect_blinks(c[f"orbicularis_oculi_palpebral_{eye}"], perf.rate_hz)
        inside = event_mask(
            perf.n_samples, perf.rate_hz, blinks.onsets_s, blinks.onsets_s + blinks.duration_s, 0.05
        )
        lid = c[f"upper_lid_gaze_{eye}"][~inside]  # + = lid lowered
        down = -c[f"eye_pitch_{eye}"][~inside]  # + = eye looking down
        r = np.corrcoef(lid, down)[0, 1]
        assert r > LID_PITCH_R, (state, eye, r)


def test_head_joins_only_large_shifts_and_takes_more_of_larger_ones():
    amps, head = [], []
    for state, seed in (("rest", 0), ("scanning", 0), ("scanning", 1), ("thinking", 0)):
        perf = run(state, seed)
        det = measured_saccades(perf)
        det = det.select(det.amplitude_deg >= 1.0)
        rate = perf.rate_hz
        share = np.stack(
            [perf.channels["gaze_head_share_yaw"], perf.channels["gaze_head_share_pitch"]], 1
        )
        # Head movement from just before each shift until 0.6 s later or the next shift,
        # counted only when the head was still (no shift in the 0.6 s before).
        i0 = np.maximum(np.round(det.onsets_s * rate).astype(int) - 1, 0)
        nxt = np.append(i0[1:], share.shape[0] - 1)
        i1 = np.minimum(i0 + int(0.6 * rate), nxt)
        settled = np.diff(det.onsets_s, prepend=-1.0) > 0.6
        moved = np.hypot(*(share[i1] - share[i0]).T)
        amps.append(det.amplitude_deg[settled])
        head.append(moved[settled])
    amps, head = np.concatenate(amps), np.concatenate(head)
    small = amps < HEAD_ONLY_ABOVE_DEG - 0.5  # half a degree for measurement scatter
    assert small.sum() > 300
    assert np.all(head[small] < 0.05), head[small].max()
    bins = [(15, 22), (22, 30), (30, 60)]
    means = [head[(amps >= a) & (amps < b)].mean() for a, b in bins]
    assert all(m > 0 for m in means), means
    assert np.all(np.diff(means) > 0), means
    # The head takes a minority of the shift; the eyes still do most of the work.
    big = amps >= 30
    assert np.all(head[big] < 0.75 * amps[big])


def test_head_lags_the_eyes_and_gaze_lands_once():
    lags, checked = [], 0
    for state, seed in (("scanning", 0), ("scanning", 1), ("rest", 0), ("thinking", 0)):
        perf = run(state, seed)
        rate = perf.rate_hz
        yaw, pitch = world_gaze(perf)
        det = measured_saccades(perf)
        share = np.stack(
            [perf.channels["gaze_head_share_yaw"], perf.channels["gaze_head_share_pitch"]], 1
        )
        eye = np.stack([perf.channels["eye_yaw_L"], perf.channels["eye_pitch_L"]], 1)
        for k in np.flatnonzero(det.amplitude_deg > 20.0):
            i_on, i_off = int(det.onsets_s[k] * rate), int(det.offsets_s[k] * rate) + 1
            if k + 1 < det.count and det.onsets_s[k + 1] - det.offsets_s[k] < 0.35:
                continue  # another movement starts before the head would have finished
            before = share[i_on - 5]
            head_move = np.hypot(*(share[i_on - 5 : i_on + int(0.4 * rate)] - before).T)
            started = np.flatnonzero(head_move > 1e-3)
            if started.size == 0:
                continue  # made by the eyes alone (the end point is within the eyes' range)
            lags.append((i_on - 5 + started[0]) / rate - det.onsets_s[k])
            # Gaze lands once: after the saccade the gaze stays put while the head still turns...
            after = slice(i_off, i_off + int(0.25 * rate))
            drift = np.hypot(np.ptp(yaw[after]), np.ptp(pitch[after]))
            assert drift < 1.0, (state, det.onsets_s[k], drift)
            # ...because the eyes counter-rotate against the head's late motion.
            d_head = share[after.stop] - share[after.start]
            d_eye = eye[after.stop] - eye[after.start]
            if np.hypot(*d_head) > 0.5:
                assert np.dot(d_head, d_eye) < 0, (state, det.onsets_s[k], d_head, d_eye)
            checked += 1
    assert checked >= 10, checked
    lags = np.array(lags)
    assert np.all(lags > 0.0), lags.min()  # the eye leads
    assert HEAD_LAG_S[0] - 0.01 <= np.median(lags) <= HEAD_LAG_S[1] + 0.01, np.median(lags)


# --- Targets, vergence, options ------------------------------------------------------------------


def per_eye_world_error(perf, target_lup: np.ndarray, ipd_m: float, eye: str) -> np.ndarray:
    """Angle (°) between where an eye looks and the target, seen from that eye."""
    yaw, pitch = world_gaze(perf, eye)
    side = 1.0 if eye == "L" else -1.0
    to_target = target_lup - np.array([side * ipd_m / 2.0, 0.0, 0.0])
    to_target = to_target / np.linalg.norm(to_target, axis=-1, keepdims=True)
    d = direction_vectors(yaw, pitch)
    return np.degrees(np.arccos(np.clip(np.sum(d * to_target, axis=-1), -1.0, 1.0)))


def solve_with(timeline, duration_s=30.0, seed=0, **overrides):
    settings = load_preset("neutral_idle").with_overrides(overrides)
    return solve(settings, duration_s, seed=seed, character_id="GazeTarget", timeline=timeline)


def test_eye_contact_points_each_eye_at_the_target_with_vergence():
    ipd = 0.064
    look = LookAt.fixed(18.0, -6.0, 0.45)
    look = LookAt(look.times_s, look.yaw_deg, look.pitch_deg, look.distance_m, ipd_m=ipd)
    perf = solve_with(Timeline(look_at=look), gaze={"hold_eye_contact": True}, state="listening")
    point = direction_vectors(18.0, -6.0) * 0.45
    for eye in ("L", "R"):
        err = per_eye_world_error(perf, point, ipd, eye)
        assert np.median(err) < 0.3 and np.percentile(err, 99) < 1.0, (eye, np.percentile(err, 99))
    # Converging on a near target: the left eye turns right of the right eye by ≈ 2·atan(ipd/2d).
    yl, _ = world_gaze(perf, "L")
    yr, _ = world_gaze(perf, "R")
    expected = np.degrees(2 * np.arctan(ipd / 2 / 0.45))
    assert abs(np.median(yr - yl) - expected) < 0.6, (np.median(yr - yl), expected)


def test_eccentric_target_turns_the_head_and_gaze_stays_on_it():
    look = LookAt.fixed(40.0, 0.0, 2.0)
    perf = solve_with(Timeline(look_at=look), gaze={"hold_eye_contact": True})
    head_yaw = perf.channels["gaze_head_share_yaw"]
    eye_yaw = perf.channels["eye_yaw_L"]
    # Beyond the eyes' comfortable range the head turns towards the target and the eyes do less.
    assert 10.0 < np.median(head_yaw) < 35.0, np.median(head_yaw)
    assert np.median(eye_yaw) < 30.0
    yaw, pitch = cyclopean_gaze(perf)
    assert np.percentile(np.hypot(yaw - 40.0, pitch), 99) < 1.0


def test_eyes_aim_from_where_the_turned_head_carries_them():
    """With the head's pivot known, each eye aims from its moved position: rebuild the eye's
    world ray from the curves (pivot + head rotation) and check it passes through the target."""
    from microface_addon.core.geometry import rotate, rotation_vectors

    ipd, pivot = 0.064, (0.0, -0.09, -0.08)  # neck ~9 cm below and 8 cm behind the eyes
    point = direction_vectors(40.0, 5.0) * 0.8  # near and far off to the side: head turns
    look = LookAt.from_points([0.0], [point], ipd_m=ipd, pivot_lup=pivot)
    settings = load_preset("neutral_idle").with_overrides({"gaze": {"hold_eye_contact": True}})
    perf = solve(settings, 10.0, seed=1, character_id="Pivot", timeline=Timeline(look_at=look))
    c = perf.channels
    share = rotation_vectors(c["gaze_head_share_yaw"], c["gaze_head_share_pitch"])
    assert np.median(c["gaze_head_share_yaw"]) > 10.0
    for eye, side in (("L", 1.0), ("R", -1.0)):
        rest = np.array([side * ipd / 2.0, 0.0, 0.0])
        position = np.asarray(pivot) + rotate(rest - np.asarray(pivot), share)
        # The eye's world direction from all the curves (the head layer's VOR keeps it).
        yaw, pitch = gaze_in_world(
            c[f"eye_yaw_{eye}"],
            c[f"eye_pitch_{eye}"],
            c["head_yaw"],
            c["head_pitch"],
            c["head_roll"],
            c.get("chest_pitch", 0.0),
        )
        ray = direction_vectors(yaw, pitch)
        want = point - position
        want /= np.linalg.norm(want, axis=-1, keepdims=True)
        err = np.degrees(np.arccos(np.clip(np.sum(ray * want, axis=-1), -1, 1)))
        assert np.median(err) < 0.4, (eye, np.median(err))


def test_vergence_relaxes_for_far_targets():
    def convergence(distance):
        perf = solve_with(
            Timeline(look_at=LookAt.fixed(0.0, 0.0, distance)), gaze={"hold_eye_contact": True}
        )
        yl, _ = world_gaze(perf, "L")
        yr, _ = world_gaze(perf, "R")
        return float(np.median(yr - yl))

    near, far = convergence(0.3), convergence(10.0)
    assert near > 10.0 and abs(far) < 1.0, (near, far)


def cyclopean_gaze(perf):
    yl, pl = world_gaze(perf, "L")
    yr, pr = world_gaze(perf, "R")
    return (yl + yr) / 2.0, (pl + pr) / 2.0


def test_moving_target_moves_the_gaze():
    times = np.array([0.0, 10.0, 20.0])
    look = LookAt(times, [-20.0, 20.0, -20.0], [0.0, 5.0, 0.0], [1.5, 1.5, 1.5])
    perf = solve_with(Timeline(look_at=look), duration_s=20.0, state="listening")
    yaw, pitch = cyclopean_gaze(perf)
    target_yaw, target_pitch, _ = look.sample(perf.t)
    # Listening keeps mutual gaze most of the time: the gaze follows the target's sweep.
    assert np.corrcoef(yaw, target_yaw)[0, 1] > 0.9
    off = np.hypot(yaw - target_yaw, pitch - target_pitch)
    assert np.mean(off < 1.0) > 0.5, np.mean(off < 1.0)
    held = solve_with(Timeline(look_at=look), duration_s=20.0, gaze={"hold_eye_contact": True})
    yaw, pitch = cyclopean_gaze(held)
    assert np.percentile(np.hypot(yaw - target_yaw, pitch - target_pitch), 99) < 1.0


def test_hold_eye_contact_keeps_microsaccades_only():
    settings = load_preset("neutral_idle").with_overrides(
        {"state": "speaking", "gaze": {"hold_eye_contact": True}}
    )
    perf = solve(settings, 120.0, seed=2, character_id="Hold")
    yaw, pitch = world_gaze(perf)
    det = detect_saccades(yaw, pitch, perf.rate_hz)
    assert np.all(det.amplitude_deg < 1.0), det.amplitude_deg.max()
    assert det.count / 120.0 > 0.5  # microsaccades stay
    yaw, pitch = cyclopean_gaze(perf)
    assert np.percentile(np.hypot(yaw, pitch), 99) < 1.0


def test_state_timeline_switches_behaviour():
    timeline = Timeline(changes=(StateChange(60.0, "state", "reading"),))
    perf = solve_with(timeline, duration_s=120.0, state="listening")
    yaw, pitch = world_gaze(perf)
    det = detect_saccades(yaw, pitch, perf.rate_hz)
    big = det.amplitude_deg >= 1.0
    before = np.sum(big & (det.onsets_s < 60.0))
    after = np.sum(big & (det.onsets_s >= 60.5))
    assert after > 3 * before, (before, after)  # reading makes many short saccades


def test_intensity_zero_keeps_eyes_on_target():
    perf = solve_with(Timeline(), duration_s=60.0, gaze={"intensity": 0.0})
    yaw, pitch = world_gaze(perf)
    det = detect_saccades(yaw, pitch, perf.rate_hz)
    assert np.all(det.amplitude_deg < 0.2)


def test_forced_blinks_are_appended_not_overwritten():
    settings = load_preset("neutral_idle").with_overrides({"state": "scanning"})
    t = np.arange(0, 120 * 240 + 1) / 240.0
    ctx = SolveContext(settings, Timeline(), 120.0, 240.0, 4, "Append", t)
    ctx.events["forced_blinks_s"] = [1.234]
    gaze_layer.apply(ctx)
    forced = np.asarray(ctx.events["forced_blinks_s"])
    assert 1.234 in forced and forced.size > 1
    assert np.all(np.diff(forced) >= 0)


def test_saccade_events_match_curves():
    perf = run("rest")
    ev = perf.events["saccades"]
    det = measured_saccades(perf)
    big = det.select(det.amplitude_deg >= 1.0)
    assert abs(big.count - ev["onset_s"].size) <= 0.02 * ev["onset_s"].size
    i = np.searchsorted(big.onsets_s, ev["onset_s"])
    i = np.clip(i, 1, big.count - 1)
    nearest = np.minimum(
        np.abs(big.onsets_s[i] - ev["onset_s"]), np.abs(big.onsets_s[i - 1] - ev["onset_s"])
    )
    assert np.median(nearest) < 0.004
    for key in ("onset_s", "amplitude_deg", "direction_deg", "duration_s", "kind"):
        assert ev[key].shape == ev["onset_s"].shape


def test_deterministic_per_seed_and_character():
    settings = load_preset("neutral_idle").with_overrides({"state": "speaking"})
    a = solve(settings, 30.0, seed=5, character_id="Ann")
    b = solve(settings, 30.0, seed=5, character_id="Ann")
    c = solve(settings, 30.0, seed=6, character_id="Ann")
    d = solve(settings, 30.0, seed=5, character_id="Bob")
    for name in ("eye_yaw_L", "eye_pitch_R", "upper_lid_gaze_L", "gaze_head_share_yaw"):
        assert_same_curve(name, a.channels[name], b.channels[name])
    assert not np.array_equal(a.channels["eye_yaw_L"], c.channels["eye_yaw_L"])
    assert not np.array_equal(a.channels["eye_yaw_L"], d.channels["eye_yaw_L"])


def test_eyes_are_conjugate_with_a_tiny_per_seed_offset():
    perf = run("rest")
    dy = perf.channels["eye_yaw_L"] - perf.channels["eye_yaw_R"]
    dp = perf.channels["eye_pitch_L"] - perf.channels["eye_pitch_R"]
    # Both eyes move together: their difference is vergence plus a small, steady offset.
    assert np.std(dy) < 0.2 and np.std(dp) < 0.2, (np.std(dy), np.std(dp))
    assert np.abs(np.median(dp)) < 0.6
