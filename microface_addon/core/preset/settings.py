"""Preset JSON → validated, merged ``Settings``.

Why here: every later layer trusts its section, so nothing unvalidated may reach the solver.
Validation uses the published JSON Schema (``presets/microface-preset.schema.json``) and reports
*all* problems at once, each naming the file, the JSON pointer and the line/column.

A preset may ``extends`` another (by name on the search path, or by a relative path inside its
own folder); the chain is merged over ``presets/defaults.json``, root first, leaf last, objects
merging key by key and everything else (numbers, lists) replaced.  Older ``format_version``s are
upgraded in memory with a notice (``migrations.py``).  Presets are data only: a preset can name
other presets, never arbitrary files (no absolute paths, no ``..``).  The format is described
for TDs in ``docs/presets.md``.
"""

from __future__ import annotations

import copy
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from ..jsondoc import PresetError, Problem, positions_of, problem_at, read_json
from ..solver import registry
from ..timeline.grammar import timeline_problems
from ..timeline.intents import vocabulary
from .library import (
    DEFAULT_PRESET,
    DEFAULTS_NAME,
    PRESET_PATH_ENV,
    SCHEMA_FILENAME,
    builtin_preset_dir,
    candidates,
    known_names,
    load_schema,
    preset_search_path,
)
from .migrations import CURRENT_FORMAT, FormatTooNew, upgrade
from .schema import validate_document

__all__ = [
    "DEFAULT_PRESET",
    "DEFAULTS_NAME",
    "PRESET_PATH_ENV",
    "SCHEMA_FILENAME",
    "PresetError",
    "Problem",
    "Settings",
    "builtin_preset_dir",
    "deep_merge",
    "load_preset",
    "load_schema",
    "preset_search_path",
    "read_json",
    "layer_sections",
    "resolve_preset_path",
    "validate_document",
]

# Top-level keys that describe the file itself and are not inherited by a child.
FILE_ONLY_KEYS = ("$schema", "extends")
MAX_CHAIN = 32  # extends depth; far beyond any sensible library, stops pathological chains

log = logging.getLogger("microface.presets")


def layer_sections() -> tuple[str, ...]:
    """The preset sections that belong to solver layers (``core/solver/registry.py``), in
    solve order: each has ``enabled`` and ``intensity``."""
    return registry.names()


def content_problems(doc: Mapping[str, Any]) -> list[tuple[list, str]]:
    """What the schema cannot say about a schema-valid, merged preset document, as (path,
    message): each layer's own check of its section (``core/solver/registry.py``) and the
    ``timeline`` entries against the preset's own intent kinds and variants."""
    found: list[tuple[list, str]] = []
    for layer in registry.layers():
        section = doc.get(layer.section)
        if layer.check is not None and isinstance(section, Mapping):
            found += [([layer.section, *path], msg) for path, msg in layer.check(section)]
    vocab = vocabulary(doc["cascade"]["intents"])
    entries = doc.get("timeline", [])
    found += [(["timeline", *path], msg) for path, msg in timeline_problems(entries, vocab)]
    return found


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
    # Files that made this preset, the loaded one first, then its parents ("extends").
    chain: tuple[str, ...] = ()
    # Things the TD should know but that did not stop loading (an older format_version…).
    notices: tuple[str, ...] = ()
    # Top-level key → the file in ``chain`` that last set it (for messages about its content).
    origins: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def intensity(self) -> float:
        return float(self.data["intensity"])

    @property
    def state(self) -> str:
        return str(self.data["state"])

    @property
    def stylization(self) -> float:
        """0 = physiological … 1 = stylised (see ``stylize.py``)."""
        return float(self.data.get("stylization", 0.0))

    @property
    def stillness(self) -> float:
        """0 = all idle motion … 1 = locked (see ``stillness.py``)."""
        return float(self.data.get("stillness", 0.0))

    def section(self, name: str) -> Mapping[str, Any]:
        """A top-level section.  A registered layer the preset and defaults say nothing about
        (a layer without parameters) has an empty section: on, at intensity 1."""
        if name not in self.data and name in layer_sections():
            return {}
        return self.data[name]

    def origin(self, key: str) -> str:
        """The file that set top-level ``key`` (the loaded file when no parent did)."""
        return self.origins.get(key, self.source)

    def layer_enabled(self, name: str) -> bool:
        if name not in self.data and name not in layer_sections():
            return False
        return bool(self.section(name).get("enabled", True))

    def layer_gain(self, name: str) -> float:
        """Global × layer intensity: how strongly a layer's output is applied."""
        return self.intensity * float(self.section(name).get("intensity", 1.0))

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        """A copy with ``overrides`` deep-merged and re-validated (panel/CLI fields)."""
        over = {k: v for k, v in overrides.items() if k not in FILE_ONLY_KEYS}
        merged = deep_merge(self.data, over)
        where = f"{self.source} (+ overrides)"
        problems = validate_document(merged, where) or [
            problem_at(where, path, msg) for path, msg in content_problems(merged)
        ]
        if problems:
            raise PresetError(problems)
        return replace(self, data=merged)


# --- finding presets and their parents ------------------------------------------------------

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ .-]*$")
_DRIVE = re.compile(r"^[A-Za-z]:")


class BadReference(ValueError):
    """A file reference inside a preset that may not be followed (message in plain words)."""


def is_path_reference(ref: str) -> bool:
    """``extends`` values ending in ``.json`` or containing ``/`` are paths, others names."""
    return ref.endswith(".json") or "/" in ref or "\\" in ref


def check_reference(ref: str, folder: Path) -> Path:
    """The file a relative reference inside a preset names, refusing anything outside ``folder``.

    Presets are data: they may point at presets beside them or below them, never elsewhere —
    absolute paths, drive letters, home folders and ``..`` are refused, and so is a symbolic
    link that leads out of ``folder``.
    """
    if not ref.strip():
        raise BadReference("is empty")
    if "\\" in ref:
        raise BadReference(f"{ref!r} uses '\\'; write relative paths with '/'")
    if (
        PurePosixPath(ref).is_absolute()
        or PureWindowsPath(ref).is_absolute()
        or _DRIVE.match(ref)
        or ref.startswith("~")
    ):
        raise BadReference(
            f"{ref!r} is an absolute path; a preset may only refer to presets by name or by a "
            "path inside its own folder"
        )
    if ".." in PurePosixPath(ref).parts:
        raise BadReference(
            f"{ref!r} uses '..' to leave the preset's folder; refer to presets elsewhere by name"
        )
    target = folder / ref
    try:
        inside = target.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        inside = False
    if not inside:
        raise BadReference(f"{ref!r} leads outside the preset's folder (a symbolic link?)")
    return target


def resolve_parent(ref: str, child: Path, extra_dirs=None) -> Path:
    """The preset file that ``"extends": ref`` in ``child`` names.

    A name is looked up on the search path.  A preset may extend the same name it replaces
    (a studio ``calm_listener`` that tweaks the shipped one): then the next lower-priority
    preset of that name is its parent.
    """
    if is_path_reference(ref):
        target = check_reference(ref, child.parent)
        try:
            found = target.is_file()
        except OSError as exc:  # e.g. a name longer than the file system allows
            shown = ref if len(ref) <= 80 else ref[:80] + "…"
            raise BadReference(f"{shown!r} cannot be a preset file ({exc.strerror})") from None
        if not found:
            raise BadReference(f"{ref!r}: no such preset file (looked for {target})")
        return target
    if not NAME_PATTERN.match(ref):
        raise BadReference(
            f"{ref!r} is neither a preset name (letters, digits, _ . - and spaces) nor a "
            "relative .json path"
        )
    cands = [f for f, _ in candidates(ref, extra_dirs)]
    if not cands:
        known = ", ".join(known_names(extra_dirs))
        raise BadReference(f"no preset named {ref!r} to extend (known: {known})")
    me = _same_file_index(cands, child)
    if me is None:
        return cands[-1]
    if me == 0:
        raise BadReference(
            f"{ref!r} is this preset itself and no lower-priority preset of that name exists"
        )
    return cands[me - 1]


def _same_file_index(files: list[Path], target: Path) -> int | None:
    t = _real(target)
    for i, f in enumerate(files):
        if _real(f) == t:
            return i
    return None


def _real(p: Path) -> Path:
    try:
        return p.resolve()
    except (OSError, RuntimeError):
        return p.absolute()


def resolve_preset_path(name_or_path: str | os.PathLike, extra_dirs=None) -> Path:
    """A preset name found on the search path, or an explicit ``.json`` path."""
    s = str(name_or_path)
    if s.endswith(".json") or os.sep in s or (os.altsep and os.altsep in s):
        return Path(s)
    cands = candidates(s, extra_dirs)
    if not cands:
        known = ", ".join(known_names(extra_dirs))
        raise PresetError([problem_at(s, [], f"no preset named {s!r} (known: {known})")])
    return cands[-1][0]


# --- loading ----------------------------------------------------------------------------------


@dataclass
class _File:
    path: Path
    doc: Any
    text: str | None = None

    @cached_property
    def positions(self) -> Mapping[str, tuple[int, int]]:
        """Line/column by JSON pointer (scanned only when a problem needs them)."""
        return positions_of(self.text)

    def has(self, path: Sequence) -> bool:
        """Whether this file itself sets a value at ``path`` (keys and list indices)."""
        node = self.doc
        for key in path:
            if isinstance(node, Mapping) and key in node:
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                node = node[key]
            else:
                return False
        return True


def _problem_in(files: Sequence[_File], path: list, msg: str) -> Problem:
    """The problem at ``path`` of the merged preset, placed in the file that set that value: the
    first of ``files`` (leaf first, the defaults last) that has it."""
    f = next((f for f in files if f.has(path)), files[0])
    return problem_at(str(f.path), path, msg, f.positions, at_key=True)


def _read_chain(path: Path, extra_dirs) -> tuple[list[_File], list[Problem], list[str]]:
    """Read ``path`` and its ``extends`` ancestors (leaf first); every problem, every notice."""
    chain: list[_File] = []
    problems: list[Problem] = []
    notices: list[str] = []
    current: Path | None = path
    while current is not None:
        try:
            doc, text = read_json(current)
        except PresetError as exc:
            problems += exc.problems
            break
        f = _File(current, doc, text)
        try:
            f.doc, changes = upgrade(doc)
        except FormatTooNew as exc:
            problems.append(problem_at(str(current), ["format_version"], str(exc), f.positions))
            break
        if changes:
            notices.append(
                f"{current}: written in an older preset format, read as format "
                f'{CURRENT_FORMAT} ({"; ".join(changes)}); set "format_version": '
                f"{CURRENT_FORMAT} and apply these changes to silence this notice"
            )
        problems += validate_document(f.doc, str(current), text)
        chain.append(f)
        ref = f.doc.get("extends") if isinstance(f.doc, dict) else None
        if not isinstance(ref, str):
            break  # no parent (or a non-string one, which the schema has reported)
        try:
            parent = resolve_parent(ref, current, extra_dirs)
        except BadReference as exc:
            problems.append(problem_at(str(current), ["extends"], f"extends {exc}", f.positions))
            break
        seen = [_real(f.path) for f in chain]
        if _real(parent) in seen:
            loop = [str(f.path) for f in chain[seen.index(_real(parent)) :]] + [str(parent)]
            problems.append(
                problem_at(
                    str(current),
                    ["extends"],
                    f"extends {ref!r} makes a cycle: {' → '.join(loop)}",
                    f.positions,
                )
            )
            break
        if len(chain) >= MAX_CHAIN:
            problems.append(
                problem_at(
                    str(current),
                    ["extends"],
                    f"more than {MAX_CHAIN} presets deep; shorten the extends chain",
                    f.positions,
                )
            )
            break
        current = parent
    return chain, problems, notices


def load_preset(
    name_or_path: str | os.PathLike = DEFAULT_PRESET, extra_dirs: Sequence | None = None
) -> Settings:
    """Load, validate and merge a preset (and its ``extends`` parents) over the defaults.

    Everything about the preset is checked here, once: each file against the schema, the merged
    result again, then what the schema cannot say (``content_problems``: the layers' own checks
    and the timeline).  ``extra_dirs`` replaces the registered user preset folders for this
    call.  Raises ``PresetError`` listing every problem, each with file, JSON pointer and
    line/column.
    """
    path = resolve_preset_path(name_or_path, extra_dirs)
    chain, problems, notices = _read_chain(path, extra_dirs)
    if problems:
        raise PresetError(problems)
    defaults_path = builtin_preset_dir() / f"{DEFAULTS_NAME}.json"
    defaults = _File(defaults_path, *read_json(defaults_path))
    merged, origins = _merge(defaults, chain)
    problems = _merged_problems(merged, chain, defaults)
    if problems:
        raise PresetError(problems)
    for n in notices:
        log.warning(n)
    return Settings(
        name=merged["name"],
        description=merged.get("description", ""),
        source=str(path),
        data=merged,
        chain=tuple(str(f.path) for f in chain),
        notices=tuple(notices),
        origins=origins,
    )


def _merge(defaults: _File, chain: Sequence[_File]) -> tuple[dict[str, Any], dict[str, str]]:
    """The defaults, then the chain root first: the merged document, and which file set each
    top-level key."""
    merged: dict[str, Any] = {k: v for k, v in defaults.doc.items() if k not in FILE_ONLY_KEYS}
    origins: dict[str, str] = {}
    for f in reversed(chain):
        own = {k: v for k, v in f.doc.items() if k not in FILE_ONLY_KEYS}
        merged = deep_merge(merged, own)
        origins.update({k: str(f.path) for k in own})
    merged["format_version"] = CURRENT_FORMAT
    return merged, origins


def _merged_problems(merged: Mapping, chain: Sequence[_File], defaults: _File) -> list[Problem]:
    """The schema again for a chain (each file was valid alone; the merge must be too), then the
    content checks, each problem placed in the file that set the value."""
    if len(chain) > 1:
        parents = ", ".join(str(f.path) for f in chain[1:])
        problems = validate_document(merged, f"{chain[0].path} (merged with {parents})")
        if problems:
            return problems
    return [_problem_in([*chain, defaults], p, m) for p, m in content_problems(merged)]
