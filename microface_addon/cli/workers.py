"""Worker processes for a batch: N long-lived processes, each taking one job at a time.

Why long-lived workers: most of a one-shot bake is process start-up and exit (``import bpy``,
scipy, the add-on; Blender's teardown), so a worker pays it once for many shots.  Why processes
and not threads: Blender is single-threaded Python, and a shot that crashes Blender or hangs must
fail alone — its worker is killed (on a timeout) or found dead (a crash), the job is reported
failed with the reason, and a fresh worker takes the next job.  Nothing here knows about shots:
a job is a JSON payload, its result a JSON document.

Protocol (JSON lines): the worker prints ``READY`` once it has loaded what every job needs, then
for each line on its stdin (a job payload) prints ``RESULT`` + the result document.  The worker
moves everything else that writes to its stdout (Blender's own messages) onto stderr, so the
result channel carries nothing but results; its stderr is kept for the last lines of a crash.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

READY = "@microface-worker-ready"
RESULT = "@microface-result "
STDERR_TAIL = 12  # lines of a dead worker's stderr kept to explain the crash

log = logging.getLogger("microface.workers")


@dataclass(frozen=True)
class Job:
    key: str  # unique name of the job (the shot's name)
    payload: Mapping[str, Any]
    timeout_s: float | None = None


@dataclass(frozen=True)
class Started:
    job: Job
    pid: int


@dataclass(frozen=True)
class Finished:
    job: Job
    pid: int
    seconds: float
    result: Mapping[str, Any] | None  # the worker's answer, or None when it failed to give one
    error: str | None = None  # why there is no answer: timeout, crash, start-up failure


class _Worker:
    """One worker process and the threads reading its pipes."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str] | None):
        self.proc = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=dict(env) if env is not None else None,
            bufsize=1,
        )
        self.pid = self.proc.pid
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL)
        threading.Thread(target=self._read_stdout, daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()

    def _read_stdout(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # end of file: the worker exited

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            line = line.rstrip("\n")
            if line.strip():
                self.stderr_tail.append(line)
                log.debug("worker %d: %s", self.pid, line)

    def wait_for(self, prefix: str, timeout_s: float | None) -> str | None:
        """The next line starting with ``prefix`` (without it); None at EOF; TimeoutError."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                raise TimeoutError from None
            if line is None:
                return None
            if line.startswith(prefix):
                return line[len(prefix) :]
            log.debug("worker %d: %s", self.pid, line)

    def send(self, payload: Mapping[str, Any]) -> bool:
        try:
            self.proc.stdin.write(json.dumps(payload) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return False
        return True

    def death(self) -> str:
        """How the worker ended (after EOF), with the last thing it said."""
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        self._stderr_reader.join(timeout=2)
        if code is not None and code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exited with code {code}"
        last = next((ln for ln in reversed(self.stderr_tail) if ln.strip()), "")
        return f"worker crashed ({how})" + (f": {last.strip()}" if last else "")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - the OS did not reap it
            pass

    def close(self) -> None:
        """Ask the worker to leave (end of its stdin); kill it if it does not."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()


class Pool:
    """Run jobs on ``size`` workers started with ``command``; ``run`` yields ``Started`` and
    ``Finished`` events as they happen (in the calling thread, so it can report progress)."""

    def __init__(
        self,
        command: Sequence[str],
        size: int,
        env: Mapping[str, str] | None = None,
        startup_timeout_s: float = 300.0,
    ):
        if size < 1:
            raise ValueError("a pool needs at least one worker")
        self.command = list(command)
        self.size = size
        self.env = env
        self.startup_timeout_s = startup_timeout_s
        self._workers: dict[int, _Worker] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def run(self, jobs: Sequence[Job], poll_s: float = 0.5) -> Iterator[Started | Finished | None]:
        """Yield an event per job start and end, and None every ``poll_s`` while waiting (for a
        live progress line).  On an exception in the caller (Ctrl-C), every worker is killed."""
        todo: queue.Queue[Job] = queue.Queue()
        for job in jobs:
            todo.put(job)
        events: queue.Queue = queue.Queue()
        slots = [
            threading.Thread(target=self._slot, args=(todo, events), daemon=True)
            for _ in range(min(self.size, len(jobs)))
        ]
        for t in slots:
            t.start()
        finished = 0
        try:
            while finished < len(jobs):
                try:
                    event = events.get(timeout=poll_s)
                except queue.Empty:
                    yield None
                    continue
                if isinstance(event, BaseException):
                    raise event
                finished += isinstance(event, Finished)
                yield event
        finally:
            self._stop.set()
            if finished < len(jobs):
                self.kill_all()
            for t in slots:
                t.join(timeout=90)

    def kill_all(self) -> None:
        with self._lock:
            workers = list(self._workers.values())
        for w in workers:
            w.kill()

    def _slot(self, todo: queue.Queue, events: queue.Queue) -> None:
        worker: _Worker | None = None
        try:
            while not self._stop.is_set():
                try:
                    job = todo.get_nowait()
                except queue.Empty:
                    break
                if worker is None:
                    worker, why = self._start()
                    if worker is None:
                        events.put(Finished(job, 0, 0.0, None, why))
                        continue
                events.put(Started(job, worker.pid))
                done = self._one(worker, job)
                events.put(done)
                if done.result is None:  # the worker is gone (or was killed): start afresh
                    self._forget(worker)
                    worker = None
        except BaseException as exc:  # pragma: no cover - a bug here must not hang the caller
            events.put(exc)
        finally:
            if worker is not None:
                worker.close()
                self._forget(worker)

    def _start(self) -> tuple[_Worker | None, str | None]:
        try:
            worker = _Worker(self.command, self.env)
        except OSError as exc:
            return None, f"cannot start a worker ({self.command[0]}): {exc.strerror or exc}"
        with self._lock:
            self._workers[worker.pid] = worker
        log.debug("worker %d started: %s", worker.pid, " ".join(self.command))
        try:
            ready = worker.wait_for(READY, self.startup_timeout_s)
        except TimeoutError:
            worker.kill()
            self._forget(worker)
            return None, f"worker did not start within {self.startup_timeout_s:g} s"
        if ready is None:
            why = worker.death()
            self._forget(worker)
            return None, why.replace("worker crashed", "worker failed to start")
        return worker, None

    def _one(self, worker: _Worker, job: Job) -> Finished:
        t0 = time.perf_counter()
        if not worker.send(job.payload):
            return Finished(job, worker.pid, 0.0, None, worker.death())
        try:
            answer = worker.wait_for(RESULT, job.timeout_s)
        except TimeoutError:
            worker.kill()
            return Finished(
                job,
                worker.pid,
                time.perf_counter() - t0,
                None,
                f"timed out after {job.timeout_s:g} s (worker stopped)",
            )
        seconds = time.perf_counter() - t0
        if answer is None:
            return Finished(job, worker.pid, seconds, None, worker.death())
        return Finished(job, worker.pid, seconds, json.loads(answer))

    def _forget(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.pop(worker.pid, None)


# --- the worker's side ------------------------------------------------------------------------


def serve(handle: Callable[[dict], Mapping[str, Any]], stdin: TextIO | None = None) -> int:
    """Answer jobs from stdin until it closes: ``handle(payload) -> result``.  The results go to
    the original stdout; everything else written to stdout from now on lands on stderr."""
    stdin = stdin or sys.stdin
    sys.stdout.flush()
    results = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # Blender's C-level messages
    sys.stdout = sys.stderr  # and Python prints
    results.write(READY + "\n")
    results.flush()
    for line in stdin:
        if not line.strip():
            continue
        result = handle(json.loads(line))
        results.write(RESULT + json.dumps(result, default=str) + "\n")
        results.flush()
    results.close()
    return 0
