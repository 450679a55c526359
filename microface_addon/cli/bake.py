"""``bake``: layer micro-motion onto shots, writing new files (inputs are never modified).

A batch writes all of its outputs or none: each shot is saved under a temporary name beside its
destination, flushed and checked whole (``blendfile.save_copy``), and renamed only when every
shot succeeded — so a full disk leaves every previous output byte-identical.  Temporary files a
killed run left beside an output are removed by the next run on that output.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import __version__
from . import controls, progress
from .blendfile import check_input, current_file, open_blend, pick_objects, save_copy
from .common import (
    EXIT_OK,
    OUTPUT_SUFFIX,
    PROG,
    UsageError,
    add_common_arguments,
    destination,
    discard,
    existing_input,
    frame_range_arg,
    fsync_folder,
    names_arg,
    one_line,
    remove_stale_temps,
    use_user_presets,
    write_failure,
    write_json_atomic,
)
from .rig_options import add_overrides_argument, check_overrides, check_profile


def add_bake_arguments(parser: argparse.ArgumentParser, file_is_open: bool) -> None:
    parser.add_argument(
        "inputs",
        nargs="*",  # none: the open file, or the shots of --shots
        metavar="INPUT.blend",
        help="shot(s) to bake; never modified"
        + (" (default: the file Blender opened)" if file_is_open else ""),
    )
    out = parser.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="OUT.blend", help="output file (one input)")
    out.add_argument(
        "--output-dir",
        metavar="DIR",
        help="folder (created if missing) for one output per input, named "
        f"<stem>{OUTPUT_SUFFIX}.blend",
    )
    parser.add_argument(
        "--preset",
        default=None,
        metavar="NAME_OR_PATH",
        help="preset name on the search path or a .json file (default: neutral_idle)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--frames",
        type=frame_range_arg,
        metavar="START:END",
        help="frame range to bake (default: each scene's own range)",
    )
    parser.add_argument(
        "--objects",
        type=names_arg,
        metavar="NAME,...",
        help="objects to bake, grouped into characters (default: every armature and every "
        "mesh with shape keys in the scene)",
    )
    controls.add_control_arguments(parser)
    parser.add_argument(
        "--profile", metavar="NAME", help="force a rig convention instead of detecting it"
    )
    add_overrides_argument(parser)
    parser.add_argument(
        "--intents",
        metavar="FILE.json",
        help="intents/state cues over time (JSON list of {at_s, intent|state|breath, ...}), "
        "merged with the preset's timeline and the scene's mf: markers",
    )
    parser.add_argument(
        "--look-at",
        metavar="NAME",
        help="gaze target: a camera or object name, 'Armature:bone', or 'dir:YAW,PITCH[,DIST]' "
        "(degrees, metres); without it the eyes look relative to the head's forward direction",
    )
    _add_audio_arguments(parser)
    add_keying_arguments(parser)
    parser.add_argument(
        "--report", metavar="REPORT.json", help="write a JSON report of the whole run"
    )
    add_common_arguments(parser)


def _add_audio_arguments(parser: argparse.ArgumentParser) -> None:
    """Dialogue (docs/dialogue.md): which voices the characters speak and listen to."""
    parser.add_argument(
        "--audio",
        action="append",
        default=[],
        type=_audio_arg,
        metavar="[CHARACTER=]FILE",
        help="a voice recording to speak (any format Blender reads; WAV with the bpy module), "
        "added to the scene's sound strips; CHARACTER= says whose it is when several "
        "characters are baked (a name not baked: someone they listen to). Repeatable",
    )
    parser.add_argument(
        "--audio-start",
        type=int,
        metavar="FRAME",
        help="frame where the --audio files start (default: the bake's first frame)",
    )
    parser.add_argument(
        "--audio-strips",
        action="append",
        default=[],
        type=_strips_arg,
        metavar="CHARACTER=STRIP[,STRIP]",
        help="give sound strips to a character (or to another speaker, by name) instead of "
        "matching strip names to character names. Repeatable",
    )
    parser.add_argument(
        "--no-audio",
        action="store_true",
        help="ignore the scene's sound strips (--audio files are still used)",
    )


def _audio_arg(text: str) -> tuple[str, str]:
    """``FILE`` or ``CHARACTER=FILE`` → (speaker or "", file)."""
    who, sep, path = text.partition("=")
    if not sep or Path(text).expanduser().is_file() or not who.strip():
        return "", text
    return who.strip(), path


def _strips_arg(text: str) -> tuple[str, list[str]]:
    who, sep, strips = text.partition("=")
    names = [s.strip() for s in strips.split(",") if s.strip()]
    if not sep or not who.strip() or not names:
        raise argparse.ArgumentTypeError(
            f"expected CHARACTER=STRIP[,STRIP], e.g. Ann=ann_line1,ann_line2; got {text!r}"
        )
    return who.strip(), names


def _audio_options(args: argparse.Namespace) -> dict:
    """The ``BakeOptions`` fields of the audio arguments; a missing file stops the run here."""
    from ..core.audio.signal import AudioError

    files = []
    for who, path in args.audio:
        resolved = Path(path).expanduser().resolve()
        if not resolved.is_file():
            raise AudioError(f"audio file not found: {path}")
        files.append((who, str(resolved)))
    strips: dict[str, list[str]] = {}
    for who, names in args.audio_strips:
        strips.setdefault(who, []).extend(names)
    return {
        "use_audio": not args.no_audio,
        "audio_files": files,
        "audio_start": args.audio_start,
        "audio_strips": strips,
    }


def _positive(what: str):
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, got {text!r}") from None
        if not v > 0 or v != v or v == float("inf"):
            raise argparse.ArgumentTypeError(f"{what} must be positive, got {text}")
        return v

    return parse


def add_keying_arguments(parser: argparse.ArgumentParser) -> None:
    """How the keys are written: sparse within a tolerance (default) or on every frame."""
    from ..core.keying import DEFAULT_ROTATION_TOLERANCE_DEG, DEFAULT_TOLERANCE_PCT

    parser.add_argument(
        "--tolerance",
        type=_positive("--tolerance"),
        default=DEFAULT_TOLERANCE_PCT,
        metavar="PERCENT",
        help="how far the sparse keys may stray from the solved motion, in percent of each "
        f"channel's range over the bake (default: {DEFAULT_TOLERANCE_PCT:g})",
    )
    parser.add_argument(
        "--rotation-tolerance",
        type=_positive("--rotation-tolerance"),
        default=DEFAULT_ROTATION_TOLERANCE_DEG,
        metavar="DEGREES",
        help="the same for bone rotations, in degrees "
        f"(default: {DEFAULT_ROTATION_TOLERANCE_DEG:g})",
    )
    parser.add_argument(
        "--every-frame",
        action="store_true",
        help="a linear key on every frame in one MicroFace strip (the dense bake) instead of "
        "sparse keys on one strip per layer",
    )


def _bake_plan(args: argparse.Namespace) -> list[tuple[Path | None, Path]]:
    """(input or None for the open file, output) pairs, all checked before anything runs."""
    if args.inputs:
        inputs: list[Path | None] = [existing_input(p) for p in args.inputs]
    elif args.file_is_open:
        inputs = [current_file()]
    else:
        raise UsageError("no input file given (or --shots SHOTS.json)")
    if args.output:
        if len(inputs) > 1:
            raise UsageError("--output takes a single input; use --output-dir DIR for several")
        outputs = [destination(args.output, "output")]
    elif args.output_dir:
        folder = Path(args.output_dir).expanduser().resolve()
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"--output-dir {args.output_dir} is not a folder")
        if not folder.parent.is_dir():
            raise UsageError(f"folder of --output-dir {args.output_dir} does not exist")
        stems = [p.stem if p is not None else "untitled" for p in inputs]
        outputs = [folder / f"{stem}{OUTPUT_SUFFIX}.blend" for stem in stems]
        dupes = sorted({o.name for o in outputs if outputs.count(o) > 1})
        if dupes:
            raise UsageError(f"several inputs would write the same output: {', '.join(dupes)}")
    else:
        raise UsageError("give --output OUT.blend, or --output-dir DIR for several inputs")
    destinations = outputs + ([destination(args.report, "report")] if args.report else [])
    sources = {p for p in inputs if p is not None}
    for i, dest in enumerate(destinations):
        if dest in sources or dest in destinations[:i]:
            raise UsageError(f"refusing to overwrite {dest}: it is an input or another output")
    for dest in destinations:  # what killed runs on these outputs left behind
        remove_stale_temps(dest)
    return list(zip(inputs, outputs, strict=True))


def _shot_line(shot: dict[str, Any]) -> str:
    chars = shot["characters"]
    keys = sum(c["keys_written"] for c in chars)
    curves = sum(c["fcurves"] for c in chars)
    who = ", ".join(f"{c['character']} ({c['convention']})" for c in chars)
    src = Path(shot["input"]).name if shot["input"] else "(open file)"
    overridden = sum("library override" in w for c in chars for w in c["saved_in"].values())
    where = f" ({overridden} on library overrides)" if overridden else ""
    return (
        f"{src} -> {Path(shot['output']).name}: {who}; {keys} keys on {curves} curves"
        f"{where}, preset {shot['preset']}, seed {shot['seed']}, "
        f"{shot['timings_s']['total']:.2f} s"
    )


def run_bake(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    plan = _bake_plan(args)
    request = _resolve(args)  # a bad preset, control, intents file or rig option stops here
    shots = []
    with _staged(plan[0][1].parent) as staged:
        for source, output in plan:
            shot, tmp = _bake_shot(source, output, request, args)
            staged.append((tmp, output))
            shots.append(shot)
            print(_shot_line(shot), flush=True)
            for notice in shot["preset_notices"]:
                print(f"{PROG}: notice: {one_line(notice)}", file=sys.stderr)
            for cue in (c for ch in shot["characters"] for c in ch.get("unlanded_cues", ())):
                print(f"{PROG}: notice: cue not landed: {cue}", file=sys.stderr)
        if args.report:
            report_path = destination(args.report, "report")
            doc = _run_report(args, request, shots, time.perf_counter() - t0)
            staged.append((write_json_atomic(report_path, doc), report_path))
    return EXIT_OK


def _resolve(args: argparse.Namespace):
    """The ``BakeRequest`` every shot of the run shares: the preset loaded and checked, controls
    applied, the intents file read — once, before any file is opened."""
    from ..apply import BakeOptions, resolve
    from ..core.keying import Keying
    from ..core.preset.library import DEFAULT_PRESET

    use_user_presets()
    controls_, intensity = controls.controls_from_args(args)
    options = BakeOptions(
        preset=args.preset or DEFAULT_PRESET,
        seed=args.seed,
        frame_start=args.frames[0] if args.frames else None,
        frame_end=args.frames[1] if args.frames else None,
        intensity=intensity,
        controls=controls_,
        profile=args.profile,
        intents_file=str(Path(args.intents).resolve()) if args.intents else None,
        look_at=args.look_at,
        **_audio_options(args),
        keying=Keying(args.every_frame, args.tolerance, args.rotation_tolerance),
    )
    request = resolve(options)
    check_profile(args.profile)
    checked = replace(options, overrides_map=check_overrides(args.overrides))
    return replace(request, options=checked)


def _bake_shot(source: Path | None, output: Path, request, args: argparse.Namespace):
    """Open one shot (or use the open file), layer micro-motion, save it under a temporary name
    beside ``output``: (the shot's report, the temporary file)."""
    import bpy

    from ..apply import layer_micro_motion
    from ..rig.convention.profiles import ProfileError
    from ..rig.convention.rigmap import RigError

    ts = time.perf_counter()
    if source is not None:
        open_blend(source, args.debug)
    elif current_file() is not None and current_file().is_file():
        check_input(current_file())  # Blender opened it before us: refuse it if cut short
    scene = bpy.context.scene
    label = str(source) if source is not None else "open file"
    objects = pick_objects(scene, args.objects, label)
    t_open = time.perf_counter()
    show = progress.steps(Path(label).name)  # the live line on a terminal, else None
    try:
        report = layer_micro_motion(scene, objects, request, show)
    except ProfileError:  # a profile file's problems name that file, whatever the shot
        raise
    except RigError as exc:  # name the shot: in a batch the character alone is ambiguous
        raise type(exc)(f"{label}: {exc}") from exc
    finally:
        if show is not None:
            show(None)
    t_bake = time.perf_counter()
    tmp = save_copy(output, args.debug)
    t_save = time.perf_counter()
    layer_timings = report.pop("timings_s")
    timings = {
        "open": round(t_open - ts, 4),
        "load_preset": layer_timings.get("load"),
        "layer": round(t_bake - t_open, 4),
        "save": round(t_save - t_bake, 4),
        "total": round(t_save - ts, 4),
    }
    shot = {
        "input": str(source) if source is not None else None,
        "output": str(output),
        "scene": scene.name,
        **report,
        "timings_s": timings,
    }
    return shot, tmp


def _run_report(args: argparse.Namespace, request, shots: list, total_s: float) -> dict:
    import bpy

    return {
        "microface": __version__,
        "blender": bpy.app.version_string,
        "command": "bake",
        "preset": request.options.preset,
        "seed": args.seed,
        "shots": shots,
        "total_time_s": round(total_s, 4),
    }


@contextlib.contextmanager
def _staged(folder: Path) -> Iterator[list[tuple[Path, Path]]]:
    """Collect (temporary, final) files; rename them all when the block succeeds, remove them
    all when it fails — with an ``--output-dir`` this run created, if nothing landed in it."""
    staged: list[tuple[Path, Path]] = []
    made_dir = None
    if not folder.exists():
        made_dir = folder
        made_dir.mkdir()
    try:
        yield staged
        for tmp, final in staged:  # each one flushed and checked whole when it was staged
            try:
                os.replace(tmp, final)
            except OSError as exc:
                raise write_failure(final, exc) from exc
            fsync_folder(final.parent)
    finally:
        for tmp, _final in staged:
            discard(tmp)  # after a success they were all renamed: nothing left to discard
        if made_dir is not None and not any(made_dir.iterdir()):
            made_dir.rmdir()
