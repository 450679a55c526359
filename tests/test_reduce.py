"""The key reduction: its keys stay within tolerance of every sample, and its model of a Bézier
curve is the curve Blender evaluates.

Why both: ``bake/reduce.py`` decides where keys go and whether a key may carry AUTO_CLAMPED
handles by evaluating the curve it would write; if that evaluation differed from Blender's, a
"within tolerance" curve could play outside it.  So the curves are written with the bake's own
writer into a real action and compared with ``FCurve.evaluate`` on every frame and between
frames.
"""

from __future__ import annotations

import bpy
import numpy as np
import pytest

from microface_addon import compat
from microface_addon.bake import reduce as R
from microface_addon.bake.curves import PropertyCurve
from microface_addon.bake.keys import write_keyed
from microface_addon.bake.strips import _keyed


def _signals(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Shapes the solver makes: blinks (fast close, slower open), saccade steps, filtered
    noise (sway), a slow breath, a flat channel and a constant offset."""
    t = np.arange(n) / 24.0
    blinks = np.zeros(n)
    for at in rng.uniform(1, t[-1] - 1, 8):
        u = t - at
        blinks += np.where(u < 0, 0, np.where(u < 0.08, u / 0.08, np.exp(-(u - 0.08) / 0.1)))
    steps = np.cumsum(np.where(rng.random(n) < 0.03, rng.normal(0, 5, n), 0.0))
    noise = np.convolve(rng.normal(0, 1, n + 40), np.hanning(9) / 4.5, "valid")[:n]
    return {
        "blinks": np.clip(blinks, 0, 1),
        "saccades": steps,
        "sway": noise,
        "breath": 0.3 * np.sin(2 * np.pi * 0.25 * t),
        "flat": np.zeros(n),
        "offset": np.full(n, 0.25),
    }


@pytest.mark.parametrize("seed", range(4))
def test_reduced_keys_stay_within_tolerance_of_every_sample(seed):
    rng = np.random.default_rng(seed)
    sig = _signals(1441, rng)
    y = np.stack(list(sig.values()))
    tol = 0.005 * np.maximum(np.ptp(y, axis=1), 1e-3)
    keys = R.reduce_curves(y, tol)
    frames = np.arange(y.shape[1], dtype=np.float64)
    for name, row, k, t in zip(sig, y, keys, tol, strict=True):
        fit = (
            R.evaluate(k.index, k.values, k.slopes, k.auto, frames)
            if len(k) > 1
            else np.full(frames.size, k.values[0])
        )
        assert np.abs(fit - row).max() <= t * (1 + 1e-9), name
        np.testing.assert_allclose(k.fit, fit, rtol=0, atol=1e-12, err_msg=name)
    by_name = dict(zip(sig, keys, strict=True))
    assert len(by_name["flat"]) == 1 and len(by_name["offset"]) == 1
    total = sum(len(k) for k in keys if len(k) > 1)
    assert total < 0.3 * y.shape[1] * 4  # far fewer keys than samples on the moving curves


def test_a_band_per_sample_and_side_is_respected():
    rng = np.random.default_rng(7)
    y = _signals(600, rng)["sway"][None, :]
    below = np.full_like(y, 0.002)
    above = np.where(np.arange(600) < 300, 0.002, 0.02)[None, :]
    (k,) = R.reduce_curves(y, (below, above))
    err = k.fit - y[0]
    assert (err >= -below[0] - 1e-12).all() and (err <= above[0] + 1e-12).all()
    # more room above in the second half → fewer keys there
    second = (k.index >= 300).sum()
    assert second < (k.index < 300).sum()


def test_event_extremes_are_keys_at_their_exact_frame_and_value():
    rng = np.random.default_rng(3)
    blinks = _signals(1441, rng)["blinks"]
    (k,) = R.reduce_curves(blinks[None, :], np.array([0.005]))
    peaks = R.event_extremes(blinks, 0.005)
    assert peaks.size >= 8  # every blink's closure (and the troughs between)
    assert set(peaks.tolist()) <= set(k.index.tolist())
    at = np.searchsorted(k.index, peaks)
    np.testing.assert_array_equal(k.values[at], blinks[peaks])
    assert (k.slopes[at] == 0).all()


def _written(curve_values: np.ndarray, tol: float):
    """Reduce one curve, write it with the bake's writer, return (F-curve, keys)."""
    action, slot = compat.new_action("ReduceProbe", "KEY")
    fcurves = compat.fcurve_collection(action, slot)
    (keys,) = R.reduce_curves(curve_values[None, :], np.array([tol]))
    frames = 1.0 + np.arange(curve_values.size)
    prop = PropertyCurve('key_blocks["Probe"].value', 0, curve_values, 0.0)
    band = (np.full(frames.size, tol), np.full(frames.size, tol))
    keyed, fit = _keyed(prop, keys, frames, 0.0, band)
    fc = write_keyed(fcurves, keyed, compat.fcurve_groups(action, slot).new("Probe"))
    return fc, keys, fit, frames


def _float32_slack(y: np.ndarray, frames: np.ndarray) -> float:
    """How far Blender's single precision may take the curve from the float64 model: keys,
    handles and the cubic's arithmetic round near 1e-5 of the values, and a handle's frame by
    half an ulp of the frame number, which moves the curve by up to its slope times that."""
    ulp_frame = float(np.spacing(np.float32(frames.max())))
    return 1e-5 * max(1.0, np.abs(y).max()) + ulp_frame * np.abs(np.diff(y)).max()


@pytest.mark.parametrize("signal", ["blinks", "saccades", "sway", "breath"])
def test_the_reduction_evaluates_a_curve_exactly_as_blender_does(empty_scene, signal):
    y = _signals(721, np.random.default_rng(11))[signal]
    tol = 0.005 * np.ptp(y)
    fc, keys, fit, frames = _written(y, tol)
    assert fc.auto_smoothing == "NONE" and fc.group.name == "Probe"
    blender = np.array([fc.evaluate(f) for f in frames])
    slack = _float32_slack(y, frames)
    assert slack < 0.05 * tol  # the float32 rounding is far below the tolerance
    np.testing.assert_allclose(blender, fit, rtol=0, atol=slack)
    assert np.abs(blender - y).max() <= tol + slack
    # between frames too (motion blur samples sub-frames): the model and Blender agree
    sub = frames[:-1] + 0.37
    model = R.evaluate(keys.index, keys.values, keys.slopes, keys.auto, sub - frames[0])
    np.testing.assert_allclose([fc.evaluate(f) for f in sub], model, rtol=0, atol=slack)
    # written unselected
    sel = np.empty(len(fc.keyframe_points), dtype=bool)
    fc.keyframe_points.foreach_get("select_control_point", sel)
    assert not sel.any()
    bpy.data.actions.remove(bpy.data.actions["ReduceProbe"])


def test_auto_clamped_keys_keep_the_handles_blender_gives_them(empty_scene):
    y = _signals(721, np.random.default_rng(5))["blinks"]
    fc, keys, _fit, _frames = _written(y, 0.005)
    types = np.empty(len(fc.keyframe_points), dtype=np.int32)
    fc.keyframe_points.foreach_get("handle_left_type", types)
    auto = (
        types
        == bpy.types.Keyframe.bl_rna.properties["handle_left_type"].enum_items["AUTO_CLAMPED"].value
    )
    assert auto.sum() == keys.auto.sum() > 0  # some blink peaks are auto-clamped
    left = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
    fc.keyframe_points.foreach_get("handle_left", left)
    co = np.empty_like(left)
    fc.keyframe_points.foreach_get("co", co)
    # Blender recomputed them on update: flat, and where our model put them
    x = np.concatenate(([-1.0], keys.index.astype(float), [keys.index[-1] + 1.0]))
    lh, _ = R.handle_offsets(x, np.zeros(x.size), np.zeros(x.size), np.r_[False, keys.auto, False])
    got = (left - co).reshape(-1, 2)[auto]
    np.testing.assert_allclose(got[:, 1], 0.0, atol=1e-7)
    np.testing.assert_allclose(got[:, 0], lh[auto][:, 0], atol=1e-4)  # float32 frames ~700
    bpy.data.actions.remove(bpy.data.actions["ReduceProbe"])
