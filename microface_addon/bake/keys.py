"""Bulk keyframe writing: whole curves at once with ``foreach_set``.

Why: ``keyframe_insert`` per key runs at ~20 k keys/s; ``keyframe_points.add`` + ``foreach_set``
writes millions per second (``bench/bake_speed.py``), which is what makes re-baking instant.
Keys are written unselected (a bake must not leave the Graph Editor with thousands of selected
keys that the next G or S would move) and each F-curve joins its strip's group, so the channel
list reads "Blinks", "Gaze", … instead of one long flat list.
"""

from __future__ import annotations

import numpy as np

from .. import compat
from .curves import NonFiniteKeyError, refuse_non_finite
from .strips import KeyedCurve

__all__ = ["NonFiniteKeyError", "write_fcurve", "write_keyed"]

_HANDLE_TYPES = None


def _handle_types() -> dict[str, int]:
    global _HANDLE_TYPES
    if _HANDLE_TYPES is None:
        import bpy

        prop = bpy.types.Keyframe.bl_rna.properties["handle_left_type"]
        _HANDLE_TYPES = {e.identifier: e.value for e in prop.enum_items}
    return _HANDLE_TYPES


def _codes(names: np.ndarray, table: dict[str, int]) -> np.ndarray:
    """Blender's enum integers for an array of enum names (one pass per distinct name)."""
    out = np.empty(names.size, dtype=np.int32)
    for name in np.unique(names):
        out[names == name] = table[name]
    return out


def _deselect(kp, n: int) -> None:
    off = np.zeros(n, dtype=bool)
    for flag in ("select_control_point", "select_left_handle", "select_right_handle"):
        kp.foreach_set(flag, off)


def write_fcurve(fcurves, data_path: str, index: int, frames: np.ndarray, values: np.ndarray):
    """Create one F-curve in ``fcurves`` holding ``values`` at ``frames`` (linear keys).

    Refuses (``NonFiniteKeyError``) to write a NaN or infinite key, or one that does not fit
    the float32 Blender stores keys in: the last guard before a broken value reaches the file."""
    refuse_non_finite(data_path, index, frames, values)
    fc = fcurves.new(data_path, index=index)
    n = int(frames.size)
    kp = fc.keyframe_points
    kp.add(n)
    co = np.empty(2 * n, dtype=np.float32)
    co[0::2] = frames
    co[1::2] = values
    kp.foreach_set("co", co)
    kp.foreach_set("interpolation", np.full(n, compat.INTERPOLATION["LINEAR"], dtype=np.int32))
    _deselect(kp, n)
    fc.select = False
    fc.update()
    return fc


def write_keyed(fcurves, curve: KeyedCurve, group=None):
    """Create one F-curve holding ``curve``'s keys, handles and handle types exactly.

    Automatic smoothing is off: the handles were fitted (or, for AUTO_CLAMPED keys, predicted
    with Blender's own rule for "None" smoothing), and continuous-acceleration smoothing would
    move them.
    """
    refuse_non_finite(curve.data_path, curve.index, curve.frames, curve.values)
    for handles in (curve.handle_left, curve.handle_right):
        refuse_non_finite(curve.data_path, curve.index, curve.frames, np.asarray(handles)[..., 1])
    fc = fcurves.new(curve.data_path, index=curve.index)
    fc.auto_smoothing = "NONE"
    if group is not None:
        fc.group = group
    n = int(curve.frames.size)
    kp = fc.keyframe_points
    kp.add(n)
    co = np.empty((n, 2), dtype=np.float32)
    co[:, 0] = curve.frames
    co[:, 1] = curve.values
    kp.foreach_set("co", co.ravel())
    kp.foreach_set("handle_left", np.asarray(curve.handle_left, np.float32).ravel())
    kp.foreach_set("handle_right", np.asarray(curve.handle_right, np.float32).ravel())
    kp.foreach_set("interpolation", _codes(curve.interpolation, compat.INTERPOLATION))
    ht = _codes(curve.handle_type, _handle_types())
    kp.foreach_set("handle_left_type", ht)
    kp.foreach_set("handle_right_type", ht)
    _deselect(kp, n)
    fc.select = False
    fc.update()
    return fc
