"""The solver's speed-ups change speed, not numbers: rotations prepared once, pointwise chains run
block by block, nods added over their own span, SciPy imported on first use (issue #13).

Timings live in ``bench/solver_speed.py``; here only equality with the plain computation.  On
numpy 2 the results are bit-identical; numpy 1.26's ``arctan2``/``sin`` already round by memory
alignment (~1e-14) from call to call, so there they are compared to 1e-12.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from microface_addon.core import geometry
from microface_addon.core.solver.layers import head

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parents[1]
NUMPY2 = int(np.__version__.split(".")[0]) >= 2
N = 3 * geometry.BLOCK_SAMPLES + 17  # several blocks and a short last one


def assert_same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    if NUMPY2:
        assert np.array_equal(a.view(np.int64), b.view(np.int64))
    else:
        np.testing.assert_allclose(a, b, rtol=0.0, atol=1e-12)


def _angles(rng, scale):
    return rng.normal(0.0, scale, N)


def test_prepared_rotation_is_the_plain_rodrigues_rotation():
    rng = np.random.default_rng(1)
    r = rng.normal(0.0, 0.5, (200, 3))
    r[:3] = 0.0  # identity rotations too
    v = rng.normal(0.0, 1.0, (200, 3))
    angle = np.sqrt(np.sum(r * r, axis=1))[:, None]
    k = np.divide(r, angle, out=np.zeros_like(r), where=angle > 0)
    plain = (
        v * np.cos(angle)
        + np.cross(k, v) * np.sin(angle)
        + k * np.sum(k * v, axis=1)[:, None] * (1 - np.cos(angle))
    )
    np.testing.assert_allclose(geometry.rotate(v, r), plain, atol=1e-14)
    rot = geometry.Rotation.of(r)
    assert_same(rot.inverse().apply(v), geometry.rotate(v, -r))
    assert_same(rot.apply(v), geometry.rotate(v, r))


def test_eye_in_head_in_blocks_equals_one_pass():
    rng = np.random.default_rng(2)
    args = (
        _angles(rng, 10.0),
        _angles(rng, 6.0),
        np.abs(rng.normal(1.0, 0.2, N)) + 0.2,
        0.063,
        _angles(rng, 8.0),
        _angles(rng, 4.0),
    )
    for pivot in (None, np.array([0.0, -0.08, -0.09])):
        blocked = geometry.eye_in_head_angles(*args, pivot)
        whole = geometry._eye_in_head_block(*args, pivot)
        for eye in ("L", "R"):
            for a, b in zip(blocked[eye], whole[eye], strict=True):
                assert_same(a, b)


def test_vor_in_blocks_equals_one_pass_and_the_public_form():
    rng = np.random.default_rng(3)
    eyes = [_angles(rng, s) for s in (12.0, 5.0, 12.0, 5.0)]
    planned = (_angles(rng, 3.0), _angles(rng, 2.0), np.zeros(N))
    actual = tuple(_angles(rng, s) for s in (5.0, 4.0, 2.0))
    chest = _angles(rng, 1.0)
    blocked = geometry.in_blocks(head._vor_both_eyes, N, *eyes, *planned, *actual, chest)
    whole = head._vor_both_eyes(*eyes, *planned, *actual, chest)
    for side in range(2):
        public = head.vor_eye_angles(eyes[2 * side], eyes[2 * side + 1], planned, actual, chest)
        for a, b, c in zip(blocked[side], whole[side], public, strict=True):
            assert_same(a, b)
            assert_same(b, c)


def test_nods_added_over_their_span_equal_whole_shot_nods():
    t = np.arange(24_001) / 240.0
    rng = np.random.default_rng(4)
    windowed, whole = np.zeros_like(t), np.zeros_like(t)
    starts = np.concatenate([rng.uniform(-1.0, 100.5, 40), [0.0, t[-1] - 0.1, 17.0 + 1 / 480]])
    for start in starts:
        dur, depth = rng.uniform(0.3, 0.8), rng.uniform(0.5, 3.0)
        head.add_nod(windowed, t, float(start), dur, depth)
        whole += head.nod_shape(t, float(start), dur, depth)
    assert_same(windowed, whole)
    assert np.any(whole != 0.0)


def test_importing_the_core_does_not_import_scipy():
    code = (
        "import sys, microface_addon.core; "
        "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.'))[:3])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout
