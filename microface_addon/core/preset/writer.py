"""Write a preset the way a TD would: a small file that ``extends`` a parent and lists only what
differs.

Why minimal: a saved preset that copied every value would freeze today's defaults and hide the
one change that matters; "extends calm_listener, blink rest 14" stays readable, diffs well in a
studio repository and picks up fixes to its parent.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .library import DEFAULTS_NAME, SCHEMA_FILENAME, builtin_preset_dir
from .migrations import CURRENT_FORMAT
from .settings import (
    NAME_PATTERN,
    PresetError,
    Problem,
    load_preset,
    read_json,
    resolve_parent,
    validate_document,
)


def differences(base: Mapping[str, Any], target: Mapping[str, Any]) -> dict[str, Any]:
    """The smallest document that, deep-merged over ``base``, gives ``target``.

    Objects recurse; anything else (numbers, lists) is kept whole where it differs.  Keys only
    in ``base`` cannot be removed by a merge and are ignored.
    """
    out: dict[str, Any] = {}
    for key, value in target.items():
        if key not in base:
            out[key] = value
        elif isinstance(value, Mapping) and isinstance(base[key], Mapping):
            sub = differences(base[key], value)
            if sub:
                out[key] = sub
        elif value != base[key]:
            out[key] = value
    return out


def derived_preset(
    name: str,
    parent: str,
    overrides: Mapping[str, Any],
    description: str = "",
    replacing: Path | None = None,
) -> dict[str, Any]:
    """A minimal preset document: ``parent`` + ``overrides``, only the values that change it.

    ``replacing`` is the file the result will overwrite, if any.  When that file *is* the
    parent (saving a user preset over itself), the result builds on that file's own parent so
    it does not extend itself.
    """
    current = load_preset(parent)
    target = current.with_overrides(overrides)
    ref: str | None = parent
    base_data: Mapping[str, Any] = current.data
    if replacing is not None and Path(current.source).resolve() == Path(replacing).resolve():
        raw, _ = read_json(Path(current.source))
        ref = raw.get("extends") if isinstance(raw, dict) else None
        if ref is None:
            defaults, _ = read_json(builtin_preset_dir() / f"{DEFAULTS_NAME}.json")
            base_data = defaults
        else:
            base_data = load_preset(_parent_path(ref, Path(current.source))).data
    changed = differences(base_data, target.data)
    for meta in ("name", "description", "format_version"):
        changed.pop(meta, None)
    doc: dict[str, Any] = {
        "$schema": f"./{SCHEMA_FILENAME}",
        "format_version": CURRENT_FORMAT,
        "name": name,
        "description": description or f"{current.description} (customised from {parent})",
    }
    if ref is not None:
        doc["extends"] = ref
    return {**doc, **changed}


def _parent_path(ref: str, child: Path) -> Path:
    try:
        return resolve_parent(ref, child)
    except ValueError as exc:
        raise PresetError([Problem(str(child), "/extends", None, None, str(exc))]) from None


def write_preset(
    folder: str | os.PathLike, doc: Mapping[str, Any], overwrite: bool = False
) -> Path:
    """Validate ``doc`` and write it to ``folder/<name>.json`` atomically; return the path.

    The folder is created if needed and gets a copy of the schema, so the ``$schema`` reference
    works for editors there (and in a copy of the folder shared with a studio).  Refuses to
    replace an existing file unless ``overwrite``.
    """
    folder = Path(folder)
    name = str(doc.get("name", ""))
    target = folder / f"{name}.json"
    if not NAME_PATTERN.match(name) or "/" in name or name.startswith("."):
        raise PresetError(
            [Problem(str(target), "/name", None, None, f"{name!r} is not a usable name")]
        )
    problems = validate_document(dict(doc), str(target))
    if problems:
        raise PresetError(problems)
    if target.exists() and not overwrite:
        raise PresetError(
            [Problem(str(target), "", None, None, "a preset of that name exists there already")]
        )
    folder.mkdir(parents=True, exist_ok=True)
    schema_src = builtin_preset_dir() / SCHEMA_FILENAME
    schema_dst = folder / SCHEMA_FILENAME
    if schema_dst.resolve() != schema_src.resolve():
        if not schema_dst.exists() or schema_dst.read_bytes() != schema_src.read_bytes():
            shutil.copyfile(schema_src, schema_dst)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".json.tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
