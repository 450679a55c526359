"""The baked layers of the active character: an amount slider and a mute per layer, and a bypass.

Why properties that store nothing: the truth is the NLA data (each layer's strips and tracks,
``bake/amount.py``), which the NLA editor shows and edits too; the sliders read it when the
panel draws and write it when moved, so the panel and the NLA editor can never disagree.  The
values live in the .blend with the strips, and Blender's undo covers them as any edit.
"""

from __future__ import annotations

import bpy

from ..bake import amount
from ..core.solver import registry
from .character import active_character
from .sidebar import SubPanel


def _members():
    return active_character(bpy.context)


def _amounts_get(_self) -> list[float]:
    members = _members()
    frame = bpy.context.scene.frame_current if bpy.context.scene else None
    return [amount.amount(members, n, frame) if members else 1.0 for n in LAYER_NAMES]


def _amounts_set(self, values) -> None:
    members = _members()
    if not members:
        return
    for name, old, new in zip(LAYER_NAMES, _amounts_get(self), values, strict=True):
        if abs(new - old) > 1e-9 and amount.amount_editable(members, name):
            amount.set_amount(members, name, new)


def _mutes_get(_self) -> list[bool]:
    members = _members()
    return [bool(members) and amount.muted(members, n) for n in LAYER_NAMES]


def _mutes_set(self, values) -> None:
    members = _members()
    if not members:
        return
    for name, old, new in zip(LAYER_NAMES, _mutes_get(self), values, strict=True):
        if bool(new) != old:
            amount.set_muted(members, name, bool(new))


def _bypass_get(_self) -> bool:
    members = _members()
    return bool(members) and amount.bypassed(members)


def _bypass_set(_self, value: bool) -> None:
    members = _members()
    if members:
        amount.set_bypass(members, value)


# One vector entry per solver layer (a property per layer added after the class statement would
# leave Blender 4.2's bpy module crashing at exit with its get/set callbacks).
LAYER_NAMES = registry.names()
N_LAYERS = len(LAYER_NAMES)


class MicroFaceLayerControls(bpy.types.PropertyGroup):
    """Amount, mute and bypass of the active character's baked layers (stored in its strips)."""

    bypass: bpy.props.BoolProperty(
        name="Bypass",
        description="Show the character exactly as without MicroFace (its own animation and "
        "poses), keeping the layer to switch back",
        get=_bypass_get,
        set=_bypass_set,
    )
    amounts: bpy.props.FloatVectorProperty(
        name="Amount",
        description="How much of each baked layer plays (its NLA strips' influence): dial it "
        "down without re-baking",
        size=N_LAYERS,
        min=0.0,
        max=1.0,
        get=_amounts_get,
        set=_amounts_set,
    )
    mutes: bpy.props.BoolVectorProperty(
        name="Mute",
        description="Mute a baked layer's tracks (as in the NLA editor)",
        size=N_LAYERS,
        get=_mutes_get,
        set=_mutes_set,
    )


def draw_layers(layout, context) -> None:
    members = active_character(context)
    if members is None:
        layout.label(text="Select a character", icon="INFO")
        return
    baked = amount.layer_strips(members)
    if not baked:
        layout.label(text=f"{members[0].name}: not baked yet", icon="INFO")
        return
    controls = context.scene.microface_layers
    layout.prop(controls, "bypass", icon="HIDE_ON" if controls.bypass else "HIDE_OFF")
    if amount.is_dense(members):
        layout.label(text="Baked on every frame: one strip for all layers", icon="INFO")
        return
    col = layout.column(align=True)
    col.active = not controls.bypass
    for group in baked:
        if group.layer not in LAYER_NAMES:
            continue
        i = LAYER_NAMES.index(group.layer)
        row = col.row(align=True)
        muted = controls.mutes[i]
        icon = "CHECKBOX_DEHLT" if muted else "CHECKBOX_HLT"
        row.prop(controls, "mutes", index=i, text="", icon=icon, emboss=False)
        sub = row.row(align=True)
        sub.active = not muted
        sub.enabled = amount.amount_editable(members, group.layer)
        sub.prop(controls, "amounts", index=i, text=group.label, slider=True)


class MICROFACE_PT_layers(SubPanel, bpy.types.Panel):
    bl_idname = "MICROFACE_PT_layers"
    bl_label = "Layers"

    def draw(self, context) -> None:
        draw_layers(self.layout, context)


CLASSES = (MicroFaceLayerControls,)
PANELS = (MICROFACE_PT_layers,)


def register_scene_property() -> None:
    bpy.types.Scene.microface_layers = bpy.props.PointerProperty(
        type=MicroFaceLayerControls, name="MicroFace layers"
    )


def unregister_scene_property() -> None:
    if hasattr(bpy.types.Scene, "microface_layers"):
        del bpy.types.Scene.microface_layers
