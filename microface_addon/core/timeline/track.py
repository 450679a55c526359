"""What happens when: the timeline's data model (state changes and intents, in seconds).

Why a separate object: presets say *how* a character moves, the timeline says *what* it is doing
when (reading from 12 s, smiling at 3.2 s).  Layers read both; neither knows about frames.  How
the entries are written (markers, intents files, a preset's ``timeline``) is ``grammar.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .intents import Intent
from .look_at import LookAt
from .speech import Speech


@dataclass(frozen=True)
class StateChange:
    """From ``start_s`` on, ``track`` (e.g. ``"state"``) takes ``value`` (e.g. ``"reading"``).

    With ``duration_s`` the change is temporary: after it the track goes back to whatever it
    would have been without this change (``mf:breath held 6`` holds the breath for 6 s).
    """

    start_s: float
    track: str
    value: str
    source: str = field(default="", compare=False)
    duration_s: float | None = None

    def active(self, t: np.ndarray) -> np.ndarray:
        if self.duration_s is None:
            return t >= self.start_s
        return (t >= self.start_s) & (t < self.start_s + self.duration_s)


@dataclass(frozen=True)
class Timeline:
    changes: tuple[StateChange, ...] = ()
    intents: tuple[Intent, ...] = ()
    # Primary gaze target over time (camera, object, bone or fixed direction); None = ahead.
    look_at: LookAt | None = None
    # Who speaks when (``speech.py``): read by the dialogue layer; empty without dialogue.
    speech: Speech = field(default_factory=Speech)

    def _ordered(self, track: str) -> list[StateChange]:
        return sorted((c for c in self.changes if c.track == track), key=lambda c: c.start_s)

    def track_values(self, track: str, initial: str, t: np.ndarray) -> np.ndarray:
        """The value of ``track`` at each time in ``t`` (object array of strings).

        The latest-started change still in force wins; with none in force, ``initial``.
        """
        out = np.full(np.shape(t), initial, dtype=object)
        t = np.asarray(t, dtype=np.float64)
        for ch in self._ordered(track):
            out[ch.active(t)] = ch.value
        return out

    def value_at(self, track: str, initial: str, t_s: float) -> str:
        return str(self.track_values(track, initial, np.array([t_s]))[0])

    def segments(
        self, track: str, initial: str, duration_s: float
    ) -> list[tuple[float, float, str]]:
        """Piecewise-constant ``(start_s, end_s, value)`` segments of a track over the duration.

        Adjacent segments always differ in value.
        """
        cuts = {0.0}
        for c in self._ordered(track):
            cuts.add(float(c.start_s))
            if c.duration_s is not None:
                cuts.add(float(c.start_s + c.duration_s))
        times = np.array(sorted(x for x in cuts if 0.0 <= x < duration_s))
        values = self.track_values(track, initial, times)
        segs: list[tuple[float, float, str]] = []
        for i, (t0, v) in enumerate(zip(times.tolist(), values.tolist(), strict=True)):
            t1 = float(times[i + 1]) if i + 1 < times.size else float(duration_s)
            if segs and segs[-1][2] == v:
                segs[-1] = (segs[-1][0], t1, v)
            elif t1 > t0:
                segs.append((t0, t1, v))
        return segs

    def checked_segments(
        self, track: str, initial: str, duration_s: float, known: Sequence[str], what: str
    ) -> list[tuple[float, float, str]]:
        """``segments`` of ``track``, after checking ``initial`` and every change of the track
        against the ``known`` values (``what`` names them in the error): a change given in code
        bypasses the grammar that checks markers and files."""
        if initial not in known:
            raise ValueError(f"{what} {initial!r} is not one of {', '.join(known)}")
        for c in self.changes:
            if c.track == track and c.value not in known:
                where = f" ({c.source})" if c.source else ""
                raise ValueError(
                    f"{what} {c.value!r} at {c.start_s:g} s{where} is not one of {', '.join(known)}"
                )
        return self.segments(track, initial, duration_s)

    def merged(self, *others: Timeline) -> Timeline:
        """This timeline with the changes and intents of ``others`` added.

        The gaze target is the last one given (``look_at`` is a single track, not a list).
        """
        changes = list(self.changes)
        intents = list(self.intents)
        look_at = self.look_at
        speech = self.speech
        for o in others:
            changes += o.changes
            intents += o.intents
            look_at = o.look_at if o.look_at is not None else look_at
            speech = speech.merged(o.speech)
        return Timeline(tuple(changes), tuple(intents), look_at, speech)
