"""How the bake keys its curves, as plain options the front doors (panel, command line, shot
lists) and the bake share: sparse keys within a tolerance (default), or a key on every frame.

Why here, in ``core``: the command line builds its parser from these defaults, and ``validate``
runs where there is no Blender; ``bake`` (which needs bpy) reads the same object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Defaults of the sparse bake (docs/bake.md "Sparse keys within a tolerance"): how far a curve may
# stray from the solved motion, in percent of the property's range over the bake, and in degrees
# for rotations — below what reads on screen at close-up.
DEFAULT_TOLERANCE_PCT = 0.5
DEFAULT_ROTATION_TOLERANCE_DEG = 0.05


@dataclass(frozen=True)
class Keying:
    """How the bake keys its curves: sparse keys within a tolerance (default), or a linear key
    on every frame in one combined strip (``every_frame``: the classic dense bake)."""

    every_frame: bool = False
    tolerance_pct: float = DEFAULT_TOLERANCE_PCT  # of each property's range over the bake
    rotation_tolerance_deg: float = DEFAULT_ROTATION_TOLERANCE_DEG

    def check(self) -> None:
        if not (math.isfinite(self.tolerance_pct) and self.tolerance_pct > 0):
            raise ValueError(f"tolerance must be a positive percentage, got {self.tolerance_pct}")
        if not (math.isfinite(self.rotation_tolerance_deg) and self.rotation_tolerance_deg > 0):
            raise ValueError(
                f"rotation tolerance must be a positive angle, got {self.rotation_tolerance_deg}"
            )
