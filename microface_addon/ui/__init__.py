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


# The settings MicroFace keeps in a file: (owner type, attribute, property group, label).
SETTINGS = (
    ("Scene", "microface", panel.MicroFaceSceneSettings, "MicroFace"),
    ("Object", "microface", character.MicroFaceCharacterSettings, "MicroFace character"),
    ("Scene", "microface_layers", layers.MicroFaceLayerControls, "MicroFace layers"),
    ("Scene", "microface_controls", presets.MicroFaceControls, "MicroFace preset overrides"),
    ("Scene", "microface_dialogue", dialogue.MicroFaceDialogue, "MicroFace dialogue"),
)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    for owner, attr, group, label in SETTINGS:
        setattr(getattr(bpy.types, owner), attr, bpy.props.PointerProperty(type=group, name=label))
    presets.register_user_folder()


def unregister() -> None:
    presets.unregister_user_folder()
    for owner, attr, _group, _label in reversed(SETTINGS):
        if hasattr(getattr(bpy.types, owner), attr):
            delattr(getattr(bpy.types, owner), attr)
    for cls in reversed(CLASSES):
        if getattr(cls, "is_registered", False):
            bpy.utils.unregister_class(cls)
