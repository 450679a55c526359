"""What each ID's layer will hold: the per-frame curves, composed over the user's own pose.

Why a step of its own, before anything is written: ``curves.py`` turns channels into property
values (pure numpy); this step reads the scene once — slider ranges, rotation modes, which
properties the user animates, the static values NLA would otherwise lose — and decides every
key value, so the transaction can write all actions before it touches a single ID.

- Shape keys (one plan per shape-key datablock): COMBINE is relative to the property's RNA
  default at every level of the stack (also under 5.0.x's wrong shape-key default of 1.0), so
  the layer holds micro + static value where the user has no keys, and micro + default under
  the user's own keys.
- Armatures (one plan per armature object): rotations in each bone's own mode, composed
  ``micro @ user`` (quaternions blend as a whole; Euler bones are composed per frame against the
  user's own curves); locations add, carrying the unkeyed pose.  Axis-angle bones are refused.
- Objects turned as a whole (Face Cap's head and eye empties): their own rotation, by exactly
  the rules of a bone's (one plan per object, beside the armatures).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import compat
from ..rig.convention import datapath
from ..rig.convention.rigmap import RigError, RigMap
from . import layer as L
from .curves import (
    PropertyCurve,
    bone_location_curves,
    bone_offsets,
    bone_rotvecs,
    object_rotvecs,
    rotation_curves,
    shape_key_curves,
)


@dataclass
class IdPlan:
    """The layer of one ID: ``kind`` 'KEY' or 'OBJECT', its curves, and the static values the
    record keeps (record key → value) so removal can put them back."""

    kind: str
    idb: object
    curves: list[PropertyCurve] = field(default_factory=list)
    static: dict[str, float] = field(default_factory=dict)


def plan(samples: dict[str, np.ndarray], rigmap: RigMap, frames: np.ndarray) -> list[IdPlan]:
    """Every ID's plan (shape-key datablocks, then armatures by name); touches nothing."""
    return plan_shape_keys(samples, rigmap) + plan_armatures(samples, rigmap, frames)


def _slider_ranges(rigmap: RigMap):
    """(mesh, key) → (min, max) each key is kept inside, and mesh → its shape-key datablock."""
    ranges: dict[tuple[str, str], tuple[float, float]] = {}
    datablocks = {}
    for t in rigmap.shape_keys:
        key = L.resolve_id("OBJECT", t.mesh).data.shape_keys
        kb = key.key_blocks[t.key_block]
        lo, hi = ranges.get((t.mesh, t.key_block), (kb.slider_min, kb.slider_max))
        if t.range is not None:  # a profile's range narrows the slider's (all targets agree)
            lo, hi = max(lo, t.range[0]), min(hi, t.range[1])
        ranges[(t.mesh, t.key_block)] = (lo, hi)
        datablocks[t.mesh] = key
    return ranges, datablocks


def plan_shape_keys(samples: dict[str, np.ndarray], rigmap: RigMap) -> list[IdPlan]:
    """One plan per shape-key datablock the rig map drives (linked duplicates share one)."""
    ranges, datablocks = _slider_ranges(rigmap)
    default = compat.shape_key_value_default()
    plans, seen = [], set()
    for mesh, curves in shape_key_curves(samples, rigmap, ranges).items():
        key = datablocks[mesh]
        if key.name in seen:
            continue
        seen.add(key.name)
        static = L.static_values(key, [(c.data_path, c.index) for c in curves])
        composed = []
        for c in curves:
            base = static[(c.data_path, c.index)]
            composed.append(c.shifted(default if base is None else base))
        plans.append(IdPlan("KEY", key, composed, L.kept_static(static)))
    return plans


def _by_armature(per_bone: dict[tuple[str, str], np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {}
    for (arm, bone), values in per_bone.items():
        out.setdefault(arm, {})[bone] = values
    return out


def plan_armatures(
    samples: dict[str, np.ndarray], rigmap: RigMap, frames: np.ndarray
) -> list[IdPlan]:
    """One plan per armature (rotation curves, then location curves, bones by name) and per
    object turned as a whole (its own rotation first)."""
    rotations = _by_armature(bone_rotvecs(samples, rigmap))
    moves = _by_armature(bone_offsets(samples, rigmap))
    turns = object_rotvecs(samples, rigmap)
    plans = []
    for name in sorted(rotations.keys() | moves.keys() | turns.keys()):
        p = IdPlan("OBJECT", L.resolve_id("OBJECT", name))
        if name in turns:
            _add_rotation(p, p.idb, name, lambda prop: prop, turns[name], frames)
        for bone, rotvec in sorted(rotations.get(name, {}).items()):
            pb = p.idb.pose.bones[bone]
            _add_rotation(p, pb, f"{name}:{bone}", _bone_path(bone), rotvec, frames)
        for bone, offset in sorted(moves.get(name, {}).items()):
            _add_location(p, bone, offset)
        plans.append(p)
    return plans


def _bone_path(bone: str):
    return lambda prop: datapath.bone(bone, prop)


def _add_rotation(
    p: IdPlan, owner, what: str, path_of, rotvec: np.ndarray, frames: np.ndarray
) -> None:
    """Rotation curves of ``owner`` (a pose bone of ``p``'s armature, or ``p``'s object itself) in
    its own mode; ``what`` names it in errors."""
    idb = p.idb
    mode = owner.rotation_mode
    if mode == "AXIS_ANGLE":
        raise RigError(
            f"{what} uses axis-angle rotation, which NLA layers cannot "
            "combine; switch it to quaternion or Euler"
        )
    quaternion = mode == "QUATERNION"
    path = path_of("rotation_quaternion" if quaternion else "rotation_euler")
    static = L.static_values(idb, [(path, i) for i in range(4 if quaternion else 3)])
    if quaternion and None in static.values():
        static = dict.fromkeys(static)  # quaternions blend as a whole: all animated
    animated = tuple(v is None for v in static.values())
    user = np.stack(
        [
            L.user_curve(idb, path, i, frames) if v is None else np.full(frames.size, v)
            for (_, i), v in static.items()
        ],
        axis=1,
    )
    p.static.update(L.kept_static(static))
    p.curves += rotation_curves(path_of, rotvec, mode, user, animated)


def _add_location(p: IdPlan, bone: str, offset: np.ndarray) -> None:
    path = datapath.bone(bone, "location")
    static = L.static_values(p.idb, [(path, i) for i in range(3)])
    p.static.update(L.kept_static(static))
    p.curves += bone_location_curves(bone, offset, list(static.values()))
