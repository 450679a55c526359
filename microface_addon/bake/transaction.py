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

from ..core.performance import Performance
from ..rig.convention.rigmap import RigMap
from . import layer as L
from .curves import EDGE_BLEND_S
from .plan import plan


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
        blend = max(int(round(EDGE_BLEND_S * fps)), 1)
        prepared = []
        try:
            for p in plan(samples, rigmap, frames):
                args = (p.kind, p.idb, p.curves, frames, p.static, blend)
                prepared.append((p.idb, L.prepare(*args)))
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
