"""Scale values inside a preset document, clamped to the bounds the schema publishes.

Why: stylization and stillness are transforms of *preset values* (faster attacks, smaller sway),
not of curves, so every layer keeps its own model and the result is still a valid preset.  The
bounds come from the schema itself, so a transform can never produce a value a TD could not
have typed.
"""

from __future__ import annotations

import copy
import fnmatch
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from .library import load_schema


@lru_cache(maxsize=1)
def _schema() -> dict:
    return load_schema()


def _deref(node: Mapping) -> Mapping:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = _schema()
        for part in ref[2:].split("/"):
            target = target[part]
        return target
    return node


def schema_at(path: tuple) -> Mapping:
    """The schema node that governs the value at ``path`` (keys/indices), or ``{}``."""
    node: Mapping = _schema()
    for key in path:
        node = _deref(node)
        if isinstance(key, int):
            node = node.get("items", {}) if isinstance(node.get("items"), Mapping) else {}
            continue
        props = node.get("properties", {})
        if key in props:
            node = props[key]
            continue
        for pattern, sub in node.get("patternProperties", {}).items():
            if re.search(pattern, key):
                node = sub
                break
        else:
            extra = node.get("additionalProperties")
            node = extra if isinstance(extra, Mapping) else {}
    return _deref(node)


def clamp(path: tuple, value: float) -> float:
    node = schema_at(path)
    lo = node.get("minimum", node.get("exclusiveMinimum"))
    hi = node.get("maximum", node.get("exclusiveMaximum"))
    if lo is not None:
        value = max(value, float(lo))
    if hi is not None:
        value = min(value, float(hi))
    return value


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _walk(doc: Any, pattern: tuple[str, ...], prefix: tuple = ()):
    """Yield ``(container, key, path)`` for every value matching ``pattern`` (``*`` = any key)."""
    if not pattern:
        return
    head, rest = pattern[0], pattern[1:]
    if not isinstance(doc, dict):
        return
    keys = [k for k in doc if fnmatch.fnmatchcase(k, head)] if "*" in head else [head]
    for k in keys:
        if k not in doc:
            continue
        if rest:
            yield from _walk(doc[k], rest, (*prefix, k))
        else:
            yield doc, k, (*prefix, k)


def scale(doc: dict, dotted: str, factor: float) -> None:
    """Multiply every number at ``dotted`` (``"head.sway.amplitude_deg.*"``) by ``factor`` in
    place; lists of numbers (``[min, max]`` ranges) scale element by element.  Clamped to the
    schema's bounds."""
    for container, key, path in list(_walk(doc, tuple(dotted.split(".")))):
        v = container[key]
        if _is_number(v):
            container[key] = clamp(path, float(v) * factor)
        elif isinstance(v, list) and all(_is_number(x) for x in v):
            container[key] = [clamp((*path, i), float(x) * factor) for i, x in enumerate(v)]


def scaled(doc: Mapping, rules: list[tuple[str, float]]) -> dict:
    """A deep copy of ``doc`` with every ``(dotted path, factor)`` rule applied in order."""
    out = copy.deepcopy(dict(doc))
    for dotted, factor in rules:
        scale(out, dotted, factor)
    return out
