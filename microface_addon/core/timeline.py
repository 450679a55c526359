"""What happens when: behavioural state changes and intents, in seconds.

Why a separate object: presets say *how* a character moves, the timeline says *what* it is doing
when (reading from 12 s, smiling at 3.2 s).  Layers read both; neither knows about frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .target import LookAt


@dataclass(frozen=True)
class StateChange:
    """From ``start_s`` on, ``track`` (e.g. ``"state"``) takes ``value`` (e.g. ``"reading"``)."""

    start_s: float
    track: str
    value: str
    source: str = ""


@dataclass(frozen=True)
class Timeline:
    changes: tuple[StateChange, ...] = ()
    intents: tuple = field(default_factory=tuple)
    # Primary gaze target over time (camera, object, bone or fixed direction); None = ahead.
    look_at: LookAt | None = None

    def track_values(self, track: str, initial: str, t: np.ndarray) -> np.ndarray:
        """The value of ``track`` at each time in ``t`` (object array of strings)."""
        out = np.full(t.shape, initial, dtype=object)
        for ch in sorted((c for c in self.changes if c.track == track), key=lambda c: c.start_s):
            out[t >= ch.start_s] = ch.value
        return out

    def segments(
        self, track: str, initial: str, duration_s: float
    ) -> list[tuple[float, float, str]]:
        """Piecewise-constant ``(start_s, end_s, value)`` segments of a track over the duration."""
        cuts = [(0.0, initial)] + [
            (c.start_s, c.value)
            for c in sorted(self.changes, key=lambda c: c.start_s)
            if c.track == track and 0.0 < c.start_s < duration_s
        ]
        segs = []
        for i, (t0, v) in enumerate(cuts):
            t1 = cuts[i + 1][0] if i + 1 < len(cuts) else duration_s
            if t1 > t0:
                segs.append((t0, t1, v))
        return segs
