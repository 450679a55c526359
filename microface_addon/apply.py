"""The one operation users ask for: layer micro-motion onto a character, or take it off again.

Why a single entry point: the N-panel operator and the CLI must do exactly the same thing, so
both gather ``BakeOptions``, ``resolve`` them once into a ``BakeRequest`` (the preset loaded and
checked, the controls applied, the intents file read — before any scene is touched) and call
``layer_micro_motion`` / ``remove_micro_motion``; neither contains logic of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import bpy

from . import bake
from .bake.keyed import keyed_channels
from .core import Settings, Timeline, limits, load_preset, solve
from .core.audio.analysis import AnalysisParams
from .core.channels import MOUTH_CHANNELS
from .core.performance import Performance
from .core.preset.controls import Controls, with_controls
from .core.preset.settings import deep_merge
from .core.sections import from_section
from .core.solver import registry
from .core.solver.dialogue.params import ConversationParams
from .core.solver.primitives.saccades import MainSequence
from .core.timeline.grammar import load_intents_file, preset_timeline, settings_vocabulary
from .core.timeline.speech import Speech, is_self
from .rig.convention.landing import unlanded_cues
from .rig.convention.rigmap import RigMap
from .rig.scene import character as character_mod
from .rig.scene import detect as detect_mod
from .rig.scene.character_settings import character_settings
from .rig.scene.dialogue import SceneSpeech, listener_look_at, scene_speech
from .rig.scene.look_at import resolve_look_at
from .rig.scene.markers import scene_marker_timeline


@dataclass
class BakeOptions:
    preset: str = "neutral_idle"  # preset name on the search path, or a .json path
    seed: int = 0
    frame_start: int | None = None  # None: the scene's frame range
    frame_end: int | None = None
    intensity: float = 1.0  # global intensity, multiplies the preset's
    controls: Controls = field(default_factory=Controls)  # the panel's / CLI's preset controls
    profile: str | None = None  # force a rig convention instead of detecting it
    # Per-character rig override map (dict or JSON path; see rig/convention/overrides.py): wins over
    # detection for the channels it lists, e.g. {"zygomaticus_major_L": {"shape_key": "SmileL"}}.
    overrides_map: dict[str, Any] | str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)  # preset fields, deep-merged
    intents_file: str | None = None  # JSON intents file (--intents), merged with markers
    # Gaze target: object/camera name, "Armature:bone" or "dir:YAW,PITCH[,DIST]" (--look-at).
    look_at: str | None = None
    # Dialogue (docs/dialogue.md): read the scene's sound strips (False: --no-audio); audio files
    # as (speaker or "", path) pairs (--audio [CHARACTER=]FILE) starting at ``audio_start``
    # (a frame; None: the bake's first); strips given to speakers by name (--audio-strips, the
    # panel's strip picker): speaker (character, object or any other name) → strip names.
    use_audio: bool = True
    audio_files: list[tuple[str, str]] = field(default_factory=list)
    audio_start: int | None = None
    audio_strips: dict[str, list[str]] = field(default_factory=dict)
    # Sparse keys within a tolerance on one strip per layer, or every frame (--every-frame).
    keying: bake.Keying = field(default_factory=bake.Keying)


@dataclass(frozen=True)
class BakeRequest:
    """Everything a bake needs that does not depend on the scene, resolved once (``resolve``)."""

    options: BakeOptions
    settings: Settings  # the preset + overrides + controls + global intensity, validated
    overrides: dict[str, Any]  # the preset overrides the options and controls stood for
    timeline: Timeline  # the preset's timeline + the intents file (markers are per scene)
    load_s: float  # time it took to resolve

    def report_options(self) -> dict[str, Any]:
        """The options as the bake report lists them (controls as the overrides they became)."""
        out = asdict(self.options)
        del out["controls"]
        return {**out, "overrides": self.overrides}


def resolve(options: BakeOptions) -> BakeRequest:
    """Load and check the preset, apply the overrides and controls, read the intents file — once,
    before anything is opened or written.  Raises ``PresetError`` for a bad preset, override,
    control value or intents file."""
    t0 = time.perf_counter()
    base = load_preset(options.preset)
    over = deep_merge(options.overrides, options.controls.overrides(base))
    settings = with_controls(base, over, options.intensity)
    options.keying.check()
    timeline = preset_timeline(settings)
    if options.intents_file:
        timeline = timeline.merged(_intents(options.intents_file, settings))
    return BakeRequest(options, settings, over, timeline, time.perf_counter() - t0)


def _intents(path_text: str, settings: Settings) -> Timeline:
    """The intents file (a path relative to the .blend allowed); ``IntentsError`` when it is
    missing or does not parse."""
    return load_intents_file(bpy.path.abspath(path_text), settings_vocabulary(settings))


def scene_fps(scene: bpy.types.Scene) -> float:
    return scene.render.fps / scene.render.fps_base


def frame_range(scene: bpy.types.Scene, options: BakeOptions) -> tuple[int, int]:
    """The frames to bake: the options' range, else the scene's (checked by ``check_shot``)."""
    start = scene.frame_start if options.frame_start is None else int(options.frame_start)
    end = scene.frame_end if options.frame_end is None else int(options.frame_end)
    return start, end


def check_shot(scene: bpy.types.Scene, start: int, end: int, fps: float) -> float:
    """The shot's duration in seconds, or ``ShotError`` naming the scene, its range and rate
    when MicroFace cannot bake it (one frame, longer than the documented limits, an absurd
    ``fps_base``) — before anything is solved or written."""
    render = scene.render
    where = f"scene {scene.name!r} ({render.fps} fps / fps base {render.fps_base:g})"
    return limits.check_shot(start, end, fps, where)


def scene_timeline(
    scene: bpy.types.Scene, request: BakeRequest, start_frame: int, fps: float
) -> Timeline:
    """The request's timeline + the scene's ``mf:`` markers, in seconds from ``start_frame``.
    Raises ``MarkerError`` (bad marker)."""
    vocab = settings_vocabulary(request.settings)
    timeline = request.timeline.merged(scene_marker_timeline(scene, start_frame, fps, vocab))
    cues = len(timeline.changes) + len(timeline.intents)
    if cues > limits.MAX_TIMELINE_ENTRIES:
        raise limits.InputError(
            f"scene {scene.name!r}: {cues:,} cues (the preset's timeline, the intents file and "
            f"the mf: markers together); MicroFace plays at most "
            f"{limits.MAX_TIMELINE_ENTRIES:,} in one bake"
        )
    return timeline


def _detect(objects: list[bpy.types.Object], options: BakeOptions) -> list[tuple[list, Any]]:
    """(members, RigMap) of every character; detection errors surface before anything is
    written."""
    characters = character_mod.characters_of(objects)
    # A character only linked from a library cannot keep a layer: refuse it with the fix.
    bake.refuse_linked(objects, characters)
    if not characters:
        raise detect_mod.NothingToMapError(
            "no character selected: select a mesh with shape keys or an armature"
        )
    return [
        (
            members,
            detect_mod.detect(members, profile=options.profile, overrides=options.overrides_map),
        )
        for members in characters
    ]


@dataclass(frozen=True)
class Progress:
    """Where a bake is: ``done`` of ``total`` steps, and what the next step does."""

    done: int
    total: int
    text: str

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


def character_request(
    request: BakeRequest, members: list, cache: dict | None = None
) -> tuple[BakeRequest, int]:
    """The request and seed one character bakes with: its own settings where it has them
    (preset, seed, intensity, layer toggles, stored on it by the panel), else the scene's.
    ``cache`` shares a resolved preset between characters that ask for the same one."""
    own = character_settings(members[0], registry.names())
    if own is None:
        return request, int(request.options.seed)
    options = replace(
        request.options,
        preset=own.preset or request.options.preset,
        seed=own.seed,
        intensity=own.intensity,
        controls=replace(request.options.controls, disable=own.disabled),
    )
    key = (options.preset, options.intensity, own.disabled)
    cache = {} if cache is None else cache
    if key not in cache:
        cache[key] = replace(resolve(options), options=options)
    return replace(cache[key], options=options), own.seed


def bake_steps(
    scene: bpy.types.Scene,
    objects: list[bpy.types.Object],
    request: BakeRequest | BakeOptions,
) -> Generator[Progress, None, dict[str, Any]]:
    """The bake one step at a time: yields ``Progress`` before each step (aim a character's
    gaze, solve it, bake it) and returns the report.

    Why steps: the panel shows progress and lets Esc cancel between characters, and the CLI
    prints progress, both from the same bake.  Closing the generator before it finishes (a
    cancel) rolls every character back: nothing in the scene has changed.  ``request`` comes
    from ``resolve`` (``BakeOptions`` are resolved here).  Raises ``PresetError`` (bad
    preset/options), ``ShotError`` (a frame range, rate or length it cannot bake),
    ``LinkedDataError`` (a character only linked from a library), ``AudioError``,
    ``NothingToMapError`` (a character with nothing to drive) or ``RigError``; on any error
    nothing in the scene has changed.
    """
    t0 = time.perf_counter()
    if isinstance(request, BakeOptions):
        request = resolve(request)
    options = request.options
    start, end = frame_range(scene, options)
    fps = scene_fps(scene)
    check_shot(scene, start, end, fps)
    n_frames = end - start + 1
    duration_s = max((n_frames - 1) / fps, 1.0 / fps)
    characters = _detect(objects, options)
    heard = _scene_speech(scene, characters, request, start, fps, duration_s)
    per_step = 3 if (options.look_at or heard.speech) else 2
    total, done = per_step * len(characters), 0
    cache: dict = {}
    plans = []
    for members, rigmap in characters:
        char_request, seed = character_request(request, members, cache)
        timeline = scene_timeline(scene, char_request, start, fps)
        look, look_notes = timeline.look_at, []
        if options.look_at or heard.speech:
            yield Progress(done, total, f"aiming {members[0].name}'s gaze")
            # Each character sees the target from its own eyes, as the user animated the head
            # (a previous MicroFace layer muted, so a re-bake does not chase its own result).
            with bake.muted(members):
                if options.look_at:
                    look, look_notes = resolve_look_at(
                        scene, rigmap, options.look_at, start, end, fps
                    )
                if heard.speech:  # the listener looks at whoever speaks
                    look, more = _listening_target(
                        scene,
                        rigmap,
                        characters,
                        heard,
                        look,
                        char_request.settings,
                        (start, end),
                        fps,
                    )
                    look_notes = look_notes + more
            done += 1
        speech = timeline.speech.merged(heard.speech)
        timeline = replace(timeline, look_at=look, speech=speech)
        plans.append((members, rigmap, char_request, seed, timeline, look_notes))

    reports = []
    with bake.transaction() as tx:
        for members, rigmap, char_request, seed, timeline, look_notes in plans:
            yield Progress(done, total, f"solving {members[0].name}")
            ts = time.perf_counter()
            perf = solve(char_request.settings, duration_s, seed, rigmap.character, timeline)
            perf, left = _leave_lip_sync(perf, rigmap, timeline.speech)
            done += 1
            yield Progress(done, total, f"baking {members[0].name}")
            tb = time.perf_counter()
            # release: only perf.events is read after this (the dialogue report)
            result = tx.write(perf, rigmap, start, end, fps, options.keying, release=True)
            te = time.perf_counter()
            done += 1
            cues = unlanded_cues(
                timeline,
                char_request.settings.section("cascade").get("intents", {}),
                rigmap.mapped_channels,
                rigmap.character,
                duration_s,
            )
            reports.append(
                {
                    **rigmap.report(),
                    "name": members[0].name,
                    "preset": char_request.settings.name,
                    "seed": seed,
                    "own_settings": char_request is not request,
                    "unlanded_cues": cues,  # each cue that moves nothing on this character
                    "keys_written": result.keys_written,
                    "fcurves": result.fcurves,
                    "frames": n_frames,
                    "strips": result.strips,
                    "ids": result.ids,
                    "shared_ids": result.shared,  # written by an earlier linked duplicate
                    "saved_in": result.saved_in,
                    "notes": rigmap.notes + look_notes + result.notes + _lip_sync_notes(left),
                    "dialogue": _dialogue_report(perf, left),
                    "timings_s": {"solve": round(tb - ts, 4), "bake": round(te - tb, 4)},
                }
            )
    settings = request.settings
    return {
        "preset": settings.name,
        "preset_source": settings.source,
        # e.g. "format_version 0 migrated: …" for an older preset file (docs/presets.md)
        "preset_notices": list(settings.notices),
        "seed": int(options.seed),
        "frame_range": [start, end],
        "fps": fps,
        "options": request.report_options(),
        "dialogue": heard.report() if heard.clips else None,
        "characters": reports,
        "timings_s": {
            "load": round(request.load_s, 4),
            "total": round(time.perf_counter() - t0, 4),
        },
    }


# --- dialogue ---------------------------------------------------------------------------------


def _scene_speech(scene, characters, request: BakeRequest, start: int, fps: float, duration_s):
    """Everyone's speech from the sound strips and ``--audio`` files (``docs/dialogue.md``);
    raises ``AudioError`` before anything is written."""
    options = request.options
    if not options.use_audio and not options.audio_files:
        return SceneSpeech()
    section = request.settings.section("dialogue")
    return scene_speech(
        scene,
        {rigmap.character: list(rigmap.objects) for _m, rigmap in characters},
        use_strips=options.use_audio,
        files=[(who, bpy.path.abspath(path)) for who, path in options.audio_files],
        file_start=start if options.audio_start is None else int(options.audio_start),
        explicit=options.audio_strips,
        bake_start=start,
        fps=fps,
        duration_s=duration_s,
        analysis=AnalysisParams.of(section["analysis"]),
    )


def _listening_target(
    scene, rigmap: RigMap, characters, heard: SceneSpeech, look, settings: Settings, frames, fps
):
    """The character's gaze target with the other speakers of the scene in it."""
    dialogue = settings.section("dialogue")
    gaze = settings.section("gaze")
    return listener_look_at(
        scene,
        rigmap,
        {r.character: r for _m, r in characters},
        heard.speech,
        look,
        from_section(ConversationParams, dialogue["conversation"]),
        float(dialogue["gaze"]["speaker_reaction_s"]),
        from_section(MainSequence, gaze["main_sequence"]),
        float(gaze["vergence"]["default_distance_m"]),
        frames,
        fps,
        (frames[1] - frames[0]) / fps,
    )


def _leave_lip_sync(perf: Performance, rigmap: RigMap, speech: Speech):
    """A speaking character's mouth channels that the user animates (a lip-sync) are left out of
    the layer entirely: (the performance without them, their names)."""
    if not any(is_self(u.speaker, rigmap.character) for u in speech.utterances):
        return perf, []
    left = keyed_channels(rigmap, [c for c in MOUTH_CHANNELS if c in perf.channels])
    if not left:
        return perf, []
    kept = {k: v for k, v in perf.channels.items() if k not in left}
    return replace(perf, channels=kept), left


def _lip_sync_notes(left: list[str]) -> list[str]:
    if not left:
        return []
    return [f"dialogue: {', '.join(left)} left to your lip-sync (animated mouth channels)"]


def _dialogue_report(perf: Performance, left: list[str]) -> dict[str, Any] | None:
    plan = perf.events.get("dialogue")
    if plan is None:
        return None
    return {**plan.report(), "lip_sync_channels": list(left)}


def layer_micro_motion(
    scene: bpy.types.Scene,
    objects: list[bpy.types.Object],
    request: BakeRequest | BakeOptions,
    progress: Callable[[Progress], None] | None = None,
) -> dict[str, Any]:
    """Bake micro-motion onto every character the given objects belong to; return a report.

    ``request`` comes from ``resolve`` (``BakeOptions`` are resolved here); ``progress`` is
    called before each step.  Raises ``PresetError`` (bad preset/options), ``MarkerError``,
    ``NothingToMapError`` (a character with nothing to drive) or ``RigError``; on any error
    nothing in the scene has changed.
    """
    steps = bake_steps(scene, objects, request)
    while True:
        try:
            step = next(steps)
        except StopIteration as finished:
            return finished.value
        if progress is not None:
            progress(step)


def remove_micro_motion(scene: bpy.types.Scene, objects: list[bpy.types.Object]) -> dict[str, Any]:
    """Remove MicroFace's layer from the characters of ``objects``, restoring what it changed."""
    removed = []
    for members in character_mod.characters_of(objects):
        removed += bake.remove(members)
    return {"removed": removed}
