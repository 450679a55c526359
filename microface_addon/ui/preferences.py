"""Add-on preferences (default preset and seed) and the preset list every preset menu shows.

Why the add-on's module name is derived, not written: Blender finds preferences by the add-on's
module name, which is ``microface_addon`` when loaded from ``sys.path`` (tests, CLI) but
``bl_ext.<repo>.microface`` when installed as an extension.
"""

from __future__ import annotations

from pathlib import Path

import bpy

from ..core.preset.settings import (
    DEFAULT_PRESET,
    DEFAULTS_NAME,
    SCHEMA_FILENAME,
    preset_search_path,
)

# This module lives in ``<addon>.ui``; the add-on is the package above it.
ADDON_ID = __package__.rpartition(".")[0]
DEFAULT_SEED = 0


def preset_files() -> dict[str, Path]:
    """Preset name → file, over the search path (later folders win, as in ``load_preset``)."""
    found: dict[str, Path] = {}
    for folder in preset_search_path():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            if path.name.endswith(".schema.json") or path.name == SCHEMA_FILENAME:
                continue
            if path.stem == DEFAULTS_NAME:
                continue
            found[path.stem] = path
    return dict(sorted(found.items()))


def preset_items(_self=None, _context=None) -> list:
    """Dynamic ``EnumProperty`` items: presets grouped by where they come from (a heading per
    folder kind), each numbered by its position among all preset names (see ``ui/presets.py``)."""
    from . import presets

    return presets.grouped_items()


def selectable_items() -> list[tuple[str, str, str, int]]:
    """The menu's presets without its headings and separators."""
    return [it for it in preset_items() if it and it[0]]


def _search_presets(_self, _context, edit_text: str) -> list[str]:
    return [n for n in preset_files() if edit_text.lower() in n.lower()]


class MICROFACE_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_ID

    default_preset: bpy.props.StringProperty(
        name="Default preset",
        description="Preset a new scene starts with (name on the preset search path)",
        default=DEFAULT_PRESET,
        search=_search_presets,
    )
    default_seed: bpy.props.IntProperty(
        name="Default seed",
        description="Seed a new scene starts with; the same seed reproduces the same motion",
        default=DEFAULT_SEED,
        min=0,
    )

    def draw(self, _context) -> None:
        col = self.layout.column()
        col.prop(self, "default_preset")
        col.prop(self, "default_seed")


def addon_preferences(context=None):
    """This add-on's preferences, or None when it was registered without being enabled."""
    context = context or bpy.context
    addon = context.preferences.addons.get(ADDON_ID)
    return addon.preferences if addon is not None else None


def default_preset(context=None) -> str:
    """The preferences' default preset; neutral_idle when it is unset or no longer exists
    (``missing_default_preset`` says which, for the panel's warning)."""
    prefs = addon_preferences(context)
    name = prefs.default_preset if prefs is not None else ""
    if not name or name not in _known_names():
        return DEFAULT_PRESET
    return name


def missing_default_preset(context=None) -> str | None:
    """The default preset the preferences name when it is not on the search path, else None."""
    prefs = addon_preferences(context)
    name = prefs.default_preset if prefs is not None else ""
    return name if name and name not in _known_names() else None


def preset_number(*wanted: str) -> int:
    """The menu number of the first of ``wanted`` that is on the search path (then the default
    preset, neutral_idle, the first one): what a preset enum's getter returns."""
    items = selectable_items()
    names = [it[0] for it in items]
    for name in (*wanted, default_preset(), DEFAULT_PRESET):
        if name in names:
            return items[names.index(name)][-1]
    return items[0][-1]


def preset_named(number: int) -> str | None:
    """The preset a menu number stands for (a preset enum's setter stores its name)."""
    return next((ident for ident, *_, n in selectable_items() if n == number), None)


def _known_names() -> set[str]:
    return {it[0] for it in selectable_items()}  # the menu's cached list


def default_seed(context=None) -> int:
    prefs = addon_preferences(context)
    return int(prefs.default_seed) if prefs is not None else DEFAULT_SEED


CLASSES = (MICROFACE_AP_preferences,)
