"""What the character does when, in seconds: the timeline.

- ``track``   — ``Timeline`` and ``StateChange``: the data model layers read.
- ``intents`` — intent kinds (smile, frown, …), their variants and their drive envelopes.
- ``look_at`` — ``LookAt``: the primary gaze target over time.
- ``grammar`` — one grammar for ``mf:`` markers, intents files and a preset's ``timeline``;
  ``MarkerError`` for marker text that does not parse, ``timeline_problems`` for the check a
  preset's ``timeline`` gets when it loads.

The timeline knows presets only through what it reads of them (``grammar.PresetView``): the
preset package imports this one, never the other way round (except ``preset/library`` for the
schema's vocabularies).
"""

from .grammar import (
    MarkerError,
    load_intents_file,
    parse_marker,
    preset_timeline,
    settings_vocabulary,
    timeline_from_entries,
    timeline_from_markers,
)
from .intents import Intent
from .look_at import LookAt
from .track import StateChange, Timeline

__all__ = [
    "Intent",
    "LookAt",
    "MarkerError",
    "StateChange",
    "Timeline",
    "load_intents_file",
    "parse_marker",
    "preset_timeline",
    "settings_vocabulary",
    "timeline_from_entries",
    "timeline_from_markers",
]
