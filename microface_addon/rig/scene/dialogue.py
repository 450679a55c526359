"""Dialogue in the scene: whose voice is in which sound strip or file, what it says (the speech
track of the timeline), and where a listener looks while someone speaks.  Reads, never writes.

Why one step before any solve: every character's timeline needs *everyone's* speech — its own
lines to speak and the others' to listen to — so the scene's voices are gathered, assigned
(``core/audio/assign.py``), mixed per speaker and analysed once per bake
(``core/audio/analysis.py``).  A missing or unreadable file stops the bake here, before anything
is written, with an ``AudioError`` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import bpy
import numpy as np

from ...core.audio.analysis import AnalysisParams, SpeechAnalysis, analyze
from ...core.audio.assign import assign_strips, speaker_of
from ...core.audio.signal import ANALYSIS_RATE_HZ, AudioError, Clip, mix
from ...core.solver.dialogue.conversation import BASE_TARGET, Conversation, gaze_targets
from ...core.solver.dialogue.params import ConversationParams
from ...core.solver.primitives.saccades import MainSequence
from ...core.timeline.grammar import speech_entries
from ...core.timeline.look_at import LookAt, switching
from ...core.timeline.speech import Speech
from ..convention.rigmap import RigMap
from .look_at import look_at_character, resolve_look_at
from .sound import file_clip, sound_strips, strip_clips


@dataclass
class SceneSpeech:
    """Everyone's speech over the bake, and how it was found (for the report)."""

    speech: Speech = field(default_factory=Speech)
    clips: dict[str, list[Clip]] = field(default_factory=dict)  # speaker → its audio
    strips: dict[str, str] = field(default_factory=dict)  # strip → how it was used
    analyses: dict[str, SpeechAnalysis] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        return {
            "strips": dict(self.strips),
            "voices": {
                who: {
                    "audio": [c.describe() for c in clips],
                    "analysis": self.analyses[who].summary() if who in self.analyses else None,
                }
                for who, clips in self.clips.items()
            },
            # The speech track as intents-file entries: save it, edit it, pass it to --intents.
            "speech": speech_entries(self.speech),
        }


def _file_speaker(who: str, characters: Mapping[str, Sequence[str]], path: str) -> str:
    if who:
        return speaker_of(who, characters)
    if len(characters) != 1:
        raise AudioError(
            f"--audio {path}: several characters ({', '.join(characters)}); "
            "say whose voice it is with CHARACTER=FILE"
        )
    return next(iter(characters))


def scene_speech(
    scene: bpy.types.Scene,
    characters: Mapping[str, Sequence[str]],
    *,
    use_strips: bool,
    files: Sequence[tuple[str, str]],
    file_start: int,
    explicit: Mapping[str, Sequence[str]],
    bake_start: int,
    fps: float,
    duration_s: float,
    analysis: AnalysisParams,
) -> SceneSpeech:
    """Gather, assign, decode, mix and analyse every voice of the bake.

    ``characters``: each baked character's id → the object names it answers to.  ``files``:
    ``(speaker or "", path)`` audio files starting at frame ``file_start``.  ``explicit``:
    speaker → strip names.  Raises ``AudioError`` (a missing or unreadable file, an unknown
    strip, a file nobody can be given).
    """
    out = SceneSpeech()
    strips = sound_strips(scene) if use_strips else []
    for s in strips:
        if s.muted:
            out.strips[s.name] = "muted: not used"
    audible = [s for s in strips if not s.muted]
    if explicit and not use_strips:
        raise AudioError("strips are assigned but the sound strips are switched off (--no-audio)")
    assignment = assign_strips([s.name for s in audible], characters, explicit)
    out.strips.update(assignment.how)
    by_name = {s.name: s for s in audible}
    for who, names in assignment.by_speaker.items():
        out.clips[who] = strip_clips([by_name[n] for n in names], bake_start, fps)
    for who, path in files:
        speaker = _file_speaker(who, characters, path)
        out.clips.setdefault(speaker, []).append(file_clip(path, file_start, bake_start, fps))
    for who, clips in sorted(out.clips.items()):
        track = mix(clips, duration_s, ANALYSIS_RATE_HZ)
        result = analyze(track, ANALYSIS_RATE_HZ, analysis)
        out.analyses[who] = result
        sources = ", ".join(c.source for c in clips)
        out.speech = out.speech.merged(result.speech(who, sources))
    return out


def _partner_track(
    scene, listener: RigMap, partner: str, rigmaps: Mapping[str, RigMap], start, end, fps
) -> tuple[LookAt, list[str]] | None:
    """The look-at track to ``partner``: a baked character's eyes, or an object of that name."""
    if partner in rigmaps:
        return look_at_character(scene, listener, rigmaps[partner], start, end, fps)
    obj = bpy.data.objects.get(partner)
    if obj is None or obj.name in listener.objects:
        return None
    return resolve_look_at(scene, listener, partner, start, end, fps)


def listener_look_at(
    scene: bpy.types.Scene,
    listener: RigMap,
    rigmaps: Mapping[str, RigMap],
    speech: Speech,
    base: LookAt | None,
    conversation: ConversationParams,
    reaction_s: float,
    main_sequence: MainSequence,
    ahead_m: float,
    frames: tuple[int, int],
    fps: float,
    duration_s: float,
) -> tuple[LookAt | None, list[str]]:
    """``listener``'s gaze target with the other speakers in it: each one that is in the scene
    is looked at from ``reaction_s`` into its turn (``conversation.gaze_targets``); ``base`` (the
    user's look-at, or None) holds between.  Returns ``base`` unchanged when no speaker is in
    the scene.  Call it with the listener's MicroFace layer muted (``bake.muted``)."""
    conv = Conversation.of(speech, listener.character, conversation)
    start, end = frames
    tracks: dict[str, LookAt] = {}
    notes: list[str] = []
    for partner in sorted({t.speaker for t in conv.other_turns}):
        found = _partner_track(scene, listener, partner, rigmaps, start, end, fps)
        if found is None:
            notes.append(f"dialogue: {partner} is not an object in the scene: not looked at")
            continue
        tracks[partner], more = found
        where = more[-1].split(": ", 1)[-1] if more else partner
        notes.append(f"dialogue: looks at {partner} while it speaks ({where})")
    schedule = gaze_targets(
        conv, sorted(tracks), base is not None, reaction_s, conversation.listening_linger_s
    )
    if not schedule:
        return base, notes
    tracks[BASE_TARGET] = base if base is not None else LookAt.fixed(0.0, 0.0, ahead_m, "ahead")

    def shift_s(amplitude_deg: float) -> float:
        return float(np.asarray(main_sequence.duration_s(amplitude_deg)))

    look = switching(tracks, schedule, duration_s, shift_s)
    return look, notes
