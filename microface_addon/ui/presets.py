"""Presets in the panel: the grouped preset menu, per-bake control overrides, Save as preset and
Reload presets.

Why a module of its own: the panel and bake operator stay about baking; this module only turns
scene fields into the same ``Controls`` the CLI builds (``core/preset/controls.py``), with one
toggle and strength slider per registered layer (``core/solver/registry.py``), and talks to the
preset folders (``core/preset/library.py``, ``core/preset/writer.py``).  The user's preset folder
is Blender's config folder ``microface/presets``; the core never imports ``bpy``, so it is handed
over here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy

from ..core.preset import library
from ..core.preset.controls import Controls
from ..core.preset.schema import INTENSITY_RANGE
from ..core.preset.settings import PresetError, load_preset
from ..core.preset.writer import derived_preset, write_preset
from ..core.solver import registry
from .sidebar import SubPanel

USER_PRESETS_SUBDIR = "microface/presets"
GROUP_LABELS = {library.BUILTIN: "Add-on", library.USER: "User", library.ENV: "Studio path"}

# Blender keeps only C pointers to a dynamic enum's strings: keep the list referenced here.
_ITEMS: list[Any] = []
_KEY: tuple = ()
# What the last Reload presets found wrong with each preset (full check: schema, layers,
# timeline), for the folder state it checked; stale once a file changes.
_BROKEN: dict[str, str] = {}
_BROKEN_KEY: tuple = ()


def _broken_now() -> dict[str, str]:
    return _BROKEN if _BROKEN_KEY == _KEY else {}


def check_presets() -> dict[str, str]:
    """Load every preset on the search path as a bake would: name → what is wrong (one line)
    for those that fail.  Imports jsonschema: run from Reload presets, never at start-up."""
    out = {}
    for info in library.list_presets():
        if info.problem:
            out[info.name] = info.problem
            continue
        try:
            load_preset(info.path)
        except PresetError as exc:
            lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
            out[info.name] = lines[0] + (f" (+{len(lines) - 1} more)" if len(lines) > 1 else "")
    return out


def _folder_state() -> tuple:
    """Every preset folder's files with their modification times: changes when anything does."""
    state = []
    for d in library.preset_dirs():
        if d.path.is_dir():
            for f in sorted(d.path.glob("*.json")):
                try:
                    state.append((d.kind, str(f), f.stat().st_mtime_ns))
                except OSError:
                    continue
    return tuple(state)


def user_preset_folder() -> Path:
    """``<Blender config>/microface/presets`` (not created until something is saved there)."""
    return Path(bpy.utils.user_resource("CONFIG", path=USER_PRESETS_SUBDIR))


def register_user_folder() -> None:
    library.set_user_preset_dirs([user_preset_folder()])


def _tooltip(info: library.PresetInfo) -> str:
    text = info.description or "(no description)"
    where = f"{GROUP_LABELS.get(info.kind, info.kind)}: {info.path}"
    if info.shadows:
        where += f" (replaces {', '.join(str(p) for p in info.shadows)})"
    if info.problem:
        where += f" — {info.problem}"
    return f"{text}\n{where}"


def grouped_items() -> list[Any]:
    """Enum items for the preset menu: a heading per source, presets sorted by name inside.

    Numbers are positions in the name-sorted list of presets, so they do not change with the
    grouping; headings (empty identifiers) and separators (None) are not selectable.
    """
    global _ITEMS, _KEY
    key = _folder_state()
    if key == _KEY and _ITEMS:
        return _ITEMS  # menus redraw often: reread the folders only when a file changed
    _KEY = key
    infos = library.list_presets()
    number = {info.name: i for i, info in enumerate(infos)}
    items: list[Any] = []
    for kind in (library.BUILTIN, library.USER, library.ENV):
        group = [i for i in infos if i.kind == kind]
        if not group:
            continue
        if items:
            items.append(None)
        items.append(("", GROUP_LABELS[kind], ""))
        broken = _broken_now()
        for info in group:
            label = info.name.replace("_", " ").title()
            reason = broken.get(info.name, "")
            tip = _tooltip(info) + (f"\nBroken: {reason}" if reason else "")
            label += " (broken)" if reason else ""
            icon = "ERROR" if reason else "NONE"
            items.append((info.name, label, tip, icon, number[info.name]))
    if not items:
        items = [("NONE", "No presets found", "No preset on the MicroFace search path", "NONE", 0)]
    if items != _ITEMS:
        _ITEMS = items
    return _ITEMS


# --- per-bake overrides ---------------------------------------------------------------------


def _layer_props() -> dict[str, Any]:
    props: dict[str, Any] = {}
    for layer in registry.layers():
        name = layer.name
        props[f"use_{name}"] = bpy.props.BoolProperty(
            name=layer.label,
            description=f"Bake the {name.replace('_', '-')} layer (off: leave it out, the "
            "other layers stay exactly the same)",
            default=True,
        )
        props[f"{name}_strength"] = bpy.props.FloatProperty(
            name="Strength",
            description=f"Multiplies the preset's {name.replace('_', '-')} intensity",
            default=1.0,
            min=INTENSITY_RANGE[0],
            max=INTENSITY_RANGE[1],
            subtype="FACTOR",
        )
    return props


class MicroFaceControls(bpy.types.PropertyGroup):
    """Scene fields that override the chosen preset for this scene's bakes."""

    override_stylization: bpy.props.BoolProperty(
        name="Stylization", description="Override the preset's realism ↔ stylization"
    )
    stylization: bpy.props.FloatProperty(
        name="Stylization",
        description="0 = physiological, 1 = stylised: bigger, snappier, held poses, fewer but "
        "clearer events; muscle order, blink asymmetry and breath phase are kept",
        min=0.0,
        max=1.0,
        subtype="FACTOR",
    )
    override_stillness: bpy.props.BoolProperty(
        name="Stillness", description="Override the preset's stillness"
    )
    stillness: bpy.props.FloatProperty(
        name="Stillness",
        description="Scale all idle motion down: 1 = locked (cues on the timeline still play)",
        min=0.0,
        max=1.0,
        subtype="FACTOR",
    )
    hold_eye_contact: bpy.props.BoolProperty(
        name="Hold eye contact",
        description="Keep the eyes on the look-at target: no saccades away (microsaccades stay)",
    )


for _name, _prop in _layer_props().items():
    MicroFaceControls.__annotations__[_name] = _prop
# The layers with a toggle and a strength slider (those registered when the add-on loaded).
PANEL_LAYERS = tuple(layer.name for layer in registry.layers())


def controls(scene: bpy.types.Scene) -> MicroFaceControls:
    return scene.microface_controls


def scene_controls(scene: bpy.types.Scene) -> Controls:
    """The preset controls the scene's fields stand for (only what they change)."""
    c = controls(scene)
    # Blender stores these as 32-bit floats: round so 0.4 is written as 0.4, not 0.4000000059.
    r = lambda v: round(float(v), 4)  # noqa: E731
    return Controls(
        disable=tuple(layer for layer in PANEL_LAYERS if not getattr(c, f"use_{layer}")),
        layer_intensity={
            layer: r(getattr(c, f"{layer}_strength"))
            for layer in PANEL_LAYERS
            if getattr(c, f"{layer}_strength") != 1.0
        },
        stylization=r(c.stylization) if c.override_stylization else None,
        stillness=r(c.stillness) if c.override_stillness else None,
        hold_eye_contact=True if c.hold_eye_contact else None,
    )


def draw_controls(layout, scene: bpy.types.Scene) -> None:
    c = controls(scene)
    col = layout.column()
    for flag, value in (
        ("override_stylization", "stylization"),
        ("override_stillness", "stillness"),
    ):
        row = col.row(align=True)
        row.prop(c, flag, text="")
        sub = row.row()
        sub.active = getattr(c, flag)
        sub.prop(c, value)
    col.prop(c, "hold_eye_contact")
    col.separator()
    grid = col.grid_flow(columns=2, even_columns=True, align=True)
    for layer in PANEL_LAYERS:
        grid.prop(c, f"use_{layer}")
        sub = grid.row()
        sub.active = getattr(c, f"use_{layer}")
        sub.prop(c, f"{layer}_strength")
    row = layout.row(align=True)
    row.operator("microface.save_preset", icon="FILE_NEW")
    row.operator("microface.reload_presets", text="", icon="FILE_REFRESH")


class MICROFACE_PT_presets(SubPanel, bpy.types.Panel):
    bl_idname = "MICROFACE_PT_presets"
    bl_label = "Preset overrides"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context) -> None:
        draw_controls(self.layout, context.scene)


# --- operators ------------------------------------------------------------------------------


def current_preset(scene: bpy.types.Scene) -> str:
    return scene.microface.preset


def _loaded(name: str):
    try:
        return load_preset(name)
    except PresetError:
        return None


class SaveError(ValueError):
    """Save as preset refused (a name taken, nothing changed)."""


class MICROFACE_OT_save_preset(bpy.types.Operator):
    """Save the current preset with this panel's overrides as a new preset in your user folder:
    a small file that extends the current preset and lists only what differs"""

    bl_idname = "microface.save_preset"
    bl_label = "Save as preset"
    bl_options = {"REGISTER"}

    name: bpy.props.StringProperty(name="Name", description="Name of the new preset")
    description: bpy.props.StringProperty(
        name="Description", description="What performance the new preset gives"
    )
    overwrite: bpy.props.BoolProperty(
        name="Overwrite",
        description="Replace the preset of the same name (a shipped or studio preset is then "
        "shadowed by yours)",
    )

    def _existing(self) -> library.PresetInfo | None:
        name = self.name.strip()
        return next((i for i in library.list_presets() if i.name == name), None)

    def invoke(self, context, _event):
        if not self.name:
            self.name = f"{current_preset(context.scene)}_custom"
        return context.window_manager.invoke_props_dialog(self)

    def draw(self, context) -> None:
        col = self.layout.column()
        col.prop(self, "name")
        col.prop(self, "description")
        existing = self._existing()
        if existing is not None:
            where = GROUP_LABELS.get(existing.kind, existing.kind)
            col.label(text=f"{existing.name!r} exists ({where}): saving replaces it", icon="ERROR")
            col.prop(self, "overwrite", text="Replace it")
        base = _loaded(current_preset(context.scene))
        if base is not None and not scene_controls(context.scene).overrides(base):
            col.label(text="The panel changes nothing: there is nothing to save", icon="INFO")

    def execute(self, context):
        scene = context.scene
        parent = current_preset(scene)
        try:
            base = load_preset(parent)
            name = self.name.strip()
            if not name:
                raise SaveError(f"give the new preset a name (e.g. {parent}_custom)")
            existing = self._existing()
            if existing is not None and not self.overwrite:
                where = GROUP_LABELS.get(existing.kind, existing.kind)
                raise SaveError(
                    f"a preset named {name!r} exists already ({where}: {existing.path}); "
                    "tick Overwrite to replace it, or pick another name"
                )
            overrides = scene_controls(scene).overrides(base)
            target = user_preset_folder() / f"{name}.json"
            replacing = target if self.overwrite and target.exists() else None
            if not overrides and replacing is None:
                raise SaveError(
                    f"nothing to save: the panel's overrides change nothing in {parent!r} "
                    "(change a control first, or pick the preset from the menu)"
                )
            doc = derived_preset(name, parent, overrides, self.description, replacing=replacing)
            path = write_preset(user_preset_folder(), doc, overwrite=self.overwrite)
            load_preset(path)  # the file we wrote must load, parent and all
        except (PresetError, SaveError, OSError) as exc:
            text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            self.report({"ERROR"}, f"MicroFace: {text}")
            return {"CANCELLED"}
        grouped_items()
        scene.microface.preset_name = doc["name"]
        self.report({"INFO"}, f"MicroFace: saved preset {doc['name']} to {path}")
        return {"FINISHED"}


class MICROFACE_OT_reload_presets(bpy.types.Operator):
    """Rescan the preset folders and check every preset as a bake would (after editing or
    adding preset files by hand): broken ones are marked in the menu with the reason"""

    bl_idname = "microface.reload_presets"
    bl_label = "Reload presets"
    bl_options = {"REGISTER"}

    def execute(self, context):
        global _KEY, _BROKEN, _BROKEN_KEY, _ITEMS
        register_user_folder()
        _KEY = ()  # force a rescan even if no modification time changed
        grouped_items()
        _BROKEN, _BROKEN_KEY = check_presets(), _KEY
        _KEY, _ITEMS = (), []  # rebuild the menu with the findings
        items = [it for it in grouped_items() if it and it[0]]
        for area in getattr(context.screen, "areas", ()):
            area.tag_redraw()
        if _BROKEN:
            names = "; ".join(f"{n}: {why}" for n, why in sorted(_BROKEN.items()))
            self.report({"WARNING"}, f"MicroFace: {len(items)} presets, broken — {names}")
        else:
            self.report({"INFO"}, f"MicroFace: {len(items)} presets, all valid")
        return {"FINISHED"}


CLASSES = (MicroFaceControls, MICROFACE_OT_save_preset, MICROFACE_OT_reload_presets)
PANELS = (MICROFACE_PT_presets,)


def register_scene_property() -> None:
    register_user_folder()
    bpy.types.Scene.microface_controls = bpy.props.PointerProperty(
        type=MicroFaceControls, name="MicroFace preset overrides"
    )


def unregister_scene_property() -> None:
    if hasattr(bpy.types.Scene, "microface_controls"):
        del bpy.types.Scene.microface_controls
    library.set_user_preset_dirs([])
