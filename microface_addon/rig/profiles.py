"""Rig convention profiles: data files that say which rig names a canonical channel drives.

Why data: adding a studio's naming convention should mean dropping in a JSON file, not
editing code.  Shipped profiles live next to this module in ``profiles/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .names import normalise

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    vocabulary: tuple[str, ...]  # every shape-key name the convention defines
    shape_keys: dict[str, tuple[tuple[str, float], ...]]  # channel → ((key, gain), …)
    source: str

    def normalised_vocabulary(self) -> dict[str, str]:
        return {normalise(v): v for v in self.vocabulary}


def load_profile(path: Path) -> Profile:
    data = json.loads(path.read_text(encoding="utf-8"))
    sk = {
        ch: tuple((t["key"], float(t.get("gain", 1.0))) for t in targets)
        for ch, targets in data.get("shape_keys", {}).items()
    }
    vocab = tuple(data.get("vocabulary") or sorted({k for ts in sk.values() for k, _ in ts}))
    return Profile(data["name"], data.get("description", ""), vocab, sk, str(path))


@cache
def shipped_profiles() -> tuple[Profile, ...]:
    return tuple(load_profile(p) for p in sorted(PROFILE_DIR.glob("*.json")))
