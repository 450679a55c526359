"""Where presets live: the search path, discovery by name, and what the panel lists.

Why a search path: a studio shares presets (``MICROFACE_PRESET_PATH`` on a network drive), an
artist keeps their own (the Blender config folder ``microface/presets``), and the add-on ships a
library.  Folders are searched lowest priority first; a later folder's preset replaces an
earlier one *of the same name*, and the listing says which folder each preset came from.

The core never imports ``bpy``: the Blender side works out the user folder
(``bpy.utils.user_resource('CONFIG', path='microface/presets')``) and hands it over with
``set_user_preset_dirs`` (the panel at registration, the CLI at start-up), or passes
``extra_dirs`` explicitly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..jsondoc import PresetError, read_json

SCHEMA_FILENAME = "microface-preset.schema.json"
DEFAULTS_NAME = "defaults"
DEFAULT_PRESET = "neutral_idle"
PRESET_PATH_ENV = "MICROFACE_PRESET_PATH"

# Kinds of folders on the search path, in priority order (later wins).
BUILTIN, USER, ENV = "builtin", "user", "env"
# A preset loaded by an explicit file path rather than found by name.
FILE = "file"

_user_dirs: tuple[Path, ...] = ()


@dataclass(frozen=True)
class PresetDir:
    path: Path
    kind: str  # BUILTIN, USER or ENV


@dataclass(frozen=True)
class PresetInfo:
    """One preset as the panel shows it: the winner for its name on the search path."""

    name: str  # file stem: what --preset and "extends" accept
    path: Path
    kind: str  # folder kind it came from (BUILTIN, USER, ENV)
    description: str
    shadows: tuple[Path, ...] = ()  # same-named presets it replaces (lower priority)
    problem: str = ""  # a quick read failed (broken JSON…); load_preset gives the details


def builtin_preset_dir() -> Path:
    """The shipped presets: ``<ext>/presets`` when installed, ``<repo>/presets`` in a checkout."""
    here = Path(__file__).resolve().parent
    for folder in here.parents:  # the package root, then the repository root
        cand = folder / "presets"
        if (cand / SCHEMA_FILENAME).is_file():
            return cand
    raise FileNotFoundError(f"MicroFace presets folder not found near {here}")


def load_schema() -> dict:
    """The published preset schema (``presets/microface-preset.schema.json``), freshly parsed."""
    return json.loads((builtin_preset_dir() / SCHEMA_FILENAME).read_text(encoding="utf-8"))


def set_user_preset_dirs(dirs: Iterable[str | os.PathLike]) -> None:
    """Register the user's preset folders (from Blender's config folder); replaces earlier ones."""
    global _user_dirs
    _user_dirs = tuple(Path(d) for d in dirs)


def user_preset_dirs() -> tuple[Path, ...]:
    return _user_dirs


def env_preset_dirs() -> list[Path]:
    """Folders named in ``MICROFACE_PRESET_PATH`` (``os.pathsep``-separated, empty parts skipped)."""
    return [Path(p) for p in os.environ.get(PRESET_PATH_ENV, "").split(os.pathsep) if p]


def preset_dirs(extra_dirs: Sequence[str | os.PathLike] | None = None) -> list[PresetDir]:
    """The search path, lowest priority first: add-on ``presets/``, user folders, the env var.

    ``extra_dirs`` replaces the registered user folders for this call (tests, the CLI).
    """
    user = _user_dirs if extra_dirs is None else tuple(Path(d) for d in extra_dirs)
    return (
        [PresetDir(builtin_preset_dir(), BUILTIN)]
        + [PresetDir(d, USER) for d in user]
        + [PresetDir(d, ENV) for d in env_preset_dirs()]
    )


def preset_search_path(extra_dirs: Sequence[str | os.PathLike] | None = None) -> list[Path]:
    """Folders searched for presets by name, lowest priority first (later ones win)."""
    return [d.path for d in preset_dirs(extra_dirs)]


def is_preset_file(path: Path) -> bool:
    """A ``*.json`` preset (not the schema, not the defaults every preset starts from)."""
    return (
        path.suffix == ".json"
        and not path.name.endswith(".schema.json")
        and path.stem != DEFAULTS_NAME
        and path.is_file()
    )


def candidates(name: str, extra_dirs=None) -> list[tuple[Path, str]]:
    """Every ``(file, kind)`` for preset ``name`` on the search path, lowest priority first."""
    out = []
    for d in preset_dirs(extra_dirs):
        f = d.path / f"{name}.json"
        try:
            found = f.is_file()
        except OSError:  # a name too long for the file system names no preset
            found = False
        if found:
            out.append((f, d.kind))
    return out


def known_names(extra_dirs=None) -> list[str]:
    names = set()
    for d in preset_dirs(extra_dirs):
        if d.path.is_dir():
            names.update(f.stem for f in d.path.glob("*.json") if is_preset_file(f))
    return sorted(names)


def _quick_read(path: Path) -> tuple[dict, str]:
    """The raw document for listing purposes; never raises."""
    try:
        doc, _ = read_json(path)
    except PresetError as exc:
        return {}, f"cannot read: {exc.problems[0].message}"
    if not isinstance(doc, dict):
        return {}, "not a JSON object"
    return doc, ""


def _description(path: Path, extra_dirs, seen: set[Path]) -> str:
    """The preset's description, inherited through ``extends`` names when it has none."""
    doc, _ = _quick_read(path)
    desc = doc.get("description")
    if isinstance(desc, str) and desc:
        return desc
    parent = doc.get("extends")
    if not isinstance(parent, str) or path in seen:
        return ""
    seen.add(path)
    if parent.endswith(".json") or "/" in parent:
        return ""  # relative-path parents: load_preset checks and reports them
    cands = [f for f, _ in candidates(parent, extra_dirs) if f != path]
    return _description(cands[-1], extra_dirs, seen) if cands else ""


def list_presets(extra_dirs: Sequence[str | os.PathLike] | None = None) -> list[PresetInfo]:
    """Every preset by name with the folder it comes from, sorted by name.

    Reading is shallow (name, description) so a panel can call this on redraw; a preset that
    does not even parse is still listed, with ``problem`` set.
    """
    found: dict[str, list[tuple[Path, str]]] = {}
    for d in preset_dirs(extra_dirs):
        if not d.path.is_dir():
            continue
        for f in sorted(d.path.glob("*.json")):
            if is_preset_file(f):
                found.setdefault(f.stem, []).append((f, d.kind))
    out = []
    for name in sorted(found):
        entries = found[name]
        path, kind = entries[-1]
        _, problem = _quick_read(path)
        out.append(
            PresetInfo(
                name=name,
                path=path,
                kind=kind,
                description=_description(path, extra_dirs, set()),
                shadows=tuple(p for p, _ in entries[:-1]),
                problem=problem,
            )
        )
    return out
