"""The two operators behind the panel: layer micro-motion, remove it.

Why they are thin: the CLI must do exactly what the buttons do, so both only gather options and
call ``apply`` (``bake_steps`` / ``layer_micro_motion``, ``remove_micro_motion``).  Nothing here
keeps a reference to ID data between calls: undo and "Adjust Last Operation" invalidate them.

Pressed in the panel, the bake runs step by step from a timer (``modal``): Blender's progress
cursor and the status bar follow it, and Esc cancels between characters — the bake is one
transaction, so a cancel leaves the scene exactly as it was.  Run from a script, the redo
panel or in the background, ``execute`` bakes in one go.
"""

from __future__ import annotations

import json
from typing import Any

import bpy

from .. import apply
from ..core.keying import DEFAULT_ROTATION_TOLERANCE_DEG, DEFAULT_TOLERANCE_PCT, Keying
from ..core.preset.schema import INTENSITY_RANGE
from ..core.preset.settings import PresetError
from ..core.timeline.grammar import MarkerError
from ..rig.convention.rigmap import RigError
from ..rig.scene import character as character_mod
from . import dialogue, panel, preferences, presets

# What a bake reports to the user rather than raising (the rest is a bug: a traceback).
BAKE_ERRORS = (PresetError, MarkerError, RigError, ValueError)

# Properties copied from the scene's MicroFace settings when a call leaves them unset.
_SCENE_FIELDS = (
    "preset",
    "seed",
    "intensity",
    "use_scene_range",
    "frame_start",
    "frame_end",
    "intents_file",
    "rig_profile",
    "rig_overrides",
    "every_frame",
    "tolerance",
    "rotation_tolerance",
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


def merged_report(previous_json: str, report: dict[str, Any]) -> dict[str, Any]:
    """``report`` with the characters of the previous one it did not bake appended, so the
    panel lists every character baked in the scene, not only the last click's."""
    try:
        previous = json.loads(previous_json) if previous_json else {}
        earlier = previous.get("characters", [])
    except (ValueError, AttributeError):
        earlier = []
    baked = {c.get("character") for c in report["characters"]}
    kept = [c for c in earlier if isinstance(c, dict) and c.get("character") not in baked]
    return {**report, "characters": report["characters"] + kept}


def bake_summary(report: dict[str, Any]) -> str:
    """One line for the info area, e.g. ``MicroFace: 1 character, 1234 keys on 57 curves, …``
    (the F-curves written, not the channels mapped)."""
    chars = report["characters"]
    keys = sum(c["keys_written"] for c in chars)
    curves = sum(c["fcurves"] for c in chars)
    noun = "character" if len(chars) == 1 else "characters"
    return (
        f"MicroFace: {len(chars)} {noun}, {keys} keys on {curves} curves, "
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
    look_at: bpy.props.StringProperty(
        name="Look at",
        description="Gaze target the panel's picker resolved to: an object name, "
        "'Armature:bone', '@camera' or 'dir:YAW,PITCH[,DIST]'",
        options={"SKIP_SAVE"},
    )
    rig_profile: bpy.props.StringProperty(name="Rig profile", options={"SKIP_SAVE"})
    rig_overrides: bpy.props.StringProperty(
        name="Rig overrides", subtype="FILE_PATH", options={"SKIP_SAVE"}
    )
    every_frame: bpy.props.BoolProperty(name="Every frame", options={"SKIP_SAVE"})
    tolerance: bpy.props.FloatProperty(
        name="Tolerance",
        subtype="PERCENTAGE",
        default=DEFAULT_TOLERANCE_PCT,
        min=0.01,
        max=10.0,
        options={"SKIP_SAVE"},
    )
    rotation_tolerance: bpy.props.FloatProperty(
        name="Rotation tolerance",
        default=DEFAULT_ROTATION_TOLERANCE_DEG,
        min=0.001,
        max=5.0,
        precision=3,
        options={"SKIP_SAVE"},
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
        if not self.properties.is_property_set("look_at"):
            self.look_at = panel.look_at_spec(settings) or ""

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
            keying=Keying(self.every_frame, self.tolerance, self.rotation_tolerance),
        )

    def execute(self, context):
        scene = context.scene
        self._fill_from_scene(scene)
        try:
            request = apply.resolve(self.bake_options(scene))
            report = apply.layer_micro_motion(scene, target_objects(context), request)
        except BAKE_ERRORS as exc:
            self.report({"ERROR"}, f"MicroFace: {one_line(exc)}")
            return {"CANCELLED"}
        return self._finish(scene, report)

    def _finish(self, scene, report: dict[str, Any]):
        settings = panel.scene_settings(scene)
        settings.last_report = json.dumps(merged_report(settings.last_report, report), default=str)
        self.report({"INFO"}, bake_summary(report))
        return {"FINISHED"}

    # --- step by step, from the panel -------------------------------------------------------

    def invoke(self, context, _event):
        if context.window is None or bpy.app.background:
            return self.execute(context)
        scene = context.scene
        self._fill_from_scene(scene)
        try:
            request = apply.resolve(self.bake_options(scene))
            self._steps = apply.bake_steps(scene, target_objects(context), request)
            first = next(self._steps)
        except StopIteration as done:  # nothing to step through
            return self._finish(scene, done.value)
        except BAKE_ERRORS as exc:
            self.report({"ERROR"}, f"MicroFace: {one_line(exc)}")
            return {"CANCELLED"}
        wm = context.window_manager
        wm.progress_begin(0, 1)
        self._show(context, first)
        self._timer = wm.event_timer_add(0.01, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def _show(self, context, step: apply.Progress) -> None:
        context.window_manager.progress_update(step.fraction)
        text = f"MicroFace: {step.text} ({step.done + 1}/{step.total}) — Esc to cancel"
        if context.workspace is not None:
            context.workspace.status_text_set(text)

    def _end(self, context) -> None:
        wm = context.window_manager
        wm.event_timer_remove(self._timer)
        wm.progress_end()
        if context.workspace is not None:
            context.workspace.status_text_set(None)

    def modal(self, context, event):
        if event.type == "ESC":
            self._steps.close()  # rolls back every character already baked
            self._end(context)
            self.report({"WARNING"}, "MicroFace: bake cancelled; nothing was changed")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        try:
            step = next(self._steps)
        except StopIteration as done:
            self._end(context)
            return self._finish(context.scene, done.value)
        except BAKE_ERRORS as exc:
            self._end(context)
            self.report({"ERROR"}, f"MicroFace: {one_line(exc)}")
            return {"CANCELLED"}
        self._show(context, step)
        return {"RUNNING_MODAL"}

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
