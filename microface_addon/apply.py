"""The one operation users ask for: layer micro-motion onto a character, or take it off again.

Why a single entry point: the N-panel operator and the CLI must do exactly the same thing, so
both gather ``BakeOptions``, ``resolve`` them once into a ``BakeRequest`` (the preset loaded and
checked, the controls applied, the intents file read — before any scene is touched) and call
``layer_micro_motion`` / ``remove_micro_motion``; neither contains logic of its own.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import bpy

from . import bake
from .core import Settings, Timeline, load_preset, solve
from .core.preset.controls import Controls, with_controls
from .core.preset.settings import deep_merge
from .core.timeline.grammar import load_intents_file, preset_timeline, settings_vocabulary
from .rig.convention.landing import unlanded_cues
from .rig.scene import character as character_mod
from .rig.scene import detect as detect_mod
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
    timeline = preset_timeline(settings)
    if options.intents_file:
        path = bpy.path.abspath(options.intents_file)
        timeline = timeline.merged(load_intents_file(path, settings_vocabulary(settings)))
    return BakeRequest(options, settings, over, timeline, time.perf_counter() - t0)


def scene_fps(scene: bpy.types.Scene) -> float:
    return scene.render.fps / scene.render.fps_base


def frame_range(scene: bpy.types.Scene, options: BakeOptions) -> tuple[int, int]:
    start = scene.frame_start if options.frame_start is None else int(options.frame_start)
    end = scene.frame_end if options.frame_end is None else int(options.frame_end)
    if end < start:
        raise ValueError(f"frame range {start}:{end} is empty (end before start)")
    return start, end


def scene_timeline(
    scene: bpy.types.Scene, request: BakeRequest, start_frame: int, fps: float
) -> Timeline:
    """The request's timeline + the scene's ``mf:`` markers, in seconds from ``start_frame``.
    Raises ``MarkerError`` (bad marker)."""
    vocab = settings_vocabulary(request.settings)
    return request.timeline.merged(scene_marker_timeline(scene, start_frame, fps, vocab))


def _detect(objects: list[bpy.types.Object], options: BakeOptions) -> list[tuple[list, Any]]:
    """(members, RigMap) of every character; detection errors surface before anything is
    written."""
    characters = character_mod.characters_of(objects)
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


def layer_micro_motion(
    scene: bpy.types.Scene,
    objects: list[bpy.types.Object],
    request: BakeRequest | BakeOptions,
) -> dict[str, Any]:
    """Bake micro-motion onto every character the given objects belong to; return a report.

    ``request`` comes from ``resolve`` (``BakeOptions`` are resolved here).  Raises
    ``PresetError`` (bad preset/options), ``NothingToMapError`` (a character with nothing to
    drive) or ``RigError``; on any error nothing in the scene has changed.
    """
    t0 = time.perf_counter()
    if isinstance(request, BakeOptions):
        request = resolve(request)
    options, settings = request.options, request.settings
    start, end = frame_range(scene, options)
    fps = scene_fps(scene)
    n_frames = end - start + 1
    duration_s = max((n_frames - 1) / fps, 1.0 / fps)
    timeline = scene_timeline(scene, request, start, fps)
    characters = _detect(objects, options)
    targets = {}
    if options.look_at:
        for members, rigmap in characters:
            # Each character sees the target from its own eyes, as the user animated the head
            # (a previous MicroFace layer muted, so a re-bake does not chase its own result).
            with bake.muted(members):
                look, notes = resolve_look_at(scene, rigmap, options.look_at, start, end, fps)
            targets[rigmap.character] = (replace(timeline, look_at=look), notes)

    reports = []
    with bake.transaction() as tx:
        for _members, rigmap in characters:
            ts = time.perf_counter()
            char_timeline, look_notes = targets.get(rigmap.character, (timeline, []))
            perf = solve(settings, duration_s, options.seed, rigmap.character, char_timeline)
            tb = time.perf_counter()
            result = tx.write(perf, rigmap, start, end, fps)
            te = time.perf_counter()
            cues = unlanded_cues(
                char_timeline,
                settings.section("cascade").get("intents", {}),
                rigmap.mapped_channels,
                rigmap.character,
                duration_s,
            )
            reports.append(
                {
                    **rigmap.report(),
                    "unlanded_cues": cues,  # each cue that moves nothing on this character
                    "keys_written": result.keys_written,
                    "fcurves": result.fcurves,
                    "ids": result.ids,
                    "notes": rigmap.notes + look_notes + result.notes,
                    "timings_s": {"solve": round(tb - ts, 4), "bake": round(te - tb, 4)},
                }
            )
    return {
        "preset": settings.name,
        "preset_source": settings.source,
        # e.g. "format_version 0 migrated: …" for an older preset file (docs/presets.md)
        "preset_notices": list(settings.notices),
        "seed": int(options.seed),
        "frame_range": [start, end],
        "fps": fps,
        "options": request.report_options(),
        "characters": reports,
        "timings_s": {
            "load": round(request.load_s, 4),
            "total": round(time.perf_counter() - t0, 4),
        },
    }


def remove_micro_motion(scene: bpy.types.Scene, objects: list[bpy.types.Object]) -> dict[str, Any]:
    """Remove MicroFace's layer from the characters of ``objects``, restoring what it changed."""
    removed = []
    for members in character_mod.characters_of(objects):
        removed += bake.remove(members)
    return {"removed": removed}
