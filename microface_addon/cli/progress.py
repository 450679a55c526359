"""Progress of a batch on stderr, through Python ``logging``: ``--quiet`` and ``--verbose`` set the
level, and a studio's pipeline can attach its own handlers to the ``microface`` logger.

Why two forms: a TD watching a terminal wants one live line (how many done, which are running,
how long), while a farm log or a redirected file wants one plain line per finished shot and no
carriage returns.  Warnings and errors are always written as lines of their own, above the live
line.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from .common import PROG

LOGGER = "microface"


class LiveHandler(logging.StreamHandler):
    """A stream handler that, on a terminal, keeps one status line at the bottom: each record is
    written above it and the line is redrawn.  The line has two parts: the batch's (shots done,
    running) and the step the shot baking in this process is at ("solving Ann (2/4)")."""

    def __init__(self, stream: TextIO):
        super().__init__(stream)
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self._status = ""
        self._batch = ""
        self._step = ""

    def emit(self, record: logging.LogRecord) -> None:
        if self.live and self._status:
            self._clear()
        super().emit(record)
        if self.live and self._status:
            self._draw()

    def status(self, text: str) -> None:
        """Show ``text`` as the batch's part of the live line (a no-op when the stream is not a
        terminal)."""
        self._batch = text
        self._redraw()

    def step(self, text: str) -> None:
        """Show ``text`` as the step part of the live line ("" clears it)."""
        self._step = text
        self._redraw()

    def _redraw(self) -> None:
        if not self.live:
            return
        self._status = " — ".join(t for t in (self._batch, self._step) if t)
        if self._status:
            self._draw()
        else:
            self._clear()

    def done(self) -> None:
        if self.live and self._status:
            self._clear()
        self._status = self._batch = self._step = ""

    def _draw(self) -> None:
        self.stream.write("\r\x1b[K" + self._status)
        self.flush()

    def _clear(self) -> None:
        self.stream.write("\r\x1b[K")
        self.flush()


def configure(quiet: bool = False, verbose: bool = False, stream: TextIO | None = None):
    """Route the ``microface`` logger to stderr at the level the flags ask for; returns the
    handler (its ``status`` draws the live line)."""
    logger = logging.getLogger(LOGGER)
    for h in list(logger.handlers):
        if isinstance(h, LiveHandler):
            logger.removeHandler(h)
    handler = LiveHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
    return handler


def live_handler() -> LiveHandler | None:
    """The ``microface`` logger's handler when it draws a live line (a terminal, not --quiet)."""
    logger = logging.getLogger(LOGGER)
    if logger.getEffectiveLevel() > logging.INFO:
        return None
    for h in logger.handlers:
        if isinstance(h, LiveHandler) and h.live:
            return h
    return None


def steps(label: str) -> Callable[[Any], None] | None:
    """The bake's step callback for a shot baked in this process (``apply.Progress``: what it
    does next, ``done`` of ``total``): "LABEL: solving Ann (2/4)" on the live line, beside the
    batch's count when there is one; called with None, it clears its part.  None when there is
    no live line (a log, a pipe, --quiet): logs get one line per shot, not per step."""
    handler = live_handler()
    if handler is None:
        return None

    def show(step) -> None:
        handler.step("" if step is None else f"{label}: {step.text} ({step.done + 1}/{step.total})")

    return show


class Progress:
    """Counts a batch's shots and tells the log about each; draws the live line."""

    def __init__(self, total: int, handler: LiveHandler | None, log: logging.Logger):
        self.total = total
        self.handler = handler
        self.log = log
        self.counts = {"ok": 0, "failed": 0, "skipped": 0}
        self.running: dict[str, float] = {}
        self.t0 = time.monotonic()

    @property
    def finished(self) -> int:
        return sum(self.counts.values())

    def started(self, name: str) -> None:
        self.running[name] = time.monotonic()
        self.tick()

    def ended(self, name: str, status: str, line: str) -> None:
        """One shot is over: ``status`` ok/failed/skipped, ``line`` what to say about it."""
        self.running.pop(name, None)
        self.counts[status] += 1
        where = f"[{self.finished}/{self.total}] {name}"
        if status == "failed":
            self.log.error("%s failed: %s", where, line)
        elif self.handler is None or not self.handler.live:
            self.log.info("%s %s: %s", where, status, line)
        else:
            self.log.debug("%s %s: %s", where, status, line)
        self.tick()

    def tick(self) -> None:
        if self.handler is None or not self.handler.live:
            return
        if self.log.getEffectiveLevel() > logging.INFO:
            return
        running = ", ".join(self.running)
        elapsed = _clock(time.monotonic() - self.t0)
        c = self.counts
        self.handler.status(
            f"{PROG}: [{self.finished}/{self.total}] {c['ok']} ok, {c['failed']} failed, "
            f"{c['skipped']} skipped" + (f"; baking {running}" if running else "") + f" — {elapsed}"
        )

    def close(self) -> None:
        if self.handler is not None:
            self.handler.done()


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
