"""The MicroFace NLA layer on one ID: attach it, find it, take it off and restore what it changed.

Why this design (verified in ``docs/bake.md`` and the tests on 4.2, 5.0 and 5.2):
- The keys live in their own actions on NLA tracks whose names start with ``MicroFace`` (one per
  solver layer and a base track, ``strips.py``; or one ``MicroFace`` track holding every frame
  for the dense bake), blended COMBINE, so the user's action and keys are never modified and
  the layer is removable.
- Blender evaluates the *active* action after the NLA stack; a REPLACE action would hide the
  layer on every channel the user keyed.  So the layer switches the user's action to COMBINE,
  which is relative to each property's default and therefore leaves the user's own result
  unchanged, and records the original blend type to restore on removal.
- NLA evaluation starts from the RNA default, not from the property's current value, so an
  unkeyed slider the user set by hand (or a hand-posed bone) would be lost under any layer.  The
  layer's keys therefore carry that static value (and, on Blender 5.0.x, compensate the wrong
  shape-key default), and removal writes the static value back.
- What the layer changed is stored as an ID property on the ID, so it survives save, reload and
  undo, and removal works in a later session.  A library-override ID does not save custom
  properties added to it, so the record is also kept on the layer's own (local) action and read
  from there when the ID has none.  A record is checked when read (a damaged one, e.g. holding
  NaN, is refused with the ID's name, never baked).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import bpy
import numpy as np

from .. import compat
from ..core.jsondoc import PresetError, parse_json
from ..core.limits import InputError
from ..rig.convention import datapath
from .keys import write_fcurve, write_keyed
from .strips import StripPlan

LAYER_NAME = "MicroFace"
RECORD_PROP = "microface_layer"
# 1: one dense track ("action"); 2: a list of strips ("strips"), dense or one per solver layer.
RECORD_VERSION = 2


@dataclass
class PreparedStrip:
    """One written action and the NLA track/strip it will sit in (not attached yet)."""

    layer: str  # solver layer name, ``strips.BASE``, or "" for the dense bake's single strip
    track: str  # track and strip name: LAYER_NAME, or "MicroFace <Layer label>"
    action_name: str
    slot_identifier: str | None
    frame_start: int


@dataclass
class PreparedLayer:
    """Fully written actions for one ID, bottom track first, not yet attached to anything."""

    id_kind: str  # "KEY" (shape-key datablock) or "OBJECT"
    id_name: str
    strips: list[PreparedStrip]
    fcurves: int
    keys: int
    static: dict[str, float] = field(default_factory=dict)  # "path|index" → value before bake
    # (object, mesh) when the bake made a library override of the object's linked mesh so its
    # shape keys could keep the layer (``overrides.py``); Remove puts the linked mesh back.
    made_override: tuple[str, str] | None = None

    @property
    def action_names(self) -> list[str]:
        return [s.action_name for s in self.strips]

    def discard(self) -> None:
        """Delete the actions (a bake that failed before attaching them)."""
        for name in self.action_names:
            act = local_action(name)
            if act is not None:
                bpy.data.actions.remove(act)


class RecordError(InputError):
    """A MicroFace record stored in the file is damaged (hand-edited, or written by a broken
    tool): it is refused rather than trusted, naming the ID."""


def resolve_id(kind: str, name: str):
    """The local (or library-override) ID of that kind and name; never a linked one, which can
    share the name of its override."""
    coll = bpy.data.shape_keys if kind == "KEY" else bpy.data.objects
    return coll.get((name, None))


def local_action(name: str):
    return bpy.data.actions.get((name, None))


def _record_on_layer_action(idb) -> str | None:
    """The record a library-override ID keeps on its layer's action (its own is not saved)."""
    ad = idb.animation_data
    if ad is None:
        return None
    for track in ad.nla_tracks:
        if track.name.startswith(LAYER_NAME):
            for strip in track.strips:
                if strip.action is not None and RECORD_PROP in strip.action.keys():
                    return strip.action[RECORD_PROP]
    return None


def read_record(idb) -> dict | None:
    """The record of the layer on ``idb``, checked (``RecordError`` when damaged), or None."""
    raw = idb.get(RECORD_PROP)
    if raw is None:
        raw = _record_on_layer_action(idb)
    if not raw:
        return None
    return checked_record(raw, f"{type(idb).__name__} {idb.name!r}")


_BLEND_TYPES = ("REPLACE", "COMBINE", "ADD", "SUBTRACT", "MULTIPLY")


def _record_problems(record) -> list[str]:
    if not isinstance(record, dict):
        return ["it is not a JSON object"]
    out = []
    if "strips" in record:
        strips = record["strips"]
        if not isinstance(strips, list) or not strips:
            out.append("'strips' is not a list of strips")
        else:
            for i, st in enumerate(strips):
                if not isinstance(st, dict) or not all(
                    isinstance(st.get(k), str) for k in ("layer", "track", "action")
                ):
                    out.append(f"strip {i} is not {{layer, track, action}}")
                elif not st["action"] or not st["track"].startswith(LAYER_NAME):
                    out.append(f"strip {i} names no MicroFace action and track")
                elif not isinstance(st.get("frame_start"), (int, type(None))) or isinstance(
                    st.get("frame_start"), bool
                ):
                    out.append(f"strip {i}'s 'frame_start' is not a frame")
    elif not isinstance(record.get("action"), str) or not record.get("action"):
        out.append("'action' is not a name")
    if record.get("blend_type") not in (None, *_BLEND_TYPES):
        out.append(f"'blend_type' {record.get('blend_type')!r} is not a blend type")
    if not isinstance(record.get("created_animation_data", False), bool):
        out.append("'created_animation_data' is not true/false")
    static = record.get("static", {})
    if not isinstance(static, dict):
        return [*out, "'static' is not an object"]
    for key, value in static.items():
        path, sep, index = key.rpartition("|")
        if not sep or not path or not index.isdigit():
            out.append(f"'static' key {key!r} is not 'data_path|index'")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(f"'static' {key!r} is not a number")
    made = record.get("made_override")
    if made is not None and not (
        isinstance(made, list) and len(made) == 2 and all(isinstance(m, str) for m in made)
    ):
        out.append("'made_override' is not [object, mesh]")
    return out


def checked_record(raw, owner: str) -> dict:
    """Parse and check a stored record; ``RecordError`` naming ``owner`` when it is damaged."""
    fix = (
        f"remove the {LAYER_NAME!r} NLA track and the custom property {RECORD_PROP!r} of "
        f"{owner}, then bake again"
    )
    if not isinstance(raw, str):
        raise RecordError(f"{owner}: its MicroFace record is not text; {fix}")
    try:
        record = parse_json(raw, f"{owner}[{RECORD_PROP!r}]")
    except PresetError as exc:
        raise RecordError(f"{owner}: damaged MicroFace record: {exc.problems[0]}; {fix}") from None
    problems = _record_problems(record)
    if problems:
        raise RecordError(f"{owner}: damaged MicroFace record ({'; '.join(problems)}); {fix}")
    return record


def record_strips(record: dict) -> list[dict]:
    """The strips a record lists (``layer``, ``track``, ``action``, ``frame_start``), bottom
    first.  A version-1 record (one dense track) lists its single action."""
    if "strips" in record:
        return list(record["strips"])
    return [{"layer": "", "track": LAYER_NAME, "action": record["action"], "frame_start": None}]


def record_actions(record: dict | None) -> set[str]:
    """The action names of a record's strips (none without a record)."""
    return {s["action"] for s in record_strips(record)} if record else set()


def _write_record(idb, record: dict | None) -> None:
    if record is None:
        if RECORD_PROP in idb.keys():
            del idb[RECORD_PROP]
        return
    text = json.dumps(record, sort_keys=True)
    idb[RECORD_PROP] = text
    for name in record_actions(record):
        action = local_action(name)
        if action is not None:  # the copy a library-override ID is read back from
            action[RECORD_PROP] = text


def user_animated_paths(idb, exclude_actions=frozenset()) -> set[tuple[str, int]]:
    """(data_path, index) pairs the user animates on this ID: active action, NLA strips, drivers
    (MicroFace's own actions, ``exclude_actions``, left out).

    Muted tracks and strips animate nothing (glTF imports every clip as a muted track: Face
    Cap's empties hold their pose), so what they would animate is static and must be carried.
    """
    ad = idb.animation_data
    if ad is None:
        return set()
    actions = []
    if ad.action is not None:
        actions.append(ad.action)
    for tr in ad.nla_tracks:
        if tr.mute:
            continue
        for st in tr.strips:
            if st.action is not None and st.action.name not in exclude_actions and not st.mute:
                actions.append(st.action)
    paths = {(fc.data_path, fc.array_index) for a in actions for fc in compat.iter_fcurves(a)}
    paths |= {(d.data_path, d.array_index) for d in ad.drivers}
    return paths


def _owner(idb, data_path: str):
    """(the struct holding the property, the property's name) for a path on ``idb``."""
    owner_path, prop = datapath.split(data_path)
    return (idb.path_resolve(owner_path) if owner_path else idb), prop


def _get_value(idb, data_path: str, index: int) -> float:
    owner, prop = _owner(idb, data_path)
    val = getattr(owner, prop)
    try:
        return float(val[index])
    except TypeError:
        return float(val)


def user_curve(idb, data_path: str, index: int, frames: np.ndarray) -> np.ndarray:
    """The user's own value of an animated property on each frame (their active action's curve).

    Used where the layer must know the user's pose to compose with it exactly (Euler bones).  If
    the animation comes from the user's NLA strips or drivers instead, the current value stands
    in for every frame.
    """
    ad = idb.animation_data
    if ad is not None and ad.action is not None:
        for fc in compat.iter_fcurves(ad.action):
            if fc.data_path == data_path and fc.array_index == index:
                return np.array([fc.evaluate(float(f)) for f in frames])
    return np.full(frames.size, _get_value(idb, data_path, index))


def _set_value(idb, data_path: str, index: int, value: float) -> None:
    owner, prop = _owner(idb, data_path)
    cur = getattr(owner, prop)
    try:
        cur[index] = value
    except TypeError:
        setattr(owner, prop, value)


def record_key(data_path: str, index: int) -> str:
    """How the record names one property component: ``data_path|index``."""
    return f"{data_path}|{index}"


def _parse_record_key(key: str) -> tuple[str, int]:
    path, _, index = key.rpartition("|")
    return path, int(index)


def static_values(idb, paths) -> dict[tuple[str, int], float | None]:
    """Static (unkeyed) value under each (data_path, index), or None where the user animates it.

    NLA evaluation starts from the default, so the layer must carry these values or they are
    lost.  Values a previous MicroFace layer recorded (and its own action, which is not the
    user's animation) win over current ones, which that layer contaminated with its own
    evaluation.
    """
    record = read_record(idb) or {}
    prior = record.get("static", {})
    animated = user_animated_paths(idb, record_actions(record))
    out = {}
    for path, index in paths:
        key = record_key(path, index)
        if (path, index) in animated:
            out[(path, index)] = None
        else:
            out[(path, index)] = prior[key] if key in prior else _get_value(idb, path, index)
    return out


def kept_static(static: dict[tuple[str, int], float | None]) -> dict[str, float]:
    """The entries of ``static_values`` the record keeps (the unanimated ones), by record key."""
    return {record_key(p, i): v for (p, i), v in static.items() if v is not None}


def prepare(kind: str, idb, curves, frames: np.ndarray, static: dict[str, float]) -> PreparedLayer:
    """The dense bake: one new action holding ``curves`` on every frame; attaches nothing.

    One padding key each side of the range holds the curve's ``rest`` value, so outside the
    range (HOLD extrapolation) the layer adds no motion, only the preserved static values.
    """
    action, slot = compat.new_action(f"{LAYER_NAME}|{idb.name}", kind)
    try:
        fcurves = compat.fcurve_collection(action, slot)
        padded = np.concatenate(([frames[0] - 1], frames, [frames[-1] + 1])).astype(np.float64)
        keys = 0
        for c in curves:
            vals = np.concatenate(([c.rest], c.values, [c.rest]))
            write_fcurve(fcurves, c.data_path, c.index, padded, vals)
            keys += vals.size
        strip = PreparedStrip(
            "", LAYER_NAME, action.name, slot.identifier if slot else None, int(padded[0])
        )
        return PreparedLayer(kind, idb.name, [strip], len(curves), keys, dict(static))
    except Exception:
        bpy.data.actions.remove(action)
        raise


def prepare_strips(
    kind: str, idb, strips: list[StripPlan], labels: dict[str, str], static: dict[str, float]
) -> PreparedLayer:
    """The sparse bake: one new action per strip (a solver layer's keys, then the base pose),
    each F-curve in a group named after its layer; attaches nothing."""
    prepared = PreparedLayer(kind, idb.name, [], 0, 0, dict(static))
    try:
        for plan in strips:
            label = labels.get(plan.layer, plan.layer.replace("_", " ").title())
            action, slot = compat.new_action(f"{LAYER_NAME}|{idb.name}|{plan.layer}", kind)
            start = int(min(c.frames[0] for c in plan.curves))
            prepared.strips.append(
                PreparedStrip(
                    plan.layer,
                    f"{LAYER_NAME} {label}",
                    action.name,
                    slot.identifier if slot else None,
                    start,
                )
            )
            fcurves = compat.fcurve_collection(action, slot)
            group = compat.fcurve_groups(action, slot).new(label)
            for c in plan.curves:
                write_keyed(fcurves, c, group)
            prepared.fcurves += len(plan.curves)
            prepared.keys += plan.keys
        return prepared
    except Exception:
        prepared.discard()
        raise


def _slot(action, identifier: str | None):
    if identifier is None or not compat.SLOTTED_ACTIONS:
        return None
    for s in action.slots:
        if s.identifier == identifier:
            return s
    return None


def find_tracks(idb, actions=None) -> list:
    """MicroFace's tracks on ``idb`` (name starting with ``MicroFace``), bottom first; with
    ``actions``, only those whose strip plays one of them."""
    ad = idb.animation_data
    if ad is None:
        return []
    return [
        t
        for t in ad.nla_tracks
        if t.name.startswith(LAYER_NAME)
        and any(
            s.action is not None and (actions is None or s.action.name in actions) for s in t.strips
        )
    ]


def character_ids(members) -> list[tuple[str, object]]:
    """(kind, ID) of every ID a character's layers live on: each object (kind ``OBJECT``) and
    each mesh's shape-key datablock (kind ``KEY``)."""
    ids = []
    for ob in members:
        ids.append(("OBJECT", ob))
        if ob.type == "MESH" and ob.data.shape_keys is not None:
            ids.append(("KEY", ob.data.shape_keys))
    return ids


@contextmanager
def muted(members) -> Iterator[None]:
    """Evaluate the scene without MicroFace's layer on these characters: their MicroFace tracks
    are muted inside the ``with`` block and unmuted after (tracks the user muted stay muted).

    Used to measure the user's own animation (the look-at's head frame) rather than a previous
    bake's result.
    """
    changed = []
    for _, idb in character_ids(members):
        for track in find_tracks(idb):
            if not track.mute:
                track.mute = True
                changed.append(track)
    try:
        yield
    finally:
        for track in changed:
            track.mute = False


def _add_strip(ad, name: str, action, frame_start: int, slot) -> None:
    """One MicroFace track on top of the stack: one COMBINE strip held outside its range."""
    track = ad.nla_tracks.new()
    track.name = name
    strip = track.strips.new(name, frame_start, action)
    strip.blend_type = "COMBINE"
    strip.extrapolation = "HOLD"
    compat.set_strip_slot(strip, slot)


def attach(idb, prep: PreparedLayer, record: dict | None) -> dict:
    """Put prepared actions on ``idb`` as the top NLA tracks; returns the record stored on the ID.

    ``record`` is the previous layer's record when re-baking (its original user settings are
    kept, since the previous layer already changed them).
    """
    created = idb.animation_data is None
    ad = idb.animation_data or idb.animation_data_create()
    if ad.use_tweak_mode:
        raise RuntimeError(f"{idb.name}: NLA is in tweak mode; exit tweak mode before layering")
    if record is None:
        record = {
            "created_animation_data": created,
            "blend_type": ad.action_blend_type if ad.action is not None else None,
        }
    if ad.action is not None and ad.action_blend_type != "COMBINE":
        ad.action_blend_type = "COMBINE"
    for st in prep.strips:
        action = local_action(st.action_name)
        _add_strip(ad, st.track, action, st.frame_start, _slot(action, st.slot_identifier))
    record = {k: v for k, v in record.items() if k not in ("action", "strips")}
    record["version"] = RECORD_VERSION
    record["strips"] = [
        {"layer": s.layer, "track": s.track, "action": s.action_name, "frame_start": s.frame_start}
        for s in prep.strips
    ]
    record["static"] = {**record.get("static", {}), **prep.static}
    if prep.made_override is not None:
        record["made_override"] = list(prep.made_override)
    _write_record(idb, record)
    return record


def write_static(idb, record: dict) -> None:
    """Write back the static (unkeyed) values the record kept: the pose without MicroFace."""
    for key, value in record.get("static", {}).items():
        _set_value(idb, *_parse_record_key(key), value)


def detach(idb, restore_user: bool = True) -> dict | None:
    """Take the MicroFace layer off ``idb``; with ``restore_user``, undo what it changed.

    Returns the record that was on the ID (None when there was no layer).  The layer's actions
    are left in ``bpy.data`` for the caller to delete (so a failed re-bake can put them back).
    """
    record = read_record(idb)
    if record is None:
        return None
    ad = idb.animation_data
    if ad is not None:
        for t in find_tracks(idb, record_actions(record)):
            ad.nla_tracks.remove(t)
    if restore_user:
        if ad is not None and record.get("blend_type") and ad.action is not None:
            ad.action_blend_type = record["blend_type"]
        write_static(idb, record)
        if (
            ad is not None
            and record.get("created_animation_data")
            and ad.action is None
            and len(ad.nla_tracks) == 0
            and len(ad.drivers) == 0
        ):
            idb.animation_data_clear()
    _write_record(idb, None)
    return record


def reattach(idb, record: dict, starts: dict[str, int]) -> None:
    """Put a detached layer back exactly (used when a re-bake fails half-way); ``starts`` are
    the strips' frame starts by action, read before they were detached."""
    ad = idb.animation_data or idb.animation_data_create()
    for st in record_strips(record):
        action = local_action(st["action"])
        if action is None:
            continue
        slot = action.slots[0] if compat.SLOTTED_ACTIONS and len(action.slots) else None
        start = starts.get(st["action"], st.get("frame_start") or 0)
        _add_strip(ad, st["track"], action, start, slot)
    _write_record(idb, record)


def strip_starts(idb, record: dict) -> dict[str, int]:
    """Frame start of each of the record's strips, by action name."""
    out = {}
    for t in find_tracks(idb, record_actions(record)):
        for s in t.strips:
            if s.action is not None:
                out[s.action.name] = int(s.frame_start)
    return out
