"""Blender-facing UI: add-on preferences, scene and character settings, the N-panel with its
sub-panels (Character, Layers, Cues, Preset overrides) and their operators.

Why registration is kept symmetric and complete: reloading an add-on (or running tests that
register it repeatedly) must leave no classes or ``Scene``/``Object`` properties behind.
"""

from __future__ import annotations

import bpy

from . import character, cues, dialogue, layers, operators, panel, preferences, presets

# Property groups before the classes that point at them; panels after their operators, sub-panels
# after their parent (in the order they show).
CLASSES = (
    *preferences.CLASSES,
    panel.MicroFaceSceneSettings,
    *character.CLASSES,
    *layers.CLASSES,
    *operators.CLASSES,
    *cues.CLASSES,
    *presets.CLASSES,
    *dialogue.CLASSES,
    panel.MICROFACE_PT_main,
    *character.PANELS,
    *layers.PANELS,
    *cues.PANELS,
    *presets.PANELS,
    *dialogue.PANELS,
)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.microface = bpy.props.PointerProperty(
        type=panel.MicroFaceSceneSettings, name="MicroFace"
    )
    character.register_object_property()
    layers.register_scene_property()
    presets.register_scene_property()
    dialogue.register_scene_property()


def unregister() -> None:
    dialogue.unregister_scene_property()
    presets.unregister_scene_property()
    layers.unregister_scene_property()
    character.unregister_object_property()
    if hasattr(bpy.types.Scene, "microface"):
        del bpy.types.Scene.microface
    for cls in reversed(CLASSES):
        if getattr(cls, "is_registered", False):
            bpy.utils.unregister_class(cls)
