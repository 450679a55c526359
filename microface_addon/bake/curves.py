"""From sampled channels to the exact F-curve values of each rig property.

Why a separate step: combining several channels onto one target (levator labii and nasalis both
drive ``noseSneerLeft``), keeping each target inside its range, turning angles into bone
rotations in each bone's own rotation mode — all of it is numpy on whole curves, done before
anything in the scene is touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.channels import soft_limit
from ..rig.convention import datapath
from ..rig.convention.rigmap import RigMap
from .rotations import euler_to_quat, quat_mul, quat_to_euler, rotvec_to_quat


class NonFiniteKeyError(RuntimeError):
    """The bake was about to write a key that is not a number.  Every input is checked finite
    where it is read, so this is a bug; nothing is written (the transaction rolls back)."""


def refuse_non_finite(data_path: str, index: int, frames: np.ndarray, values: np.ndarray) -> None:
    """``NonFiniteKeyError`` for a NaN or infinite value, or one that does not fit the float32
    Blender stores keys in: the last guard before a broken value reaches the file (dense keys,
    the sparse reduction's input and its keys and handles)."""
    values = np.asarray(values)
    finite = np.isfinite(values) & (np.abs(values) <= np.finfo(np.float32).max)
    if not finite.all() or not np.isfinite(frames).all():
        bad = np.flatnonzero(~finite.reshape(-1, np.shape(frames)[-1]).all(axis=0))
        where = f"frame {frames[bad[0]]:g}" if bad.size else "its frames"
        raise NonFiniteKeyError(
            f"internal error: {int((~finite).sum())} key(s) of {data_path}[{index}] are not "
            f"finite (first at {where}); nothing was written"
        )


@dataclass
class PropertyCurve:
    """Values for one animatable property (``data_path[index]``) of one ID, one per frame (or
    one row per solver layer, layers × frames, when planned from ``Performance.layer_frames``:
    every function here works on any leading axes)."""

    data_path: str
    index: int
    values: np.ndarray  # what the layer's F-curve holds on each frame
    rest: float = 0.0  # what it holds where there is no micro-motion (outside the range)

    def shifted(self, offset: float) -> PropertyCurve:
        return PropertyCurve(self.data_path, self.index, self.values + offset, self.rest + offset)


# How long the layer takes to blend in before the baked range and out after it, seconds: a
# chin-up posture or a held smile eases back to the user's own pose instead of snapping there on
# the frame after the range (visible with motion blur and in the Graph Editor).
EDGE_BLEND_S = 1.0


def edge_frames(fps: float) -> int:
    """How many eased frames each side of the range at ``fps``: the rest key that follows them
    (the layer's padding key) is ``EDGE_BLEND_S`` from the range's end frame."""
    return max(int(round(EDGE_BLEND_S * fps)) - 1, 0)


def with_edges(
    frames: np.ndarray, samples: dict[str, np.ndarray], n: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The range ``frames`` widened by ``n`` frames each side, and ``samples`` (channel → values,
    frames on the last axis: one curve, or one row per solver layer) eased over those frames from
    the channel's neutral 0 into the first baked value and from the last one back to 0: a raised
    cosine that reaches 0, with zero slope, on the frame beyond them, where the layer's rest key
    sits.  ``n`` = 0 changes nothing (the rest key right next to the range).

    Why on the channels, before they become properties: every property is at its rest value when
    its channels are 0 (a shape key at its static value, a bone at its rest or user pose), so one
    blend serves shape keys, quaternions (which stay rotations, unlike component-wise blending)
    and the per-layer strips alike, and whatever keys the range — every frame or sparse keys —
    keys the blend with it.  Inside the range the samples are unchanged."""
    n = max(int(n), 0)
    j = np.arange(n, 0, -1, dtype=np.float64)  # frames before the range, farthest first
    ease = 0.5 + 0.5 * np.cos(np.pi * j / (n + 1))  # → 0 one frame beyond, → 1 at the range
    wide = np.concatenate((frames[0] - j, frames, frames[-1] + j[::-1])).astype(np.float64)
    out = {
        name: np.concatenate((v[..., :1] * ease, v, v[..., -1:] * ease[::-1]), axis=-1)
        for name, v in samples.items()
    }
    return wide, out


def shape_key_curves(
    samples: dict[str, np.ndarray],
    rigmap: RigMap,
    ranges: dict[tuple[str, str], tuple[float, float]],
) -> dict[str, list[PropertyCurve]]:
    """Per mesh: summed, range-limited values for every shape key the rig map drives.

    ``ranges`` gives each (mesh, key) its slider range; summed channels approach the range
    smoothly instead of being clipped.
    """
    sums = _summed(
        rigmap.shape_keys, samples, lambda t: (t.mesh, t.key_block), lambda t, v: t.gain * v
    )
    out: dict[str, list[PropertyCurve]] = {}
    for (mesh, key), v in sorted(sums.items()):
        lo, hi = ranges.get((mesh, key), (0.0, 1.0))
        path = datapath.shape_key(key)
        out.setdefault(mesh, []).append(PropertyCurve(path, 0, soft_limit(v, lo, hi)))
    return out


def _summed(targets, samples: dict[str, np.ndarray], key, contribution) -> dict:
    """``contribution(target, channel samples)`` summed per ``key(target)``, over the targets
    whose channel was sampled (several channels may drive one property)."""
    out: dict = {}
    for t in targets:
        v = samples.get(t.channel)
        if v is None:
            continue
        k = key(t)
        out[k] = out.get(k, 0.0) + contribution(t, v)
    return out


def _bone(t) -> tuple[str, str]:
    return (t.armature, t.bone)


def bone_rotvecs(
    samples: dict[str, np.ndarray], rigmap: RigMap
) -> dict[tuple[str, str], np.ndarray]:
    """Per (armature, bone): rotation vectors (…, n, 3) in the bone's local rest frame, radians."""
    return _summed(
        rigmap.bones,
        samples,
        _bone,
        lambda b, v: np.radians(v * b.gain)[..., None] * np.asarray(b.axis),
    )


def object_rotvecs(samples: dict[str, np.ndarray], rigmap: RigMap) -> dict[str, np.ndarray]:
    """Per object (Face Cap's head and eye empties): rotation vectors (…, n, 3) in the object's
    parent frame, radians."""
    return _summed(
        rigmap.object_rotations,
        samples,
        lambda o: o.obj,
        lambda o, v: np.radians(v * o.gain)[..., None] * np.asarray(o.axis),
    )


def bone_offsets(
    samples: dict[str, np.ndarray], rigmap: RigMap
) -> dict[tuple[str, str], np.ndarray]:
    """Per (armature, bone): location offsets (…, n, 3) in the bone's rest space, armature units."""
    return _summed(
        rigmap.bone_locations,
        samples,
        _bone,
        lambda b, v: (v * b.gain_m)[..., None] * np.asarray(b.direction_local),
    )


def bone_location_curves(
    bone: str, offset: np.ndarray, static: list[float | None]
) -> list[PropertyCurve]:
    """Location F-curves: the offset alone under the user's own location keys (COMBINE adds), or
    offset + the unkeyed pose where the user has none (NLA would otherwise reset it to 0)."""
    path = datapath.bone(bone, "location")
    out = []
    for i in range(3):
        base = 0.0 if static[i] is None else float(static[i])
        out.append(PropertyCurve(path, i, offset[..., i] + base, base))
    return out


def bone_rotation_curves(
    bone: str,
    rotvec: np.ndarray,
    rotation_mode: str,
    user: np.ndarray,
    animated: tuple[bool, ...],
) -> list[PropertyCurve]:
    """F-curve values for a pose bone in its own rotation mode (see ``rotation_curves``)."""
    return rotation_curves(
        lambda prop: datapath.bone(bone, prop), rotvec, rotation_mode, user, animated
    )


def rotation_curves(
    path_of,
    rotvec: np.ndarray,
    rotation_mode: str,
    user: np.ndarray,
    animated: tuple[bool, ...],
) -> list[PropertyCurve]:
    """F-curve values for a rotation in its own mode so that it evaluates to micro @ user.

    ``path_of(prop)`` spells the data path of ``rotation_quaternion``/``rotation_euler`` (a
    pose bone's, or an object's own).

    ``user`` is the user's rotation per frame in the bone's mode ((n, 4) quaternion or (n, 3)
    Euler): keyed values where the user animates a component, the unkeyed pose elsewhere.
    ``animated`` says per component whether the user's animation provides it (then NLA COMBINE
    adds the layer to it) or not (then the layer must hold the whole value, because NLA evaluation
    starts from the default and an unkeyed pose would otherwise be lost).
    """
    q = rotvec_to_quat(rotvec)
    if rotation_mode == "QUATERNION":
        path = path_of("rotation_quaternion")
        if all(animated):
            # COMBINE composes quaternions as layer @ user (docs/bake.md rule 2): the layer
            # holds the micro rotation.
            rest = np.array([1.0, 0.0, 0.0, 0.0])
            return [PropertyCurve(path, i, q[..., i], float(rest[i])) for i in range(4)]
        static = np.asarray(user[0], float)
        q = quat_mul(q, static[None, :])
        return [PropertyCurve(path, i, q[..., i], float(static[i])) for i in range(4)]
    if rotation_mode == "AXIS_ANGLE":
        raise ValueError(f"{path_of('')!r} uses axis-angle rotation, which NLA cannot combine")
    # Euler COMBINE adds per axis, so compose exactly per frame and store the difference from the
    # user's own angles (wrapped, so a user angle near ±180° does not flip by a full turn).
    user = np.asarray(user, float)
    composed = quat_to_euler(quat_mul(q, euler_to_quat(user, rotation_mode)), rotation_mode)
    delta = np.angle(np.exp(1j * (composed - user)))
    mask = np.asarray(animated, bool)[None, :]
    values = np.where(mask, delta, user + delta)
    rest = np.where(mask[0], 0.0, user[0])
    path = path_of("rotation_euler")
    return [PropertyCurve(path, i, values[..., i], float(rest[i])) for i in range(3)]
