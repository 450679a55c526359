"""What every MicroFace command shares: exit codes, one-line errors, argument types, and writing
files without ever leaving half of one behind.

Why one module: the commands must fail the same way (one ``microface: error: …`` line, at most
``MAX_MESSAGE_CHARS`` long, exit 2 for bad input) and write the same way: a temporary file beside
the destination, flushed to disk and checked (size on disk, structure) before ``os.replace``
puts it in place, so a full disk never replaces a good previous output with a broken one.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import hashlib
import json
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.limits import InputError, cap_lines, cap_text, check_frame_range

PROG = "microface"
OUTPUT_SUFFIX = "_microface"
USER_PRESETS_SUBDIR = "microface/presets"

EXIT_OK = 0
EXIT_FAILURE = 1  # an internal error (a bug): the traceback is one --debug away
EXIT_USAGE = 2  # bad input: arguments, files, presets, markers, the scene, the rig
EXIT_NOTHING_TO_MAP = 3
EXIT_WRITE = 4  # an output could not be written (a full disk, no permission); none replaced

# Temporary files: ".mf-<digest of the output's name>.<pid>.tmp<suffix>", ~40 characters whatever
# the output is called (a 250-character output name stays legal), and found again by the next
# run on the same output when a killed run left one behind.
TEMP_PREFIX = ".mf-"
TEMP_MARK = ".tmp"
STALE_AFTER_S = 24 * 3600.0  # where a process cannot be asked whether it still runs (Windows)
# Options whose value may start with "-" (argparse would take "-100:100" for an option).
DASH_VALUE_OPTIONS = ("--frames",)


class UsageError(InputError):
    """Bad command-line arguments or input files (exit code 2)."""


class OutputError(OSError):
    """An output could not be written (exit code 4); the message says why in plain words and
    that nothing was replaced."""

    def __str__(self) -> str:
        return str(self.strerror)


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting, so errors stay one line and
    the Blender-embedded command never calls ``sys.exit``; ``--frames -100:100`` is read as
    ``--frames=-100:100`` (argparse alone takes a value starting with "-" for an option)."""

    def error(self, message: str):
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def parse_known_args(self, args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        joined: list[str] = []
        i = 0
        while i < len(args):
            if args[i] in DASH_VALUE_OPTIONS and i + 1 < len(args) and args[i + 1][:1] == "-":
                if re.fullmatch(r"-?\d+:-?\d+", args[i + 1]):
                    joined.append(f"{args[i]}={args[i + 1]}")
                    i += 2
                    continue
            joined.append(args[i])
            i += 1
        return super().parse_known_args(joined, namespace)


@dataclass(frozen=True)
class Subcommand:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser, bool], None]  # (parser, file_is_open)
    run: Callable[[argparse.Namespace], int]


def one_line(exc: BaseException | str) -> str:
    """A message as one line: its lines joined by "; ", the first ``MAX_LISTED_PROBLEMS`` with a
    count of the rest, at most ``MAX_MESSAGE_CHARS`` characters with a count of what was cut."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = "; ".join(cap_lines(lines))
    if not text and isinstance(exc, BaseException):
        text = type(exc).__name__
    return cap_text(text)


def frame_range_arg(text: str) -> tuple[int, int]:
    """``START:END`` (inclusive, integers, END > START, within the documented shot length)."""
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
    try:
        check_frame_range(first, last)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return first, last


def names_arg(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected one or more object names separated by commas")
    return names


def existing_input(text: str) -> Path:
    """An input file that exists and is a regular file (a FIFO or a device is never read)."""
    path = Path(text).expanduser().resolve()
    try:
        mode = path.stat().st_mode
    except OSError:
        raise UsageError(f"input file not found: {text}") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a FIFO or device)"
        raise UsageError(f"input {text} is {kind}; give a file")
    return path


def destination(text: str, what: str) -> Path:
    """An output path whose folder exists (nothing is created on the user's behalf)."""
    path = Path(text).expanduser().resolve()
    if path.is_dir():
        raise UsageError(f"{what} {text} is a folder, expected a file path")
    if not path.parent.is_dir():
        raise UsageError(f"folder of {what} {text} does not exist: {path.parent}")
    return path


def _output_tag(final: Path) -> str:
    return TEMP_PREFIX + hashlib.sha1(final.name.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def temp_path(final: Path, suffix: str | None = None, pid: int | None = None) -> Path:
    """A temporary name beside ``final`` for process ``pid`` (default: this one): short whatever
    ``final`` is called (file names are limited to 255 bytes, and Blender adds "@" while saving),
    ending in ``suffix`` (default: ``final``'s, when it is a short one).  A batch coordinator
    names a dead worker's temporaries with the worker's pid."""
    if suffix is None:
        suffix = final.suffix if len(final.suffix) <= 16 else ""
    pid = os.getpid() if pid is None else pid
    return final.with_name(f"{_output_tag(final)}.{pid}{TEMP_MARK}{suffix}")


def discard(path: Path) -> None:
    # Blender writes "<name>@" and renames it; a failed save may leave either.
    for p in (path, path.with_name(path.name + "@")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _process_gone(pid: int, path: Path) -> bool:
    """Whether the run that made ``path`` has ended (its process no longer exists)."""
    if pid == os.getpid():
        return False
    if os.name == "nt":  # os.kill would end the process there: go by age instead
        with contextlib.suppress(OSError):
            return time.time() - path.stat().st_mtime > STALE_AFTER_S
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists (another user's): not ours to judge
        return False
    return False


def stale_temps(final: Path) -> list[Path]:
    """Temporary files that killed runs writing ``final`` left beside it (including the names
    earlier versions used, ``.<stem>.<pid>.microface-tmp<suffix>``, and Blender's ``@`` files)."""
    folder = final.parent
    current = re.compile(re.escape(_output_tag(final)) + r"\.(\d+)" + re.escape(TEMP_MARK) + ".*")
    legacy = re.compile(
        re.escape(f".{final.stem}.") + r"(\d+)\.microface-tmp" + re.escape(final.suffix) + "@?"
    )
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = []
    for name in names:
        m = current.fullmatch(name) or legacy.fullmatch(name)
        if m and _process_gone(int(m.group(1)), folder / name):
            found.append(folder / name)
    return sorted(found)


def remove_stale_temps(final: Path) -> list[Path]:
    """Remove ``stale_temps(final)``; the paths removed."""
    removed = []
    for path in stale_temps(final):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


def write_failure(final: Path, reason: OSError | str) -> OutputError:
    """An ``OutputError`` for ``final`` saying why in plain words ("the disk is full") and what
    happened to what was there before."""
    code = reason.errno if isinstance(reason, OSError) else None
    text = str(reason.strerror or reason) if isinstance(reason, OSError) else str(reason)
    lowered = text.lower()
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)) or "no space left" in lowered:
        why = "the disk is full (no space left on device)"
    elif "quota" in lowered:
        why = "the disk quota is exceeded"
    elif code == errno.EFBIG or "file too large" in lowered:
        why = "the file is larger than this process may write (a file size limit)"
    elif code == errno.EROFS or "read-only file system" in lowered:
        why = "the file system is read-only"
    elif code in (errno.EACCES, errno.EPERM) or "permission denied" in lowered:
        why = "no permission to write there"
    else:
        why = text
    kept = f"the previous {final.name} is unchanged" if final.exists() else "nothing was written"
    return OutputError(code or errno.EIO, f"cannot write {final}: {why}; {kept}")


def fsync_path(path: Path) -> None:
    """Flush ``path`` to the disk (``OSError`` when the disk refuses, e.g. full)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (the rename of an output) where the system allows it."""
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fsync_path(folder)


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
    """Write ``doc`` next to ``path`` under a temporary name, flushed and checked (every byte
    on disk); returns it (the caller renames).  ``OutputError`` when the disk refuses."""
    data = (json.dumps(doc, indent=2, default=str) + "\n").encode("utf-8")
    tmp = temp_path(path, ".json")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if tmp.stat().st_size != len(data):
            raise OSError(errno.EIO, f"{tmp.stat().st_size} of {len(data)} bytes on disk")
    except BaseException as exc:
        discard(tmp)
        if isinstance(exc, OSError):
            raise write_failure(path, exc) from exc
        raise
    return tmp


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks and Blender's own messages"
    )


def import_bpy_quietly(debug: bool = False):
    """``bpy``, imported with Blender's start-up log kept off stdout, or None without Blender.

    Blender logs on its first import (``color_management | Using OCIO=…`` wherever a studio sets
    ``OCIO``), and pipelines parse our stdout."""
    if "bpy" in sys.modules:
        return sys.modules["bpy"]
    try:
        with blender_chatter(debug):
            import bpy
    except ImportError:
        return None
    return bpy


def user_preset_folder() -> Path | None:
    """The user's preset folder in Blender's config folder, or None when ``bpy`` is missing."""
    bpy = import_bpy_quietly()
    if bpy is None:
        return None
    path = bpy.utils.user_resource("CONFIG", path=USER_PRESETS_SUBDIR)
    return Path(path) if path else None


def use_user_presets() -> None:
    """Put the user's preset folder on the search path (the CLI's equivalent of the add-on)."""
    from ..core.preset.library import set_user_preset_dirs

    folder = user_preset_folder()
    set_user_preset_dirs([folder] if folder else [])
