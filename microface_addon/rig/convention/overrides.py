"""Per-character override maps: a TD's word beats detection, channel by channel.

Why: detection is a good guess, but a studio character may call its smile ``SmileL_custom`` or
drive its head from a ``Head_ctrl`` bone.  An override map (a dict from the API, or a JSON file
from the panel/CLI) names the targets for the channels it lists, and only those; an empty list
switches a channel off.  Validated against ``overrides.schema.json`` with clear places.

Example::

    {"zygomaticus_major_L": {"shape_key": "SmileL_custom", "gain": 0.8},
     "head_yaw": {"bone": "Head_ctrl"},
     "orbicularis_oculi_palpebral_L": [{"bone": "LidUp.L", "toward": "LidLo.L"}],
     "risorius_L": [],
     "skeleton": {"head": "Head_ctrl", "neck": ["Neck1", "Neck2"]}}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema

from ...core.channels import CHANNELS
from ...core.jsondoc import positions_of, problem_at
from .profiles import Control, ProfileError, read_json_file, schema_problems

SCHEMA_PATH = Path(__file__).resolve().parent / "overrides.schema.json"


@dataclass(frozen=True)
class KeyOverride:
    shape_key: str
    gain: float = 1.0
    mesh: str | None = None


@dataclass(frozen=True)
class BoneOverride:
    """A plain bone for an angle channel: rotate about the channel's own axis × gain."""

    bone: str
    gain: float = 1.0


@dataclass
class OverrideMap:
    channels: dict[str, list] = field(
        default_factory=dict
    )  # channel → [KeyOverride|BoneOverride|Control]
    skeleton: dict[str, Any] = field(default_factory=dict)
    source: str = "override map"

    def __bool__(self) -> bool:
        return bool(self.channels or self.skeleton)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema  # lazy: registering the add-on must not load it (docs/performance.md)

    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _target(raw: dict, channel: str, where: str) -> Any:
    if "shape_key" in raw:
        return KeyOverride(raw["shape_key"], float(raw.get("gain", 1.0)), raw.get("mesh"))
    kinds = [k for k in ("toward", "direction", "rotate") if k in raw]
    if not kinds:
        if CHANNELS[channel].kind != "angle":
            raise ProfileError(
                [
                    f"{where}: a bone for activation channel {channel!r} needs 'toward', "
                    "'direction' with 'distance', or 'rotate'"
                ]
            )
        return BoneOverride(raw["bone"], float(raw.get("gain", 1.0)))
    if len(kinds) > 1 or ("direction" in raw) != ("distance" in raw):
        raise ProfileError(
            [f"{where}: use exactly one of 'toward', 'direction' with 'distance', or 'rotate'"]
        )
    dist = raw.get("distance") or {}
    return Control(
        bone=raw["bone"],
        toward=raw.get("toward"),
        direction=tuple(raw.get("direction", ())),
        distance_between=tuple(dist["between"]) if "between" in dist else None,
        distance_m=float(dist["m"]) if "m" in dist else None,
        rotate=raw.get("rotate"),
        gain=float(raw.get("gain", 1.0)),
    )


def override_map(doc: Any, source: str = "override map", text: str | None = None) -> OverrideMap:
    """Validate a parsed override document; raises ``ProfileError`` listing every problem."""
    if isinstance(doc, OverrideMap):
        return doc
    problems = schema_problems(doc, source, text, _validator())
    if problems:
        raise ProfileError(problems)
    out = OverrideMap(source=source)
    positions = positions_of(text)
    unknown = []
    for ch, value in doc.items():
        if ch in ("$schema", "skeleton"):
            continue
        if ch not in CHANNELS or not CHANNELS[ch].bakeable:
            unknown.append(ch)
            continue
        items = value if isinstance(value, list) else [value]
        where = problem_at(source, [ch], "", positions).place
        out.channels[ch] = [_target(t, ch, where) for t in items]
    if unknown:
        known = ", ".join(n for n, c in CHANNELS.items() if c.bakeable)
        raise ProfileError(
            [f"{source}: unknown channel(s) {', '.join(map(repr, unknown))} (known: {known})"]
        )
    out.skeleton = dict(doc.get("skeleton", {}))
    return out


def load_override_map(path: str | os.PathLike) -> OverrideMap:
    doc, text = read_json_file(Path(path))
    return override_map(doc, str(path), text)


def as_override_map(value: Any) -> OverrideMap | None:
    """Dict, path, ``OverrideMap`` or None → ``OverrideMap`` or None."""
    if value is None or value == {} or value == "":
        return None
    if isinstance(value, OverrideMap):
        return value
    if isinstance(value, (str, os.PathLike)):
        return load_override_map(value)
    return override_map(value)
