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

from .. import compat
from ..core.performance import Performance
from ..core.solver import registry
from ..rig.convention.rigmap import RigMap
from ..rig.scene.character import IDENTITY_PROP
from . import layer as L
from . import overrides
from .curves import edge_frames, with_edges
from .plan import plan
from .strips import BASE, Keying, layer_strips


@dataclass
class BakeResult:
    keys_written: int = 0
    fcurves: int = 0
    ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # "KIND:name" → where that layer is saved ("shot file", "shot file, as a library override
    # of //lib.blend", …): the report says per character what was written where.
    saved_in: dict[str, str] = field(default_factory=dict)
    # "KIND:name" of the IDs this character shares with one baked before it in the same
    # transaction (linked duplicates' shape-key datablock): written once, by that character.
    shared: list[str] = field(default_factory=list)
    strips: list[str] = field(default_factory=list)  # track names, bottom first (first ID's)
    every_frame: bool = False


def _labels() -> dict[str, str]:
    """Track label of each strip: the solver layer's panel label, "Base" for the base pose."""
    out = {layer.name: layer.label for layer in registry.layers()}
    out[BASE] = "Base"
    out[""] = "Motion"  # a hand-made Performance without layer records
    return out


def _default_of(kind: str):
    """The value COMBINE is relative to for the properties of an ID of ``kind``."""
    key_default = compat.shape_key_value_default()
    return lambda _curve: key_default if kind == "KEY" else 0.0


def _take_curves(p) -> list:
    """An ID plan's curves, handed over: ``layer_strips`` frees each property's rows as it goes,
    which it can only do when nothing else holds them."""
    curves, p.curves = p.curves, None
    return curves


class Transaction:
    def __init__(self) -> None:
        self._undo: list = []  # callables restoring what was changed, newest last
        # Each ID written in this transaction (by its address) → the character that wrote it.
        self._writers: dict[int, str] = {}
        self._old_actions: list[str] = []  # previous layers' actions, deleted on commit

    def write(
        self,
        perf: Performance,
        rigmap: RigMap,
        frame_start: int,
        frame_end: int,
        fps: float,
        keying: Keying | None = None,
        release: bool = False,
    ) -> BakeResult:
        """Bake ``perf`` onto the character described by ``rigmap`` over the frame range:
        sparse keys on one strip per solver layer (default), or ``Keying(every_frame=True)``'s
        linear key on every frame in one strip.  ``release``: ``perf`` is not used after this
        call, so its internal-grid samples may be freed once sampled (a long shot's memory)."""
        keying = keying or Keying()
        keying.check()
        frames = np.arange(frame_start, frame_end + 1, dtype=np.float64)
        if frames.size < 2:
            raise ValueError(f"frame range {frame_start}:{frame_end} needs at least two frames")
        result = BakeResult(every_frame=keying.every_frame)
        made = self.make_shape_keys_savable(rigmap, result)
        prepared = self._prepare(perf, rigmap, frames, fps, keying, result, release)
        for idb, prep in prepared:
            if prep.id_kind == "KEY" and idb.user is not None and idb.user.name in made:
                m = made[idb.user.name]
                prep.made_override = (m.object_name, m.mesh_name)
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
                    p.discard()
                raise
            result.keys_written += prep.keys
            result.fcurves += prep.fcurves
            result.ids.append(f"{prep.id_kind}:{prep.id_name}")
            result.saved_in[f"{prep.id_kind}:{prep.id_name}"] = overrides.saved_where(idb)
            for st in prep.strips:
                if st.track not in result.strips:
                    result.strips.append(st.track)
        self._stamp(rigmap)
        return result

    def _first_writer(self, plans: list, rigmap: RigMap, result: BakeResult) -> list:
        """The plans of IDs no other character of this transaction has written.

        Why: linked duplicates (Alt+D) of a character share one mesh and so one shape-key
        datablock; every duplicate plans a layer for it, but the datablock can hold only one,
        and each later one would replace the one before (written, then thrown away, and counted
        in the report as keys the file does not hold).  The first character bakes it; the others
        show that motion through the shared mesh, and their report says so."""
        kept = []
        for p in plans:
            writer = self._writers.setdefault(p.idb.as_pointer(), rigmap.character)
            if writer == rigmap.character:
                kept.append(p)
                continue
            result.shared.append(f"{p.kind}:{p.idb.name}")
            result.notes.append(
                f"{p.idb.name}: shared with {writer} (a linked duplicate's data): baked once, "
                f"by {writer}; {rigmap.character} shows that motion there"
            )
        return kept

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

    def _stamp(self, rigmap: RigMap) -> None:
        """Store the character's identity on its first member, so a rename keeps its motion
        (``rig.scene.character.character_id``); undone with the rest."""
        owner = L.resolve_id("OBJECT", rigmap.objects[0]) if rigmap.objects else None
        if owner is None:
            return
        name, before = owner.name, owner.get(IDENTITY_PROP)
        owner[IDENTITY_PROP] = rigmap.character

        def undo(name=name, before=before):
            ob = L.resolve_id("OBJECT", name)
            if ob is None:
                return
            if before is None:
                ob.pop(IDENTITY_PROP, None)
            else:
                ob[IDENTITY_PROP] = before

        self._undo.append(undo)

    def _prepare(self, perf, rigmap, frames, fps, keying: Keying, result, release) -> list:
        """Every ID's actions, written but not attached (all deleted again on a failure); IDs
        another character of this transaction wrote are left out (``_first_writer``).

        Keyed: the range and a second each side, where the layer eases in from and out to rest
        (``curves.with_edges``); the blend is keyed like the range, every frame or sparse.

        Memory: with ``release`` the performance's internal-grid arrays are freed as soon as
        they are sampled to frames, and each ID's layer rows as soon as its strips are fitted
        (an hour at 60 fps: the grids are ~600 MB, the rows of all IDs ~550 MB)."""
        n_edge = edge_frames(fps)
        prepared = []
        try:
            if keying.every_frame:
                keyed, samples = with_edges(frames, perf.at_frames(fps, frames.size), n_edge)
                if release:
                    perf.drop_samples()
                for p in self._first_writer(plan(samples, rigmap, keyed), rigmap, result):
                    prepared.append((p.idb, L.prepare(p.kind, p.idb, p.curves, keyed, p.static)))
            else:
                layers, stacked = perf.layer_frames(fps, frames.size)
                if release:
                    perf.drop_samples()
                keyed, stacked = with_edges(frames, stacked, n_edge)
                labels = _labels()
                plans = self._first_writer(plan(stacked, rigmap, keyed), rigmap, result)
                del stacked
                while plans:
                    p = plans.pop(0)
                    strips = layer_strips(
                        _take_curves(p), layers, keyed, keying, _default_of(p.kind)
                    )
                    prep = L.prepare_strips(p.kind, p.idb, strips, labels, p.static)
                    del strips
                    prepared.append((p.idb, prep))
        except Exception:
            for _, p in prepared:
                p.discard()
            raise
        return prepared

    def _swap(self, idb, prep: L.PreparedLayer) -> None:
        """Replace any existing layer on ``idb`` by ``prep``, registering how to undo it."""
        kind, name = prep.id_kind, prep.id_name
        old = L.read_record(idb)
        old_starts = L.strip_starts(idb, old) if old else {}
        old_actions = sorted(L.record_actions(old))
        if old is not None:
            L.detach(idb, restore_user=False)
            self._old_actions += old_actions
        try:
            L.attach(idb, prep, old)
        except Exception:
            if old is not None:
                L.reattach(idb, old, old_starts)
                for a in old_actions:
                    self._old_actions.remove(a)
            raise

        def undo(kind=kind, name=name, old=old, starts=old_starts, new=prep.action_names):
            target = L.resolve_id(kind, name)
            if target is None:
                return
            L.detach(target, restore_user=old is None)
            for action_name in new:
                act = L.local_action(action_name)
                if act is not None:
                    bpy.data.actions.remove(act)
            if old is not None:
                L.reattach(target, old, starts)

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
    """Remove the MicroFace layer from every ID of a character; returns what was cleaned.

    The identity the bake stamped on the character goes too: without a layer the character is
    again what it was before its first bake."""
    removed = []
    for kind, idb in L.character_ids(members):
        name = idb.name
        record = L.detach(idb, restore_user=True)
        if record is None:
            continue
        for action_name in L.record_actions(record):
            act = L.local_action(action_name)
            if act is not None and act.users == 0:
                bpy.data.actions.remove(act)
        removed.append(f"{kind}:{name}")
        made = record.get("made_override")
        if made and overrides.undo_override(overrides.MadeOverride(*made)):
            removed.append(f"MESH:{made[1]} (the override made for the layer; linked mesh back)")
    if removed and members and IDENTITY_PROP in members[0].keys():
        del members[0][IDENTITY_PROP]
    return removed


def has_layer(members) -> bool:
    """Does any ID of the character carry a MicroFace layer?"""
    return any(L.read_record(idb) is not None for _, idb in L.character_ids(members))
