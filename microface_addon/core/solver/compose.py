"""Compose the solver layers into one ``Performance``.

Why this shape: each layer is a small module with one job and the same contract (``registry.py``):
it reads its preset section and the timeline, may read what earlier layers put in ``ctx``, and adds
the channels it declares.  Layers run in the registry's order; none reaches into another's
internals.  Adding a layer = one module + one line in ``registry.LAYERS``.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..channels import CHANNELS, soft_limit
from ..performance import Performance
from ..preset.controls import effective_settings
from ..preset.settings import Settings
from ..timeline.track import Timeline
from . import registry
from .rng import stream

# Internal sample rate, Hz. 240 is a common multiple of 24, 30, 60 and 120 fps, so frames at those
# rates fall exactly on grid samples, and it resolves 60-ms blink closures (the seed's "120 fps
# mocap" target) with room to spare.
DEFAULT_RATE_HZ = 240.0


@dataclass
class SolveContext:
    """Everything a layer may read, and the place it writes its channels."""

    settings: Settings
    timeline: Timeline
    duration_s: float
    rate_hz: float
    seed: int
    character_id: str
    t: np.ndarray
    channels: dict[str, np.ndarray] = field(default_factory=dict)
    events: dict[str, Any] = field(default_factory=dict)
    # Multiplicative modulations other layers apply (e.g. "blink_rate" from tension).
    modulators: dict[str, np.ndarray] = field(default_factory=dict)
    # The running layer's declared channels (``solve`` sets it; None: no check, e.g. in tests
    # that call one layer's ``apply`` directly).
    writable: Set[str] | None = None

    def rng(self, layer: str) -> np.random.Generator:
        return stream(self.seed, self.character_id, layer)

    def add(self, name: str, values: np.ndarray) -> None:
        """Add a contribution to a canonical channel (contributions from layers sum)."""
        if name not in CHANNELS:
            raise KeyError(f"layer wrote unknown channel {name!r}")
        if self.writable is not None and name not in self.writable:
            raise KeyError(f"layer wrote channel {name!r} it does not declare in WRITES")
        values = np.asarray(values, dtype=np.float64)
        if values.shape != self.t.shape:
            raise ValueError(f"channel {name!r}: shape {values.shape} != grid {self.t.shape}")
        prev = self.channels.get(name)
        self.channels[name] = values.copy() if prev is None else prev + values

    def get(self, name: str) -> np.ndarray:
        """A channel produced so far, or zeros."""
        v = self.channels.get(name)
        return np.zeros_like(self.t) if v is None else v

    def modulator(self, name: str) -> np.ndarray:
        m = self.modulators.get(name)
        return np.ones_like(self.t) if m is None else m

    def modulate(self, name: str, factor: np.ndarray) -> None:
        self.modulators[name] = self.modulator(name) * factor

    def state_values(self) -> np.ndarray:
        return self.timeline.track_values("state", self.settings.state, self.t)


def solve(
    settings: Settings,
    duration_s: float,
    seed: int = 0,
    character_id: str = "",
    timeline: Timeline | None = None,
    rate_hz: float = DEFAULT_RATE_HZ,
) -> Performance:
    """Run every enabled layer over ``duration_s`` seconds and return the finished curves.

    Same settings, timeline, seed and character id ⇒ bit-identical arrays.
    """
    if not duration_s > 0:
        raise ValueError(f"duration must be positive, got {duration_s!r} s")
    settings = effective_settings(settings)  # stylization and stillness (core/preset/controls.py)
    n = int(np.floor(duration_s * rate_hz + 1e-9)) + 1
    ctx = SolveContext(
        settings=settings,
        timeline=timeline or Timeline(),
        duration_s=float(duration_s),
        rate_hz=float(rate_hz),
        seed=int(seed),
        character_id=character_id,
        t=np.arange(n) / rate_hz,
    )
    layer_sums = {}
    for layer in registry.layers():
        if settings.layer_enabled(layer.name):
            ctx.writable = frozenset(layer.writes)
            before = dict(ctx.channels)
            layer.apply(ctx)
            # ``add`` makes a new array for every contribution: what this layer touched is new.
            layer_sums[layer.name] = {
                name: v for name, v in ctx.channels.items() if before.get(name) is not v
            }
    ctx.writable = None
    out = {}
    for name, values in ctx.channels.items():
        ch = CHANNELS[name]
        out[name] = soft_limit(values, ch.lo, ch.hi)
    meta = {"preset": settings.name, "seed": int(seed), "character_id": character_id}
    return Performance(ctx.rate_hz, ctx.duration_s, out, ctx.events, meta, layer_sums)


def solve_frames(
    settings: Settings,
    n_frames: int,
    fps: float,
    seed: int = 0,
    character_id: str = "",
    timeline: Timeline | None = None,
) -> dict[str, np.ndarray]:
    """Convenience: solve and sample at ``fps`` for ``n_frames`` frames starting at 0 s."""
    duration = max((n_frames - 1) / fps, 1.0 / fps)
    return solve(settings, duration, seed, character_id, timeline).at_frames(fps, n_frames)
