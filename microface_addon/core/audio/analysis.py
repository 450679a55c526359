"""One voice track → what it says when: utterances, pauses, phrase breaks and accents.

Why one entry point: the bake (each character's mixed strips), ``analyze-audio`` and the tests
run exactly the same steps — resample to the analysis rate, frame levels, voice activity, YIN
pitch, accents — with the thresholds of the preset's ``dialogue.analysis`` section, and get one
plain result that turns into the timeline's speech track (``speech``) or the intents-file
entries a user can save and edit (``entries``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..sections import Range, from_section
from ..timeline.grammar import speech_entries
from ..timeline.speech import PhraseBreak, Speech, SpokenAccent, Utterance
from .pitch import PitchTrack, yin
from .prosody import Accent, AccentParams, accents
from .signal import ANALYSIS_RATE_HZ, resample
from .vad import Frames, VoiceActivity, VoiceActivityParams, frame_levels, voice_activity


@dataclass(frozen=True)
class AnalysisParams:
    """The preset's ``dialogue.analysis`` section."""

    min_utterance_s: float
    min_pause_s: float
    phrase_gap_s: float
    on_fraction: float
    off_fraction: float
    min_snr_db: float
    f0_range_hz: Range
    accents: AccentParams

    @classmethod
    def of(cls, section: Mapping[str, Any]) -> AnalysisParams:
        return from_section(cls, section)

    @property
    def voice(self) -> VoiceActivityParams:
        return VoiceActivityParams(
            self.min_utterance_s,
            self.min_pause_s,
            self.phrase_gap_s,
            self.on_fraction,
            self.off_fraction,
            self.min_snr_db,
        )


@dataclass(frozen=True, eq=False)
class SpeechAnalysis:
    """The analysis of one voice track (times in seconds from the track's start)."""

    duration_s: float
    frames: Frames
    pitch: PitchTrack
    activity: VoiceActivity
    accents: tuple[Accent, ...]

    @property
    def utterances(self) -> tuple[tuple[float, float], ...]:
        return self.activity.utterances

    @property
    def pauses(self) -> tuple[tuple[float, float], ...]:
        return self.activity.pauses

    def speech(self, speaker: str = "", source: str = "") -> Speech:
        """The timeline's speech track for this voice."""
        return Speech(
            tuple(Utterance(s, e, speaker, source) for s, e in self.activity.utterances),
            tuple(PhraseBreak(s, e, speaker, source) for s, e in self.activity.phrase_breaks),
            tuple(SpokenAccent(a.at_s, a.strength, speaker, source) for a in self.accents),
        )

    def entries(self, speaker: str = "", source: str = "") -> list[dict[str, Any]]:
        """Intents-file entries (``--intents``) for this voice, in time order."""
        return speech_entries(self.speech(speaker), source)

    def summary(self) -> dict[str, Any]:
        """Counts and levels for reports."""
        voiced = self.pitch.voiced
        f0 = self.pitch.f0_hz[voiced]
        speaking = sum(e - s for s, e in self.utterances)
        return {
            "duration_s": round(self.duration_s, 3),
            "utterances": len(self.utterances),
            "speaking_s": round(speaking, 3),
            "pauses": len(self.pauses),
            "phrase_breaks": len(self.activity.phrase_breaks),
            "accents": len(self.accents),
            "median_f0_hz": round(float(np.median(f0)), 1) if f0.size else None,
            "noise_floor_db": round(self.activity.floor_db, 1),
            "speech_level_db": round(self.activity.speech_db, 1),
        }


def analyze(samples: np.ndarray, rate_hz: float, p: AnalysisParams) -> SpeechAnalysis:
    """Analyse mono ``samples`` at ``rate_hz`` (resampled to ``ANALYSIS_RATE_HZ`` first)."""
    x = resample(samples, rate_hz, ANALYSIS_RATE_HZ)
    frames = frame_levels(x, ANALYSIS_RATE_HZ)
    activity = voice_activity(frames, p.voice)
    pitch = _pitch_in_utterances(x, frames, activity, p)
    found = accents(frames, pitch, activity.utterances, p.accents)
    return SpeechAnalysis(x.size / ANALYSIS_RATE_HZ, frames, pitch, activity, found)


def _pitch_in_utterances(
    x: np.ndarray, frames: Frames, activity: VoiceActivity, p: AnalysisParams
) -> PitchTrack:
    """YIN on the frames inside utterances (silence has no pitch: NaN there)."""
    t = frames.times_s
    inside = np.zeros(t.size, dtype=bool)
    for s, e in activity.utterances:
        a, b = np.searchsorted(t, [s, e])
        inside[a:b] = True
    f0 = np.full(t.size, np.nan)
    aper = np.ones(t.size)
    if inside.any():
        part = yin(x, ANALYSIS_RATE_HZ, t[inside], p.f0_range_hz)
        f0[inside], aper[inside] = part.f0_hz, part.aperiodicity
    return PitchTrack(t, f0, aper)
