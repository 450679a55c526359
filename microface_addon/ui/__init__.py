"""Blender-facing UI: add-on preferences, scene settings, the N-panel and its operators.

Why registration is kept symmetric and complete: reloading an add-on (or running tests that
register it repeatedly) must leave no classes or ``Scene`` properties behind.
"""

from __future__ import annotations

import bpy

from . import dialogue, operators, panel, preferences, presets

# Property groups before the classes that point at them; panels after their operators.
CLASSES = (
    *preferences.CLASSES,
    panel.MicroFaceSceneSettings,
    *operators.CLASSES,
    *presets.CLASSES,
    *dialogue.CLASSES,
    panel.MICROFACE_PT_main,
    *presets.PANELS,
    *dialogue.PANELS,
)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.microface = bpy.props.PointerProperty(
        type=panel.MicroFaceSceneSettings, name="MicroFace"
    )
    presets.register_scene_property()
    dialogue.register_scene_property()


def unregister() -> None:
    dialogue.unregister_scene_property()
    presets.unregister_scene_property()
    if hasattr(bpy.types.Scene, "microface"):
        del bpy.types.Scene.microface
    for cls in reversed(CLASSES):
        if getattr(cls, "is_registered", False):
            bpy.utils.unregister_class(cls)
