"""Dialling a baked layer after the bake: each solver layer's amount (its strips' influence), its
mute, and a bypass of the whole MicroFace layer that restores the un-layered pose.

Why here: these change NLA data MicroFace owns (bake is the only writer of animation data), the
panel's sliders and toggles only call these functions, and Blender's NLA editor shows the same
values — an animator can mute, solo or fade a layer there too.

- Amount: a strip's influence only counts when it is animated (``use_animated_influence``,
  which gives the strip an influence F-curve); the amount is that F-curve's single key, so it
  holds on every frame.  An influence the user animated with more keys in the NLA editor is
  theirs: the amount then reads it at the current frame and refuses to overwrite it.
- Bypass mutes every layer strip (the strips, not their tracks: a track the user muted stays
  muted when the bypass ends) and keeps the base strip, which holds the un-layered value of
  every property MicroFace animates — so the pose is exactly the one without MicroFace, not the
  last evaluated one (Blender leaves a property nothing animates at its last value).  A dense
  bake (``--every-frame``) has no base strip: bypassing it writes the recorded static values
  back instead, which then hold because nothing animates them.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import layer as L
from .strips import BASE


@dataclass
class LayerStrips:
    """One solver layer's strips on every ID of a character."""

    layer: str  # solver layer name ("" for a dense bake's single strip)
    label: str  # the track name without the "MicroFace " prefix
    strips: list  # bpy NlaStrip
    tracks: list  # bpy NlaTrack


def layer_strips(members) -> list[LayerStrips]:
    """The baked layers of a character (solve order; the base strip is not a layer)."""
    found: dict[str, LayerStrips] = {}
    for _, idb in L.character_ids(members):
        record = L.read_record(idb)
        if record is None or idb.animation_data is None:
            continue
        by_action = {s["action"]: s for s in L.record_strips(record)}
        for track in L.find_tracks(idb, set(by_action)):
            for strip in track.strips:
                entry = by_action.get(strip.action.name) if strip.action else None
                if entry is None or entry["layer"] == BASE:
                    continue
                label = track.name.removeprefix(L.LAYER_NAME).strip() or "All layers"
                group = found.setdefault(entry["layer"], LayerStrips(entry["layer"], label, [], []))
                group.strips.append(strip)
                if track not in group.tracks:
                    group.tracks.append(track)
    return list(found.values())


def _find(members, layer: str) -> LayerStrips | None:
    return next((g for g in layer_strips(members) if g.layer == layer), None)


def _influence_curve(strip):
    for fc in strip.fcurves:
        if fc.data_path == "influence":
            return fc
    return None


def is_dense(members) -> bool:
    """Was the character baked with a key on every frame (one strip, no per-layer amounts)?"""
    return any(g.layer == "" for g in layer_strips(members))


def amount(members, layer: str, frame: float | None = None) -> float:
    """The layer's amount: its first strip's influence (1 when not animated)."""
    group = _find(members, layer)
    if group is None:
        return 1.0
    strip = group.strips[0]
    fc = _influence_curve(strip) if strip.use_animated_influence else None
    if fc is None or len(fc.keyframe_points) == 0:
        return 1.0
    return float(fc.evaluate(frame if frame is not None else fc.keyframe_points[0].co[0]))


def amount_editable(members, layer: str) -> bool:
    """False when the user animated a strip's influence with several keys (theirs to edit)."""
    group = _find(members, layer)
    if group is None or group.layer == "":
        return False
    for strip in group.strips:
        fc = _influence_curve(strip) if strip.use_animated_influence else None
        if fc is not None and len(fc.keyframe_points) > 1:
            return False
    return True


def set_amount(members, layer: str, value: float) -> int:
    """Set the layer's amount (0…1: how much of what the layer adds plays) on every strip of
    the layer; returns how many strips changed.  Raises ValueError for a dense bake, or where
    the user animated the influence."""
    value = min(max(float(value), 0.0), 1.0)
    group = _find(members, layer)
    if group is None:
        return 0
    if group.layer == "":
        raise ValueError(
            "a bake with a key on every frame has one strip for all layers; bake without "
            "Every frame to dial each layer"
        )
    if not amount_editable(members, layer):
        raise ValueError(
            f"the {group.label} strip's influence is animated in the NLA editor; edit it there"
        )
    for strip in group.strips:
        if not strip.use_animated_influence:
            strip.use_animated_influence = True  # Blender adds the F-curve with one key
        fc = _influence_curve(strip)
        if fc is None:
            fc = strip.fcurves.new("influence")
        if len(fc.keyframe_points) == 0:
            fc.keyframe_points.insert(strip.frame_start, value)
        key = fc.keyframe_points[0]
        key.co[1] = value
        key.handle_left[1] = key.handle_right[1] = value
        fc.update()
    return len(group.strips)


def muted(members, layer: str) -> bool:
    group = _find(members, layer)
    return group is not None and all(t.mute for t in group.tracks)


def set_muted(members, layer: str, mute: bool) -> None:
    """Mute or unmute the layer's tracks, as the NLA editor's checkbox does."""
    group = _find(members, layer)
    for track in group.tracks if group else ():
        track.mute = bool(mute)


def bypassed(members) -> bool:
    """Is the character's MicroFace layer bypassed (every layer strip muted)?"""
    groups = layer_strips(members)
    return bool(groups) and all(s.mute for g in groups for s in g.strips)


class BypassUnavailable(RuntimeError):
    """The bypass cannot show the un-layered pose exactly (see ``bypass_blocker``)."""


def bypass_blocker(members) -> str | None:
    """Why the bypass cannot restore this character's un-layered pose exactly, or None.

    The sparse bake's base strip carries the pose without MicroFace (hand-set sliders and bones
    included), so muting the layer strips above it shows exactly that.  A dense
    (``--every-frame``) bake has no base strip, and Blender evaluates every channel a muted NLA
    strip holds from its RNA default — 0, or 1.0 for shape keys on 5.0.x — so a hand-set value
    would be lost under a muted dense layer (measured on 4.2, 5.0 and 5.2).  Refused there."""
    if not is_dense(members):
        return None
    return (
        "an every-frame bake has no base strip, so muting it cannot show the un-layered pose "
        "exactly (Blender evaluates muted channels from their defaults); bake with sparse keys "
        "(the default) or use Remove"
    )


def set_bypass(members, on: bool) -> None:
    """Bypass MicroFace on a character (its pose exactly as without the layer), or end it.
    Raises ``BypassUnavailable`` where ``bypass_blocker`` says it cannot be exact."""
    reason = bypass_blocker(members) if on else None
    if reason is not None:
        raise BypassUnavailable(reason)
    for group in layer_strips(members):
        for strip in group.strips:
            strip.mute = bool(on)
