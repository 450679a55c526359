"""What MicroFace refuses to read or bake, and the error that says so.

Why written down in one place: a hostile or broken input — a hundred-million-frame range,
``/dev/zero`` as a preset, a NaN gain, a frame rate of 0.00002 fps — must fail in seconds with one
line naming what and where, never run until the machine runs out of memory or bake keys that are
not numbers.  Every limit here is far beyond any real shot or file; ``docs/bake.md`` ("Limits")
lists them for users, and the command line exits 2 (bad input) when one is crossed.

A leaf module (standard library only): the core's readers, the bake and the command line all
check against the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

# The longest shot MicroFace bakes, in seconds of scene time (three hours): the solver works on a
# 240 Hz grid, so its memory grows with the shot's duration whatever the frame rate.
MAX_SHOT_S = 3 * 3600.0
# The most frames one bake writes (three hours at 60 fps): the keys grow with the frame count.
MAX_SHOT_FRAMES = 648_000
# Blender's own frame limits (MAXFRAME): a range outside them cannot exist in a scene.
BLENDER_MAX_FRAME = 1_048_574
# The largest JSON file read (presets, intents files, rig profiles, override maps): the biggest
# shipped file is ~15 KB; a longer file is a mistake (or ``/dev/zero``), refused before parsing.
MAX_JSON_BYTES = 4 * 1024 * 1024
# Most cues one timeline holds (an intents file, a preset's ``timeline``, the scene's markers
# together): one cue a second for almost three hours; the cascade's time grows with cues × length.
MAX_TIMELINE_ENTRIES = 10_000
# No number in MicroFace's JSON means anything beyond this magnitude (times stay within hours,
# gains within ±100); larger ones are refused where they are read, before any arithmetic.
MAX_JSON_MAGNITUDE = 1e9
# One stderr line at most this long: a file with 100,000 bad markers gives a readable line with
# a count of what was left out, not 20 MB.
MAX_MESSAGE_CHARS = 2000
# Problems listed in one message before the rest are counted.
MAX_LISTED_PROBLEMS = 10
# Schema problems collected from one document before checking stops (a million bad items would
# take minutes to list).
MAX_SCHEMA_PROBLEMS = 100


class InputError(ValueError):
    """Something the user gave — a file, an option, a scene setting, data stored in a ``.blend``
    — cannot be used.  The message names what and where; the command line exits 2."""


class ShotError(InputError):
    """The shot itself cannot be baked (frame range, frame rate, length)."""


def _duration_text(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:,.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:,.1f} min"
    return f"{seconds:,.3g} s"


def _at(where: str) -> str:
    return f"{where}: " if where else ""


def check_frame_range(start: int, end: int, where: str = "") -> None:
    """Refuse a frame range with fewer than two frames, more than ``MAX_SHOT_FRAMES``, or frames
    Blender cannot hold; ``where`` says where the range came from."""
    if end < start:
        raise ShotError(f"{_at(where)}frame range {start}:{end} is empty (END before START)")
    if end == start:
        raise ShotError(
            f"{_at(where)}frame range {start}:{end} has one frame; a bake needs at least two "
            "(give a longer range: --frames START:END)"
        )
    n = end - start + 1
    if n > MAX_SHOT_FRAMES:
        raise ShotError(
            f"{_at(where)}frame range {start}:{end} is {n:,} frames; MicroFace bakes at most "
            f"{MAX_SHOT_FRAMES:,} frames ({_duration_text(MAX_SHOT_S)} at 60 fps) in one shot: "
            "bake it in parts with --frames START:END"
        )
    if not (-BLENDER_MAX_FRAME <= start <= BLENDER_MAX_FRAME) or not (
        -BLENDER_MAX_FRAME <= end <= BLENDER_MAX_FRAME
    ):
        raise ShotError(
            f"{_at(where)}frame range {start}:{end} is outside Blender's frames "
            f"(-{BLENDER_MAX_FRAME:,}…{BLENDER_MAX_FRAME:,})"
        )


def check_shot(start: int, end: int, fps: float, where: str) -> float:
    """Refuse a shot MicroFace cannot bake; return its duration in seconds.

    ``fps`` is the scene's rate (``fps / fps_base``): an absurd ``fps_base`` turns a short range
    into years of scene time, which the duration limit catches with the rate in the message."""
    check_frame_range(start, end, where)
    if not math.isfinite(fps) or fps <= 0:
        raise ShotError(f"{_at(where)}frame rate {fps!r} fps is not a positive number")
    duration = (end - start + 1) / fps
    if duration > MAX_SHOT_S:
        raise ShotError(
            f"{_at(where)}frames {start}:{end} at {fps:.6g} fps last {_duration_text(duration)}; "
            f"MicroFace bakes at most {_duration_text(MAX_SHOT_S)} in one shot: check the "
            "scene's frame rate (fps / fps base) or bake in parts with --frames START:END"
        )
    return duration


def out_of_range_numbers(doc: Any, limit: float = MAX_JSON_MAGNITUDE) -> Iterator[tuple[list, Any]]:
    """(path, value) of every number in a parsed JSON document that is not finite or whose
    magnitude exceeds ``limit`` (booleans are not numbers here)."""
    stack: list[tuple[list, Any]] = [([], doc)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend(([*path, k], v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend(([*path, i], v) for i, v in reversed(list(enumerate(node))))
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            if isinstance(node, float) and not math.isfinite(node):
                yield path, node
            elif abs(node) > limit:
                yield path, node


def cap_lines(lines: Sequence[str], max_lines: int = MAX_LISTED_PROBLEMS) -> list[str]:
    """The first ``max_lines`` lines, and a count of the rest (a count standing for one line
    would save nothing: up to ``max_lines + 1`` lines are kept, so capping twice is harmless)."""
    if len(lines) <= max_lines + 1:
        return list(lines)
    return [*lines[:max_lines], f"… and {len(lines) - max_lines:,} more"]


def cap_text(text: str, max_chars: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to ``max_chars`` characters, saying how many were cut."""
    if len(text) <= max_chars:
        return text
    cut = len(text) - max_chars
    return f"{text[:max_chars]}… ({cut:,} more characters cut)"
