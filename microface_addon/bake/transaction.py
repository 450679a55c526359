"""All-or-nothing baking of one or more characters.

Why a transaction: a bake touches several IDs (each mesh's shape-key datablock, the armature).
Everything is computed and every action written before the first ID is changed; then layers
are swapped in, and if anything fails the IDs already changed are put back exactly as they were
(including a previous MicroFace layer that a re-bake was replacing).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import bpy
import numpy as np

from .. import compat
from ..core.performance import Performance
from ..rig.convention import datapath
from ..rig.convention.rigmap import RigError, RigMap
from . import layer as L
from .curves import (
    bone_location_curves,
    bone_offsets,
    bone_rotation_curves,
    bone_rotvecs,
    shape_key_curves,
)


@dataclass
class BakeResult:
    keys_written: int = 0
    fcurves: int = 0
    ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Transaction:
    def __init__(self) -> None:
        self._undo: list = []  # callables restoring what was changed, newest last
        self._old_actions: list[str] = []  # previous layers' actions, deleted on commit

    def write(
        self, perf: Performance, rigmap: RigMap, frame_start: int, frame_end: int, fps: float
    ) -> BakeResult:
        """Bake ``perf`` onto the character described by ``rigmap`` over the frame range."""
        frames = np.arange(frame_start, frame_end + 1, dtype=np.float64)
        if frames.size < 2:
            raise ValueError(f"frame range {frame_start}:{frame_end} needs at least two frames")
        samples = perf.at_frames(fps, frames.size)
        plans = self._plan(samples, rigmap, frames)
        prepared = []
        try:
            for kind, idb, curves, static in plans:
                prepared.append((idb, L.prepare(kind, idb, curves, frames, static)))
        except Exception:
            for _, p in prepared:
                bpy.data.actions.remove(bpy.data.actions[p.action_name])
            raise
        result = BakeResult()
        for n, (idb, prep) in enumerate(prepared):
            ad = idb.animation_data
            if ad is not None and ad.action is not None and ad.action_blend_type != "COMBINE":
                result.notes.append(
                    f"{idb.name}: active action {ad.action.name!r} switched from "
                    f"{ad.action_blend_type} to COMBINE so the layer shows under it "
                    "(restored on removal)"
                )
            try:
                self._swap(idb, prep)
            except Exception:
                for _, p in prepared[n:]:
                    act = bpy.data.actions.get(p.action_name)
                    if act is not None:
                        bpy.data.actions.remove(act)
                raise
            result.keys_written += prep.keys
            result.fcurves += prep.fcurves
            result.ids.append(f"{prep.id_kind}:{prep.id_name}")
        return result

    def _plan(self, samples, rigmap: RigMap, frames: np.ndarray):
        """(kind, ID, curves, static values) per ID, computed without touching the scene."""
        plans = []
        ranges = {}
        keys_by_mesh = {}
        for t in rigmap.shape_keys:
            ob = bpy.data.objects[t.mesh]
            kb = ob.data.shape_keys.key_blocks[t.key_block]
            lo, hi = ranges.get((t.mesh, t.key_block), (kb.slider_min, kb.slider_max))
            if t.range is not None:  # a profile's range narrows the slider's (all targets agree)
                lo, hi = max(lo, t.range[0]), min(hi, t.range[1])
            ranges[(t.mesh, t.key_block)] = (lo, hi)
            keys_by_mesh[t.mesh] = ob.data.shape_keys
        default = compat.shape_key_value_default()
        seen_keys: set[str] = set()
        for mesh, curves in shape_key_curves(samples, rigmap, ranges).items():
            key = keys_by_mesh[mesh]
            if key.name in seen_keys:  # linked duplicates share one shape-key datablock
                continue
            seen_keys.add(key.name)
            prior = (L.read_record(key) or {}).get("static", {})
            prior_action = (L.read_record(key) or {}).get("action")
            static = L.static_values(
                key, [(c.data_path, c.index) for c in curves], prior, prior_action
            )
            # COMBINE is relative to the property's RNA default at every level of the stack (also
            # under 5.0.x's wrong shape-key default of 1.0), so the layer holds micro + static
            # value where the user has no keys, and micro + default under the user's own keys.
            composed = []
            for c in curves:
                base = static[(c.data_path, c.index)]
                composed.append(c.shifted(default if base is None else base))
            kept = {f"{p}|{i}": v for (p, i), v in static.items() if v is not None}
            plans.append(("KEY", key, composed, kept))
        by_arm: dict[str, list] = {}
        for (arm, bone), rv in bone_rotvecs(samples, rigmap).items():
            by_arm.setdefault(arm, []).append((bone, rv))
        moves: dict[str, list] = {}
        for (arm, bone), off in bone_offsets(samples, rigmap).items():
            moves.setdefault(arm, []).append((bone, off))
            by_arm.setdefault(arm, [])
        for arm_name, bones in sorted(by_arm.items()):
            arm = bpy.data.objects[arm_name]
            prior = (L.read_record(arm) or {}).get("static", {})
            prior_action = (L.read_record(arm) or {}).get("action")
            curves, kept = [], {}
            for bone, rv in sorted(bones, key=lambda b: b[0]):
                pb = arm.pose.bones[bone]
                mode = pb.rotation_mode
                if mode == "AXIS_ANGLE":
                    raise RigError(
                        f"{arm_name}:{bone} uses axis-angle rotation, which NLA layers cannot "
                        "combine; switch the bone to quaternion or Euler"
                    )
                prop = "rotation_quaternion" if mode == "QUATERNION" else "rotation_euler"
                path = datapath.bone(bone, prop)
                paths = [(path, i) for i in range(4 if mode == "QUATERNION" else 3)]
                static = L.static_values(arm, paths, prior, prior_action)
                animated = tuple(static[p] is None for p in paths)
                if mode == "QUATERNION" and any(animated):
                    animated = (True,) * 4  # quaternions blend as a whole
                user = np.stack(
                    [
                        L.user_curve(arm, p, i, frames)
                        if anim
                        else np.full(frames.size, static[(p, i)])
                        for (p, i), anim in zip(paths, animated, strict=True)
                    ],
                    axis=1,
                )
                kept.update(
                    {
                        f"{p}|{i}": static[(p, i)]
                        for (p, i), a in zip(paths, animated, strict=True)
                        if not a
                    }
                )
                curves += bone_rotation_curves(bone, rv, mode, user, animated)
            for bone, off in sorted(moves.get(arm_name, []), key=lambda b: b[0]):
                path = datapath.bone(bone, "location")
                paths = [(path, i) for i in range(3)]
                static = L.static_values(arm, paths, prior, prior_action)
                kept.update({f"{p}|{i}": v for (p, i), v in static.items() if v is not None})
                curves += bone_location_curves(bone, off, [static[p] for p in paths])
            plans.append(("OBJECT", arm, curves, kept))
        return plans

    def _swap(self, idb, prep: L.PreparedLayer) -> None:
        """Replace any existing layer on ``idb`` by ``prep``, registering how to undo it."""
        kind, name = prep.id_kind, prep.id_name
        old = L.read_record(idb)
        old_start = L.layer_frame_start(idb, old) if old else 0
        if old is not None:
            L.detach(idb, restore_user=False)
            self._old_actions.append(old["action"])
        try:
            L.attach(idb, prep, old)
        except Exception:
            if old is not None:
                L.reattach(idb, old, old_start)
                self._old_actions.remove(old["action"])
            raise

        def undo(kind=kind, name=name, old=old, old_start=old_start, new_action=prep.action_name):
            target = L.resolve_id(kind, name)
            if target is None:
                return
            L.detach(target, restore_user=old is None)
            act = bpy.data.actions.get(new_action)
            if act is not None:
                bpy.data.actions.remove(act)
            if old is not None:
                L.reattach(target, old, old_start)

        self._undo.append(undo)

    def rollback(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()
        self._old_actions.clear()

    def commit(self) -> None:
        for name in self._old_actions:
            act = bpy.data.actions.get(name)
            if act is not None and act.users == 0:
                bpy.data.actions.remove(act)
        self._undo.clear()
        self._old_actions.clear()


@contextlib.contextmanager
def transaction():
    """``with transaction() as tx: tx.write(...)`` — all writes land, or none do."""
    tx = Transaction()
    try:
        yield tx
    except BaseException:
        tx.rollback()
        raise
    else:
        tx.commit()


def remove(members) -> list[str]:
    """Remove the MicroFace layer from every ID of a character; returns what was cleaned."""
    removed = []
    for kind, idb in L.character_ids(members):
        record = L.detach(idb, restore_user=True)
        if record is None:
            continue
        act = bpy.data.actions.get(record.get("action", ""))
        if act is not None and act.users == 0:
            bpy.data.actions.remove(act)
        removed.append(f"{kind}:{idb.name}")
    return removed


def has_layer(members) -> bool:
    """Does any ID of the character carry a MicroFace layer?"""
    return any(L.read_record(idb) is not None for _, idb in L.character_ids(members))
