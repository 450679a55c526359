"""Speech analysis on real voices (espeak-ng): utterance onsets, pauses, phrase breaks and accents,
judged against the known layout, across levels, noise floors and voices; and the audio plumbing
under it (resampling, clips, WAV reading, strip assignment)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.io import wavfile
from scipy.ndimage import uniform_filter1d
from scipy.signal import argrelmax
from speech_audio import RATE, SCRIPT, noisy, recording, say, voice_span

from microface_addon.core import load_preset
from microface_addon.core.audio.analysis import AnalysisParams, analyze
from microface_addon.core.audio.assign import aliases, assign_strips
from microface_addon.core.audio.pitch import yin
from microface_addon.core.audio.signal import ANALYSIS_RATE_HZ, AudioError, Clip, mix, resample
from microface_addon.core.audio.wav import read_wav

pytestmark = pytest.mark.pure

ONSET_TOLERANCE_S = 0.1  # the acceptance: utterance onsets within 100 ms


@pytest.fixture(scope="module")
def params() -> AnalysisParams:
    return AnalysisParams.of(load_preset().section("dialogue")["analysis"])


@pytest.fixture(scope="module")
def scene_line():
    return recording(SCRIPT)


def _levels(rec, db: float) -> np.ndarray:
    """The recording with its lines alternately ``db`` louder and softer."""
    x = rec.mixed().copy()
    for i, ln in enumerate(rec.lines):
        a, b = int((ln.onset_s - 0.05) * RATE), int((ln.end_s + 0.3) * RATE)
        x[a:b] *= 10 ** ((db if i % 2 else -db) / 20.0)
    return x


CONDITIONS = {
    "clean": lambda rec: rec.mixed(),
    "40 dB quieter": lambda rec: rec.mixed() * 0.01,
    "lines ±10 dB": lambda rec: _levels(rec, 10.0),
    "noise at 30 dB SNR": lambda rec: noisy(rec.mixed(), 30.0, seed=1),
    "noise at 20 dB SNR": lambda rec: noisy(rec.mixed(), 20.0, seed=2),
    "noise at 15 dB SNR, quiet": lambda rec: 0.05 * noisy(rec.mixed(), 15.0, seed=3),
}


@pytest.mark.parametrize("condition", CONDITIONS)
def test_utterance_onsets_within_100_ms_whatever_the_level_and_noise(params, scene_line, condition):
    found = analyze(CONDITIONS[condition](scene_line), RATE, params)
    known = np.array([ln.onset_s for ln in scene_line.lines])
    onsets = np.array([s for s, _ in found.utterances])
    assert onsets.size == known.size, (condition, np.round(onsets, 2), np.round(known, 2))
    err = onsets - known
    assert np.max(np.abs(err)) < ONSET_TOLERANCE_S, (condition, np.round(err, 3))
    # The pauses between them are the known ones (ends timed as well as onsets).
    ends = np.array([e for _, e in found.utterances])
    known_ends = np.array([ln.end_s for ln in scene_line.lines])
    assert np.max(np.abs(ends - known_ends)) < ONSET_TOLERANCE_S, (condition, ends - known_ends)


@pytest.mark.parametrize("voice", ["en-us", "en+f3", "de"])
def test_other_voices_are_segmented_too(params, voice):
    rec = recording(SCRIPT[:5], voices={"self": voice})
    found = analyze(noisy(rec.mixed(), 25.0, seed=4), RATE, params)
    onsets = np.array([s for s, _ in found.utterances])
    known = np.array([ln.onset_s for ln in rec.lines])
    assert onsets.size == known.size, (voice, onsets, known)
    assert np.max(np.abs(onsets - known)) < ONSET_TOLERANCE_S


def test_commas_are_phrase_breaks_not_pauses(params, scene_line):
    found = analyze(scene_line.mixed(), RATE, params)
    breaks = found.activity.phrase_breaks
    for ln in scene_line.lines:
        inside = [b for b in breaks if ln.onset_s <= b[0] and b[1] <= ln.end_s]
        if "," in ln.text:
            assert inside, ln.text  # a comma in the line: a phrase break inside its utterance
            assert all(params.phrase_gap_s <= e - s < params.min_pause_s for s, e in inside)


def test_silence_and_noise_alone_hold_no_speech(params):
    rng = np.random.default_rng(7)
    for x in (np.zeros(RATE * 3), rng.normal(0.0, 0.01, RATE * 3)):
        found = analyze(x, RATE, params)
        assert found.utterances == () and found.accents == ()


# --- accents ------------------------------------------------------------------------------------

PLAIN = "I never said she stole money from the bank"
EMPHASIS = (
    '<speak>I never said she stole <prosody pitch="+60%" volume="+80%">money</prosody> '
    "from the bank</speak>"
)


def test_the_emphasised_word_carries_the_strongest_accent(params):
    plain, loud = say(PLAIN), say(EMPHASIS, ssml=True)
    n = min(plain.size, loud.size)
    # The word starts where the two renderings part (espeak renders the same words before it).
    differ = np.flatnonzero(np.abs(plain[:n] - loud[:n]) > 0.02)
    word = (differ[0] / RATE - 0.05, differ[0] / RATE + 0.45)
    pad = np.zeros(RATE // 2)
    found = analyze(np.concatenate([pad, loud, pad]), RATE, params)
    accents = [(a.strength, a.at_s - 0.5) for a in found.accents]
    assert accents
    strongest = max(accents)[1]
    assert word[0] <= strongest <= word[1], (word, accents)
    neutral = analyze(np.concatenate([pad, plain, pad]), RATE, params)
    inside = [a.strength for a in neutral.accents if word[0] <= a.at_s - 0.5 <= word[1]]
    assert max(inside, default=0.0) < max(accents)[0]  # the emphasis made it stand out


def test_accents_sit_on_loudness_peaks_with_pitch_above_the_utterance(params, scene_line):
    """Measured independently of the analysis: a 40-ms RMS envelope of the clean recording has a
    local maximum within 50 ms of every accent."""
    x = scene_line.mixed()
    found = analyze(x, RATE, params)
    assert len(found.accents) >= len(scene_line.lines) // 2
    hop = RATE // 200  # 5 ms
    env = np.sqrt(uniform_filter1d(x**2, int(0.04 * RATE))[::hop])
    peaks = argrelmax(env, order=4)[0] * hop / RATE
    for a in found.accents:
        assert np.min(np.abs(peaks - a.at_s)) <= 0.05, a
        i = int(a.at_s * RATE)
        local = np.sqrt(np.mean(x[i - int(0.02 * RATE) : i + int(0.02 * RATE)] ** 2))
        utt = next((s, e) for s, e in found.utterances if s <= a.at_s <= e)
        span = x[int(utt[0] * RATE) : int(utt[1] * RATE)]
        assert local > np.sqrt(np.mean(span**2)), a  # louder than its utterance on average


def test_accents_do_not_move_with_level_and_hardly_with_noise(params, scene_line):
    clean = analyze(scene_line.mixed(), RATE, params).accents
    quiet = analyze(0.02 * scene_line.mixed(), RATE, params).accents
    assert [round(a.at_s, 2) for a in clean] == [round(a.at_s, 2) for a in quiet]
    matched = []
    for seed in (11, 12, 13):
        noise = analyze(noisy(scene_line.mixed(), 20.0, seed), RATE, params).accents
        t = np.array([a.at_s for a in noise])
        matched += [t.size > 0 and np.min(np.abs(t - a.at_s)) <= 0.05 for a in clean]
    assert np.mean(matched) >= 0.7, np.mean(matched)


# --- pitch ----------------------------------------------------------------------------------------


def _glottal_train(f0_hz: float, seconds: float, rate: int = ANALYSIS_RATE_HZ) -> np.ndarray:
    """A Rosenberg glottal-pulse train through a one-pole vocal tract: a voice-like, harmonic-rich
    signal with a known F0 (not a sine)."""
    t = np.arange(int(seconds * rate)) / rate
    phase = (t * f0_hz) % 1.0
    open_q, close_q = 0.4, 0.16
    pulse = np.where(
        phase < open_q,
        0.5 * (1 - np.cos(np.pi * phase / open_q)),
        np.where(phase < open_q + close_q, np.cos(np.pi * (phase - open_q) / (2 * close_q)), 0.0),
    )
    out = np.diff(pulse, prepend=0.0)
    for i in range(1, out.size):  # a resonance, so harmonics roll off like a voice's
        out[i] += 0.9 * out[i - 1]
    return out / np.abs(out).max()


@pytest.mark.parametrize("f0", [95.0, 140.0, 220.0])
def test_yin_finds_the_f0_of_a_voice_like_pulse_train_in_noise(f0):
    x = _glottal_train(f0, 1.0) + np.random.default_rng(int(f0)).normal(0.0, 0.05, ANALYSIS_RATE_HZ)
    times = np.arange(0.1, 0.9, 0.01)
    track = yin(x, ANALYSIS_RATE_HZ, times, (60.0, 400.0))
    assert np.mean(track.voiced) > 0.9
    assert abs(np.nanmedian(track.f0_hz) / f0 - 1.0) < 0.02


def test_yin_finds_espeak_s_male_voice_in_a_male_range(params, scene_line):
    found = analyze(scene_line.mixed(), RATE, params)
    assert 80.0 <= found.summary()["median_f0_hz"] <= 180.0


# --- plumbing -------------------------------------------------------------------------------------


def test_resampling_keeps_timing_and_level():
    x = say("Hello there")
    y = resample(x, RATE, ANALYSIS_RATE_HZ)
    assert abs(y.size / ANALYSIS_RATE_HZ - x.size / RATE) < 1e-3
    rms = lambda v: float(np.sqrt(np.mean(v**2)))  # noqa: E731
    assert abs(rms(y) / rms(x) - 1.0) < 0.02
    with pytest.raises(AudioError, match="sample rate"):
        resample(x, 22050.5)


def test_a_clip_plays_its_visible_part_where_it_starts_at_its_volume():
    """A strip trimmed and offset like a sequencer strip: samples 1 s into the sound play from
    2.5 s on the bake's clock for 0.5 s, at half volume."""
    rate = 8000
    x = np.zeros(3 * rate)
    x[rate] = 1.0  # a click 1 s into the sound
    x[int(1.6 * rate)] = 1.0  # 1.6 s: after the visible part ends
    clip = Clip(x, rate, start_s=2.5, offset_s=1.0, duration_s=0.5, gain=0.5)
    out = mix([clip], 4.0, rate)
    assert np.flatnonzero(out).tolist() == [int(2.5 * rate)]
    assert out[int(2.5 * rate)] == 0.5
    assert clip.visible_s() == 0.5
    before = mix([Clip(x, rate, start_s=-1.0)], 4.0, rate)  # starts before the bake
    assert np.flatnonzero(before).tolist() == [0, int(0.6 * rate)]


def test_read_wav_formats_and_errors(tmp_path):
    x = 0.5 * np.sin(np.linspace(0, 50, 4000))
    for dtype, scale in ((np.int16, 32767), (np.float32, 1.0), (np.uint8, None)):
        p = tmp_path / f"{np.dtype(dtype).name}.wav"
        data = (x * 127 + 128).astype(np.uint8) if scale is None else (x * scale).astype(dtype)
        wavfile.write(p, 8000, np.stack([data, data], axis=1))  # stereo → mono
        y, rate = read_wav(p)
        assert rate == 8000 and y.ndim == 1
        assert np.max(np.abs(y - x)) < 2.0 / 128  # within 8-bit quantisation
    with pytest.raises(AudioError, match="not found: .*missing.wav"):
        read_wav(tmp_path / "missing.wav")
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    with pytest.raises(AudioError, match="notes.wav"):
        read_wav(bad)


def test_voice_span_of_a_line_is_where_its_samples_rise():
    x = say("Hello")
    s, e = voice_span(x)
    assert 0.0 <= s < 0.1 and e > s + 0.2


# --- strip assignment --------------------------------------------------------------------------

CHARACTERS = {"AnnRig": ["AnnRig", "AnnHead"], "AnnaRig": ["AnnaRig", "AnnaHead"], "Bob": ["Bob"]}


def test_a_character_answers_to_what_its_objects_share():
    assert "Ann" in aliases("AnnRig", ["AnnRig", "AnnHead", "AnnEye.L"])
    assert aliases("X", ["X", "Y"]) == {"X", "Y"}


def test_one_character_gets_every_strip():
    got = assign_strips(["music", "line 1"], {"Solo": ["Solo"]})
    assert got.by_speaker == {"Solo": ["music", "line 1"]} and not got.unassigned


def test_several_characters_by_name_longest_wins_and_the_rest_is_reported():
    got = assign_strips(["ann_01", "Anna take 2", "bob-03", "music"], CHARACTERS)
    assert got.by_speaker == {"AnnRig": ["ann_01"], "AnnaRig": ["Anna take 2"], "Bob": ["bob-03"]}
    assert got.unassigned == ["music"] and "not used" in got.how["music"]


def test_explicit_assignments_win_and_may_name_someone_not_baked():
    got = assign_strips(
        ["ann_01", "music", "interviewer"],
        CHARACTERS,
        {"Bob": ["ann_01"], "Interviewer": ["interviewer"]},
    )
    assert got.by_speaker == {"Bob": ["ann_01"], "Interviewer": ["interviewer"]}
    with pytest.raises(AudioError, match="no unmuted sound strip named 'nope'"):
        assign_strips(["a"], CHARACTERS, {"Bob": ["nope"]})
    with pytest.raises(AudioError, match="two speakers"):
        assign_strips(["a"], CHARACTERS, {"Bob": ["a"], "AnnRig": ["a"]})
