"""Every Blender-version difference MicroFace depends on, in one place.

Why: the action API changed in 4.4 (slotted actions) and the legacy ``Action.fcurves`` is gone
in 5.0, and 5.0.x evaluates shape keys from a wrong RNA default.  Code elsewhere asks these
functions and never tests versions itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import bpy

SLOTTED_ACTIONS: bool = "slots" in bpy.types.Action.bl_rna.properties

# Keyframe.interpolation enum values; foreach_set takes the integers.
INTERPOLATION = {
    e.identifier: e.value for e in bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items
}


def shape_key_value_default() -> float:
    """The value NLA blending starts from for ``ShapeKey.value`` (1.0 on Blender 5.0.x, else 0)."""
    return float(bpy.types.ShapeKey.bl_rna.properties["value"].default)


def new_action(name: str, id_type: str) -> tuple[bpy.types.Action, object | None]:
    """A new empty action usable on an ID of ``id_type`` ('OBJECT', 'KEY'); returns (action, slot)."""
    action = bpy.data.actions.new(name)
    if not SLOTTED_ACTIONS:
        action.id_root = id_type
        return action, None
    slot = action.slots.new(id_type=id_type, name=name)
    action.layers.new("MicroFace").strips.new(type="KEYFRAME")
    return action, slot


def fcurve_collection(action: bpy.types.Action, slot):
    """The collection new F-curves for ``slot`` are created in (``.new(data_path, index=…)``)."""
    if not SLOTTED_ACTIONS:
        return action.fcurves
    return action.layers[0].strips[0].channelbag(slot, ensure=True).fcurves


def fcurve_groups(action: bpy.types.Action, slot):
    """The F-curve groups of ``slot``'s curves (``.new(name)``; assign with ``fcurve.group``)."""
    if not SLOTTED_ACTIONS:
        return action.groups
    return action.layers[0].strips[0].channelbag(slot, ensure=True).groups


def iter_fcurves(action: bpy.types.Action) -> Iterator[bpy.types.FCurve]:
    """Every F-curve of an action, whatever the API version."""
    if not SLOTTED_ACTIONS:
        yield from action.fcurves
        return
    for layer in action.layers:
        for strip in layer.strips:
            for bag in strip.channelbags:
                yield from bag.fcurves


def set_strip_slot(strip: bpy.types.NlaStrip, slot) -> None:
    """Point an NLA strip at the action slot explicitly (assigning the action alone may not)."""
    if slot is not None:
        strip.action_slot = slot


def set_action_slot(anim_data, slot) -> None:
    if SLOTTED_ACTIONS and slot is not None:
        anim_data.action_slot = slot


def sound_strips(scene: bpy.types.Scene) -> list:
    """Every sound strip of the scene's sequencer, inside meta strips too (``strips_all`` from
    4.4, ``sequences_all`` before; 5.0 removed the old name)."""
    editor = scene.sequence_editor
    if editor is None:
        return []
    strips = getattr(editor, "strips_all", None)
    if strips is None:
        strips = editor.sequences_all
    return [s for s in strips if s.type == "SOUND"]


def strip_channel_muted(scene: bpy.types.Scene, strip) -> bool:
    """Is the sequencer channel ``strip`` sits on muted (channel mute exists from 3.3)?"""
    channels = getattr(scene.sequence_editor, "channels", None)
    if channels is None or not 0 <= strip.channel < len(channels):
        return False
    return bool(channels[strip.channel].mute)


def strip_timing(strip) -> tuple[float, float, float, float]:
    """A strip's (content start, left handle, right handle, content trim) in frames.

    5.x names them ``content_start``, ``left_handle``, ``right_handle`` and
    ``content_trim_start`` (the old ``frame_start``, ``frame_final_start``,
    ``frame_final_end`` and ``animation_offset_start`` are deprecated there and go in 6.0).
    """
    if hasattr(strip, "left_handle"):
        return (
            float(strip.content_start),
            float(strip.left_handle),
            float(strip.right_handle),
            float(getattr(strip, "content_trim_start", 0.0)),
        )
    return (
        float(strip.frame_start),
        float(strip.frame_final_start),
        float(strip.frame_final_end),
        float(getattr(strip, "animation_offset_start", 0.0)),
    )
