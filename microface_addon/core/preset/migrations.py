"""Preset format versions: read older files by upgrading them in memory, with a notice.

Why: a studio's presets outlive releases.  A preset names the format it was written in
(``format_version``); loading an older one upgrades a copy step by step (0 → 1 → …) and says
what changed, so the TD can re-save it; the file on disk is never touched.  A file from a
*newer* format is refused with a clear message instead of being half-understood.

Adding format N+1: bump ``CURRENT_FORMAT``, add ``MIGRATIONS[N] = upgrade_N_to_N1`` (a pure
function returning the new document and one line per change), raise the schema's
``format_version`` maximum, and describe the change in ``docs/presets.md``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

CURRENT_FORMAT = 1
# The oldest format any released MicroFace wrote; older numbers are unknown, not migratable.
OLDEST_FORMAT = 0


def upgrade_0_to_1(doc: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Format 0 (the pre-release sketch format) → 1.

    Format 0 differed in four places: the global multiplier was ``gain``; a parent was named by
    ``inherits``; ``blink.rate_per_min`` was one number, the resting rate; and timeline entries
    gave their time as ``time_s``.
    """
    out = copy.deepcopy(doc)
    changes = []
    for old, new in (("gain", "intensity"), ("inherits", "extends")):
        if old in out and new not in out:
            out[new] = out.pop(old)
            changes.append(f"renamed '{old}' to '{new}'")
    blink = out.get("blink")
    if isinstance(blink, dict):
        rate = blink.get("rate_per_min")
        if isinstance(rate, (int, float)) and not isinstance(rate, bool):
            blink["rate_per_min"] = {"rest": rate}
            changes.append("blink.rate_per_min (one number) became blink.rate_per_min.rest")
    timeline = out.get("timeline")
    if isinstance(timeline, list):
        moved = 0
        for entry in timeline:
            if isinstance(entry, dict) and "time_s" in entry and "at_s" not in entry:
                entry["at_s"] = entry.pop("time_s")
                moved += 1
        if moved:
            changes.append(f"timeline 'time_s' renamed to 'at_s' in {moved} entries")
    out["format_version"] = 1
    return out, changes


MIGRATIONS: dict[int, Callable[[dict[str, Any]], tuple[dict[str, Any], list[str]]]] = {
    0: upgrade_0_to_1,
}


class FormatTooNew(ValueError):
    """The preset was written for a newer format than this MicroFace reads."""


def upgrade(doc: Any) -> tuple[Any, list[str]]:
    """``doc`` upgraded to ``CURRENT_FORMAT`` and the changes made, one line each.

    Anything that is not an object with an integer ``format_version`` below the current one is
    returned unchanged (schema validation reports what is wrong with it).  Raises
    ``FormatTooNew`` for a version above the current one.
    """
    if not isinstance(doc, dict):
        return doc, []
    version = doc.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        return doc, []
    if version > CURRENT_FORMAT:
        raise FormatTooNew(
            f"format_version {version} is newer than this MicroFace reads (up to "
            f"{CURRENT_FORMAT}); update MicroFace to use this preset"
        )
    if version < OLDEST_FORMAT:
        return doc, []
    changes: list[str] = []
    while version < CURRENT_FORMAT:
        doc, step = MIGRATIONS[version](doc)
        changes += [f"{version}→{version + 1}: {c}" for c in step]
        version += 1
    return doc, changes
