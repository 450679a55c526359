"""What every MicroFace command shares: exit codes, one-line errors, argument types, and writing
files without ever leaving half of one behind.

Why one module: the commands must fail the same way (one ``microface: error: …`` line, exit 2 for
bad input) and write the same way (temporary file beside the destination, then ``os.replace``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROG = "microface"
OUTPUT_SUFFIX = "_microface"
USER_PRESETS_SUBDIR = "microface/presets"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_NOTHING_TO_MAP = 3


class UsageError(Exception):
    """Bad command-line arguments (exit code 2)."""


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting, so errors stay one line and
    the Blender-embedded command never calls ``sys.exit``."""

    def error(self, message: str):
        raise UsageError(f"{message} (see '{self.prog} --help')")


@dataclass(frozen=True)
class Subcommand:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser, bool], None]  # (parser, file_is_open)
    run: Callable[[argparse.Namespace], int]


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


def existing_input(text: str) -> Path:
    path = Path(text).expanduser().resolve()
    if not path.is_file():
        raise UsageError(f"input file not found: {text}")
    return path


def destination(text: str, what: str) -> Path:
    """An output path whose folder exists (nothing is created on the user's behalf)."""
    path = Path(text).expanduser().resolve()
    if path.is_dir():
        raise UsageError(f"{what} {text} is a folder, expected a file path")
    if not path.parent.is_dir():
        raise UsageError(f"folder of {what} {text} does not exist: {path.parent}")
    return path


def temp_path(final: Path, pid: int | None = None) -> Path:
    """The temporary name process ``pid`` (default: this one) writes ``final`` under."""
    pid = os.getpid() if pid is None else pid
    return final.with_name(f".{final.stem}.{pid}.microface-tmp{final.suffix}")


def discard(path: Path) -> None:
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


def write_json_atomic(path: Path, doc: Any) -> Path:
    """Write ``doc`` next to ``path`` under a temporary name; returns it (caller renames)."""
    tmp = temp_path(path)
    try:
        tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    except BaseException as exc:
        discard(tmp)
        if isinstance(exc, OSError):
            raise OSError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    return tmp


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks and Blender's own messages"
    )


def user_preset_folder() -> Path | None:
    """The user's preset folder in Blender's config folder, or None when ``bpy`` is missing."""
    try:
        import bpy
    except ImportError:
        return None
    path = bpy.utils.user_resource("CONFIG", path=USER_PRESETS_SUBDIR)
    return Path(path) if path else None


def use_user_presets() -> None:
    """Put the user's preset folder on the search path (the CLI's equivalent of the add-on)."""
    from ..core.preset.library import set_user_preset_dirs

    folder = user_preset_folder()
    set_user_preset_dirs([folder] if folder else [])
