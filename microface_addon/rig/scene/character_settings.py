"""A character's own bake settings, stored on the character (its armature, or its main mesh).

Why on the object: in a crowd each character wants its own preset, seed and strength, and a
multi-character bake must use them in one click; stored on the object they travel with it
(append, link, duplicate) and the panel shows them for the active character.  The panel writes
them through a registered property group (``ui/character.py``); the bake reads the raw ID
properties here, so the command line finds them without the add-on registered.

Layout of the ID property ``SETTINGS_PROP`` (only what the user set is stored; the rest is the
default): ``use_own`` (bool), ``preset_name`` (str), ``seed`` (int), ``intensity`` (float), and
``use_<layer>`` (bool, default True) for each solver layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import bpy

SETTINGS_PROP = "microface_settings"
USE_OWN = "use_own"
PRESET = "preset_name"
SEED = "seed"
INTENSITY = "intensity"
LAYER_TOGGLE = "use_{}"  # .format(layer name)


@dataclass(frozen=True)
class CharacterSettings:
    """What a character bakes with instead of the scene's settings."""

    preset: str | None  # None: the scene's
    seed: int
    intensity: float
    disabled: tuple[str, ...]  # solver layers switched off for this character


def character_settings(
    owner: bpy.types.Object, layer_names: tuple[str, ...]
) -> CharacterSettings | None:
    """The character's own settings, or None when it uses the scene's."""
    raw = owner.get(SETTINGS_PROP)
    if raw is None or not bool(raw.get(USE_OWN, False)):
        return None
    preset = str(raw.get(PRESET, "") or "") or None
    disabled = tuple(n for n in layer_names if not bool(raw.get(LAYER_TOGGLE.format(n), True)))
    return CharacterSettings(
        preset=preset,
        seed=int(raw.get(SEED, 0)),
        intensity=float(raw.get(INTENSITY, 1.0)),
        disabled=disabled,
    )
