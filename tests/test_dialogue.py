"""The dialogue layer on real speech (espeak-ng, analysed as a bake would): speech breathing,
blinks at pauses, gaze aversion, brows and nods on accents, listening — measured on the solver's
curves, over several seeds.  The baked acceptance numbers are in ``test_dialogue_bake.py``."""

from __future__ import annotations

import json
from itertools import pairwise

import numpy as np
import pytest
from conftest import assert_same_curve
from scipy.stats import spearmanr
from speech_audio import EXCHANGE, RATE, SCRIPT, recording

from microface_addon.core import PresetError, StateChange, Timeline, load_preset, solve
from microface_addon.core.audio.analysis import AnalysisParams, analyze
from microface_addon.core.measure.stats import (
    detect_blinks,
    detect_pulses,
    detect_rises,
    onsets_in_windows,
)
from microface_addon.core.sections import from_section
from microface_addon.core.solver.dialogue.conversation import (
    Conversation,
    conversation_states,
)
from microface_addon.core.solver.dialogue.params import ConversationParams
from microface_addon.core.timeline.grammar import speech_entries, timeline_from_entries
from microface_addon.core.timeline.speech import Speech

pytestmark = pytest.mark.pure

SEEDS = range(8)
ME = "Ann"
INHALE_RISE = 0.15  # breath units: an inhale, not the recoil or a wobble


@pytest.fixture(scope="module")
def settings():
    return load_preset()


@pytest.fixture(scope="module")
def line(settings):
    rec = recording(SCRIPT)
    params = AnalysisParams.of(settings.section("dialogue")["analysis"])
    return rec, analyze(rec.mixed(), RATE, params).speech()


@pytest.fixture(scope="module")
def exchange(settings):
    """Two speakers taking turns, each analysed from its own track; seen from A (self)."""
    rec = recording(EXCHANGE, voices={"B": "en+f3"})
    params = AnalysisParams.of(settings.section("dialogue")["analysis"])
    speech = Speech()
    for who in ("A", "B"):
        found = analyze(rec.tracks[who], RATE, params).speech("" if who == "A" else "Bea")
        speech = speech.merged(found)
    return rec, speech


def _solve(settings, speech, seed, duration_s, overrides=None, changes=()):
    s = settings.with_overrides(overrides) if overrides else settings
    return solve(s, duration_s, seed, ME, Timeline(tuple(changes), speech=speech))


# --- the speech track as a file ----------------------------------------------------------------


def test_speech_entries_round_trip_through_an_intents_file(line, tmp_path):
    _, speech = line
    entries = speech_entries(speech)
    path = tmp_path / "line.json"
    path.write_text(json.dumps(entries))
    back = timeline_from_entries(json.loads(path.read_text()), str(path), ()).speech
    assert speech_entries(back) == entries
    assert len(back.utterances) == len(speech.utterances) == len(SCRIPT)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"at_s": 1, "speech": "whisper"}, "/0/speech: 'whisper' is not one of"),
        ({"at_s": 1, "speech": "utterance"}, "'duration_s' is missing"),
        ({"at_s": 1, "speech": "accent", "duration_s": 2}, "unknown key 'duration_s'"),
        ({"at_s": 1, "speech": "phrase", "duration_s": 0}, "/0/duration_s: must be positive"),
        ({"at_s": 1, "speech": "utterance", "duration_s": 1, "speaker": 3}, "expected a name"),
    ],
)
def test_a_bad_speech_entry_is_named(entry, message):
    with pytest.raises(PresetError, match=message):
        timeline_from_entries([entry], "cues.json", ())


# --- nothing changes without speech -----------------------------------------------------------


def test_without_speech_the_dialogue_layer_changes_nothing(settings):
    on = solve(settings, 20.0, 3, ME)
    off = solve(settings.with_overrides({"dialogue": {"enabled": False}}), 20.0, 3, ME)
    assert on.channels.keys() == off.channels.keys()
    for name, values in on.channels.items():
        assert_same_curve(name, values, off.channels[name])
    assert "dialogue" not in on.events


def test_same_speech_and_seed_give_the_same_curves(settings, line):
    rec, speech = line
    a = _solve(settings, speech, 4, rec.duration_s)
    b = _solve(settings, speech, 4, rec.duration_s)
    for name, values in a.channels.items():
        assert_same_curve(name, values, b.channels[name])
    c = _solve(settings, speech, 5, rec.duration_s)
    assert not np.array_equal(a.channels["breath"], c.channels["breath"])


# --- speaking ------------------------------------------------------------------------------------


def test_an_inhale_precedes_every_utterance_after_a_pause(settings, line):
    """Science target: inhale onset 0.1-1.0 s before >= 80 % of the utterances that follow a
    pause > 0.6 s (here on the breath state; the baked chest is checked in the bake tests)."""
    rec, speech = line
    starts = [ln.onset_s for ln in rec.lines if ln.onset_s < 1.5] + [
        b for a, b in rec.pauses("self") if b - a > 0.6
    ]
    hits = []
    for seed in SEEDS:
        perf = _solve(settings, speech, seed, rec.duration_s)
        onsets = detect_rises(perf.channels["breath"], perf.rate_hz, INHALE_RISE).onsets_s
        hits += [bool(np.any((s - onsets >= 0.1) & (s - onsets <= 1.0))) for s in starts]
    assert np.mean(hits) >= 0.8, np.mean(hits)


def test_speech_inhales_are_quick_and_deeper_before_longer_speech(settings, line):
    """Inhales take 0.3-0.6 s (issue; Hixon 1973) and grow with the speech they carry
    (Winkworth et al. 1995)."""
    rec, speech = line
    perf = _solve(settings, speech, 1, rec.duration_s)
    plan = perf.events["dialogue"].breath
    full = [i for i in plan.inhales if i.kind == "inhale"]
    assert len(full) >= len(rec.pauses("self")) // 2
    durations = np.array([i.end_s - i.start_s for i in full])
    assert np.all((durations >= 0.12) & (durations <= 0.6 + 1e-9))
    assert np.median(durations) >= 0.3
    # Depth (measured on the curve) against the voiced time until the next inhale.
    b, r = perf.channels["breath"], perf.rate_hz
    depth = [b[int(i.end_s * r)] - b[int(i.start_s * r)] for i in full]
    nxt = [i.start_s for i in plan.inhales[1:]] + [rec.duration_s]
    carried = []
    for i in full:
        stop = min(x for x in nxt if x > i.end_s)
        carried.append(
            sum(
                min(ln.end_s, stop) - max(ln.onset_s, i.end_s)
                for ln in rec.lines
                if ln.end_s > i.end_s and ln.onset_s < stop
            )
        )
    assert spearmanr(carried, depth).statistic > 0.5


def test_the_inhale_share_of_speech_breathing_is_small(settings, line):
    """Science target: while talking, inhales take ~10-20 % of the time (Hixon 1973), against
    ~40 % at rest.  Measured over the talking stretches (first to last word of each run of
    lines with pauses under 2 s)."""
    rec, speech = line
    spans, cur = [], [rec.lines[0].onset_s, rec.lines[0].end_s]
    for ln in rec.lines[1:]:
        if ln.onset_s - cur[1] < 2.0:
            cur[1] = ln.end_s
        else:
            spans.append(tuple(cur))
            cur = [ln.onset_s, ln.end_s]
    spans.append(tuple(cur))
    shares = []
    for seed in SEEDS:
        perf = _solve(settings, speech, seed, rec.duration_s)
        rises = detect_rises(perf.channels["breath"], perf.rate_hz, INHALE_RISE)
        inhaling = sum(
            max(0.0, min(e, p) - max(s, o))
            for s, e in spans
            for o, p in zip(rises.onsets_s, rises.peaks_s, strict=True)
        )
        shares.append(inhaling / sum(e - s for s, e in spans))
    assert 0.05 <= np.mean(shares) <= 0.2, shares


# Two long stretches of speech with a brief pause between them (under breathing.min_pause_s).
LONG_SPEECH = (
    ("When I was young we lived in a small house by the sea near the old harbour wall", 0.3),
    ("and every morning my father would take us down to the water to watch the boats", 1.0),
)


def test_a_long_stretch_of_speech_takes_a_top_up_in_a_brief_pause(settings):
    """Winkworth et al. 1995: speakers breathe at boundaries inside long speech.  Two lines of
    ~4.5 s with 0.3 s between them — too brief for a full inhale: once the voice has run four
    seconds, a quick top-up inhale lands in that pause, and the chest rises there."""
    rec = recording(LONG_SPEECH)
    params = AnalysisParams.of(settings.section("dialogue")["analysis"])
    speech = analyze(rec.mixed(), RATE, params).speech()
    (gap,) = rec.pauses("self")
    perf = _solve(settings, speech, 0, rec.duration_s)
    inhales = perf.events["dialogue"].breath.inhales
    ups = [i for i in inhales if i.kind == "top_up"]
    assert len(ups) == 1 and [i.kind for i in inhales].count("inhale") == 1
    (up,) = ups
    assert gap[0] - 0.05 <= up.start_s and up.end_s <= gap[1] + 0.05
    r, b = perf.rate_hz, perf.channels["breath"]
    assert b[int(up.end_s * r)] - b[int(up.start_s * r)] > 0.1


def test_some_long_silences_after_speaking_hold_a_sigh(settings, line):
    rec, speech = line
    sighs = []
    for seed in range(12):
        perf = _solve(settings, speech, seed, rec.duration_s)
        plan = perf.events["dialogue"].breath
        sighs += [i for i in plan.inhales if i.kind == "sigh"]
        for i in (i for i in plan.inhales if i.kind == "sigh"):
            b, r = perf.channels["breath"], perf.rate_hz
            assert b[int(i.end_s * r)] > 0.9  # deeper than any speech inhale's top
            before = [ln.end_s for ln in rec.lines if ln.end_s <= i.start_s]
            after = [ln.onset_s for ln in rec.lines if ln.onset_s >= i.start_s]
            assert before and (not after or after[0] - before[-1] >= 3.0)
    assert 1 <= len(sighs) < 12 * 3  # some silences, not all


def test_blinks_gather_in_the_first_moments_of_pauses(settings, line):
    rec, speech = line
    windows = [(a, a + min(0.6, b - a)) for a, b in rec.pauses("self")]
    chance = sum(e - s for s, e in windows) / rec.duration_s
    inside = total = 0
    for seed in SEEDS:
        perf = _solve(settings, speech, seed, rec.duration_s)
        found = detect_blinks(perf.channels["orbicularis_oculi_palpebral_L"], perf.rate_hz)
        inside += onsets_in_windows(found.onsets_s, windows)
        total += found.count
    assert inside / total / chance >= 2.5, (inside, total, chance)
    rate = total / len(SEEDS) / rec.duration_s * 60.0
    assert 20.0 <= rate <= 32.0  # a conversation's rate (Bentivoglio 1997), gathered, not raised


def test_the_gaze_looks_away_as_a_long_turn_starts_and_back_as_it_ends(settings, line):
    """Science target (Kendon 1967): gaze-away share higher in the first second of a long turn
    than in its last.  Away: more than 3 degrees off the target (straight ahead here)."""
    rec, speech = line
    conv = Conversation.of(
        speech, ME, from_section(ConversationParams, settings.section("dialogue")["conversation"])
    )
    long_turns = [t for t in conv.own_turns if t.duration_s >= 3.0]
    assert long_turns
    first, last = [], []
    for seed in SEEDS:
        perf = _solve(settings, speech, seed, rec.duration_s)
        r = perf.rate_hz
        yaw = perf.channels["eye_yaw_L"] + perf.channels["head_yaw"]
        pitch = perf.channels["eye_pitch_L"] + perf.channels["head_pitch"]
        away = np.hypot(yaw, pitch) > 3.0
        for t in long_turns:
            first.append(away[int(t.start_s * r) : int((t.start_s + 1.0) * r)].mean())
            last.append(away[int((t.end_s - 1.0) * r) : int(t.end_s * r)].mean())
    assert np.mean(first) > np.mean(last) + 0.2, (np.mean(first), np.mean(last))


def test_brow_raises_start_near_accents(settings, line):
    """Science target (Cavé et al. 1996): brow-raise onsets within ~0.3 s of accent peaks."""
    rec, speech = line
    accents = np.array([a.at_s for a in speech.accents])
    near = []
    for seed in SEEDS:
        perf = _solve(settings, speech, seed, rec.duration_s)
        brow = perf.channels.get("frontalis_medial_L", np.zeros_like(perf.t))
        raises = detect_pulses(brow, perf.rate_hz, 0.05)
        near += [np.min(np.abs(accents - t)) <= 0.3 for t in raises.onsets_s]
    assert len(near) >= len(SEEDS)  # the accents do raise the brows
    assert np.mean(near) >= 0.9, np.mean(near)


def test_the_mouth_is_left_to_the_lip_sync_while_speaking(settings, line):
    """Deep breathing parts the lips (jaw_drop); while the character speaks MicroFace moves no
    jaw at all — the lip-sync owns it — and the breath's jaw comes back in the pauses."""
    rec, speech = line
    perf = _solve(settings, speech, 1, rec.duration_s, {"breath": {"mode": "deep"}})
    jaw, r = perf.channels["jaw_drop"], perf.rate_hz
    for ln in rec.lines:
        assert np.all(jaw[int(ln.onset_s * r) : int(ln.end_s * r)] == 0.0), ln.text
    assert jaw[int((rec.lines[-1].end_s + 1.0) * r) :].max() > 0.01


def test_a_held_breath_mid_sentence_holds_the_chest_while_the_voice_goes_on(settings, line):
    """``mf:breath held 2.5`` inside an utterance: the hold wins over speech breathing — the
    chest stays up (no inhale, no exhale beyond the hold's own) while the voice continues.  Held,
    not frozen (issue #16): the chest strains and the heartbeat pushes it by a few per cent of the
    hold level, never a breath's worth."""
    rec, speech = line
    ln = max(rec.lines, key=lambda x: x.end_s - x.onset_s)
    at = ln.onset_s + 0.8
    hold = StateChange(at, "breath", "held", "test", 2.5)
    perf = _solve(settings, speech, 3, rec.duration_s, changes=[hold])
    b, r = perf.channels["breath"], perf.rate_hz
    hp = settings.section("breath")["hold"]
    plateau = b[int((at + hp["onset_s"] + 0.05) * r) : int((at + 2.5 - 0.05) * r)]
    assert np.ptp(plateau) < 0.1 * hp["level"]
    assert plateau.mean() > b[int((at - 0.1) * r)] - 0.05  # held up, not emptied by the voice
    free = _solve(settings, speech, 3, rec.duration_s)
    assert np.ptp(free.channels["breath"][int((at + 0.6) * r) : int((at + 2.4) * r)]) > 0.05


# --- listening -----------------------------------------------------------------------------------


def test_a_listener_is_in_the_listening_state_during_the_other_s_turns(settings, exchange):
    rec, speech = exchange
    cp = from_section(ConversationParams, settings.section("dialogue")["conversation"])
    conv = Conversation.of(speech, ME, cp)
    states = conversation_states(Timeline(), "rest", rec.duration_s, conv, cp)
    for ln in rec.lines:
        mid = 0.5 * (ln.onset_s + ln.end_s)
        want = "speaking" if ln.speaker == "A" else "listening"
        assert next(v for s, e, v in states if s <= mid < e) == want
    # A state the user chose for a reason is kept.
    reading = Timeline(changes=(StateChange(0.0, "state", "reading"),))
    kept = conversation_states(reading, "rest", rec.duration_s, conv, cp)
    assert {v for _, _, v in kept} == {"reading"}


def test_back_channel_nods_come_in_the_speaker_s_pauses(settings, exchange):
    rec, speech = exchange
    b_pauses = [(a.end_s, b.onset_s) for a, b in pairwise(rec.lines) if a.speaker == "B"]
    b_pauses += [(rec.own("B")[-1].end_s, rec.duration_s)]
    delay = settings.section("dialogue")["back_channel"]["delay_s"][1]
    nod = max(settings.section("head")["listening"]["nod_duration_s"])
    late = 0.1  # where the analysis may place the speaker's pause (onsets within 100 ms)
    dips = 0
    for seed in SEEDS:
        on = _solve(settings, speech, seed, rec.duration_s)
        off = _solve(
            settings, speech, seed, rec.duration_s, {"dialogue": {"back_channel": {"intensity": 0}}}
        )
        extra = on.channels["head_pitch"] - off.channels["head_pitch"]
        r = on.rate_hz
        allowed = np.zeros(extra.size, dtype=bool)
        for s, _ in b_pauses:
            allowed[int((s - late) * r) : int((s + late + delay + nod) * r)] = True
        assert np.all(np.abs(extra[~allowed]) < 1e-9)
        dips += int(np.any(extra[allowed] < -0.3))
    assert dips >= len(SEEDS) // 2  # the listener does nod back


def test_a_listener_blinks_as_the_speaker_pauses(settings, exchange):
    rec, speech = exchange
    b_ends = [a.end_s for a, b in pairwise(rec.lines) if a.speaker == "B"]
    windows = [(s, s + 0.8) for s in b_ends]
    chance = 0.8 * len(windows) / rec.duration_s
    inside = total = 0
    for seed in range(16):  # two windows per run: pool more runs
        perf = _solve(settings, speech, seed, rec.duration_s)
        found = detect_blinks(perf.channels["orbicularis_oculi_palpebral_L"], perf.rate_hz)
        inside += onsets_in_windows(found.onsets_s, windows)
        total += found.count
    assert inside / total / chance >= 2.0, (inside, total, chance)


def test_the_listener_inhales_before_taking_the_turn(settings, exchange):
    """Science target (Rochet-Capellan & Fuchs 2014): an inhale precedes a turn start."""
    rec, speech = exchange
    takes = [b.onset_s for a, b in pairwise(rec.lines) if a.speaker == "B" and b.speaker == "A"]
    assert takes
    hits = []
    for seed in SEEDS:
        perf = _solve(settings, speech, seed, rec.duration_s)
        onsets = detect_rises(perf.channels["breath"], perf.rate_hz, INHALE_RISE).onsets_s
        hits += [bool(np.any((t - onsets >= 0.1) & (t - onsets <= 1.0))) for t in takes]
    assert np.mean(hits) >= 0.8


# --- intensities -----------------------------------------------------------------------------


def test_each_behaviour_has_its_own_intensity(settings, line):
    rec, speech = line
    off = {"dialogue": {"enabled": False}}
    plain = _solve(settings, speech, 6, rec.duration_s, off)
    no_breathing = _solve(
        settings, speech, 6, rec.duration_s, {"dialogue": {"breathing": {"intensity": 0}}}
    )
    assert_same_curve("breath", plain.channels["breath"], no_breathing.channels["breath"])
    cues = _solve(settings, speech, 6, rec.duration_s, {"dialogue": {"brows": {"intensity": 0}}})
    kinds = {c.kind for c in cues.events["dialogue"].cues}
    assert "brow_raise" not in kinds
    half = _solve(settings, speech, 6, rec.duration_s, {"dialogue": {"intensity": 0.5}})
    full = _solve(settings, speech, 6, rec.duration_s)
    a = [c.intensity for c in half.events["dialogue"].cues if c.kind == "brow_raise"]
    b = [c.intensity for c in full.events["dialogue"].cues if c.kind == "brow_raise"]
    assert a and np.allclose(a, np.array(b[: len(a)]) * 0.5)
