"""Validating preset documents against the published JSON Schema, in plain words.

Why here: the schema (``presets/microface-preset.schema.json``) is the contract TDs' editors read,
so it is the first check of every preset file, of the merged result and of every set of panel/CLI
overrides.  jsonschema's messages are rewritten for TDs ("40 is above the maximum 30") and each
problem names its file, JSON pointer and line/column (``core/jsondoc.py``).

The solver's layer registry extends the published schema in one way: a registered layer whose
section the schema does not describe (a studio's own layer, a test's toy layer) is accepted with
the generic layer section ``$defs/layer`` (``enabled`` and ``intensity``).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema

from ..jsondoc import Problem, positions_of, problem_at
from ..limits import MAX_SCHEMA_PROBLEMS
from ..solver import registry
from .library import load_schema

__all__ = ["INTENSITY_RANGE", "load_schema", "validate_document", "validator"]


def _intensity_range() -> tuple[float, float]:
    node = load_schema()["$defs"]["intensity"]
    return float(node["minimum"]), float(node["maximum"])


# (lowest, highest) value of every intensity: the global one, each layer's, the panel's sliders
# and the CLI's --intensity (``$defs/intensity`` in the schema, the one place it is written).
INTENSITY_RANGE = _intensity_range()

_VALIDATORS: dict[tuple[str, ...], jsonschema.Draft202012Validator] = {}


def validator() -> jsonschema.Draft202012Validator:
    """The preset validator for the layers registered now (built once per set of layers)."""
    key = registry.names()
    if key not in _VALIDATORS:
        import jsonschema  # lazy: registering the add-on must not load it (docs/performance.md)

        schema = load_schema()
        for name in key:
            schema["properties"].setdefault(name, {"$ref": "#/$defs/layer"})
        _VALIDATORS[key] = jsonschema.Draft202012Validator(schema)
    return _VALIDATORS[key]


def plain_message(err: jsonschema.ValidationError) -> tuple[list, str]:
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


def validate_document(
    doc: Any, file: str, text: str | None = None, positions: Mapping | None = None
) -> list[Problem]:
    """The schema problems of ``doc`` (empty list when valid): all of them, up to
    ``MAX_SCHEMA_PROBLEMS`` (a million bad items would take minutes to list; one more line then
    says that checking stopped)."""
    found = list(islice(validator().iter_errors(doc), MAX_SCHEMA_PROBLEMS + 1))
    stopped = len(found) > MAX_SCHEMA_PROBLEMS
    errors = sorted(found[:MAX_SCHEMA_PROBLEMS], key=lambda e: list(map(str, e.absolute_path)))
    if errors and positions is None:
        positions = positions_of(text)
    problems = []
    for err in errors:
        path, msg = plain_message(err)
        # Unknown keys point at the key itself; every other problem at the offending value.
        at_key = err.validator == "additionalProperties"
        problems.append(problem_at(file, path, msg, positions, at_key=at_key))
    if stopped:
        problems.append(
            Problem(file, "", None, None, f"checking stopped after {MAX_SCHEMA_PROBLEMS} problems")
        )
    return problems
