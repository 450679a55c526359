"""Dialogue in the panel: which voices the bake reads, and whose they are (the strip picker).

Why a property group of its own on the scene: like the preset overrides, these travel with the
shot and are what the CLI's ``--no-audio``, ``--audio FILE``/``--audio-start`` and
``--audio-strips CHARACTER=STRIP`` say; ``dialogue_options`` turns them into the same
``BakeOptions`` fields (``apply.py``), so the button and the command line bake alike.
"""

from __future__ import annotations

from typing import Any

import bpy

from .. import compat
from .sidebar import SubPanel


def _strip_names(_self, context, text: str) -> list[str]:
    scene = context.scene if context else bpy.context.scene
    names = [s.name for s in compat.sound_strips(scene)]
    return [n for n in names if text.lower() in n.lower()]


def _speaker_names(_self, context, text: str) -> list[str]:
    """Characters' objects (armatures and meshes with shape keys) and any other object: a
    speaker may be someone the characters listen to."""
    objs = sorted(bpy.data.objects, key=lambda o: (o.type not in {"ARMATURE", "MESH"}, o.name))
    return [o.name for o in objs if text.lower() in o.name.lower()]


class MicroFaceStripAssignment(bpy.types.PropertyGroup):
    speaker: bpy.props.StringProperty(
        name="Speaker",
        description="Whose voice the strip is: a character (any of its objects) or someone the "
        "characters listen to (looked at when an object of that name is in the scene)",
        search=_speaker_names,
    )
    strip: bpy.props.StringProperty(
        name="Strip", description="A sound strip of this scene's sequencer", search=_strip_names
    )


class MicroFaceDialogue(bpy.types.PropertyGroup):
    use_audio: bpy.props.BoolProperty(
        name="Sound strips",
        description="Read the scene's sound strips: with one character every unmuted strip is "
        "its speech; with several, a strip belongs to the character whose name it contains "
        "unless assigned below",
        default=True,
    )
    audio_file: bpy.props.StringProperty(
        name="Audio file",
        description="A voice recording the selected character speaks, added to the strips",
        subtype="FILE_PATH",
    )
    audio_at_start: bpy.props.BoolProperty(
        name="At the bake's start",
        description="The audio file starts on the bake's first frame",
        default=True,
    )
    audio_start: bpy.props.IntProperty(
        name="Start frame", description="Frame where the audio file starts", default=1
    )
    assignments: bpy.props.CollectionProperty(type=MicroFaceStripAssignment)


def dialogue(scene: bpy.types.Scene) -> MicroFaceDialogue:
    return scene.microface_dialogue


def dialogue_options(scene: bpy.types.Scene) -> dict[str, Any]:
    """The ``BakeOptions`` fields the scene's dialogue settings stand for."""
    d = dialogue(scene)
    strips: dict[str, list[str]] = {}
    for a in d.assignments:
        if a.speaker.strip() and a.strip.strip():
            strips.setdefault(a.speaker.strip(), []).append(a.strip.strip())
    path = bpy.path.abspath(d.audio_file) if d.audio_file.strip() else ""
    return {
        "use_audio": d.use_audio,
        "audio_files": [("", path)] if path else [],
        "audio_start": None if d.audio_at_start else d.audio_start,
        "audio_strips": strips,
    }


class MICROFACE_OT_strip_assignment_add(bpy.types.Operator):
    """Give a sound strip to a speaker (instead of matching strip and character names)"""

    bl_idname = "microface.strip_assignment_add"
    bl_label = "Assign a strip"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        dialogue(context.scene).assignments.add()
        return {"FINISHED"}


class MICROFACE_OT_strip_assignment_remove(bpy.types.Operator):
    """Remove this strip assignment"""

    bl_idname = "microface.strip_assignment_remove"
    bl_label = "Remove assignment"
    bl_options = {"REGISTER", "UNDO"}

    index: bpy.props.IntProperty(min=0)

    def execute(self, context):
        items = dialogue(context.scene).assignments
        if self.index >= len(items):
            return {"CANCELLED"}
        items.remove(self.index)
        return {"FINISHED"}


def draw_dialogue(layout, scene: bpy.types.Scene) -> None:
    d = dialogue(scene)
    col = layout.column()
    col.use_property_split = True
    col.use_property_decorate = False
    col.prop(d, "use_audio")
    col.prop(d, "audio_file")
    if d.audio_file:
        col.prop(d, "audio_at_start")
        if not d.audio_at_start:
            col.prop(d, "audio_start")
    box = layout.column(align=True)
    box.active = d.use_audio
    for i, a in enumerate(d.assignments):
        row = box.row(align=True)
        row.prop(a, "strip", text="", icon="SOUND")
        row.prop(a, "speaker", text="", icon="USER")
        row.operator("microface.strip_assignment_remove", text="", icon="X").index = i
    box.operator("microface.strip_assignment_add", icon="ADD")


class MICROFACE_PT_dialogue(SubPanel, bpy.types.Panel):
    bl_idname = "MICROFACE_PT_dialogue"
    bl_label = "Dialogue"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context) -> None:
        draw_dialogue(self.layout, context.scene)


CLASSES = (
    MicroFaceStripAssignment,
    MicroFaceDialogue,
    MICROFACE_OT_strip_assignment_add,
    MICROFACE_OT_strip_assignment_remove,
)
PANELS = (MICROFACE_PT_dialogue,)


def register_scene_property() -> None:
    bpy.types.Scene.microface_dialogue = bpy.props.PointerProperty(
        type=MicroFaceDialogue, name="MicroFace dialogue"
    )


def unregister_scene_property() -> None:
    if hasattr(bpy.types.Scene, "microface_dialogue"):
        del bpy.types.Scene.microface_dialogue
