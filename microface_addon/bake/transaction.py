"""All-or-nothing baking of one or more characters.

Why a transaction: a bake touches several IDs (each mesh's shape-key datablock, the armature).
Everything is computed and every action written before the first ID is changed; then layers
are swapped in, and if anything fails the IDs already changed are put back exactly as they were
(including a previous MicroFace layer that a re-bake was replacing, and a library override of a
linked mesh made so that its shape keys could carry the layer — ``overrides.py``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import bpy
import numpy as np

from ..core.performance import Performance
from ..rig.convention.rigmap import RigMap
from . import layer as L
from . import overrides
from .curves import edge_frames, with_edges
from .plan import plan


@dataclass
class BakeResult:
    keys_written: int = 0
    fcurves: int = 0
    ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # "KIND:name" → where that layer is saved ("shot file", "shot file, as a library override
    # of //lib.blend", …): the report says per character what was written where.
    saved_in: dict[str, str] = field(default_factory=dict)


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
        result = BakeResult()
        made = self.make_shape_keys_savable(rigmap, result)
        # The range and a second each side, where the layer eases in from and out to rest.
        keyed, samples = with_edges(frames, perf.at_frames(fps, frames.size), edge_frames(fps))
        prepared = []
        try:
            for p in plan(samples, rigmap, keyed):
                prep = L.prepare(p.kind, p.idb, p.curves, keyed, p.static)
                if p.kind == "KEY" and p.idb.user is not None and p.idb.user.name in made:
                    m = made[p.idb.user.name]
                    prep.made_override = (m.object_name, m.mesh_name)
                prepared.append((p.idb, prep))
        except Exception:
            for _, p in prepared:
                bpy.data.actions.remove(L.local_action(p.action_name))
            raise
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
                    act = L.local_action(p.action_name)
                    if act is not None:
                        bpy.data.actions.remove(act)
                raise
            result.keys_written += prep.keys
            result.fcurves += prep.fcurves
            result.ids.append(f"{prep.id_kind}:{prep.id_name}")
            result.saved_in[f"{prep.id_kind}:{prep.id_name}"] = overrides.saved_where(idb)
        return result

    def make_shape_keys_savable(self, rigmap: RigMap, result: BakeResult) -> dict:
        """Give every overridden mesh object the rig map drives whose mesh is still linked an
        override of that mesh (``overrides.editable_shape_keys``), undone if the bake fails;
        mesh override name → what was made."""
        made = {}
        for name in sorted({t.mesh for t in rigmap.shape_keys}):
            ob = L.resolve_id("OBJECT", name)
            m = overrides.editable_shape_keys(ob) if ob is not None else None
            if m is None:
                continue
            made[m.mesh_name] = m
            self._undo.append(lambda m=m: overrides.undo_override(m, force=True))
            result.notes.append(
                f"{m.object_name}: its mesh is linked from a library; made it a library override "
                f"({m.mesh_name!r}) so its shape keys keep the layer in the shot file "
                "(Remove puts the linked mesh back)"
            )
        return made

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
            act = L.local_action(new_action)
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
            act = L.local_action(name)
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
        name = idb.name
        record = L.detach(idb, restore_user=True)
        if record is None:
            continue
        act = L.local_action(record.get("action", ""))
        if act is not None and act.users == 0:
            bpy.data.actions.remove(act)
        removed.append(f"{kind}:{name}")
        made = record.get("made_override")
        if made and overrides.undo_override(overrides.MadeOverride(*made)):
            removed.append(f"MESH:{made[1]} (the override made for the layer; linked mesh back)")
    return removed


def has_layer(members) -> bool:
    """Does any ID of the character carry a MicroFace layer?"""
    return any(L.read_record(idb) is not None for _, idb in L.character_ids(members))
