"""The two operators behind the panel: layer micro-motion, remove it.

Why they are thin: the CLI must do exactly what the buttons do, so both only gather options and
call ``apply.layer_micro_motion`` / ``apply.remove_micro_motion``.  Nothing here keeps a
reference to ID data between calls: undo and "Adjust Last Operation" invalidate them.
"""

from __future__ import annotations

import json
from typing import Any

import bpy

from .. import apply
from ..core.preset.schema import INTENSITY_RANGE
from ..core.preset.settings import PresetError
from ..rig.convention.rigmap import RigError
from ..rig.scene import character as character_mod
from . import dialogue, panel, preferences, presets

# Properties copied from the scene's MicroFace settings when a call leaves them unset.
_SCENE_FIELDS = (
    "preset",
    "seed",
    "intensity",
    "use_scene_range",
    "frame_start",
    "frame_end",
    "intents_file",
    "look_at",
    "rig_profile",
    "rig_overrides",
)


def target_objects(context) -> list[bpy.types.Object]:
    """The selected objects, or the active object when nothing is selected."""
    selected = list(getattr(context, "selected_objects", None) or ())
    if selected:
        return selected
    active = getattr(context, "active_object", None)
    return [active] if active is not None else []


def one_line(exc: BaseException) -> str:
    """An exception as one line for the status bar (preset errors can list many problems)."""
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or repr(exc)


def bake_summary(report: dict[str, Any]) -> str:
    """One line for the info area, e.g. ``MicroFace: 1 character, 1234 keys on 57 channels, …``."""
    chars = report["characters"]
    keys = sum(c["keys_written"] for c in chars)
    channels = sum(len(c["mapped"]) for c in chars)
    noun = "character" if len(chars) == 1 else "characters"
    return (
        f"MicroFace: {len(chars)} {noun}, {keys} keys on {channels} channels, "
        f"preset {report['preset']}, seed {report['seed']}"
    )


class MICROFACE_OT_layer_micro_motion(bpy.types.Operator):
    """Bake procedural facial micro-motion onto the selected characters, on its own NLA layer"""

    bl_idname = "microface.layer_micro_motion"
    bl_label = "Layer micro-motion"
    bl_options = {"REGISTER", "UNDO"}

    # SKIP_SAVE: a fresh call must read the scene's settings, not the last call's values;
    # "Adjust Last Operation" still re-runs with the values of the call being adjusted.
    preset: bpy.props.EnumProperty(
        name="Preset", items=preferences.preset_items, options={"SKIP_SAVE"}
    )
    seed: bpy.props.IntProperty(name="Seed", min=0, options={"SKIP_SAVE"})
    intensity: bpy.props.FloatProperty(
        name="Intensity",
        default=1.0,
        min=INTENSITY_RANGE[0],
        max=INTENSITY_RANGE[1],
        subtype="FACTOR",
        options={"SKIP_SAVE"},
    )
    use_scene_range: bpy.props.BoolProperty(
        name="Scene frame range", default=True, options={"SKIP_SAVE"}
    )
    frame_start: bpy.props.IntProperty(name="Start", default=1, options={"SKIP_SAVE"})
    frame_end: bpy.props.IntProperty(name="End", default=250, options={"SKIP_SAVE"})
    intents_file: bpy.props.StringProperty(
        name="Intents", subtype="FILE_PATH", options={"SKIP_SAVE"}
    )
    look_at: bpy.props.StringProperty(name="Look at", options={"SKIP_SAVE"})
    rig_profile: bpy.props.StringProperty(name="Rig profile", options={"SKIP_SAVE"})
    rig_overrides: bpy.props.StringProperty(
        name="Rig overrides", subtype="FILE_PATH", options={"SKIP_SAVE"}
    )

    @classmethod
    def poll(cls, context) -> bool:
        if context.scene is None or not target_objects(context):
            cls.poll_message_set("Select a character (a mesh with shape keys or an armature)")
            return False
        return True

    def _fill_from_scene(self, scene: bpy.types.Scene) -> None:
        settings = panel.scene_settings(scene)
        for name in _SCENE_FIELDS:
            if not self.properties.is_property_set(name):
                setattr(self, name, getattr(settings, name))

    def bake_options(self, scene: bpy.types.Scene) -> apply.BakeOptions:
        ranged = not self.use_scene_range
        return apply.BakeOptions(
            preset=self.preset,
            seed=self.seed,
            frame_start=self.frame_start if ranged else None,
            frame_end=self.frame_end if ranged else None,
            intensity=self.intensity,
            controls=presets.scene_controls(scene),
            intents_file=self.intents_file or None,
            look_at=self.look_at.strip() or None,
            profile=self.rig_profile.strip() or None,
            overrides_map=bpy.path.abspath(self.rig_overrides) if self.rig_overrides else None,
            **dialogue.dialogue_options(scene),
        )

    def execute(self, context):
        scene = context.scene
        self._fill_from_scene(scene)
        try:
            request = apply.resolve(self.bake_options(scene))
            report = apply.layer_micro_motion(scene, target_objects(context), request)
        except (PresetError, RigError, ValueError) as exc:
            self.report({"ERROR"}, f"MicroFace: {one_line(exc)}")
            return {"CANCELLED"}
        panel.scene_settings(scene).last_report = json.dumps(report, default=str)
        self.report({"INFO"}, bake_summary(report))
        return {"FINISHED"}

    def draw(self, _context) -> None:
        panel.draw_bake_fields(self.layout.column(), self)


class MICROFACE_OT_remove_micro_motion(bpy.types.Operator):
    """Remove MicroFace's layer from the selected characters, restoring what it changed"""

    bl_idname = "microface.remove_micro_motion"
    bl_label = "Remove micro-motion"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context) -> bool:
        if context.scene is None or not target_objects(context):
            cls.poll_message_set("Select a character with a MicroFace layer")
            return False
        return True

    def execute(self, context):
        scene = context.scene
        objects = target_objects(context)
        try:
            result = apply.remove_micro_motion(scene, objects)
        except (RigError, ValueError) as exc:
            self.report({"ERROR"}, f"MicroFace: {one_line(exc)}")
            return {"CANCELLED"}
        if not result["removed"]:
            self.report({"WARNING"}, "MicroFace: no MicroFace layer on the selection")
            return {"CANCELLED"}
        _forget_characters(scene, objects)
        self.report(
            {"INFO"},
            f"MicroFace: removed the layer from {len(result['removed'])} datablocks "
            f"({', '.join(result['removed'])})",
        )
        return {"FINISHED"}


def _forget_characters(scene: bpy.types.Scene, objects) -> None:
    """Drop the removed characters from the scene's stored report so the panel stays true."""
    settings = panel.scene_settings(scene)
    if not settings.last_report:
        return
    gone = {ob.name for members in character_mod.characters_of(objects) for ob in members}
    try:
        report = json.loads(settings.last_report)
        report["characters"] = [
            c for c in report["characters"] if not gone.intersection(c.get("objects", ()))
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        settings.last_report = ""
        return
    settings.last_report = json.dumps(report) if report["characters"] else ""


CLASSES = (MICROFACE_OT_layer_micro_motion, MICROFACE_OT_remove_micro_motion)
