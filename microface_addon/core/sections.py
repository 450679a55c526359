"""Typed preset sections: a frozen dataclass built from a JSON mapping, by its field names and types.

Why one function: every layer reads its preset section into small frozen dataclasses (units in the
field names), so solver code says ``p.hold.onset_s`` instead of ``sec["hold"]["onset_s"]``.  The
dataclasses mirror the JSON (a nested object is a nested dataclass, field name = key), so the
conversion follows from the type alone and is written once, here, instead of once per class:

* ``float``, ``int``, ``bool``, ``str`` — converted with the type;
* a dataclass — built from the nested object, recursively;
* ``Mapping[str, X]`` — a dict with every value converted to ``X`` (key order kept);
* ``tuple[X, ...]`` / ``tuple[X, Y]`` — converted element by element (from a JSON list, or the
  keys of a JSON object: ``variants: tuple[str, ...]`` lists a mapping's names);
* ``Range`` — a ``[min, max]`` pair of numbers, sorted, so ``[0.8, 0.35]`` means ``[0.35, 0.8]``.

A key the section lacks takes the field's default; a required field without one is a
``KeyError`` (the schema and the defaults make that impossible for a loaded preset).  Keys the
dataclass does not name (``enabled``, ``intensity``…) are read by others and ignored here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, TypeVar, get_args, get_origin, get_type_hints

__all__ = ["Range", "from_section"]

_SORTED = "sorted [min, max]"
# A [min, max] range of numbers, read sorted.
Range = Annotated[tuple[float, float], _SORTED]

T = TypeVar("T")
_SCALARS = (float, int, bool, str)


@cache
def _field_types(cls: type) -> tuple[tuple[str, Any, bool], ...]:
    """(name, resolved type, has a default) of each init field of dataclass ``cls``."""
    hints = get_type_hints(cls, include_extras=True)
    return tuple(
        (
            f.name,
            hints[f.name],
            f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING,
        )
        for f in dataclasses.fields(cls)
        if f.init
    )


def _convert(tp: Any, value: Any) -> Any:
    origin = get_origin(tp)
    if origin is Annotated:
        base, *marks = get_args(tp)
        out = _convert(base, value)
        return tuple(sorted(out)) if _SORTED in marks else out
    if tp in _SCALARS:
        return tp(value)
    if dataclasses.is_dataclass(tp):
        return from_section(tp, value)
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v) for v in value)
        return tuple(_convert(a, v) for a, v in zip(args, value, strict=True))
    if origin in (Mapping, dict):
        _, value_type = get_args(tp)
        return {k: _convert(value_type, v) for k, v in value.items()}
    if tp is Any:
        return value
    raise TypeError(f"no conversion from JSON to {tp!r}")


def from_section(cls: type[T], section: Mapping[str, Any]) -> T:
    """An instance of dataclass ``cls`` from the JSON object ``section`` (see the module doc)."""
    values = {}
    for name, tp, has_default in _field_types(cls):
        if name in section:
            values[name] = _convert(tp, section[name])
        elif not has_default:
            raise KeyError(f"{cls.__name__}: section has no {name!r}")
    return cls(**values)
