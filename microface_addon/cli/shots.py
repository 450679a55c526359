"""``bake --shots SHOTS.json``: bake a shot list on worker processes, skip what is up to date,
report every shot, and never let one shot take the others down.

Why on top of the one-shot bake: a shot of the list is baked by exactly the code a single
``bake IN -o OUT`` runs (``bake._resolve`` and ``bake._bake_shot``); this module adds only what a
batch needs — workers that start once and bake many shots (``workers.Pool``), a per-shot
timeout, continue-on-error, the up-to-date stamps (``shotlist``), progress on stderr
(``progress``), a summary table and the JSON report.  The curves depend only on each shot's
settings, so they are the same whatever ``--jobs``.

``--jobs 0`` bakes in this process, one shot after another, without isolation: what a farm task
runs (the farm manager already isolates and times out its tasks; see ``farm``).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import __version__
from . import bake, progress
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    destination,
    discard,
    fsync_folder,
    names_arg,
    one_line,
    remove_stale_temps,
    temp_path,
    use_user_presets,
    write_failure,
    write_json_atomic,
)
from .shotlist import (
    RequestCache,
    Shot,
    bake_parser,
    load_shot_list,
    read_stamp,
    resolve_all,
    settings_hash,
    shot_args,
    staleness,
)
from .workers import Finished, Job, Pool, Started, serve

log = logging.getLogger("microface.shots")

# Flags that belong to a batch run, not to a shot.
BATCH_DESTS = ("inputs", "report", "debug")


def whole_number(flag: str, minimum: int):
    """An argparse type: a whole number of at least ``minimum`` for ``flag``."""

    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{flag} must be a whole number, got {text!r}"
            ) from None
        if n < minimum:
            raise argparse.ArgumentTypeError(f"{flag} {n} is below {minimum}")
        return n

    return parse


def seconds_arg(text: str) -> float:
    try:
        s = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--timeout must be seconds, got {text!r}") from None
    if not s > 0:
        raise argparse.ArgumentTypeError(f"--timeout {text} must be above 0")
    return s


def add_arguments(parser: argparse.ArgumentParser, file_is_open: bool) -> None:
    """``bake``'s own flags, then the shot list's and the verbosity."""
    bake.add_bake_arguments(parser, file_is_open)
    group = parser.add_argument_group("shot lists")
    group.add_argument(
        "--shots",
        metavar="SHOTS.json",
        help="bake the shots of a shot list (JSON; see docs/farm.md); per-shot options go in "
        "the list, under the names of these flags",
    )
    group.add_argument(
        "--jobs",
        type=whole_number("--jobs", 0),
        default=1,
        metavar="N",
        help="worker processes baking shots side by side (default 1; 0 bakes in this process, "
        "as a farm task does)",
    )
    group.add_argument(
        "--force", action="store_true", help="bake every shot, even those up to date"
    )
    group.add_argument(
        "--timeout",
        type=seconds_arg,
        metavar="S",
        help="seconds a shot may take before its worker is stopped and the shot fails "
        '(default: no limit; a shot\'s own "timeout" wins)',
    )
    group.add_argument(
        "--only", type=names_arg, metavar="NAME,...", help="bake only these shots of the list"
    )
    group.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    talk = parser.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_true", help="print only errors on stderr")
    talk.add_argument(
        "-v", "--verbose", action="store_true", help="also print workers, skips and their reasons"
    )


def run(args: argparse.Namespace) -> int:
    handler = progress.configure(args.quiet, args.verbose)
    if args.worker:
        return _serve(args)
    if args.shots is None:
        for flag, value in (("--jobs", args.jobs != 1), ("--force", args.force),
                            ("--timeout", args.timeout), ("--only", args.only)):  # fmt: skip
            if value:
                raise UsageError(f"{flag} goes with --shots SHOTS.json")
        return bake.run_bake(args)
    return run_shot_list(args, handler)


# --- the coordinator --------------------------------------------------------------------------


def _check_batch_flags(args: argparse.Namespace) -> None:
    """With ``--shots``, a per-shot flag on the command line would be ambiguous: refuse it."""
    defaults = bake_parser()
    for action in defaults._actions:
        if not action.option_strings or action.dest in BATCH_DESTS or action.dest == "help":
            continue
        if getattr(args, action.dest, action.default) != action.default:
            raise UsageError(
                f"{action.option_strings[-1]} is a per-shot option: with --shots put it in the "
                'shot list (in "defaults" or a shot)'
            )
    if args.inputs:
        raise UsageError("give either input files or --shots SHOTS.json, not both")
    if args.timeout and args.jobs == 0:
        raise UsageError("--timeout needs worker processes (--jobs 1 or more)")


def run_shot_list(args: argparse.Namespace, handler=None) -> int:
    t0, cpu0 = time.perf_counter(), time.process_time()
    _check_batch_flags(args)
    shot_list = load_shot_list(args.shots)
    shots = shot_list.select(args.only)
    report_path = destination(args.report, "report") if args.report else None
    if report_path is not None and any(report_path in (s.input, s.output) for s in shots):
        raise UsageError(f"refusing to overwrite {report_path}: it is an input or an output")
    use_user_presets()
    requests = resolve_all(shot_list, shots)  # every preset and intents file, before any shot

    import bpy

    blender = bpy.app.version_string
    bar = progress.Progress(len(shots), handler, logging.getLogger(progress.LOGGER))
    records: dict[str, dict[str, Any]] = {}
    todo: list[Shot] = []
    hashes = {}
    for shot in shots:
        hashes[shot.name] = settings_hash(shot, requests[shot.name], blender)
        why = "--force" if args.force else staleness(shot, requests[shot.name], hashes[shot.name])
        if why is None:
            records[shot.name] = _skipped(shot, hashes[shot.name])
            bar.ended(shot.name, "skipped", "up to date")
        else:
            log.debug("%s: to bake (%s)", shot.name, why)
            todo.append(shot)
    made = _make_output_dirs(todo)
    if args.jobs == 0:
        # Farm tasks run side by side and may share an output folder: one must not remove a
        # folder another is about to save into.  An empty folder may stay after a failure.
        made = []
    try:
        if args.jobs == 0:
            _bake_here(todo, args, records, bar)
        else:
            _bake_on_workers(todo, args, records, bar)
    finally:
        bar.close()
        for folder in made:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when no shot landed in it
    ordered = [records[s.name] for s in shots]
    print(summary_table(ordered), flush=True)
    if report_path is not None:
        doc = {
            "microface": __version__,
            "blender": blender,
            "command": "bake --shots",
            "shot_list": str(shot_list.path),
            "jobs": args.jobs,
            "force": bool(args.force),
            "counts": dict(bar.counts),
            "total_time_s": round(time.perf_counter() - t0, 4),
            "coordinator_cpu_s": round(time.process_time() - cpu0, 4),
            "shots": ordered,
        }
        os.replace(write_json_atomic(report_path, doc), report_path)
    return EXIT_OK if bar.counts["failed"] == 0 else EXIT_FAILURE


def _make_output_dirs(shots: list[Shot]) -> list[Path]:
    """Create the missing output folders (their parents exist: checked with the list); the
    ones made are removed at the end when no output landed in them."""
    made = []
    for folder in dict.fromkeys(s.output.parent for s in shots):
        if not folder.exists():
            folder.mkdir(exist_ok=True)  # another run (a farm task) may make it at the same time
            made.append(folder)
    return made


def _bake_here(shots: list[Shot], args, records: dict, bar: progress.Progress) -> None:
    cache = RequestCache()
    describe = _describer(args)
    for shot in shots:
        bar.started(shot.name)
        t = time.perf_counter()
        result = bake_one(shot, cache, describe, args.debug)
        records[shot.name] = _record(shot, result, os.getpid(), time.perf_counter() - t)
        _tell(bar, records[shot.name])


def _bake_on_workers(shots: list[Shot], args, records: dict, bar: progress.Progress) -> None:
    if not shots:
        return
    command, env = worker_command(args)
    jobs = [Job(s.name, s.to_json(), s.timeout_s or args.timeout) for s in shots]
    by_name = {s.name: s for s in shots}
    running: dict[str, int] = {}
    pool = Pool(command, args.jobs, env)
    try:
        for event in pool.run(jobs):
            if isinstance(event, Started):
                running[event.job.key] = event.pid
                bar.started(event.job.key)
            elif isinstance(event, Finished):
                shot = by_name[event.job.key]
                running.pop(shot.name, None)
                if event.result is None:
                    _discard_temps(shot, event.pid)  # a killed or crashed worker's half-files
                    result = {"status": "failed", "error": event.error, "exit_code": EXIT_FAILURE}
                else:
                    result = event.result
                records[shot.name] = _record(shot, result, event.pid, event.seconds)
                _tell(bar, records[shot.name])
            else:
                bar.tick()
    finally:
        for name, pid in running.items():  # interrupted: the pool killed these workers
            _discard_temps(by_name[name], pid)


def _discard_temps(shot: Shot, pid: int) -> None:
    if pid:
        for final in (shot.output, shot.stamp):
            discard(temp_path(final, pid=pid))


def worker_command(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """How to start a worker: this same Blender (``blender -b -c microface``) when we run inside
    one, else this Python with the package importable (``python -m microface_addon``, also for
    the ``-c microface`` callback called from the ``bpy`` module, which has no binary)."""
    tail = ["bake", "--worker"] + (["--debug"] if args.debug else [])
    env = dict(os.environ)
    binary = blender_binary()
    if binary:
        return [binary, "-b", "-c", "microface", *tail], env
    package = __name__.rsplit(".cli.", 1)[0]
    top = sys.modules[package.split(".")[0]]
    root = str(Path(top.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return [sys.executable, "-m", package, *tail], env


def blender_binary() -> str | None:
    """The Blender executable running us, or None in the ``bpy`` module."""
    import bpy

    if getattr(bpy.app, "module", not bpy.app.binary_path):
        return None
    return bpy.app.binary_path or None


# --- one shot (in a worker or in this process) ------------------------------------------------


def _describer(args) -> Callable[[BaseException], tuple[int, str]]:
    """The command line's (exit code, one-line message) for an exception (from ``dispatch``)."""
    return getattr(args, "describe_error", None) or (lambda exc: (EXIT_FAILURE, one_line(exc)))


def bake_one(shot: Shot, cache: RequestCache, describe, debug: bool) -> dict[str, Any]:
    """Bake one shot exactly as ``bake IN -o OUT <its flags>`` would, then land the output and
    its stamp; a failure is a result (status, one-line error, exit code), never an exception."""
    import bpy

    try:
        args = shot_args(shot, debug)
        request = cache.get(shot, args)
        fingerprint = settings_hash(shot, request, bpy.app.version_string)
        for final in (shot.output, shot.stamp):  # what killed runs on this shot left behind
            remove_stale_temps(final)
        report, tmp = bake._bake_shot(shot.input, shot.output, request, args)
        _land(shot, tmp, {"shot": shot.name, "settings_hash": fingerprint, "report": report})
    except Exception as exc:
        if debug:
            traceback.print_exc()
        code, line = describe(exc)
        return {"status": "failed", "error": line, "exit_code": code}
    return {"status": "ok", "settings_hash": fingerprint, "report": report}


def _land(shot: Shot, tmp: Path, stamp: dict) -> None:
    """Put the output and its stamp in place: the old stamp goes first, so a crash in between
    leaves an output without a stamp (baked again next time), never a stale one trusted."""
    try:
        stamp_tmp = write_json_atomic(shot.stamp, {"microface": __version__, **stamp})
    except BaseException:
        discard(tmp)
        raise
    try:
        with contextlib.suppress(FileNotFoundError):
            shot.stamp.unlink()
        for staged, final in ((tmp, shot.output), (stamp_tmp, shot.stamp)):
            try:
                os.replace(staged, final)
            except OSError as exc:
                raise write_failure(final, exc) from exc
        fsync_folder(shot.output.parent)
    except BaseException:
        discard(tmp)
        discard(stamp_tmp)
        raise


def _serve(args: argparse.Namespace) -> int:
    """A worker: load what every shot needs once, then bake the shots sent on stdin."""
    from .. import apply  # noqa: F401  (bpy, the solver and scipy: paid once, before READY)

    use_user_presets()
    cache = RequestCache()
    describe = _describer(args)
    code = serve(lambda payload: bake_one(Shot.from_json(payload), cache, describe, args.debug))
    # Every output and stamp is renamed into place and every result sent: Blender's teardown
    # (freeing the last file, ~0.4 s CPU) would be paid per worker for nothing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


# --- records, summary -------------------------------------------------------------------------


def _keys(report: dict) -> int:
    return sum(c.get("keys_written", 0) for c in report.get("characters", []))


def _record(shot: Shot, result: dict, pid: int, seconds: float) -> dict[str, Any]:
    """A shot's entry in the run report."""
    report = result.get("report") or {}
    return {
        "name": shot.name,
        "status": result["status"],
        "error": result.get("error"),
        "exit_code": result.get("exit_code", EXIT_OK),
        "settings_hash": result.get("settings_hash"),
        "worker_pid": pid,
        "wall_s": round(seconds, 4),
        "keys": _keys(report),
        **{"input": str(shot.input), "output": str(shot.output)},
        **{k: v for k, v in report.items() if k not in ("input", "output")},
    }


def _skipped(shot: Shot, fingerprint: str) -> dict[str, Any]:
    report = read_stamp(shot).get("report") or {}
    return {
        **_record(shot, {"status": "skipped", "report": report}, 0, 0.0),
        "settings_hash": fingerprint,
        "reason": "up to date",
    }


def _tell(bar: progress.Progress, record: dict) -> None:
    """Progress for a finished shot, and its notices (an old preset format, a cue not landed),
    as the one-shot ``bake`` gives them."""
    for notice in record.get("preset_notices", []):
        log.warning("%s: notice: %s", record["name"], notice)
    for char in record.get("characters", []):
        for cue in char.get("unlanded_cues", ()):
            log.warning("%s: notice: cue not landed: %s", record["name"], cue)
    bar.ended(record["name"], record["status"], _line(record))


def _line(record: dict) -> str:
    if record["status"] == "failed":
        return record["error"] or "failed"
    chars = record.get("characters", [])
    return (
        f"{len(chars)} character{'s' * (len(chars) != 1)}, {record['keys']} keys, "
        f"{record['wall_s']:.2f} s"
    )


def summary_table(records: list[dict]) -> str:
    """One row per shot: name, status, characters, keys, seconds, error."""
    rows = [("shot", "status", "chars", "keys", "time", "error")]
    for r in records:
        baked = r["status"] != "failed"
        rows.append(
            (
                r["name"],
                r["status"],
                str(len(r.get("characters", []))) if baked else "-",
                str(r["keys"]) if baked else "-",
                f"{r['wall_s']:.2f}s" if r["status"] != "skipped" else "-",
                r["error"] or "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row[:5], widths, strict=True)) + "  " + row[5]
             for row in rows]  # fmt: skip
    counts = {s: sum(r["status"] == s for r in records) for s in ("ok", "failed", "skipped")}
    lines.append(
        f"{len(records)} shot{'s' * (len(records) != 1)}: {counts['ok']} ok, {counts['failed']} failed, "
        f"{counts['skipped']} skipped"
    )
    return "\n".join(line.rstrip() for line in lines)
