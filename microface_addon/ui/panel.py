"""The N-panel: per-scene bake settings, the two buttons, and a summary of the last bake.

Why settings live on the scene: they travel with the .blend (a shot keeps its preset and seed),
the panel can show them, and the operators read them when pressed from here.
"""

from __future__ import annotations

import json
from typing import Any

import bpy

from ..core.preset.schema import INTENSITY_RANGE
from . import preferences

# --- scene settings -------------------------------------------------------------------------
# Preset and seed fall back to the add-on preferences until the user picks one for this scene,
# so they are stored in hidden properties behind getters.


def _preset_get(self) -> int:
    items = preferences.selectable_items()
    names = [it[0] for it in items]
    for name in (self.preset_name, preferences.default_preset()):
        if name in names:
            return items[names.index(name)][3]
    return items[0][3]


def _preset_set(self, value: int) -> None:
    for ident, _label, _desc, number in preferences.selectable_items():
        if number == value:
            self.preset_name = ident
            return


def _seed_get(self) -> int:
    if self.is_property_set("seed_value"):
        return self.seed_value
    return preferences.default_seed()


def _seed_set(self, value: int) -> None:
    self.seed_value = value


def draw_bake_fields(col, owner) -> None:
    """The bake options, drawn from the scene settings (panel) or the operator (redo panel):
    both hold properties of the same names."""
    col.use_property_split = True
    col.prop(owner, "preset")
    col.prop(owner, "seed")
    col.prop(owner, "intensity")
    col.prop(owner, "use_scene_range")
    if not owner.use_scene_range:
        sub = col.column(align=True)
        sub.prop(owner, "frame_start")
        sub.prop(owner, "frame_end")
    col.prop(owner, "intents_file")
    col.prop(owner, "look_at", icon="HIDE_OFF")
    col.prop(owner, "rig_profile", icon="ARMATURE_DATA")
    col.prop(owner, "rig_overrides")


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
        "scene's mf: markers (e.g. a marker named 'mf:smile 0.6 duchenne')",
        subtype="FILE_PATH",
    )
    look_at: bpy.props.StringProperty(
        name="Look at",
        description="Gaze target: a camera or object name, 'Armature:bone', or "
        "'dir:YAW,PITCH[,DIST]' (degrees, metres). Empty: the eyes look relative to the head",
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
                lines.append(f"{ch['character']}: {ch['convention']}")
                lines += mapping_lines(ch)
                lines.append(
                    f"  {len(ch['mapped'])} mapped, {len(ch['unmapped'])} unmapped, "
                    f"{ch['keys_written']} keys"
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


class MICROFACE_PT_main(bpy.types.Panel):
    bl_idname = "MICROFACE_PT_main"
    bl_label = "MicroFace"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "MicroFace"

    def draw(self, context) -> None:
        layout = self.layout
        settings = scene_settings(context.scene)
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
