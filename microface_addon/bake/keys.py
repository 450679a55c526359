"""Bulk keyframe writing: whole curves at once with ``foreach_set``.

Why: ``keyframe_insert`` per key runs at ~20 k keys/s; ``keyframe_points.add`` + ``foreach_set``
writes millions per second (``bench/bake_speed.py``), which is what makes re-baking instant.
"""

from __future__ import annotations

import numpy as np

from .. import compat


def write_fcurve(fcurves, data_path: str, index: int, frames: np.ndarray, values: np.ndarray):
    """Create one F-curve in ``fcurves`` holding ``values`` at ``frames`` (linear keys)."""
    fc = fcurves.new(data_path, index=index)
    n = int(frames.size)
    kp = fc.keyframe_points
    kp.add(n)
    co = np.empty(2 * n, dtype=np.float32)
    co[0::2] = frames
    co[1::2] = values
    kp.foreach_set("co", co)
    kp.foreach_set("interpolation", np.full(n, compat.INTERPOLATION["LINEAR"], dtype=np.int32))
    fc.update()
    return fc
