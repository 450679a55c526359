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
from ..rig.rigmap import RigMap
from .rotations import quat_mul, quat_to_euler, rotvec_to_quat


@dataclass
class PropertyCurve:
    """Values for one animatable property (``data_path[index]``) of one ID, one per frame."""

    data_path: str
    index: int
    values: np.ndarray  # what the layer's F-curve holds on each frame
    rest: float = 0.0  # what it holds where there is no micro-motion (outside the range)

    def shifted(self, offset: float) -> PropertyCurve:
        return PropertyCurve(self.data_path, self.index, self.values + offset, self.rest + offset)


def shape_key_curves(
    samples: dict[str, np.ndarray],
    rigmap: RigMap,
    ranges: dict[tuple[str, str], tuple[float, float]],
) -> dict[str, list[PropertyCurve]]:
    """Per mesh: summed, range-limited values for every shape key the rig map drives.

    ``ranges`` gives each (mesh, key) its slider range; summed channels approach the range
    smoothly instead of being clipped.
    """
    sums: dict[tuple[str, str], np.ndarray] = {}
    for t in rigmap.shape_keys:
        v = samples.get(t.channel)
        if v is None:
            continue
        k = (t.mesh, t.key_block)
        sums[k] = sums.get(k, 0.0) + t.gain * v
    out: dict[str, list[PropertyCurve]] = {}
    for (mesh, key), v in sorted(sums.items()):
        lo, hi = ranges.get((mesh, key), (0.0, 1.0))
        path = f'key_blocks["{_escape(key)}"].value'
        out.setdefault(mesh, []).append(PropertyCurve(path, 0, soft_limit(v, lo, hi)))
    return out


def bone_rotvecs(
    samples: dict[str, np.ndarray], rigmap: RigMap
) -> dict[tuple[str, str], np.ndarray]:
    """Per (armature, bone): rotation vectors (n, 3) in the bone's local rest frame, radians."""
    out: dict[tuple[str, str], np.ndarray] = {}
    for b in rigmap.bones:
        v = samples.get(b.channel)
        if v is None:
            continue
        contrib = np.radians(v * b.gain)[:, None] * np.asarray(b.axis)[None, :]
        k = (b.armature, b.bone)
        out[k] = out.get(k, 0.0) + contrib
    return out


def bone_rotation_curves(
    bone: str, rotvec: np.ndarray, rotation_mode: str, static: tuple[float, ...] | None
) -> list[PropertyCurve]:
    """F-curve values for a pose bone in its own rotation mode, composed over ``static``.

    ``static`` is the bone's unkeyed pose rotation (quaternion or Euler, in its mode) when the
    user does not animate it, else None: NLA evaluation starts from identity, so an unkeyed
    pose would otherwise be lost under the layer.
    """
    q = rotvec_to_quat(rotvec)
    base = f'pose.bones["{_escape(bone)}"]'
    if rotation_mode == "QUATERNION":
        rest = np.array([1.0, 0.0, 0.0, 0.0]) if static is None else np.asarray(static, float)
        # Same order NLA COMBINE uses over user keys (layer @ user): micro-motion turns about
        # the bone's rest axes whatever the user's pose, for keyed and unkeyed bones alike.
        q = quat_mul(q, rest[None, :])
        path = f"{base}.rotation_quaternion"
        return [PropertyCurve(path, i, q[:, i], float(rest[i])) for i in range(4)]
    if rotation_mode == "AXIS_ANGLE":
        raise ValueError(f"bone {bone!r} uses axis-angle rotation, which NLA cannot combine")
    rest = np.zeros(3) if static is None else np.asarray(static, float)
    e = quat_to_euler(q, rotation_mode) + rest[None, :]
    path = f"{base}.rotation_euler"
    return [PropertyCurve(path, i, e[:, i], float(rest[i])) for i in range(3)]


def _escape(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')
