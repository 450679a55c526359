"""Presets: JSON documents → validated ``Settings``.

- ``settings``   — ``load_preset``, ``Settings``, ``PresetError``: schema validation, ``extends``.
- ``library``    — the preset search path (shipped, user folder, ``MICROFACE_PRESET_PATH``).
- ``migrations`` — reading older ``format_version`` files.
- ``controls``   — the TD-facing controls (layer switches/intensities, stylization, stillness)
  and ``stylize``/``stillness``/``reshape``, the preset transforms behind them.
- ``writer``     — saving a minimal preset that ``extends`` its parent.
"""

from .settings import PresetError, Problem, Settings, load_preset

__all__ = ["PresetError", "Problem", "Settings", "load_preset"]
