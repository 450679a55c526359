"""Command line: one parser, one dispatcher, and the ``blender -c microface`` entry point.

Two front doors, one implementation::

    python -m microface_addon bake SHOT.blend --output OUT.blend      # the bpy module
    blender -b SHOT.blend -c microface bake --output OUT.blend         # Blender with the extension

In the second form the file named before ``-c`` is already open, so ``bake`` and ``inspect``
without a positional file mean "the currently open file".

Exit codes: 0 success; 2 bad input — arguments, a file (preset, intents, override map, profile,
a damaged or unreadable ``.blend``), a marker, the scene (frame range, rate, length), the rig, a
character only linked from a library, a damaged MicroFace record; 3 a character with nothing to
map; 4 an output could not be written (a full disk, no permission: nothing was replaced); 1 only
for an internal error (a bug).  Every failure prints one line ``microface: error: …`` on stderr
(at most ``MAX_MESSAGE_CHARS``, with a count of what was cut); ``--debug`` adds the traceback.
Inputs are never modified; outputs and reports are written atomically (temporary file in the
destination folder, flushed and checked, then ``os.replace``), and a batch writes all of its
outputs or none.

Adding a subcommand (e.g. ``validate``): write ``add_arguments(parser, file_is_open)`` and
``run(args) -> int``, then add one ``Subcommand`` line to ``SUBCOMMANDS``.  ``bpy`` is imported
inside the commands that need it, so ``--help`` and pure commands start fast.
"""

from __future__ import annotations

import argparse
import atexit
import sys
import traceback

from .. import __version__
from . import analyze_audio, farm, inspect, presets, sample, shots, validate, vrm_names
from .common import (
    EXIT_FAILURE,
    EXIT_NOTHING_TO_MAP,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_WRITE,
    PROG,
    OutputError,
    Parser,
    Subcommand,
    UsageError,
    import_bpy_quietly,
    one_line,
)

COMMAND_ID = "microface"  # blender -c microface …
# Commands that never open a Blender scene: they run without bpy (a plain Python with numpy/scipy).
NO_BLENDER = frozenset({"validate", "presets", "analyze-audio"})

# --- registry and entry points --------------------------------------------------------------

SUBCOMMANDS: dict[str, Subcommand] = {
    "bake": Subcommand(
        "layer micro-motion onto shots, writing new files", shots.add_arguments, shots.run
    ),
    "sample": Subcommand(
        "write the sample ARKit head as a .blend", sample.add_sample_arguments, sample.run_sample
    ),
    "inspect": Subcommand(
        "show how each character's rig is mapped",
        inspect.add_inspect_arguments,
        inspect.run_inspect,
    ),
    "validate": Subcommand(
        "measure presets against published physiology (no Blender scene needed)",
        validate.add_validate_arguments,
        validate.run_validate,
    ),
    "presets": Subcommand(
        "list the presets on the search path and where each comes from",
        presets.add_presets_arguments,
        presets.run_presets,
    ),
    "vrm-names": Subcommand(
        "restore shape-key names a VRM 0.x file lost on glTF import (target_0 …)",
        vrm_names.add_vrm_names_arguments,
        vrm_names.run_vrm_names,
    ),
    "analyze-audio": Subcommand(
        "show the utterances, pauses and accents MicroFace hears in a voice recording",
        analyze_audio.add_analyze_audio_arguments,
        analyze_audio.run_analyze_audio,
    ),
    "farm-bundle": Subcommand(
        "write an Open Job Description job bundle (AWS Deadline Cloud layout) for a shot list",
        farm.add_arguments,
        farm.run,
    ),
}


def build_parser(file_is_open: bool = False) -> argparse.ArgumentParser:
    parser = Parser(
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
    """2 for bad input of any kind, 3 for nothing to map, 4 for an output that could not be
    written, 1 for everything else (a bug)."""
    from ..core.limits import InputError
    from ..rig.convention.rigmap import NothingToMapError, RigError

    if isinstance(exc, NothingToMapError):
        return EXIT_NOTHING_TO_MAP
    if isinstance(exc, (InputError, RigError)):  # RigError: the rig, a profile, an override map
        return EXIT_USAGE
    if isinstance(exc, OutputError):
        return EXIT_WRITE
    return EXIT_FAILURE


def _message(exc: BaseException) -> str:
    from ..core.limits import InputError
    from ..core.preset.settings import PresetError
    from ..core.timeline.grammar import IntentsError, MarkerError
    from ..rig.convention.rigmap import RigError

    if isinstance(exc, IntentsError):
        return f"invalid intents file: {one_line(exc)}"
    if isinstance(exc, PresetError):
        return f"invalid preset: {one_line(exc)}"
    if isinstance(exc, MarkerError):
        return f"invalid marker: {one_line(exc)}"
    if isinstance(exc, (InputError, RigError, RuntimeError, OSError)):
        return one_line(exc)
    return f"{type(exc).__name__}: {one_line(exc)} (run with --debug for the traceback)"


def describe_error(exc: BaseException) -> tuple[int, str]:
    """(exit code, one-line message) of a failure: what a batch reports for a failed shot."""
    return exit_code_for(exc), _message(exc)


def main(argv: list[str] | None = None, file_is_open: bool = False) -> int:
    """Run one command; returns the exit code (never raises, never calls ``sys.exit``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser(file_is_open).parse_args(argv)
        if args.command is None:
            raise UsageError(f"no command given; choose one of {', '.join(SUBCOMMANDS)}")
        args.file_is_open = file_is_open
        args.describe_error = describe_error
        if args.command not in NO_BLENDER:
            import_bpy_quietly(debug)  # before any module of the command imports it
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
