"""Rig convention profiles: data files that say which rig names a canonical channel drives.

Why data: adding a studio's naming convention should mean dropping in a JSON file, not editing
code.  Shipped profiles live next to this module in ``profiles/``; a TD adds folders with the
``MICROFACE_PROFILE_PATH`` environment variable (``os.pathsep``-separated) or drops files into
the Blender config folder ``microface/profiles`` (found by ``rig.scene.profile_folders``, the
only part that asks Blender).  Folders are searched lowest priority first (shipped, user, env)
and a later profile replaces an earlier one of the same ``name``.

Every file is validated against ``profiles/profile.schema.json`` on load; problems name the
file, the JSON pointer and the line/column.  ``{side}`` templates are expanded here, so the rest
of the rig code only sees plain L/R entries.  No ``bpy``: matching and scoring are tested
without Blender.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema

from ...core.channels import CHANNELS
from ...core.jsondoc import PresetError, positions_of, problem_at, read_json
from ...core.limits import MAX_SCHEMA_PROBLEMS
from .names import normalise
from .rigmap import RigError

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
SCHEMA_PATH = PROFILE_DIR / "profile.schema.json"
PROFILE_PATH_ENV = "MICROFACE_PROFILE_PATH"
USER_PROFILE_SUBDIR = "microface/profiles"
SIDES = ("L", "R")


class ProfileError(RigError):
    """A profile or override file is unusable; the message lists every problem with its place."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class KeyTarget:
    key: str
    gain: float = 1.0
    range: tuple[float, float] | None = None  # value limits when driven; None = slider range


@dataclass(frozen=True)
class Control:
    """One control-bone target of a channel (see the schema's ``control``)."""

    bone: str
    toward: str | None = None
    direction: tuple[str, ...] = ()
    distance_between: tuple[str, str] | None = None
    distance_m: float | None = None
    rotate: str | None = None
    gain: float = 1.0

    @property
    def kind(self) -> str:
        return "rotate" if self.rotate else "translate"


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    vocabulary: tuple[str, ...]  # every shape-key name the convention defines
    # channel → choices; each choice is a tuple of alternatives, the first present one is used.
    shape_keys: dict[str, tuple[tuple[KeyTarget, ...], ...]]
    source: str
    bones: tuple[tuple[str, ...], ...] = ()  # signature: alternatives per entry
    skeleton: dict[str, Any] = field(default_factory=dict)  # role → alternatives / neck chains
    controls: dict[str, tuple[Control, ...]] = field(default_factory=dict)
    never_write: tuple[str, ...] = ()
    fallback: bool = False
    handled_by_rig: dict[str, str] = field(default_factory=dict)  # channel → why not driven

    def normalised_vocabulary(self) -> dict[str, str]:
        return {normalise(v): v for v in self.vocabulary}

    @property
    def has_keys(self) -> bool:
        return bool(self.shape_keys)

    @property
    def has_bones(self) -> bool:
        return bool(self.bones)

    def control_bones(self) -> list[str]:
        return sorted({c.bone for cs in self.controls.values() for c in cs})


# --- validation -----------------------------------------------------------------------------


@cache
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema  # lazy: registering the add-on must not load it (docs/performance.md)

    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _message(err: jsonschema.ValidationError) -> str:
    v, val, inst = err.validator, err.validator_value, err.instance
    if v == "additionalProperties":
        allowed = sorted((err.schema.get("properties") or {}).keys())
        extra = sorted(set(inst) - set(allowed)) if isinstance(inst, dict) else []
        return f"unknown key(s) {', '.join(map(repr, extra))} (allowed: {', '.join(allowed)})"
    if v == "required":
        return err.message.replace("is a required property", "is missing (required)")
    if v == "type":
        return f"expected {val}, got {type(inst).__name__} {inst!r}"
    if v == "enum":
        return f"{inst!r} is not one of {', '.join(map(repr, val))}"
    if v == "pattern":
        return f"{inst!r} is not a valid name here (pattern {val})"
    if v == "oneOf" and isinstance(inst, dict) and "bone" in inst:
        return (
            "a control needs exactly one of: 'toward', 'direction' with 'distance', or 'rotate' "
            f"(got keys {', '.join(sorted(inst))})"
        )
    if v in ("minimum", "maximum", "exclusiveMinimum"):
        return f"{inst!r} is out of range ({v} {val})"
    return err.message


def _explain(err: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """For "none of the alternatives matched", the errors of the alternative the document
    evidently meant (the one whose required keys are all there), else ``err`` itself."""
    if err.validator not in ("oneOf", "anyOf") or not err.context:
        return [err]
    branches: dict = {}
    for e in err.context:
        branches.setdefault(e.schema_path[0], []).append(e)

    def off_target(es) -> bool:
        return any(e.validator in ("required", "not", "type") and not e.relative_path for e in es)

    meant = [es for es in branches.values() if not off_target(es)]
    if len(meant) != 1:
        return [err]
    return [x for e in meant[0] for x in _explain(e)]


def schema_problems(doc: Any, file: str, text: str | None, validator=None) -> list[str]:
    """Every schema problem of ``doc`` as ``file:line:col: /pointer: message``."""
    positions = positions_of(text)
    out = []
    validator = validator or _validator()
    tops = islice(validator.iter_errors(doc), MAX_SCHEMA_PROBLEMS)  # a huge bad file stops early
    errors = [e for top in tops for e in _explain(top)]
    for err in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        out.append(str(problem_at(file, err.absolute_path, _message(err), positions)))
    return out


def read_json_file(path: Path) -> tuple[Any, str]:
    """Parse ``path`` as every MicroFace input is read (``core.jsondoc.read_json``: no FIFOs or
    devices, a size limit, no NaN or infinity); problems raise ``ProfileError`` naming the place."""
    try:
        return read_json(path)
    except PresetError as exc:
        raise ProfileError([str(p) for p in exc.problems]) from None


# --- loading --------------------------------------------------------------------------------


def _sub(s: str, side: str | None, sides: dict[str, str]) -> str:
    return s.replace("{side}", sides[side]) if side else s


def _expand(channel: str) -> list[tuple[str, str | None]]:
    if channel.endswith("_{side}"):
        base = channel[: -len("_{side}")]
        return [(f"{base}_{s}", s) for s in SIDES]
    return [(channel, None)]


def _key_choice(raw: dict, side, sides) -> tuple[KeyTarget, ...]:
    alts = raw["first_of"] if "first_of" in raw else [raw]
    return tuple(
        KeyTarget(
            _sub(t["key"], side, sides),
            float(t.get("gain", 1.0)),
            tuple(sorted(map(float, t["range"]))) if "range" in t else None,
        )
        for t in alts
    )


def _control(raw: dict, side, sides) -> Control:
    dist = raw.get("distance") or {}
    between = dist.get("between")
    return Control(
        bone=_sub(raw["bone"], side, sides),
        toward=_sub(raw["toward"], side, sides) if "toward" in raw else None,
        direction=tuple(raw.get("direction", ())),
        distance_between=tuple(_sub(b, side, sides) for b in between) if between else None,
        distance_m=float(dist["m"]) if "m" in dist else None,
        rotate=raw.get("rotate"),
        gain=float(raw.get("gain", 1.0)),
    )


def _alternatives(raw) -> tuple[str, ...]:
    return (raw,) if isinstance(raw, str) else tuple(raw)


def _check_channels(doc: dict, file: str) -> list[str]:
    problems = []
    for section in ("shape_keys", "controls", "handled_by_rig"):
        for ch in doc.get(section, {}):
            for name, _ in _expand(ch):
                if name not in CHANNELS:
                    problems.append(f"{file}: /{section}/{ch}: unknown canonical channel {name!r}")
                elif not CHANNELS[name].bakeable:
                    problems.append(
                        f"{file}: /{section}/{ch}: {name!r} is an internal state, not bakeable"
                    )
    return problems


def profile_from_document(doc: Any, source: str, text: str | None = None) -> Profile:
    """Validate and build a profile from a parsed document (``text`` gives line numbers)."""
    problems = schema_problems(doc, source, text)
    if not problems:
        problems = _check_channels(doc, source)
    if problems:
        raise ProfileError(problems)
    sides = doc.get("sides", {"L": "L", "R": "R"})
    shape_keys: dict[str, tuple] = {}
    for ch, choices in doc.get("shape_keys", {}).items():
        for name, side in _expand(ch):
            shape_keys[name] = shape_keys.get(name, ()) + tuple(
                _key_choice(c, side, sides) for c in choices
            )
    controls: dict[str, tuple] = {}
    for ch, items in doc.get("controls", {}).items():
        for name, side in _expand(ch):
            controls[name] = controls.get(name, ()) + tuple(_control(c, side, sides) for c in items)
    handled = {
        name: reason
        for ch, reason in doc.get("handled_by_rig", {}).items()
        for name, _ in _expand(ch)
    }
    skeleton: dict[str, Any] = {}
    for role, raw in doc.get("skeleton", {}).items():
        skeleton[role] = tuple(tuple(c) for c in raw) if role == "neck" else _alternatives(raw)
    vocab = doc.get("vocabulary") or sorted(
        {t.key for choices in shape_keys.values() for alts in choices for t in alts}
    )
    bones = []
    for entry in doc.get("bones", []):
        alts = _alternatives(entry)
        if any("{side}" in a for a in alts):
            bones += [tuple(_sub(a, s, sides) for a in alts) for s in SIDES]
        else:
            bones.append(alts)
    return Profile(
        name=doc["name"],
        description=doc.get("description", ""),
        vocabulary=tuple(vocab),
        shape_keys=shape_keys,
        source=source,
        bones=tuple(bones),
        skeleton=skeleton,
        controls=controls,
        never_write=tuple(doc.get("never_write", ())),
        fallback=bool(doc.get("fallback", False)),
        handled_by_rig=handled,
    )


def load_profile(path: Path) -> Profile:
    """Read, validate and expand one profile file; raises ``ProfileError``."""
    doc, text = read_json_file(path)
    return profile_from_document(doc, str(path), text)


def is_profile_file(path: Path) -> bool:
    return path.suffix == ".json" and not path.name.endswith(".schema.json") and path.is_file()


# --- search path ----------------------------------------------------------------------------


def env_profile_dirs() -> list[Path]:
    return [Path(p) for p in os.environ.get(PROFILE_PATH_ENV, "").split(os.pathsep) if p]


def profile_search_path(extra_dirs: Sequence[str | os.PathLike] | None = None) -> list[Path]:
    """Folders searched for profiles, lowest priority first: shipped, ``extra_dirs``, env.

    ``extra_dirs`` are the user's folders; inside Blender, ``rig.scene.profile_folders`` passes
    the Blender config folder (this module never asks Blender where it is).
    """
    return [PROFILE_DIR, *(Path(d) for d in extra_dirs or ()), *env_profile_dirs()]


@cache
def shipped_profiles() -> tuple[Profile, ...]:
    return tuple(load_profile(p) for p in sorted(PROFILE_DIR.glob("*.json")) if is_profile_file(p))


_CACHE: dict[str, tuple[float, Profile]] = {}


def _load_cached(path: Path) -> Profile:
    mtime = path.stat().st_mtime
    hit = _CACHE.get(str(path))
    if hit and hit[0] == mtime:
        return hit[1]
    prof = load_profile(path)
    _CACHE[str(path)] = (mtime, prof)
    return prof


def available_profiles(
    extra_dirs: Sequence[str | os.PathLike] | None = None,
) -> tuple[Profile, ...]:
    """Every profile on the search path, one per name (the highest-priority folder wins).

    ``extra_dirs``: the user's profile folders (none here; see ``rig.scene.profile_folders``
    for the Blender config folder).  A broken profile file raises ``ProfileError``: a TD who dropped it in wants to know, and
    silently skipping it would make detection change without a word.
    """
    by_name = {p.name: p for p in shipped_profiles()}
    problems: list[str] = []
    for folder in profile_search_path(extra_dirs)[1:]:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            if not is_profile_file(path):
                continue
            try:
                prof = _load_cached(path)
            except ProfileError as exc:
                problems += exc.problems
                continue
            by_name[prof.name] = prof
    if problems:
        raise ProfileError(problems)
    return tuple(sorted(by_name.values(), key=lambda p: p.name))


def find_profile(name: str, extra_dirs=None) -> Profile:
    profiles = available_profiles(extra_dirs)
    for p in profiles:
        if p.name == name:
            return p
    raise RigError(f"unknown rig profile {name!r} (known: {', '.join(p.name for p in profiles)})")
