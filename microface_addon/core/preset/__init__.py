"""Presets: JSON documents → validated ``Settings``.

- ``settings``   — ``load_preset``, ``Settings``, ``PresetError``: ``extends`` chains, merging over
  ``presets/defaults.json``, and the one check every preset passes when it loads.
- ``schema``     — validation against the published JSON Schema, in plain words.
- ``library``    — the preset search path (shipped, user folder, ``MICROFACE_PRESET_PATH``).
- ``migrations`` — reading older ``format_version`` files.
- ``controls``   — the TD-facing controls (layer switches/intensities, stylization, stillness)
  and ``stylize``/``stillness``/``reshape``, the preset transforms behind them.
- ``writer``     — saving a minimal preset that ``extends`` its parent.

Import from the modules (``from microface_addon.core.preset.settings import load_preset``); this
package file only indexes them, so importing one never drags in the others.
"""
