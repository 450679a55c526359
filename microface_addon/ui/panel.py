"""The N-panel: per-scene bake settings, the two buttons, and a summary of the last bake.

Why settings live on the scene: they travel with the .blend (a shot keeps its preset and seed),
the panel can show them, and the operators read them when pressed from here.
"""

from __future__ import annotations

import json
import math
from typing import Any

import bpy

from ..core.keying import DEFAULT_ROTATION_TOLERANCE_DEG, DEFAULT_TOLERANCE_PCT
from ..core.preset.schema import INTENSITY_RANGE
from ..rig.scene.look_at import ACTIVE_CAMERA, DEFAULT_DIRECTION_DISTANCE_M
from . import preferences
from .sidebar import SidebarPanel

# --- scene settings -------------------------------------------------------------------------
# Preset and seed fall back to the add-on preferences until the user picks one for this scene,
# so they are stored in hidden properties behind getters.


def _preset_get(self) -> int:
    return preferences.preset_number(self.preset_name)


def _preset_set(self, value: int) -> None:
    name = preferences.preset_named(value)
    if name is not None:
        self.preset_name = name


def _seed_get(self) -> int:
    if self.is_property_set("seed_value"):
        return self.seed_value
    return preferences.default_seed()


def _seed_set(self, value: int) -> None:
    self.seed_value = value


def draw_bake_fields(col, owner) -> None:
    """The bake options, drawn from the scene settings (panel) or the operator (redo panel):
    both hold properties of the same names; the scene's look-at is a picker, the operator's
    the target it resolved to."""
    col.use_property_split = True
    col.prop(owner, "preset")
    col.prop(owner, "seed")
    col.prop(owner, "intensity")
    col.prop(owner, "use_scene_range")
    if not owner.use_scene_range:
        sub = col.column(align=True)
        sub.prop(owner, "frame_start")
        sub.prop(owner, "frame_end")
    if hasattr(owner, "look_at_mode"):
        draw_look_at(col, owner)
    else:
        col.prop(owner, "look_at", icon="HIDE_OFF")
    draw_keying(col, owner)
    col.prop(owner, "rig_profile", icon="ARMATURE_DATA")
    col.prop(owner, "rig_overrides")


def draw_look_at(col, settings) -> None:
    """Where the eyes look: ahead, the active camera, a picked object (and bone), a direction."""
    col.prop(settings, "look_at_mode")
    mode = settings.look_at_mode
    if mode == "OBJECT":
        col.prop(settings, "look_at_object")
        ob = settings.look_at_object
        if ob is not None and ob.type == "ARMATURE":
            col.prop_search(settings, "look_at_bone", ob.data, "bones", icon="BONE_DATA")
    elif mode == "DIRECTION":
        sub = col.column(align=True)
        sub.prop(settings, "look_at_yaw")
        sub.prop(settings, "look_at_pitch")
        sub.prop(settings, "look_at_distance")
    elif mode == "CAMERA":
        cam = getattr(bpy.context.scene, "camera", None)
        col.label(text=f"Camera: {cam.name}" if cam else "No active camera", icon="CAMERA_DATA")
    elif settings.look_at:
        col.label(text=f"Look at (text): {settings.look_at}", icon="HIDE_OFF")


def draw_keying(col, owner) -> None:
    """Sparse keys within a tolerance, or a key on every frame."""
    col.prop(owner, "every_frame")
    sub = col.column(align=True)
    sub.active = not owner.every_frame
    sub.prop(owner, "tolerance")
    sub.prop(owner, "rotation_tolerance")


def look_at_spec(settings) -> str | None:
    """The look-at target the scene's picker stands for (``apply.BakeOptions.look_at``)."""
    mode = settings.look_at_mode
    if mode == "CAMERA":
        return ACTIVE_CAMERA
    if mode == "OBJECT":
        ob = settings.look_at_object
        if ob is None:
            return None
        bone = settings.look_at_bone.strip()
        return f"{ob.name}:{bone}" if ob.type == "ARMATURE" and bone else ob.name
    if mode == "DIRECTION":
        yaw, pitch = math.degrees(settings.look_at_yaw), math.degrees(settings.look_at_pitch)
        return f"dir:{yaw:.4f},{pitch:.4f},{settings.look_at_distance:.4f}"
    return settings.look_at.strip() or None  # a scene saved before the picker


class MicroFaceSceneSettings(bpy.types.PropertyGroup):
    preset_name: bpy.props.StringProperty(options={"HIDDEN"})
    preset: bpy.props.EnumProperty(
        name="Preset",
        description="Behaviour preset (from the MicroFace preset search path)",
        items=preferences.preset_items,
        get=_preset_get,
        set=_preset_set,
    )
    seed_value: bpy.props.IntProperty(options={"HIDDEN"}, min=0)
    seed: bpy.props.IntProperty(
        name="Seed",
        description="Random seed; the same seed and preset reproduce the same motion",
        min=0,
        get=_seed_get,
        set=_seed_set,
    )
    intensity: bpy.props.FloatProperty(
        name="Intensity",
        description="Global strength, multiplying the preset's own intensity",
        default=1.0,
        min=INTENSITY_RANGE[0],
        max=INTENSITY_RANGE[1],
        subtype="FACTOR",
    )
    use_scene_range: bpy.props.BoolProperty(
        name="Scene frame range",
        description="Bake over the scene's frame range instead of the range below",
        default=True,
    )
    frame_start: bpy.props.IntProperty(name="Start", default=1)
    frame_end: bpy.props.IntProperty(name="End", default=250)
    intents_file: bpy.props.StringProperty(
        name="Intents",
        description="Optional JSON file of intents and state cues over time, merged with the "
        "scene's mf: markers (docs/cues.md)",
        subtype="FILE_PATH",
    )
    look_at_mode: bpy.props.EnumProperty(
        name="Look at",
        description="Where the eyes look",
        items=(
            ("AHEAD", "Ahead", "The eyes look relative to the head's forward direction"),
            ("CAMERA", "Active camera", "The scene's active camera, whichever it is"),
            ("OBJECT", "Object", "An object you pick (and a bone, for an armature)"),
            ("DIRECTION", "Direction", "A fixed direction from the head"),
        ),
        default="AHEAD",
    )
    look_at_object: bpy.props.PointerProperty(
        type=bpy.types.Object,
        name="Target",
        description="The object the eyes look at (a camera, a character's head, a prop)",
    )
    look_at_bone: bpy.props.StringProperty(
        name="Bone", description="Look at this bone of the armature (empty: its origin)"
    )
    look_at_yaw: bpy.props.FloatProperty(
        name="Yaw",
        description="Left (+) or right (−) of straight ahead, seen from the character",
        subtype="ANGLE",
        min=-math.pi / 2,
        max=math.pi / 2,
    )
    look_at_pitch: bpy.props.FloatProperty(
        name="Pitch",
        description="Up (+) or down (−) from straight ahead",
        subtype="ANGLE",
        min=-math.pi / 3,
        max=math.pi / 3,
    )
    look_at_distance: bpy.props.FloatProperty(
        name="Distance",
        description="How far away the eyes converge",
        subtype="DISTANCE",
        default=DEFAULT_DIRECTION_DISTANCE_M,
        min=0.2,
        max=100.0,
    )
    look_at: bpy.props.StringProperty(
        name="Look at (text)",
        description="Gaze target as text, from scenes saved before the picker: an object name, "
        "'Armature:bone', '@camera' or 'dir:YAW,PITCH[,DIST]'; used while Look at is Ahead",
        options={"HIDDEN"},
    )
    every_frame: bpy.props.BoolProperty(
        name="Every frame",
        description="A linear key on every frame in one MicroFace strip (the dense bake). Off: "
        "few editable keys on one strip per layer, within the tolerance below",
        default=False,
    )
    tolerance: bpy.props.FloatProperty(
        name="Tolerance",
        description="How far the keys may stray from the solved motion, as a share of each "
        "channel's range over the bake",
        subtype="PERCENTAGE",
        default=DEFAULT_TOLERANCE_PCT,
        min=0.01,
        max=10.0,
        precision=2,
    )
    rotation_tolerance: bpy.props.FloatProperty(
        name="Rotation tolerance",
        description="How far bone rotations may stray from the solved motion, in degrees",
        default=DEFAULT_ROTATION_TOLERANCE_DEG,
        min=0.001,
        max=5.0,
        precision=3,
    )
    rig_profile: bpy.props.StringProperty(
        name="Rig profile",
        description="Rig convention to use instead of detecting it (empty: detect). Profiles "
        "ship with MicroFace or come from microface/profiles in the Blender config folder "
        "and MICROFACE_PROFILE_PATH",
        search=lambda _self, _context, text: _profile_names(text),
    )
    rig_overrides: bpy.props.StringProperty(
        name="Rig overrides",
        description="Optional JSON override map for this character's rig, winning over "
        'detection, e.g. {"zygomaticus_major_L": {"shape_key": "SmileL_custom", "gain": 0.8}}',
        subtype="FILE_PATH",
    )
    cue_index: bpy.props.IntProperty(name="Cue", options={"HIDDEN"})
    last_report: bpy.props.StringProperty(
        name="Last report",
        description="JSON report of the last bake in this scene",
        options={"HIDDEN"},
    )


def _profile_names(text: str) -> list[str]:
    from ..rig.convention.profiles import ProfileError
    from ..rig.scene.profile_folders import available_profiles

    try:
        names = [p.name for p in available_profiles()]
    except ProfileError:
        return []
    return [n for n in names if text.lower() in n.lower()]


def scene_settings(scene: bpy.types.Scene) -> MicroFaceSceneSettings:
    return scene.microface


# --- last-bake summary ----------------------------------------------------------------------

_SUMMARY_CACHE: dict[str, list[str]] = {}


def summary_lines(report_json: str) -> list[str]:
    """Short, human lines describing a stored bake report (cached: the panel redraws often)."""
    if not report_json:
        return []
    if report_json not in _SUMMARY_CACHE:
        _SUMMARY_CACHE.clear()
        try:
            report: dict[str, Any] = json.loads(report_json)
            lines = [
                f"{report['preset']}, seed {report['seed']}, "
                f"frames {report['frame_range'][0]}–{report['frame_range'][1]}"
            ]
            for ch in report["characters"]:
                own = (
                    f", own settings: {ch['preset']}, seed {ch['seed']}"
                    if ch.get("own_settings")
                    else ""
                )
                lines.append(f"{ch.get('name', ch['character'])}: {ch['convention']}{own}")
                lines += mapping_lines(ch)
                curves = f" on {ch['fcurves']} curves" if "fcurves" in ch else ""
                lines.append(
                    f"  {len(ch['mapped'])} mapped, {len(ch['unmapped'])} unmapped, "
                    f"{ch['keys_written']} keys{curves}"
                )
                lines += [f"  cue not landed: {cue}" for cue in ch.get("unlanded_cues", [])]
                lines += dialogue_lines(ch)
                lines += [f"  {note}" for note in ch.get("notes", [])]
        except (ValueError, KeyError, TypeError, IndexError):
            lines = ["(unreadable report)"]
        _SUMMARY_CACHE[report_json] = lines
    return _SUMMARY_CACHE[report_json]


def dialogue_lines(ch: dict[str, Any]) -> list[str]:
    """What the dialogue layer did for a character: its turns, breaths and cues."""
    d = ch.get("dialogue")
    if not d:
        return []
    own = sum(1 for t in d["turns"] if t["speaker"] == "self")
    breaths = d.get("breaths", {})
    cues = d.get("cues", [])
    line = (
        f"  dialogue: {own} own turns, {len(d['turns']) - own} listened to, "
        f"{len(breaths.get('inhale', []))} speech inhales, {len(cues)} cues"
    )
    left = d.get("lip_sync_channels") or []
    return [line] + ([f"  left to the lip-sync: {', '.join(left)}"] if left else [])


def mapping_lines(ch: dict[str, Any]) -> list[str]:
    """The rig-mapping part of a character's report: score, runner-up, ambiguity, what was
    skipped and what the rig offers that nothing drives."""
    runner = ch.get("runner_up")
    lines = [
        f"  {ch.get('score_kind') or 'score'} {ch['score']:.2f}"
        + (f", runner-up {runner[0]} {runner[1]:.2f}" if runner else "")
        + (f", bones: {ch['bone_convention']}" if ch.get("bone_convention") else "")
    ]
    if ch.get("ambiguous"):
        lines.append(f"  ambiguous with {', '.join(ch['ambiguous'])}: pick a rig profile")
    if ch.get("skipped"):
        lines.append(f"  {len(ch['skipped'])} driven shape keys skipped")
    if ch.get("unused"):
        lines.append(f"  {len(ch['unused'])} rig targets unused")
    return lines


class MICROFACE_PT_main(SidebarPanel, bpy.types.Panel):
    bl_idname = "MICROFACE_PT_main"
    bl_label = "MicroFace"

    def draw(self, context) -> None:
        layout = self.layout
        settings = scene_settings(context.scene)
        missing = preferences.missing_default_preset()
        if missing:
            layout.label(
                text=f"Default preset {missing!r} not found: using neutral_idle", icon="ERROR"
            )
        col = layout.column()
        col.use_property_decorate = False
        draw_bake_fields(col, settings)

        row = layout.row(align=True)
        row.scale_y = 1.3
        row.operator("microface.layer_micro_motion", icon="SHAPEKEY_DATA")
        row.operator("microface.remove_micro_motion", text="", icon="X")

        lines = summary_lines(settings.last_report)
        if lines:
            box = layout.box()
            box.label(text="Last bake", icon="INFO")
            col = box.column(align=True)
            for line in lines:
                col.label(text=line)


CLASSES = (MicroFaceSceneSettings, MICROFACE_PT_main)
