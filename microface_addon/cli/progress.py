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
from typing import TextIO

from .common import PROG

LOGGER = "microface"


class LiveHandler(logging.StreamHandler):
    """A stream handler that, on a terminal, keeps one status line at the bottom: each record is
    written above it and the line is redrawn."""

    def __init__(self, stream: TextIO):
        super().__init__(stream)
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self._status = ""

    def emit(self, record: logging.LogRecord) -> None:
        if self.live and self._status:
            self._clear()
        super().emit(record)
        if self.live and self._status:
            self._draw()

    def status(self, text: str) -> None:
        """Show ``text`` as the live line (a no-op when the stream is not a terminal)."""
        if not self.live:
            return
        self._status = text
        self._draw()

    def done(self) -> None:
        if self.live and self._status:
            self._clear()
        self._status = ""

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
