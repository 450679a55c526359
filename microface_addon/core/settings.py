"""Preset JSON → validated, merged ``Settings``.

Why here: every later layer trusts its section, so nothing unvalidated may reach the solver.
Validation uses the published JSON Schema (``presets/microface-preset.schema.json``) and reports
*all* problems at once, each naming the file, the JSON pointer and the line/column.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from .jsonpos import locate, pointer

SCHEMA_FILENAME = "microface-preset.schema.json"
DEFAULTS_NAME = "defaults"
DEFAULT_PRESET = "neutral_idle"
LAYER_SECTIONS = ("blink", "gaze", "breath", "head", "cascade", "micro_events")
PRESET_PATH_ENV = "MICROFACE_PRESET_PATH"


@dataclass(frozen=True)
class Problem:
    file: str
    pointer: str
    line: int | None
    col: int | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.col}"
        return f"{where}: {self.pointer or '/'}: {self.message}"


class PresetError(ValueError):
    """A preset could not be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def builtin_preset_dir() -> Path:
    """The shipped presets: ``<ext>/presets`` when installed, ``<repo>/presets`` in a checkout."""
    here = Path(__file__).resolve().parent
    for cand in (here.parent / "presets", here.parent.parent / "presets"):
        if (cand / SCHEMA_FILENAME).is_file():
            return cand
    raise FileNotFoundError(f"MicroFace presets folder not found near {here}")


def preset_search_path() -> list[Path]:
    """Folders searched for presets by name, lowest priority first (later ones win)."""
    dirs = [builtin_preset_dir()]
    extra = os.environ.get(PRESET_PATH_ENV, "")
    dirs += [Path(p) for p in extra.split(os.pathsep) if p]
    return dirs


def load_schema() -> dict:
    return json.loads((builtin_preset_dir() / SCHEMA_FILENAME).read_text(encoding="utf-8"))


_VALIDATOR: jsonschema.Draft202012Validator | None = None


def _validator() -> jsonschema.Draft202012Validator:
    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = jsonschema.Draft202012Validator(load_schema())
    return _VALIDATOR


def _plain_message(err: jsonschema.ValidationError) -> tuple[list, str]:
    """Turn a jsonschema error into (path, plain-words message)."""
    path = list(err.absolute_path)
    inst = err.instance
    v, val = err.validator, err.validator_value
    if v == "maximum":
        return path, f"{inst!r} is above the maximum {val}"
    if v == "minimum":
        return path, f"{inst!r} is below the minimum {val}"
    if v == "type":
        return path, f"expected {val}, got {type(inst).__name__} {inst!r}"
    if v == "enum":
        return path, f"{inst!r} is not one of {', '.join(map(repr, val))}"
    if v == "additionalProperties":
        allowed = sorted((err.schema.get("properties") or {}).keys())
        extra = sorted(set(inst) - set(allowed))
        return path + [extra[0]] if len(extra) == 1 else path, (
            f"unknown key{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}"
            f" (allowed: {', '.join(allowed)})"
        )
    if v == "required":
        return path, err.message.replace("is a required property", "is missing (required)")
    if v in ("minItems", "maxItems"):
        bound = "at least" if v == "minItems" else "at most"
        return path, f"has {len(inst)} items, expected {bound} {val}"
    return path, err.message


def validate_document(doc: Any, file: str, text: str | None = None) -> list[Problem]:
    """All schema problems of ``doc`` (empty list when valid)."""
    positions = locate(text) if text is not None else {}
    problems = []
    for err in sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        path, msg = _plain_message(err)
        ptr = pointer(path)
        # Unknown keys point at the key itself; every other problem at the offending value.
        at_key = err.validator == "additionalProperties"
        pos = (positions.get(ptr + "#key") if at_key else None) or positions.get(ptr)
        problems.append(Problem(file, ptr, *(pos or (None, None)), msg))
    return problems


def read_json(path: Path) -> tuple[Any, str]:
    """Read and parse a JSON file, turning every failure into a ``PresetError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PresetError([Problem(str(path), "", None, None, "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError([Problem(str(path), "", None, None, f"cannot read: {exc}")]) from None
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise PresetError(
            [Problem(str(path), "", exc.lineno, exc.colno, f"broken JSON: {exc.msg}")]
        ) from None


def deep_merge(base: Mapping, over: Mapping) -> dict:
    """``over`` on top of ``base``; nested objects merge, everything else is replaced."""
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


@dataclass(frozen=True)
class Settings:
    """A validated preset with defaults filled in. Sections are plain mappings read by layers."""

    name: str
    description: str
    source: str
    data: Mapping[str, Any] = field(repr=False)

    @property
    def intensity(self) -> float:
        return float(self.data["intensity"])

    @property
    def state(self) -> str:
        return str(self.data["state"])

    def section(self, name: str) -> Mapping[str, Any]:
        return self.data[name]

    def layer_enabled(self, name: str) -> bool:
        sec = self.data.get(name)
        return bool(sec and sec.get("enabled", True))

    def layer_gain(self, name: str) -> float:
        """Global × layer intensity: how strongly a layer's output is applied."""
        return self.intensity * float(self.data[name].get("intensity", 1.0))

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        """A copy with ``overrides`` deep-merged and re-validated (panel/CLI fields)."""
        merged = deep_merge(self.data, overrides)
        problems = validate_document(merged, f"{self.source} (+ overrides)")
        if problems:
            raise PresetError(problems)
        return Settings(self.name, self.description, self.source, merged)


def resolve_preset_path(name_or_path: str | os.PathLike) -> Path:
    """A preset name found on the search path, or an explicit ``.json`` path."""
    s = str(name_or_path)
    p = Path(s)
    if s.endswith(".json") or os.sep in s or (os.altsep and os.altsep in s):
        return p
    found = None
    for d in preset_search_path():
        cand = d / f"{s}.json"
        if cand.is_file():
            found = cand
    if found is None:
        known = sorted(
            {
                f.stem
                for d in preset_search_path()
                if d.is_dir()
                for f in d.glob("*.json")
                if not f.name.endswith(".schema.json")
            }
        )
        raise PresetError(
            [Problem(s, "", None, None, f"no preset named {s!r} (known: {', '.join(known)})")]
        )
    return found


def load_preset(name_or_path: str | os.PathLike = DEFAULT_PRESET) -> Settings:
    """Load, validate and merge a preset over ``presets/defaults.json``."""
    path = resolve_preset_path(name_or_path)
    doc, text = read_json(path)
    problems = validate_document(doc, str(path), text)
    if problems:
        raise PresetError(problems)
    defaults_path = builtin_preset_dir() / f"{DEFAULTS_NAME}.json"
    defaults, _ = read_json(defaults_path)
    merged = deep_merge(defaults, {k: v for k, v in doc.items() if k != "$schema"})
    return Settings(merged["name"], merged.get("description", ""), str(path), merged)
