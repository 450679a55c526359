"""The one operation users ask for: layer micro-motion onto a character, or take it off again.

Why a single entry point: the N-panel operator and the CLI must do exactly the same thing, so
both gather ``BakeOptions``, ``resolve`` them once into a ``BakeRequest`` (the preset loaded and
checked, the controls applied, the intents file read — before any scene is touched) and call
``layer_micro_motion`` / ``remove_micro_motion``; neither contains logic of its own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import bpy

from . import bake
from .core import Settings, Timeline, load_preset, solve
from .core.preset.controls import Controls, with_controls
from .core.preset.settings import PresetError, deep_merge
from .core.solver import registry
from .core.timeline.grammar import load_intents_file, preset_timeline, settings_vocabulary
from .rig.scene import character as character_mod
from .rig.scene import detect as detect_mod
from .rig.scene.character_settings import character_settings
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


class IntentsFileError(ValueError):
    """The intents file is missing or does not parse (bad input: the CLI exits 2)."""

    bad_input = True


def _intents(path_text: str, settings: Settings) -> Timeline:
    path = bpy.path.abspath(path_text)
    if not os.path.isfile(path):
        raise IntentsFileError(f"intents file not found: {path}")
    try:
        return load_intents_file(path, settings_vocabulary(settings))
    except PresetError as exc:
        raise IntentsFileError(f"invalid intents file {path}:\n{exc}") from exc


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
    cancel) rolls every character back: nothing in the scene has changed.  Raises what
    ``layer_micro_motion`` raises.
    """
    t0 = time.perf_counter()
    if isinstance(request, BakeOptions):
        request = resolve(request)
    options = request.options
    start, end = frame_range(scene, options)
    fps = scene_fps(scene)
    n_frames = end - start + 1
    duration_s = max((n_frames - 1) / fps, 1.0 / fps)
    characters = _detect(objects, options)
    per_step = 3 if options.look_at else 2
    total, done = per_step * len(characters), 0
    cache: dict = {}
    plans = []
    for members, rigmap in characters:
        char_request, seed = character_request(request, members, cache)
        timeline = scene_timeline(scene, char_request, start, fps)
        look_notes: list[str] = []
        if options.look_at:
            yield Progress(done, total, f"aiming {members[0].name}'s gaze")
            # Each character sees the target from its own eyes, as the user animated the head
            # (a previous MicroFace layer muted, so a re-bake does not chase its own result).
            with bake.muted(members):
                look, look_notes = resolve_look_at(scene, rigmap, options.look_at, start, end, fps)
            timeline = replace(timeline, look_at=look)
            done += 1
        plans.append((members, rigmap, char_request, seed, timeline, look_notes))

    reports = []
    with bake.transaction() as tx:
        for members, rigmap, char_request, seed, timeline, look_notes in plans:
            yield Progress(done, total, f"solving {members[0].name}")
            ts = time.perf_counter()
            perf = solve(char_request.settings, duration_s, seed, rigmap.character, timeline)
            done += 1
            yield Progress(done, total, f"baking {members[0].name}")
            tb = time.perf_counter()
            result = tx.write(perf, rigmap, start, end, fps, options.keying)
            te = time.perf_counter()
            done += 1
            reports.append(
                {
                    **rigmap.report(),
                    "name": members[0].name,
                    "preset": char_request.settings.name,
                    "seed": seed,
                    "own_settings": char_request is not request,
                    "keys_written": result.keys_written,
                    "fcurves": result.fcurves,
                    "frames": n_frames,
                    "strips": result.strips,
                    "ids": result.ids,
                    "notes": rigmap.notes + look_notes + result.notes,
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
        "characters": reports,
        "timings_s": {
            "load": round(request.load_s, 4),
            "total": round(time.perf_counter() - t0, 4),
        },
    }


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
