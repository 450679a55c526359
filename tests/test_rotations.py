"""Vectorised rotation maths agree with Blender's mathutils for every Euler order."""

from __future__ import annotations

import bpy  # noqa: F401  (the bpy module provides mathutils)
import numpy as np
import pytest
from mathutils import Quaternion, Vector

from microface_addon.bake.rotations import quat_mul, quat_to_euler, rotvec_to_quat

RNG = np.random.default_rng(42)
V = RNG.normal(0, 0.6, (40, 3))


def test_rotvec_to_quat_matches_axis_angle():
    q = rotvec_to_quat(V)
    for v, qi in zip(V, q, strict=True):
        ref = Quaternion(Vector(v).normalized(), float(np.linalg.norm(v)))
        np.testing.assert_allclose(qi, tuple(ref), atol=1e-6)  # mathutils is single precision
    np.testing.assert_allclose(rotvec_to_quat(np.zeros((1, 3))), [[1, 0, 0, 0]])


def test_quat_mul_matches_mathutils():
    a, b = rotvec_to_quat(V), rotvec_to_quat(V[::-1])
    for x, y, p in zip(a, b, quat_mul(a, b), strict=True):
        np.testing.assert_allclose(
            p, tuple(Quaternion(x) @ Quaternion(y)), atol=1e-6
        )  # mathutils is single precision


@pytest.mark.parametrize("order", ["XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"])
def test_quat_to_euler_matches_mathutils(order):
    q = rotvec_to_quat(V)
    e = quat_to_euler(q, order)
    for qi, ei in zip(q, e, strict=True):
        ref = Quaternion(qi).to_euler(order)
        np.testing.assert_allclose(ei, tuple(ref), atol=1e-6)
