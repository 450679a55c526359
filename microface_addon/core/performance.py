"""The solver's output: channel curves on a fixed internal time grid, sampled to frames at the end.

Why an internal grid: timings live in seconds, so the same seed gives the same motion at 24, 30
or 60 fps; frame rates only appear when ``at_frames`` samples the curves for the bake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .channels import CHANNELS, soft_limit


@dataclass
class Performance:
    rate_hz: float
    duration_s: float
    channels: dict[str, np.ndarray]
    events: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    # Each layer's running sums, in solve order: layer → {channel: the sum of every layer so far,
    # before the channel's limit} for the channels that layer wrote.  The bake splits the motion
    # into one NLA strip per layer from them (``layer_frames``); ``channels`` is the last of them,
    # limited.
    layer_sums: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

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
        i0, i1, w = self._weights(times_s)
        return {name: v[i0] * (1.0 - w) + v[i1] * w for name, v in self.channels.items()}

    def _weights(self, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        times_s = np.asarray(times_s, dtype=np.float64)
        pos = np.clip(times_s * self.rate_hz, 0.0, self.n_samples - 1)
        i0 = np.floor(pos).astype(np.int64)
        i1 = np.minimum(i0 + 1, self.n_samples - 1)
        return i0, i1, pos - i0

    def at_frames(self, fps: float, n_frames: int, start_s: float = 0.0) -> dict[str, np.ndarray]:
        """Curves at ``n_frames`` consecutive frames, the first at ``start_s`` seconds."""
        return self.sample(start_s + np.arange(n_frames) / float(fps))

    def layer_frames(
        self, fps: float, n_frames: int, start_s: float = 0.0
    ) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
        """Every channel at the frames as it stood after each layer: (the layers in solve order,
        channel → array (layers, frames)).

        Row k is the motion of layers 0…k together, limited like the final curves, so row k −
        row k−1 is what layer k adds; the last row is ``at_frames`` bit for bit.  A channel no
        layer had written yet is 0 (rest).  A Performance without layer records (made by hand)
        has one row, for the layer named "".
        """
        final = self.at_frames(fps, n_frames, start_s)
        if not self.layer_sums:
            return ("",), {name: v[None, :] for name, v in final.items()}
        layers = tuple(self.layer_sums)
        rows: dict[str, list] = {name: [] for name in final}
        last_writer = {}
        for layer, sums in self.layer_sums.items():
            for name in sums:
                last_writer[name] = layer
        i0, i1, w = self._weights(start_s + np.arange(n_frames) / float(fps))
        zero = np.zeros(n_frames)
        for name in final:
            current = zero
            for layer in layers:
                raw = self.layer_sums[layer].get(name)
                if raw is not None:
                    if last_writer[name] == layer:
                        current = final[name]
                    else:
                        ch = CHANNELS[name]
                        limited = soft_limit(raw, ch.lo, ch.hi)
                        current = limited[i0] * (1.0 - w) + limited[i1] * w
                rows[name].append(current)
        return layers, {name: np.stack(r) for name, r in rows.items()}
