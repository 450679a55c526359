"""Bulk keyframe writing: whole curves at once with ``foreach_set``.

Why: ``keyframe_insert`` per key runs at ~20 k keys/s; ``keyframe_points.add`` + ``foreach_set``
writes millions per second (``bench/bake_speed.py``), which is what makes re-baking instant.
"""

from __future__ import annotations

import numpy as np

from .. import compat


class NonFiniteKeyError(RuntimeError):
    """The bake was about to write a key that is not a number.  Every input is checked finite
    where it is read, so this is a bug; nothing is written (the transaction rolls back)."""


def write_fcurve(fcurves, data_path: str, index: int, frames: np.ndarray, values: np.ndarray):
    """Create one F-curve in ``fcurves`` holding ``values`` at ``frames`` (linear keys).

    Refuses (``NonFiniteKeyError``) to write a NaN or infinite key, or one that does not fit
    the float32 Blender stores keys in: the last guard before a broken value reaches the file."""
    finite = np.isfinite(values) & (np.abs(values) <= np.finfo(np.float32).max)
    if not finite.all() or not np.isfinite(frames).all():
        bad = np.flatnonzero(~finite)
        where = f"frame {frames[bad[0]]:g}" if bad.size else "its frames"
        raise NonFiniteKeyError(
            f"internal error: {bad.size} key(s) of {data_path}[{index}] are not finite "
            f"(first at {where}); nothing was written"
        )
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
