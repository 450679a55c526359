"""The one operation users ask for: layer micro-motion onto a character, or take it off again.

Why a single entry point: the N-panel operator and the CLI must do exactly the same thing, so
both gather options and call ``layer_micro_motion`` / ``remove_micro_motion``; neither contains
logic of its own.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import bpy

from . import bake
from .core import Timeline, load_preset, solve
from .core.timeline.grammar import load_intents_file, preset_timeline, settings_vocabulary
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
    profile: str | None = None  # force a rig convention instead of detecting it
    # Per-character rig override map (dict or JSON path; see rig/convention/overrides.py): wins over
    # detection for the channels it lists, e.g. {"zygomaticus_major_L": {"shape_key": "SmileL"}}.
    overrides_map: dict[str, Any] | str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)  # preset fields, deep-merged
    intents_file: str | None = None  # JSON intents file (--intents), merged with markers
    # Gaze target: object/camera name, "Armature:bone" or "dir:YAW,PITCH[,DIST]" (--look-at).
    look_at: str | None = None


def scene_fps(scene: bpy.types.Scene) -> float:
    return scene.render.fps / scene.render.fps_base


def frame_range(scene: bpy.types.Scene, options: BakeOptions) -> tuple[int, int]:
    start = scene.frame_start if options.frame_start is None else int(options.frame_start)
    end = scene.frame_end if options.frame_end is None else int(options.frame_end)
    if end < start:
        raise ValueError(f"frame range {start}:{end} is empty (end before start)")
    return start, end


def build_timeline(
    scene: bpy.types.Scene, settings, options: BakeOptions, start_frame: int, fps: float
) -> Timeline:
    """The preset's timeline + the intents file + the scene's ``mf:`` markers, in seconds from
    ``start_frame``.  Raises ``PresetError`` (bad file) or ``MarkerError`` (bad marker)."""
    vocab = settings_vocabulary(settings)
    parts = [preset_timeline(settings)]
    if options.intents_file:
        parts.append(load_intents_file(bpy.path.abspath(options.intents_file), vocab))
    parts.append(scene_marker_timeline(scene, start_frame, fps, vocab))
    return parts[0].merged(*parts[1:])


def layer_micro_motion(
    scene: bpy.types.Scene, objects: list[bpy.types.Object], options: BakeOptions
) -> dict[str, Any]:
    """Bake micro-motion onto every character the given objects belong to; return a report.

    Raises ``PresetError`` (bad preset/options), ``NothingToMapError`` (a character with nothing to
    drive) or ``RigError``; on any error nothing in the scene has changed.
    """
    t0 = time.perf_counter()
    settings = load_preset(options.preset)
    overrides = dict(options.overrides)
    if options.intensity != 1.0:
        overrides["intensity"] = settings.intensity * float(options.intensity)
    if overrides:
        settings = settings.with_overrides(overrides)
    start, end = frame_range(scene, options)
    fps = scene_fps(scene)
    n_frames = end - start + 1
    duration_s = max((n_frames - 1) / fps, 1.0 / fps)
    timeline = build_timeline(scene, settings, options, start, fps)
    t_load = time.perf_counter()

    characters = character_mod.characters_of(objects)
    if not characters:
        raise detect_mod.NothingToMapError(
            "no character selected: select a mesh with shape keys or an armature"
        )
    plans = []
    for members in characters:
        rigmap = detect_mod.detect(
            members, profile=options.profile, overrides=options.overrides_map
        )
        plans.append(rigmap)  # detection errors surface before anything is written
    targets = {}
    if options.look_at:
        for members, rigmap in zip(characters, plans, strict=True):
            # Each character sees the target from its own eyes, as the user animated the head
            # (a previous MicroFace layer muted, so a re-bake does not chase its own result).
            with bake.muted(members):
                look, notes = resolve_look_at(scene, rigmap, options.look_at, start, end, fps)
            targets[rigmap.character] = (replace(timeline, look_at=look), notes)

    reports = []
    with bake.transaction() as tx:
        for rigmap in plans:
            ts = time.perf_counter()
            char_timeline, look_notes = targets.get(rigmap.character, (timeline, []))
            perf = solve(settings, duration_s, options.seed, rigmap.character, char_timeline)
            tb = time.perf_counter()
            result = tx.write(perf, rigmap, start, end, fps)
            te = time.perf_counter()
            reports.append(
                {
                    **rigmap.report(),
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
        "preset_notices": list(getattr(settings, "notices", ())),
        "seed": int(options.seed),
        "frame_range": [start, end],
        "fps": fps,
        "options": asdict(options),
        "characters": reports,
        "timings_s": {"load": round(t_load - t0, 4), "total": round(time.perf_counter() - t0, 4)},
    }


def remove_micro_motion(scene: bpy.types.Scene, objects: list[bpy.types.Object]) -> dict[str, Any]:
    """Remove MicroFace's layer from the characters of ``objects``, restoring what it changed."""
    removed = []
    for members in character_mod.characters_of(objects):
        removed += bake.remove(members)
    return {"removed": removed}
