"""What each NLA strip of one ID holds: the un-layered pose, and one strip per solver layer with
the few keys that draw that layer's motion.

Why one strip per layer: an animator mutes the blinks, fades the head sway to half or solos the
gaze in Blender's own NLA editor, without re-baking.  Why a base strip: NLA evaluation starts
from each property's default, and a property nothing animates keeps whatever value it had last
— so with every layer muted, the base strip (one key per property: the value the property has
without MicroFace) is what brings back the user's pose exactly.

The split is exact: the solver records its channels after each layer (``Performance.
layer_frames``), the plan turns each of those into property values (``plan.py``), and layer k's
strip holds what layer k changed.  Strips blend COMBINE, which adds values (relative to each
property's default) and composes quaternions, so with every strip at full influence the result
is the dense bake's; the last layer in solve order (blink) comes off exactly, and an amount of
0.5 on a strip halves what it adds (quaternions: half its angle).

Tolerances (``Keying``): each property's curve may differ from the dense bake by a share of its
range (shape keys, locations) or by an angle (rotations); the property's budget is shared by
the layers that move it, so the sum over strips stays within it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..core.keying import Keying
from .curves import PropertyCurve, refuse_non_finite
from .reduce import SparseKeys, evaluate, handle_offsets, reduce_curves, sample_slopes
from .rotations import quat_mul

# Defaults of the bake's tolerance (the panel's and the CLI's).  0.5 % of a channel's range is
# below what shows on a face (a full blink is the range; 0.5 % of it is a hair's width of lid);
# 0.05° is a tenth of the smallest gaze shift the eye resolves as a saccade.
# Below this a property does not move (shape-key value or metres): a thousandth of a slider step
# Blender shows, well above float32 noise.
FLAT_EPSILON = 1e-5
# A layer that moves a property by less than DROP_SHARE × its tolerance / number of layers gets
# no curve for it (its motion counts as spent tolerance).
DROP_SHARE = 0.1
# Share of a quaternion's budget kept for its w component (see ``_Fitting``).
W_SHARE = 0.05

BASE = "base"  # the strip holding the un-layered pose


@dataclass
class KeyedCurve:
    """One F-curve as written: key frames, values, absolute handles, interpolation and handle
    type per key (names as Blender spells them)."""

    data_path: str
    index: int
    frames: np.ndarray
    values: np.ndarray
    handle_left: np.ndarray  # (n, 2) absolute
    handle_right: np.ndarray
    interpolation: np.ndarray  # Blender's names, e.g. "BEZIER", one per key
    handle_type: np.ndarray  # "ALIGNED", "AUTO_CLAMPED", "VECTOR": both handles of a key


@dataclass
class StripPlan:
    """One NLA strip of an ID: the solver layer it holds (``BASE`` for the un-layered pose)."""

    layer: str
    curves: list[KeyedCurve] = field(default_factory=list)

    @property
    def keys(self) -> int:
        return sum(int(c.frames.size) for c in self.curves)


def _is_quaternion(c: PropertyCurve) -> bool:
    return c.data_path.endswith("rotation_quaternion")


def _is_euler(c: PropertyCurve) -> bool:
    return c.data_path.endswith("rotation_euler")


def tolerance(c: PropertyCurve, final: np.ndarray, keying: Keying) -> float:
    """How far the keyed curve of ``c`` may be from its dense values ``final``, in its units.

    Quaternions: half the angle (a rotation by a small error quaternion e turns by 2·|e|; the
    components share it, ``_quaternion_tolerances``).
    """
    angle = math.radians(keying.rotation_tolerance_deg)
    if _is_quaternion(c):
        return angle / 2.0
    if _is_euler(c):
        return angle
    span = float(final.max() - final.min())
    return max(keying.tolerance_pct / 100.0 * span, FLAT_EPSILON)


def _half_angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Half the angle between rotations ``a`` and ``b`` (frames, 4), which need not be unit."""
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    r = quat_mul(_quat_inverse(a), b)
    return np.arctan2(np.linalg.norm(r[:, 1:], axis=-1), np.abs(r[:, 0]))


def _quat_inverse(q: np.ndarray) -> np.ndarray:
    conj = q * np.array([1.0, -1.0, -1.0, -1.0])
    return conj / np.sum(q * q, axis=-1, keepdims=True)


@dataclass
class _Delta:
    """What one layer adds to one property (or one quaternion, 4 components) on every frame."""

    layer: int
    curves: list[PropertyCurve]  # values per frame, as the strip holds them
    rest: list[float]  # what the strip holds where it adds nothing
    delta: np.ndarray  # (components, frames): held − rest
    budget: float  # the property's whole tolerance (quaternions: half the angle)

    def error_of(self, fitted: np.ndarray) -> np.ndarray:
        """The error a strip holding ``fitted`` (components × frames) instead of this delta adds
        to the property: signed (fit − exact) for a value, half the angle (≥ 0) for a
        quaternion."""
        if len(self.curves) == 4:
            return _half_angle(fitted.T, self.delta.T + [1.0, 0, 0, 0])
        return (fitted[0] - self.rest[0]) - self.delta[0]

    def dropped_error(self) -> np.ndarray:
        """The error of leaving this layer out of the property (no strip for it)."""
        if not self.delta.any():
            return np.zeros(self.delta.shape[1])
        if len(self.curves) == 4:
            return _half_angle(
                np.broadcast_to([1.0, 0, 0, 0], self.delta.T.shape), self.delta.T + [1.0, 0, 0, 0]
            )
        return -self.delta[0]


def _deltas(group: list[PropertyCurve], n_layers: int, default: float, keying: Keying):
    """Per layer, what it adds to a property (one curve) or a quaternion (four curves)."""
    out = []
    if len(group) == 4:  # a quaternion: layer k holds M(k−1)⁻¹ @ M(k), M = held @ rest⁻¹
        rest = np.array([c.rest for c in group])
        v = np.stack([c.values for c in group], axis=-1)  # (layers, frames, 4)
        micro = quat_mul(v, _quat_inverse(rest)[None, None, :])
        before = np.concatenate([np.broadcast_to([1.0, 0, 0, 0], micro[:1].shape), micro[:-1]])
        step = quat_mul(_quat_inverse(before), micro)
        identity = np.array([1.0, 0.0, 0.0, 0.0])
        budget = tolerance(group[0], group[0].values[-1], keying)
        for k in range(n_layers):
            curves = [  # copies: a view would keep every layer's rows alive with this one's
                PropertyCurve(c.data_path, c.index, step[k, :, i].copy(), float(identity[i]))
                for i, c in enumerate(group)
            ]
            delta = (step[k] - identity).T
            out.append(_Delta(k, curves, list(identity), delta, budget))
        return out
    (c,) = group
    v = c.values
    diff = np.diff(v, axis=0, prepend=np.full((1, v.shape[1]), c.rest))
    if _is_euler(c):
        diff = np.angle(np.exp(1j * diff))  # wrapped, like the dense bake's Euler differences
    budget = tolerance(c, v[-1], keying)
    for k in range(n_layers):
        held = PropertyCurve(c.data_path, c.index, default + diff[k], default)
        out.append(_Delta(k, [held], [default], diff[k][None, :].copy(), budget))
    return out


def _groups(curves: list[PropertyCurve]) -> list[list[PropertyCurve]]:
    """Curves grouped by property: the four components of a quaternion together."""
    out: dict[tuple[str, int], list[PropertyCurve]] = {}
    for c in curves:
        key = (c.data_path, -1) if _is_quaternion(c) else (c.data_path, c.index)
        out.setdefault(key, []).append(c)
    return [sorted(g, key=lambda c: c.index) for g in out.values()]


class _Fitting:
    """One layer's delta of one property being keyed, one component per round.

    A value has one component and the property's band.  A quaternion's components share its
    half-angle budget b: the error e of the keyed quaternion turns the rotation by 2·|e⊥| (the
    part of e across q; along q it only scales, which Blender's normalisation removes), and an
    error in w lies across q by at most sin(half-angle).  So x, y, z are keyed first, flattest
    first, sharing (1 − W_SHARE)·b in quadrature — each takes what the ones before it left on
    that frame — and w last, with what is left of b divided by that sine.
    """

    def __init__(self, delta: _Delta, band: tuple[np.ndarray, np.ndarray]) -> None:
        self.delta = delta
        self.band = band
        self.fits: dict[int, np.ndarray] = {}
        if len(delta.curves) == 4:
            xyz = np.argsort(np.ptp(delta.delta[1:], axis=1), kind="stable") + 1
            self.order = [int(i) for i in xyz] + [0]
            q = delta.delta.T + [1.0, 0.0, 0.0, 0.0]
            self.half_sin = float(np.sqrt(np.clip(1.0 - q[:, 0] ** 2, 0.0, 1.0)).max())
            self.spent_sq = np.zeros(q.shape[0])
        else:
            self.order = [0]

    def component(self, round_: int) -> int | None:
        return self.order[round_] if round_ < len(self.order) else None

    def band_of(self, round_: int) -> tuple[np.ndarray, np.ndarray]:
        """How far the component keyed in ``round_`` may pass under and over each frame."""
        if len(self.order) == 1:
            return self.band
        budget = self.band[0]
        if round_ < 3:
            xyz = (1.0 - W_SHARE) * budget
            tol = np.sqrt(np.maximum(xyz**2 - self.spent_sq, 0.0) / (3 - round_))
        else:
            left = np.maximum(budget - np.sqrt(self.spent_sq), 0.0)
            tol = np.minimum(left / max(self.half_sin, 1e-12), 1.0)
        return tol, tol

    def record(self, index: int, fit: np.ndarray) -> None:
        self.fits[index] = fit
        if index != 0 and len(self.order) == 4:
            self.spent_sq = self.spent_sq + (fit - self.delta.curves[index].values) ** 2

    def error(self) -> np.ndarray:
        return self.delta.error_of(np.stack([self.fits[i] for i in range(len(self.order))]))


@dataclass
class _Property:
    """One property's layers on their way into strips, and the error spent so far per frame."""

    moving: list[_Delta]
    budget: float
    spent: np.ndarray  # additive: signed error so far; quaternion: half-angles so far (≥ 0)
    quaternion: bool

    def band(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """How far ``layer``'s strip may pass under and over its curve on each frame: what is
        left of the budget after the strips below (on each side, for values), shared with the
        moving layers still to come."""
        later = max(sum(1 for d in self.moving if d.layer >= layer), 1)
        if self.quaternion:
            left = np.maximum(self.budget - self.spent, 0.0) / later
            return left, left
        # The errors so far add to this strip's: it may go the other way by more.
        under = np.maximum(self.budget + self.spent, 0.0) / later
        over = np.maximum(self.budget - self.spent, 0.0) / later
        return under, over


def layer_strips(
    curves: list[PropertyCurve],
    layers: tuple[str, ...],
    frames: np.ndarray,
    keying: Keying,
    default_of,
) -> list[StripPlan]:
    """The strips of one ID: one per layer that moves something on it (solve order), then the
    base.  ``curves`` hold values per layer row (layers × frames), as ``plan`` computes them
    from ``Performance.layer_frames``; ``default_of(curve)`` is the value COMBINE is relative
    to for that property.

    Layers are keyed in solve order; each strip may miss by what is left of the property's
    budget on that frame after the strips below it (their actual errors, not their bounds),
    shared with the layers still to come — so the sum over strips is within the budget on every
    frame.  A layer that moves a property by less than ``DROP_SHARE`` of the budget (over all
    layers) gets no curve for it; its motion counts as error spent.

    Memory: each property's layer rows are let go once its deltas are made, so a caller that
    hands ``curves`` over (keeps no reference) does not hold every ID's rows through the fit.
    """
    for c in curves:
        refuse_non_finite(c.data_path, c.index, frames, c.values)
    n_layers = len(layers)
    base = StripPlan(BASE, [_constant(c, frames[0] - 1) for c in curves])
    groups = _groups(curves)
    del curves  # each group's layer rows go as soon as its deltas are made
    props: list[_Property] = []
    while groups:
        group = groups.pop(0)
        deltas = _deltas(group, n_layers, default_of(group[0]), keying)
        quaternion = len(group) == 4
        small = DROP_SHARE * deltas[0].budget / n_layers
        if quaternion:
            small /= 2.0  # a quaternion error e turns by 2·|e|: compare components with half
        moving = [d for d in deltas if np.abs(d.delta).max() > small]
        spent = np.zeros(frames.size)
        for d in deltas:
            if d not in moving:
                spent = spent + d.dropped_error()
        props.append(_Property(moving, deltas[0].budget, spent, quaternion))
    strips = []
    for k in range(n_layers):
        fittings = [
            (prop, _Fitting(d, prop.band(k))) for prop in props for d in prop.moving if d.layer == k
        ]
        if not fittings:
            continue
        strip = StripPlan(layers[k])
        for round_ in range(4):  # quaternions: x, y, z (flattest first), then w
            rows = [
                (f, f.component(round_)) for _, f in fittings if f.component(round_) is not None
            ]
            if not rows:
                break
            bands = [
                _inside_float32(f.band_of(round_), f.delta.curves[i].values, frames)
                for f, i in rows
            ]
            reduced = reduce_curves(
                np.stack([f.delta.curves[i].values for f, i in rows]),
                (np.stack([b[0] for b in bands]), np.stack([b[1] for b in bands])),
            )
            for (f, i), band, keys in zip(rows, bands, reduced, strict=True):
                keyed, fit = _keyed(f.delta.curves[i], keys, frames, f.delta.rest[i], band)
                strip.curves.append(keyed)
                f.record(i, fit)
        for prop, f in fittings:
            prop.spent = prop.spent + f.error()
        strip.curves.sort(key=lambda c: (c.data_path, c.index))
        strips.append(strip)
    return strips + [base]


def _inside_float32(band, values: np.ndarray, frames: np.ndarray):
    """``band`` narrowed by what Blender's single precision may add: a handle's frame rounds by
    half an ulp of the frame number (0.002 frames at frame 36,000), which moves the curve by
    up to 0.44 × that × its slope, and values round by ~1e-7 of their size."""
    half_ulp = 0.5 * float(np.spacing(np.float32(frames[-1])))
    margin = 0.45 * half_ulp * np.abs(sample_slopes(values)) + 1e-7 * np.maximum(np.abs(values), 1)
    return np.maximum(band[0] - margin, 0.0), np.maximum(band[1] - margin, 0.0)


def _constant(c: PropertyCurve, frame: float) -> KeyedCurve:
    """One key holding the property's un-layered value (the base strip)."""
    zero = np.zeros((1, 2))
    at = np.array([frame], np.float64)
    return KeyedCurve(
        c.data_path,
        c.index,
        at,
        np.array([c.rest]),
        zero + [frame - 1.0, c.rest],
        zero + [frame + 1.0, c.rest],
        np.array(["CONSTANT"]),
        np.array(["VECTOR"]),
    )


def _keyed(c: PropertyCurve, keys: SparseKeys, frames, rest: float, band):
    """The sparse keys of one layer curve, with a key each side of the range holding ``rest``
    (outside the range the strip then adds nothing) and linear ramps to them; and the values
    Blender will evaluate from them on the range's frames."""
    start, end = float(frames[0]), float(frames[-1])
    if len(keys) == 1:  # flat over the range
        value = float(keys.values[0])
        off = rest - c.values  # the error of holding rest
        if np.all((off <= band[1]) & (-off <= band[0])):
            held = PropertyCurve(c.data_path, c.index, c.values, rest)
            return _constant(held, start - 1), np.full(frames.size, rest)
        keys = SparseKeys(
            np.array([0, frames.size - 1]),
            np.array([value, value]),
            np.zeros(2),
            np.zeros(2, bool),
            np.full(frames.size, value),
        )
    fit = keys.fit
    if fit is None:
        fit = evaluate(keys.index, keys.values, keys.slopes, keys.auto, np.arange(frames.size))
    x = np.concatenate(([start - 1], start + keys.index, [end + 1]))
    y = np.concatenate(([rest], keys.values, [rest]))
    slopes = np.concatenate(([0.0], keys.slopes, [0.0]))
    auto = np.concatenate(([False], keys.auto, [False]))
    left, right = handle_offsets(x, y, slopes, auto)
    pts = np.stack([x, y], axis=-1)
    # Linear ramps from and to the rest keys; Bézier between the keys inside the range.
    interpolation = np.full(x.size, "BEZIER")
    interpolation[[0, -2, -1]] = "LINEAR"
    handle_type = np.where(auto, "AUTO_CLAMPED", "ALIGNED")
    handle_type[[0, -1]] = "VECTOR"
    curve = KeyedCurve(
        c.data_path, c.index, x, y, pts + left, pts + right, interpolation, handle_type
    )
    return curve, fit
