"""``inspect``: show how each character's rig is mapped (convention, channels, skeleton)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .blendfile import input_file, open_blend, pick_objects
from .common import (
    EXIT_NOTHING_TO_MAP,
    EXIT_OK,
    PROG,
    add_common_arguments,
)
from .rig_options import add_overrides_argument, check_overrides, check_profile


def add_inspect_arguments(parser: argparse.ArgumentParser, file_is_open: bool) -> None:
    parser.add_argument(
        "file",
        nargs="?" if file_is_open else None,
        metavar="FILE.blend",
        help="file to inspect" + (" (default: the file Blender opened)" if file_is_open else ""),
    )
    parser.add_argument(
        "--object",
        metavar="NAME",
        help="inspect only the character this object belongs to (default: every character)",
    )
    parser.add_argument(
        "--profile", metavar="NAME", help="force a rig convention instead of detecting it"
    )
    add_overrides_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    add_common_arguments(parser)


def _format_rig_report(rep: dict[str, Any]) -> list[str]:
    lines = [f"{rep['character']}  (objects: {', '.join(rep['objects'])})"]
    if "error" in rep:
        return lines + [f"  error: {rep['error']}"]
    runner = rep.get("runner_up")
    runner_text = f"; runner-up {runner[0]} {runner[1]:.3f}" if runner else ""
    kind = rep.get("score_kind") or "score"
    lines.append(f"  convention: {rep['convention']} ({kind} {rep['score']:.3f}{runner_text})")
    if rep.get("bone_convention") and rep["bone_convention"] != rep["convention"]:
        bone_score = rep.get("bone_score")
        score_text = f" (bone coverage {bone_score:.3f})" if bone_score is not None else ""
        lines.append(f"  bones named by: {rep['bone_convention']}{score_text}")
    if rep.get("ambiguous"):
        lines.append(f"  ambiguous with: {', '.join(rep['ambiguous'])}")
    width = max((len(k) for k in [*rep["mapped"], *rep["unmapped"]]), default=0)
    lines.append(f"  mapped: {len(rep['mapped'])} channels")
    lines += [f"    {ch:<{width}}  {', '.join(t)}" for ch, t in rep["mapped"].items()]
    lines.append(f"  unmapped: {len(rep['unmapped'])} channels")
    lines += [f"    {ch:<{width}}  {why}" for ch, why in rep["unmapped"].items()]
    if rep.get("skipped"):
        lines.append(f"  skipped: {len(rep['skipped'])} driven shape keys")
        lines += [f"    {key}  {why}" for key, why in rep["skipped"].items()]
    if rep.get("unused"):
        lines.append(f"  unused: {', '.join(rep['unused'])}")
    if rep.get("skeleton"):
        parts = [f"{k}={v}" for k, v in rep["skeleton"].items()]
        lines.append(f"  skeleton: {', '.join(parts)}")
    if rep.get("object_roles"):
        parts = [f"{k}={v}" for k, v in rep["object_roles"].items()]
        lines.append(f"  objects moving the face: {', '.join(parts)}")
    lines += _part_lines(rep.get("parts", {}))
    for label, value in rep.get("gaze_calibration", {}).items():
        lines.append(f"  gaze calibration: {label} = {value:g}")
    lines += [f"  note: {n}" for n in rep.get("notes", [])]
    return lines


def _part_lines(parts: dict[str, Any]) -> list[str]:
    """One source per moved part: the driver, why, and what else could move it."""
    if not parts:
        return []
    lines = ["  parts (one driver each):"]
    for part, choice in parts.items():
        lines.append(f"    {part}: {choice['driver'] or 'nothing'} — {choice['why']}")
        lines += [f"      alternative: {alt}" for alt in choice["alternatives"]]
        lines += [f"      not this part: {c}" for c in choice["not_this_part"]]
    return lines


def run_inspect(args: argparse.Namespace) -> int:
    from ..rig.convention.rigmap import NothingToMapError

    check_profile(args.profile)
    overrides_map = check_overrides(args.overrides)
    source = input_file(args)

    import bpy

    from ..rig.scene.character import character_id, characters_of
    from ..rig.scene.detect import detect

    if args.file:
        open_blend(source, args.debug)
    scene = bpy.context.scene
    label = str(source) if source is not None else "open file"
    objects = pick_objects(scene, [args.object] if args.object else None, label)
    reports = []
    failures = []
    for members in characters_of(objects):
        try:
            rigmap = detect(members, profile=args.profile, overrides=overrides_map)
            reports.append(rigmap.report())
        except NothingToMapError as exc:
            failures.append(f"{exc}; {exc.details}" if exc.details else str(exc))
            reports.append(
                {
                    "character": character_id(members),
                    "objects": [m.name for m in members],
                    "error": str(exc),
                }
            )
    if not reports:
        raise NothingToMapError(f"{label}: {args.object!r} is not part of a character")
    if args.json:
        doc = {"file": str(source) if source else None, "scene": scene.name, "characters": reports}
        print(json.dumps(doc, indent=2))
    else:
        print(f"{label}  (scene {scene.name!r}, {len(reports)} character(s))")
        for rep in reports:
            print("\n".join(_format_rig_report(rep)))
    for message in failures:
        print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_NOTHING_TO_MAP if failures else EXIT_OK
