"""Vectorised rotation maths for baking bone channels (pure numpy, arrays of frames).

Why not mathutils: converting tens of thousands of frames one ``Quaternion`` at a time is slow;
these functions take ``(n, 3)``/``(n, 4)`` arrays and are checked against mathutils in tests.
Quaternions are (w, x, y, z) like Blender's.
"""

from __future__ import annotations

import numpy as np


def rotvec_to_quat(v: np.ndarray) -> np.ndarray:
    """Rotation vectors (radians × unit axis), shape (n, 3) → unit quaternions (n, 4)."""
    v = np.asarray(v, dtype=np.float64)
    angle = np.linalg.norm(v, axis=-1)
    half = 0.5 * angle
    # sin(a/2)/a, with its limit 1/2 near zero.
    k = np.where(angle > 1e-12, np.sin(half) / np.where(angle > 1e-12, angle, 1.0), 0.5)
    return np.concatenate([np.cos(half)[..., None], v * k[..., None]], axis=-1)


def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product ``a @ b`` (apply b first, then a), broadcasting over leading axes."""
    aw, ax, ay, az = np.moveaxis(np.asarray(a, dtype=np.float64), -1, 0)
    bw, bx, by, bz = np.moveaxis(np.asarray(b, dtype=np.float64), -1, 0)
    return np.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        axis=-1,
    )


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        axis=-2,
    )


def matrix_to_euler(m: np.ndarray, order: str) -> np.ndarray:
    """Rotation matrices (n, 3, 3) → Euler angles (n, 3) as (x, y, z) for Blender's ``order``.

    Blender's order 'XYZ' applies X first: M = Rz · Ry · Rx.  General Tait–Bryan extraction for
    the order (i, j, k) with parity of the axis permutation.
    """
    i, j, k = ("XYZ".index(c) for c in order)
    par = 1.0 if (j - i) % 3 == 1 else -1.0
    b = np.arcsin(np.clip(-par * m[..., k, i], -1.0, 1.0))
    a = np.arctan2(par * m[..., k, j], m[..., k, k])
    c = np.arctan2(par * m[..., j, i], m[..., i, i])
    out = np.empty(m.shape[:-2] + (3,))
    out[..., i], out[..., j], out[..., k] = a, b, c
    return out


def quat_to_euler(q: np.ndarray, order: str) -> np.ndarray:
    return matrix_to_euler(quat_to_matrix(q), order)


def euler_to_quat(e: np.ndarray, order: str) -> np.ndarray:
    """Euler angles (n, 3) as (x, y, z) in Blender's ``order`` → quaternions (n, 4).

    Blender's 'XYZ' applies X first, so q = qz @ qy @ qx for that order.
    """
    e = np.asarray(e, dtype=np.float64)
    axes = np.eye(3)
    q = None
    for c in order:  # first axis applied first → left-multiply the later ones
        i = "XYZ".index(c)
        qi = rotvec_to_quat(e[..., i : i + 1] * axes[i])
        q = qi if q is None else quat_mul(qi, q)
    return q
