"""Command line: ``bake``, ``sample``, ``inspect`` — the panel's operations, for batches and CI.

Two front doors, one implementation::

    python -m microface_addon bake SHOT.blend --output OUT.blend      # the bpy module
    blender -b SHOT.blend -c microface bake --output OUT.blend         # Blender with the extension

In the second form the file named before ``-c`` is already open, so ``bake`` and ``inspect``
without a positional file mean "the currently open file".

Exit codes: 0 success, 2 bad arguments or an invalid preset, 3 a character with nothing to map,
1 anything else.  Every failure prints one line ``microface: error: …`` on stderr; ``--debug``
adds the traceback.  Inputs are never modified; outputs and reports are written atomically
(temporary file in the destination folder, then ``os.replace``), and a batch writes all of its
outputs or none.

Adding a subcommand (e.g. ``validate``): write ``add_arguments(parser, file_is_open)`` and
``run(args) -> int``, then add one ``Subcommand`` line to ``SUBCOMMANDS``.  ``bpy`` is imported
inside the commands that need it, so ``--help`` and pure commands start fast.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__, preset_cli

PROG = "microface"
COMMAND_ID = "microface"  # blender -c microface …
OUTPUT_SUFFIX = "_microface"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_NOTHING_TO_MAP = 3


class UsageError(Exception):
    """Bad command-line arguments (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting, so errors stay one line and
    the Blender-embedded command never calls ``sys.exit``."""

    def error(self, message: str):
        raise UsageError(f"{message} (see '{self.prog} --help')")


@dataclass(frozen=True)
class Subcommand:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser, bool], None]  # (parser, file_is_open)
    run: Callable[[argparse.Namespace], int]


# --- small helpers --------------------------------------------------------------------------


def one_line(exc: BaseException) -> str:
    text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return text or type(exc).__name__


def frame_range_arg(text: str) -> tuple[int, int]:
    """``START:END`` (inclusive, integers, END >= START)."""
    start, sep, end = text.partition(":")
    try:
        if not sep:
            raise ValueError
        first, last = int(start), int(end)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid frame range {text!r}: expected START:END, e.g. 1:240"
        ) from None
    if last <= first:
        raise argparse.ArgumentTypeError(f"frame range {text!r} must have END after START")
    return first, last


def names_arg(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected one or more object names separated by commas")
    return names


def intensity_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid intensity {text!r}: expected a number") from None
    if not 0.0 <= value <= 2.0:
        raise argparse.ArgumentTypeError(f"intensity {value:g} is outside 0–2")
    return value


def _existing_input(text: str) -> Path:
    path = Path(text).expanduser().resolve()
    if not path.is_file():
        raise UsageError(f"input file not found: {text}")
    return path


def _destination(text: str, what: str) -> Path:
    """An output path whose folder exists (nothing is created on the user's behalf)."""
    path = Path(text).expanduser().resolve()
    if path.is_dir():
        raise UsageError(f"{what} {text} is a folder, expected a file path")
    if not path.parent.is_dir():
        raise UsageError(f"folder of {what} {text} does not exist: {path.parent}")
    return path


def _temp_path(final: Path) -> Path:
    return final.with_name(f".{final.stem}.{os.getpid()}.microface-tmp{final.suffix}")


def _discard(path: Path) -> None:
    # Blender writes "<name>@" and renames it; a failed save may leave either.
    for p in (path, path.with_name(path.name + "@")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _flush_c_stdio() -> None:
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def blender_chatter(debug: bool) -> Iterator[None]:
    """Keep Blender's own prints ("Read blend: …", "Info: Saved …") off stdout, so stdout carries
    only MicroFace's output (``inspect --json`` stays parseable); shown on stderr with --debug.

    Blender writes both from C (file descriptor 1) and through Python's ``sys.stdout`` (operator
    reports), so both are redirected."""
    sys.stdout.flush()
    _flush_c_stdio()
    try:
        saved = os.dup(1)
    except OSError:  # no real stdout (embedded): only the Python level can be redirected
        saved = None
    target = os.dup(2) if debug else os.open(os.devnull, os.O_WRONLY)
    sink = sys.stderr if debug else open(os.devnull, "w", encoding="utf-8")
    try:
        if saved is not None:
            os.dup2(target, 1)
        with contextlib.redirect_stdout(sink):
            yield
    finally:
        sink.flush()
        _flush_c_stdio()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)
        os.close(target)
        if sink is not sys.stderr:
            sink.close()


def _write_json_atomic(path: Path, doc: Any) -> Path:
    """Write ``doc`` next to ``path`` under a temporary name; returns it (caller renames)."""
    tmp = _temp_path(path)
    try:
        tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    except BaseException as exc:
        _discard(tmp)
        if isinstance(exc, OSError):
            raise OSError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    return tmp


# --- Blender file handling ------------------------------------------------------------------


def open_blend(path: Path, debug: bool) -> None:
    """Load ``path`` as the current file (scripts in it are not run: a batch tool runs no code
    from the files it processes)."""
    import bpy

    with blender_chatter(debug):
        try:
            bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False, use_scripts=False)
        except RuntimeError as exc:
            raise RuntimeError(f"cannot open {path}: {one_line(exc)}") from exc


def save_copy(final: Path, debug: bool) -> Path:
    """Save the open file as a copy under a temporary name beside ``final``; return that name.

    ``copy=True`` keeps the open file's own path, so the input is never the one written."""
    import bpy

    tmp = _temp_path(final)
    with blender_chatter(debug):
        try:
            bpy.ops.wm.save_as_mainfile(filepath=str(tmp), copy=True, check_existing=False)
        except BaseException as exc:
            _discard(tmp)
            if isinstance(exc, RuntimeError):
                raise RuntimeError(f"cannot write {final}: {one_line(exc)}") from exc
            raise
    if not tmp.is_file():
        raise RuntimeError(f"cannot write {final}: Blender reported success but wrote nothing")
    return tmp


def character_objects(scene) -> list:
    """Every object that can make up a character: armatures and meshes with shape keys."""
    out = []
    for ob in scene.objects:
        if ob.type == "ARMATURE":
            out.append(ob)
        elif ob.type == "MESH":
            keys = ob.data.shape_keys
            if keys is not None and len(keys.key_blocks) > 1:
                out.append(ob)
    return out


def pick_objects(scene, names: list[str] | None, source: str) -> list:
    """The named objects of ``scene`` (error naming the missing ones), or every character's."""
    from .rig.rigmap import NothingToMapError

    if names:
        missing = [n for n in names if scene.objects.get(n) is None]
        if missing:
            have = sorted(ob.name for ob in scene.objects)
            shown = ", ".join(have[:12]) + (", …" if len(have) > 12 else "")
            raise UsageError(
                f"{source}: no object named {', '.join(map(repr, missing))} in scene "
                f"{scene.name!r} (objects: {shown or 'none'})"
            )
        return [scene.objects[n] for n in names]
    objects = character_objects(scene)
    if not objects:
        raise NothingToMapError(
            f"{source}: no character in scene {scene.name!r}: "
            "no mesh with shape keys and no armature"
        )
    return objects


def _current_file() -> Path | None:
    import bpy

    return Path(bpy.data.filepath) if bpy.data.filepath else None


def _check_profile(name: str | None) -> None:
    if name is None:
        return
    from .rig.profiles import ProfileError, available_profiles

    try:  # shipped, user-folder and MICROFACE_PROFILE_PATH profiles
        known = [p.name for p in available_profiles()]
    except ProfileError as exc:
        raise UsageError(f"invalid rig profile: {exc}") from None
    if name not in known:
        raise UsageError(f"unknown rig profile {name!r} (known: {', '.join(known)})")


def _check_overrides(path: str | None) -> str | None:
    """Validate a rig override map file before any .blend is opened; its absolute path."""
    if path is None:
        return None
    from .rig.overrides import load_override_map
    from .rig.profiles import ProfileError

    resolved = _existing_input(path)
    try:
        load_override_map(resolved)
    except ProfileError as exc:
        raise UsageError(f"invalid rig override map: {exc}") from None
    return str(resolved)


def _add_overrides_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--overrides",
        metavar="FILE.json",
        help="per-character rig override map that wins over detection, e.g. "
        '{"zygomaticus_major_L": {"shape_key": "SmileL_custom", "gain": 0.8}}',
    )


# --- common options -------------------------------------------------------------------------


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks and Blender's own messages"
    )


# --- bake -----------------------------------------------------------------------------------


def add_bake_arguments(parser: argparse.ArgumentParser, file_is_open: bool) -> None:
    parser.add_argument(
        "inputs",
        nargs="*" if file_is_open else "+",
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
    parser.add_argument(
        "--intensity",
        type=preset_cli.intensity_item,
        action="append",
        default=[],
        metavar="X|LAYER=X",
        help="global strength 0–2, or one layer's (e.g. blink=0.5), multiplying the preset's "
        "(default: 1); repeatable",
    )
    preset_cli.add_control_arguments(parser, with_intensity=False)
    parser.add_argument(
        "--profile", metavar="NAME", help="force a rig convention instead of detecting it"
    )
    _add_overrides_argument(parser)
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
    parser.add_argument(
        "--report", metavar="REPORT.json", help="write a JSON report of the whole run"
    )
    _add_common(parser)


def _bake_plan(args: argparse.Namespace) -> list[tuple[Path | None, Path]]:
    """(input or None for the open file, output) pairs, all checked before anything runs."""
    if args.inputs:
        inputs: list[Path | None] = [_existing_input(p) for p in args.inputs]
    elif args.file_is_open:
        inputs = [_current_file()]
    else:
        raise UsageError("no input file given")
    if args.output:
        if len(inputs) > 1:
            raise UsageError("--output takes a single input; use --output-dir DIR for several")
        outputs = [_destination(args.output, "output")]
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
    destinations = outputs + ([_destination(args.report, "report")] if args.report else [])
    sources = {p for p in inputs if p is not None}
    for i, dest in enumerate(destinations):
        if dest in sources or dest in destinations[:i]:
            raise UsageError(f"refusing to overwrite {dest}: it is an input or another output")
    return list(zip(inputs, outputs, strict=True))


def _shot_line(shot: dict[str, Any]) -> str:
    chars = shot["characters"]
    keys = sum(c["keys_written"] for c in chars)
    channels = sum(len(c["mapped"]) for c in chars)
    who = ", ".join(f"{c['character']} ({c['convention']})" for c in chars)
    src = Path(shot["input"]).name if shot["input"] else "(open file)"
    return (
        f"{src} -> {Path(shot['output']).name}: {who}; {keys} keys on {channels} channels, "
        f"preset {shot['preset']}, seed {shot['seed']}, {shot['timings_s']['total']:.2f} s"
    )


def run_bake(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    from .core.settings import DEFAULT_PRESET, load_preset

    plan = _bake_plan(args)
    preset = args.preset or DEFAULT_PRESET
    preset_cli.use_user_presets()
    settings = load_preset(preset)  # an invalid preset fails before any file is opened
    global_intensity, overrides = preset_cli.control_overrides(args, settings)
    settings = preset_cli.apply_controls(settings, args)  # so do invalid control values
    if args.intents:  # so does an invalid intents file
        from .core.timeline import load_intents_file, settings_vocabulary

        load_intents_file(args.intents, settings_vocabulary(settings))
    _check_profile(args.profile)
    overrides_map = _check_overrides(args.overrides)

    import bpy

    from .apply import BakeOptions, layer_micro_motion
    from .rig.rigmap import RigError

    options = BakeOptions(
        preset=preset,
        seed=args.seed,
        frame_start=args.frames[0] if args.frames else None,
        frame_end=args.frames[1] if args.frames else None,
        intensity=1.0 if global_intensity is None else global_intensity,
        overrides=overrides,
        profile=args.profile,
        overrides_map=overrides_map,
        intents_file=str(Path(args.intents).resolve()) if args.intents else None,
        look_at=args.look_at,
    )
    staged: list[tuple[Path, Path]] = []  # (temporary, final): renamed only when all succeed
    shots = []
    made_dir = None  # an --output-dir this run created, removed again if the run fails
    if not plan[0][1].parent.exists():
        made_dir = plan[0][1].parent
        made_dir.mkdir()
    try:
        for source, output in plan:
            ts = time.perf_counter()
            if args.inputs:
                open_blend(source, args.debug)
            scene = bpy.context.scene
            label = str(source) if source is not None else "open file"
            objects = pick_objects(scene, args.objects, label)
            t_open = time.perf_counter()
            try:
                report = layer_micro_motion(scene, objects, options)
            except RigError as exc:  # name the shot: in a batch the character alone is ambiguous
                raise type(exc)(f"{label}: {exc}") from exc
            t_bake = time.perf_counter()
            staged.append((save_copy(output, args.debug), output))
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
            shots.append(shot)
            print(_shot_line(shot), flush=True)
            for notice in report.get("preset_notices", []):
                print(f"{PROG}: notice: {notice}", file=sys.stderr)
        if args.report:
            report_path = _destination(args.report, "report")
            doc = {
                "microface": __version__,
                "blender": bpy.app.version_string,
                "command": "bake",
                "preset": preset,
                "seed": args.seed,
                "shots": shots,
                "total_time_s": round(time.perf_counter() - t0, 4),
            }
            staged.append((_write_json_atomic(report_path, doc), report_path))
        for tmp, final in staged:
            os.replace(tmp, final)
    finally:
        for tmp, _final in staged:
            _discard(tmp)  # after a success they were all renamed: nothing left to discard
        if made_dir is not None and not any(made_dir.iterdir()):
            made_dir.rmdir()  # the run failed before anything landed in the folder it made
    return EXIT_OK


# --- inspect --------------------------------------------------------------------------------


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
    _add_overrides_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    _add_common(parser)


def _format_rig_report(rep: dict[str, Any]) -> list[str]:
    lines = [f"{rep['character']}  (objects: {', '.join(rep['objects'])})"]
    if "error" in rep:
        return lines + [f"  error: {rep['error']}"]
    runner = rep.get("runner_up")
    runner_text = f"; runner-up {runner[0]} {runner[1]:.3f}" if runner else ""
    lines.append(f"  convention: {rep['convention']} (score {rep['score']:.3f}{runner_text})")
    if rep.get("bone_convention") and rep["bone_convention"] != rep["convention"]:
        lines.append(f"  bones named by: {rep['bone_convention']}")
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
    lines += [f"  note: {n}" for n in rep.get("notes", [])]
    return lines


def run_inspect(args: argparse.Namespace) -> int:
    from .rig.rigmap import NothingToMapError

    _check_profile(args.profile)
    overrides_map = _check_overrides(args.overrides)
    if args.file:
        source: Path | None = _existing_input(args.file)
    elif args.file_is_open:
        source = _current_file()
    else:
        raise UsageError("no input file given")

    import bpy

    from .rig.character import character_id, characters_of
    from .rig.detect import detect

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
            failures.append(str(exc))
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


# --- sample ---------------------------------------------------------------------------------


def add_sample_arguments(parser: argparse.ArgumentParser, _file_is_open: bool) -> None:
    parser.add_argument("output", metavar="OUT.blend", help="where to write the sample head")
    _add_common(parser)


def run_sample(args: argparse.Namespace) -> int:
    output = _destination(args.output, "output")
    from .sample_head import save_sample_head

    with blender_chatter(args.debug):
        save_sample_head(output)
    print(f"wrote sample head to {output}")
    return EXIT_OK


# --- registry and entry points --------------------------------------------------------------

SUBCOMMANDS: dict[str, Subcommand] = {
    "bake": Subcommand(
        "layer micro-motion onto shots, writing new files", add_bake_arguments, run_bake
    ),
    "sample": Subcommand(
        "write the sample ARKit head as a .blend", add_sample_arguments, run_sample
    ),
    "inspect": Subcommand(
        "show how each character's rig is mapped", add_inspect_arguments, run_inspect
    ),
    "validate": Subcommand(
        "measure presets against published physiology (no Blender scene needed)",
        preset_cli.add_validate_arguments,
        preset_cli.run_validate,
    ),
    "presets": Subcommand(
        "list the presets on the search path and where each comes from",
        preset_cli.add_presets_arguments,
        preset_cli.run_presets,
    ),
}


def build_parser(file_is_open: bool = False) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="MicroFace: procedural facial micro-motion for Blender character rigs.",
        epilog="Inside Blender: blender -b FILE.blend -c microface COMMAND … "
        "(bake and inspect then default to FILE.blend).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, cmd in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p, file_is_open)
    return parser


def exit_code_for(exc: BaseException) -> int:
    from .core.settings import PresetError
    from .core.timeline import MarkerError
    from .rig.rigmap import NothingToMapError

    if isinstance(exc, (UsageError, PresetError, MarkerError)):
        return EXIT_USAGE
    if isinstance(exc, NothingToMapError):
        return EXIT_NOTHING_TO_MAP
    return EXIT_FAILURE


def _message(exc: BaseException) -> str:
    from .core.settings import PresetError
    from .rig.rigmap import RigError

    if isinstance(exc, PresetError):
        return f"invalid preset: {one_line(exc)}"
    from .core.timeline import MarkerError

    if isinstance(exc, MarkerError):
        return f"invalid marker: {one_line(exc)}"
    if isinstance(exc, (UsageError, RigError, RuntimeError, OSError)):
        return one_line(exc)
    return f"{type(exc).__name__}: {one_line(exc)} (run with --debug for the traceback)"


def main(argv: list[str] | None = None, file_is_open: bool = False) -> int:
    """Run one command; returns the exit code (never raises, never calls ``sys.exit``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser(file_is_open).parse_args(argv)
        if args.command is None:
            raise UsageError(f"no command given; choose one of {', '.join(SUBCOMMANDS)}")
        args.file_is_open = file_is_open
        return SUBCOMMANDS[args.command].run(args)
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except KeyboardInterrupt:
        print(f"{PROG}: error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            traceback.print_exc()
        print(f"{PROG}: error: {_message(exc)}", file=sys.stderr)
        return exit_code_for(exc)


_HANDLE = None
_RUNNING = 0  # > 0 while Blender is inside ``execute``


def execute(argv) -> int:
    """``bpy.utils.register_cli_command`` callback: ``blender -b FILE.blend -c microface …``."""
    global _RUNNING
    _RUNNING += 1
    try:
        return main(list(argv), file_is_open=True)
    finally:
        _RUNNING -= 1


def register_command() -> None:
    """Register ``-c microface`` with Blender (4.2+; a no-op where the API is missing)."""
    global _HANDLE
    import bpy

    if _HANDLE is not None or not hasattr(bpy.utils, "register_cli_command"):
        return
    _HANDLE = bpy.utils.register_cli_command(COMMAND_ID, execute)
    if getattr(bpy.app, "module", not bpy.app.binary_path):
        # The bpy module (4.2) crashes at interpreter exit if a command is still registered.
        atexit.register(unregister_command)


def unregister_command() -> None:
    global _HANDLE
    if _HANDLE is None:
        return
    if _RUNNING:
        # Something the command ran (e.g. factory settings) is disabling the add-on: freeing the
        # command Blender is executing would pull it from under its caller.  Blender frees it at
        # exit; a later register_command() sees it is still there.
        return
    import bpy

    atexit.unregister(unregister_command)
    bpy.utils.unregister_cli_command(_HANDLE)
    _HANDLE = None
