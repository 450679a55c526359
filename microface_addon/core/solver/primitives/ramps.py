"""Smooth steps over time: how a parameter moves from one value to the next.

Why one helper: when the timeline switches a mode or a posture, every parameter that depends on it
(breathing rate, head pitch bias…) must glide to its new value instead of jumping, and all layers
should glide the same way.  A raised-cosine ramp that *starts* at the change keeps the change
causal (nothing anticipates a cue) and has zero slope at both ends.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def cosine_ramp(x: np.ndarray) -> np.ndarray:
    """0 for x ≤ 0, 1 for x ≥ 1, a raised cosine in between (zero slope at both ends)."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def stepped(
    t: np.ndarray, times_s: Sequence[float], values: Sequence[float], ramp_s: float
) -> np.ndarray:
    """A value that starts at ``values[0]`` and glides to ``values[i]`` from ``times_s[i]`` on.

    ``times_s[0]`` is ignored (the first value holds from the start); each later change starts
    at its time and takes ``ramp_s`` seconds.  Overlapping ramps add, so a quick succession of
    changes still ends exactly at the last value.
    """
    out = np.full(t.shape, float(values[0]))
    for i in range(1, len(values)):
        delta = float(values[i]) - float(values[i - 1])
        if delta == 0.0:
            continue
        if ramp_s > 0:
            out += delta * cosine_ramp((t - times_s[i]) / ramp_s)
        else:
            out += delta * (t >= times_s[i])
    return out
