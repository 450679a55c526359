"""Stillness: one control that turns all *idle* motion down, smoothly, to a locked face.

Why separate from the layer switches: a director asking for "stiller" wants less of everything
that happens on its own — sway, wandering eyes, breathing, blinks, twitches — in proportion, not
one layer gone.  The performance on the timeline (smiles, frowns, posture changes, breath holds
as cues) is not idle motion and plays unchanged.

At ``amount`` a, idle quantities are multiplied by (1 − a): at 1 nothing moves by itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .reshape import scaled


def rules(amount: float) -> list[tuple[str, float]]:
    keep = 1.0 - float(amount)
    return [
        ("blink.rate_per_min.*", keep),  # fewer blinks, each still a whole blink
        ("gaze.intensity", keep),  # every excursion from the target; the target itself stays
        ("breath.intensity", keep),
        ("head.sway.amplitude_deg.*", keep),
        ("head.breath_pitch_deg", keep),
        ("head.listening.tilt_rate_per_min", keep),
        ("head.listening.nod_rate_per_min", keep),
        ("micro_events.intensity", keep),
    ]


def still(data: Mapping[str, Any], amount: float) -> dict[str, Any]:
    """A copy of the merged preset document ``data`` with idle motion scaled by 1 − ``amount``."""
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"stillness must be within 0…1, got {amount!r}")
    if amount == 0.0:
        return dict(data)
    return scaled(data, rules(amount))
