"""The active character's own settings (preset, seed, intensity, layer toggles) in the panel.

Why get/set over a plain custom property: the bake reads a character's settings from the
object's custom property ``microface_settings`` (``rig/scene/character_settings.py``), so the
command line finds them without the add-on registered — and from Blender 5.0 properties
registered with ``bpy.props`` are stored apart from custom properties, out of its reach.  This
group therefore stores nothing itself: every field reads and writes that custom property, and
what the user never set keeps its default.
"""

from __future__ import annotations

import bpy

from ..core.preset.schema import INTENSITY_RANGE
from ..core.solver import registry
from ..rig.scene import character_settings as cs
from ..rig.scene.character import character_id, characters_of
from . import preferences
from .sidebar import SubPanel


def active_character(context) -> list | None:
    """The members of the character the active object belongs to (armature first), or None."""
    ob = getattr(context, "active_object", None)
    if ob is None:
        return None
    found = characters_of([ob])
    return found[0] if found else None


def _raw(owner, create: bool = False):
    raw = owner.get(cs.SETTINGS_PROP)
    if raw is None and create:
        owner[cs.SETTINGS_PROP] = {}
        raw = owner[cs.SETTINGS_PROP]
    return raw


def _get(key: str, default):
    def get(self):
        raw = _raw(self.id_data)
        return type(default)(raw.get(key, default)) if raw is not None else default

    return get


def _set(key: str):
    def set_(self, value):
        _raw(self.id_data, create=True)[key] = value

    return set_


def _use_own_set(self, value: bool) -> None:
    """Switching own settings on starts from the scene's current ones."""
    raw = _raw(self.id_data, create=True)
    if value and cs.PRESET not in raw:
        scene = bpy.context.scene
        settings = getattr(scene, "microface", None)
        if settings is not None:
            raw[cs.PRESET] = settings.preset
            raw[cs.SEED] = int(settings.seed)
            raw[cs.INTENSITY] = float(settings.intensity)
    raw[cs.USE_OWN] = bool(value)


def _preset_get(self) -> int:
    return preferences.preset_number((_raw(self.id_data) or {}).get(cs.PRESET, ""))


def _preset_set(self, value: int) -> None:
    name = preferences.preset_named(value)
    if name is not None:
        _raw(self.id_data, create=True)[cs.PRESET] = name


def _layers_get(self) -> list[bool]:
    raw = _raw(self.id_data)
    return [bool((raw or {}).get(cs.LAYER_TOGGLE.format(n), True)) for n in LAYER_NAMES]


def _layers_set(self, values) -> None:
    raw = _raw(self.id_data, create=True)
    for name, value in zip(LAYER_NAMES, values, strict=True):
        raw[cs.LAYER_TOGGLE.format(name)] = bool(value)


# One vector entry per solver layer (a property per layer added after the class statement would
# leave Blender 4.2's bpy module crashing at exit with its get/set callbacks).
LAYER_NAMES = registry.names()
N_LAYERS = len(LAYER_NAMES)


class MicroFaceCharacterSettings(bpy.types.PropertyGroup):
    """A character's own bake settings (all stored in its ``microface_settings`` property)."""

    use_own: bpy.props.BoolProperty(
        name="Own settings",
        description="Bake this character with its own preset, seed, intensity and layers "
        "instead of the scene's (a crowd: each character its own)",
        get=_get(cs.USE_OWN, False),
        set=_use_own_set,
    )
    preset: bpy.props.EnumProperty(
        name="Preset",
        description="This character's behaviour preset",
        items=preferences.preset_items,
        get=_preset_get,
        set=_preset_set,
    )
    seed: bpy.props.IntProperty(
        name="Seed",
        description="This character's random seed",
        min=0,
        get=_get(cs.SEED, 0),
        set=_set(cs.SEED),
    )
    intensity: bpy.props.FloatProperty(
        name="Intensity",
        description="This character's global strength",
        min=INTENSITY_RANGE[0],
        max=INTENSITY_RANGE[1],
        subtype="FACTOR",
        get=_get(cs.INTENSITY, 1.0),
        set=_set(cs.INTENSITY),
    )
    layers: bpy.props.BoolVectorProperty(
        name="Layers",
        description="The layers baked for this character",
        size=N_LAYERS,
        get=_layers_get,
        set=_layers_set,
    )


def draw_character(layout, context) -> None:
    members = active_character(context)
    if members is None:
        layout.label(text="Select a character", icon="INFO")
        return
    owner = members[0]
    row = layout.row()
    row.label(text=owner.name, icon="ARMATURE_DATA" if owner.type == "ARMATURE" else "MESH_DATA")
    ident = character_id(members)
    if ident != owner.name:
        row.label(text=f"motion of {ident!r}", icon="LINKED")
    settings = owner.microface
    layout.prop(settings, "use_own")
    col = layout.column()
    col.active = settings.use_own
    col.use_property_split = True
    col.prop(settings, "preset")
    col.prop(settings, "seed")
    col.prop(settings, "intensity")
    grid = col.grid_flow(columns=2, even_columns=True, align=True)
    for i, layer in enumerate(registry.layers()):
        grid.prop(settings, "layers", index=i, text=layer.label)


class MICROFACE_PT_character(SubPanel, bpy.types.Panel):
    bl_idname = "MICROFACE_PT_character"
    bl_label = "Character"

    def draw(self, context) -> None:
        draw_character(self.layout, context)


CLASSES = (MicroFaceCharacterSettings,)
PANELS = (MICROFACE_PT_character,)


def register_object_property() -> None:
    bpy.types.Object.microface = bpy.props.PointerProperty(
        type=MicroFaceCharacterSettings, name="MicroFace character"
    )


def unregister_object_property() -> None:
    if hasattr(bpy.types.Object, "microface"):
        del bpy.types.Object.microface
