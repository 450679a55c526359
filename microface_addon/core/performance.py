"""The solver's output: channel curves on a fixed internal time grid, sampled to frames at the end.

Why an internal grid: timings live in seconds, so the same seed gives the same motion at 24, 30
or 60 fps; frame rates only appear when ``at_frames`` samples the curves for the bake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Performance:
    rate_hz: float
    duration_s: float
    channels: dict[str, np.ndarray]
    events: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return next(iter(self.channels.values())).shape[0] if self.channels else 0

    @property
    def t(self) -> np.ndarray:
        return np.arange(self.n_samples) / self.rate_hz

    def sample(self, times_s: np.ndarray) -> dict[str, np.ndarray]:
        """Linear interpolation of every channel at ``times_s`` (clamped to the solved span).

        Interpolation weights are computed once for all channels.  A time that coincides with a
        grid sample returns that sample (up to float rounding of the time itself).
        """
        times_s = np.asarray(times_s, dtype=np.float64)
        pos = np.clip(times_s * self.rate_hz, 0.0, self.n_samples - 1)
        i0 = np.floor(pos).astype(np.int64)
        i1 = np.minimum(i0 + 1, self.n_samples - 1)
        w = pos - i0
        return {name: v[i0] * (1.0 - w) + v[i1] * w for name, v in self.channels.items()}

    def at_frames(self, fps: float, n_frames: int, start_s: float = 0.0) -> dict[str, np.ndarray]:
        """Curves at ``n_frames`` consecutive frames, the first at ``start_s`` seconds."""
        return self.sample(start_s + np.arange(n_frames) / float(fps))
