"""Shot lists (``bake --shots SHOTS.json``): reading and checking a night's work before any of it
runs, and knowing which shots are already done.

Why a file rather than flags: a studio bakes hundreds of shots, each with its own preset, seed,
range or intents, and re-runs only what failed or changed.  The list is JSON with a published
schema (``microface-shots.schema.json`` beside this module); each option has the name of the
``bake`` flag it stands for and is parsed *by that flag* (the shot becomes the command line it
describes), so a shot means exactly what the same command would.  Every problem is reported at
once with the list's file, line/column and JSON pointer (``core/jsondoc.problem_at``), and a bad
preset or intents file is found before the first shot opens.

Up to date: a baked output carries a *stamp* beside it (``OUT.blend.microface.json``) with the
settings hash it was made with — the add-on and Blender versions, the shot's options, the merged
preset, the intents and override maps' contents.  A re-run skips a shot whose stamp has the same
hash and whose output is newer than its input, preset files, intents and override map.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..core.jsondoc import PresetError, Problem, positions_of, problem_at, read_json
from ..core.limits import InputError
from ..core.preset.schema import validate_document
from . import bake
from .common import OUTPUT_SUFFIX, Parser, UsageError, one_line

SCHEMA_PATH = Path(__file__).with_name("microface-shots.schema.json")
STAMP_SUFFIX = ".microface.json"
# Options that are files: relative to the shot list's folder.
PATH_OPTIONS = ("overrides", "intents")
# Options the shot runner reads itself rather than passing on as ``bake`` flags.
RUNNER_OPTIONS = ("output-dir", "timeout", "objects")


class ShotListError(UsageError):
    """A shot list that cannot be run; ``problems`` lists every reason, each placed in the file."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Shot:
    """One shot, resolved: absolute paths, and the ``bake`` flags its options stand for."""

    name: str
    input: Path
    output: Path
    flags: tuple[str, ...]  # e.g. ("--preset", "calm_listener", "--seed", "3")
    objects: tuple[str, ...] | None = None
    timeout_s: float | None = None
    pointer: str = ""  # "/shots/2": where it is in the list
    # option -> pointer of the value it got (the shot's own or ``/defaults/…``), for messages
    origins: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def stamp(self) -> Path:
        return stamp_path(self.output)

    def to_json(self) -> dict[str, Any]:
        """What a worker is sent (and what ``from_json`` reads back)."""
        return {
            "name": self.name,
            "input": str(self.input),
            "output": str(self.output),
            "flags": list(self.flags),
            "objects": list(self.objects) if self.objects is not None else None,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Shot:
        objects = doc.get("objects")
        return cls(
            name=doc["name"],
            input=Path(doc["input"]),
            output=Path(doc["output"]),
            flags=tuple(doc["flags"]),
            objects=tuple(objects) if objects is not None else None,
        )


@dataclass(frozen=True)
class ShotList:
    path: Path
    shots: tuple[Shot, ...]

    def select(self, names: Iterable[str] | None) -> list[Shot]:
        """The named shots in list order (all without names); an unknown name is a usage
        error listing the known ones."""
        if not names:
            return list(self.shots)
        wanted = list(dict.fromkeys(names))
        known = {s.name for s in self.shots}
        missing = [n for n in wanted if n not in known]
        if missing:
            shown = ", ".join(s.name for s in self.shots[:20])
            raise UsageError(
                f"{self.path}: no shot named {', '.join(map(repr, missing))} (shots: {shown}"
                + (", …)" if len(self.shots) > 20 else ")")
            )
        return [s for s in self.shots if s.name in wanted]


def stamp_path(output: Path) -> Path:
    return output.with_name(output.name + STAMP_SUFFIX)


def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


_VALIDATOR = None


def _validator():
    global _VALIDATOR
    if _VALIDATOR is None:
        import jsonschema

        _VALIDATOR = jsonschema.Draft202012Validator(load_schema())
    return _VALIDATOR


def bake_parser() -> argparse.ArgumentParser:
    """The ``bake`` command's own parser: a shot's options are parsed by the flags they name."""
    parser = Parser(prog="microface bake")
    bake.add_bake_arguments(parser, file_is_open=False)
    return parser


# --- reading ----------------------------------------------------------------------------------


def load_shot_list(path: str | os.PathLike) -> ShotList:
    """Read and check a shot list (no Blender needed): the schema, each option parsed by its
    ``bake`` flag, names and outputs unique, inputs present, outputs' folders usable.  Raises
    ``ShotListError`` with every problem."""
    path = Path(path).expanduser().resolve()
    try:
        doc, text = read_json(path)
    except PresetError as exc:
        raise ShotListError(exc.problems) from None
    positions = positions_of(text)
    file = str(path)
    problems = validate_document(doc, file, positions=positions, against=_validator())
    if problems:
        raise ShotListError(problems)

    def at(pointer_path: Sequence, message: str, at_key: bool = False) -> Problem:
        return problem_at(file, pointer_path, message, positions, at_key=at_key)

    folder = path.parent
    parser = bake_parser()
    defaults = doc.get("defaults", {})
    shots: list[Shot] = []
    seen_names: dict[str, int] = {}
    seen_outputs: dict[Path, int] = {}
    for i, entry in enumerate(doc["shots"]):
        where = ["shots", i]
        shot, found = _read_shot(entry, defaults, where, folder, parser, at)
        problems += found
        if shot is None:
            continue
        if shot.name in seen_names:
            problems.append(
                at(
                    where + (["name"] if "name" in entry else ["input"]),
                    f"shot name {shot.name!r} is already used by /shots/{seen_names[shot.name]}"
                    ' (give each shot its own "name")',
                )
            )
        seen_names.setdefault(shot.name, i)
        if shot.output in seen_outputs:
            problems.append(
                at(
                    where + (["output"] if "output" in entry else []),
                    f"output {shot.output} is also written by /shots/{seen_outputs[shot.output]}",
                )
            )
        seen_outputs.setdefault(shot.output, i)
        shots.append(shot)
    inputs = {s.input for s in shots}
    for i, shot in enumerate(shots):
        if shot.output in inputs or shot.output == path:
            problems.append(
                at(["shots", i], f"refusing to overwrite {shot.output}: it is an input")
            )
    if problems:
        raise ShotListError(_unique(problems))
    return ShotList(path, tuple(shots))


def _read_shot(entry, defaults, where, folder: Path, parser, at) -> tuple[Shot | None, list]:
    """One entry of ``shots`` over ``defaults``: the ``Shot``, or the problems it has."""
    merged = {**defaults, **{k: v for k, v in entry.items() if k not in ("name", "input")}}
    origins = {
        k: "/".join(["", *map(str, where), k]) if k in entry else f"/defaults/{k}" for k in merged
    }

    def place(key: str) -> list:
        return [*where, key] if key in entry else ["defaults", key]

    problems = []
    source = _path(folder, entry["input"])
    if not source.is_file():
        problems.append(at([*where, "input"], f"input file not found: {source}"))
    name = entry.get("name", source.stem)
    output, problem = _output_of(entry, merged, source, folder, where, place, at)
    if problem is not None:
        problems.append(problem)
    flags: list[str] = []
    for key, value in merged.items():
        if key in RUNNER_OPTIONS or key == "output":
            continue
        own = _flags(key, value, folder)
        try:  # the flag's own parser: the same check and message as on the command line
            parser.parse_args([str(source), "--output", "x.blend", *own])
        except UsageError as exc:
            problems.append(at(place(key), _flag_message(exc)))
        flags += own
    if problems:
        return None, problems
    objects = merged.get("objects")
    shot = Shot(
        name=name,
        input=source,
        output=output,
        flags=tuple(flags),
        objects=tuple(objects) if objects is not None else None,
        timeout_s=float(merged["timeout"]) if "timeout" in merged else None,
        pointer="/".join(["", *map(str, where)]),
        origins=origins,
    )
    return shot, []


def _output_of(entry, merged, source: Path, folder: Path, where, place, at):
    """(output path, problem or None): ``output``, or ``<stem>_microface.blend`` in
    ``output-dir`` (which may not exist yet, but its parent must)."""
    if "output" in entry:
        output = _path(folder, entry["output"])
        if output.is_dir():
            return output, at([*where, "output"], f"output {output} is a folder")
        if not output.parent.is_dir():
            return output, at(
                [*where, "output"], f"folder of output does not exist: {output.parent}"
            )
        return output, None
    if "output-dir" not in merged:
        return None, at(where, 'no "output" and no "output-dir" (in the shot or in "defaults")')
    out_dir = _path(folder, merged["output-dir"])
    if out_dir.exists() and not out_dir.is_dir():
        return None, at(place("output-dir"), f"{out_dir} is not a folder")
    if not out_dir.parent.is_dir():
        return None, at(
            place("output-dir"), f"folder of output-dir does not exist: {out_dir.parent}"
        )
    return out_dir / f"{source.stem}{OUTPUT_SUFFIX}.blend", None


def _path(folder: Path, text: str) -> Path:
    return (folder / Path(text).expanduser()).resolve()


def _is_preset_path(text: str) -> bool:
    return text.endswith(".json") or "/" in text or "\\" in text


def _flags(key: str, value: Any, folder: Path) -> list[str]:
    """The command-line flags one option stands for (paths made absolute)."""
    flag = f"--{key}"
    if key in PATH_OPTIONS or (key == "preset" and _is_preset_path(value)):
        value = str(_path(folder, value))
    if key == "audio":
        files = value if isinstance(value, list) else [value]
        return [part for text in files for part in (flag, _audio_flag(folder, text))]
    if key == "audio-strips":
        return [
            part
            for who, strips in value.items()
            for part in (flag, f"{who}={strips if isinstance(strips, str) else ','.join(strips)}")
        ]
    if isinstance(value, bool):
        return [flag] if value else []
    if key == "intensity":
        items = value if isinstance(value, list) else [value]
        return [part for item in items for part in (flag, _intensity_text(item))]
    if isinstance(value, list):
        return [flag, ",".join(value)] if value else []
    return [flag, str(value)]


def _audio_flag(folder: Path, text: str) -> str:
    """``FILE`` or ``CHARACTER=FILE`` with the file made absolute (a file whose name holds "="
    is a file when it exists beside the list, as ``bake --audio`` decides in its folder)."""
    who, sep, name = text.partition("=")
    if not sep or (folder / Path(text).expanduser()).is_file() or not who.strip():
        return str(_path(folder, text))
    return f"{who.strip()}={_path(folder, name)}"


def _intensity_text(item: float | Mapping[str, float]) -> str:
    if isinstance(item, Mapping):
        return ",".join(f"{layer}={float(v)!r}" for layer, v in item.items())
    return repr(float(item))


def _flag_message(exc: UsageError) -> str:
    """argparse's message without its "(see 'microface bake --help')" tail."""
    text = one_line(exc)
    cut = text.rfind(" (see '")
    return text[:cut] if cut > 0 else text


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    """Each problem once (a bad value in ``defaults`` is found once per shot)."""
    return list(dict.fromkeys(problems))


# --- resolving (Blender side) -----------------------------------------------------------------


def shot_args(shot: Shot, debug: bool = False) -> argparse.Namespace:
    """The parsed ``bake`` arguments the shot stands for."""
    args = bake_parser().parse_args([str(shot.input), "--output", str(shot.output), *shot.flags])
    args.objects = list(shot.objects) if shot.objects is not None else None
    args.debug = debug
    args.file_is_open = False
    return args


class RequestCache:
    """``bake._resolve`` once per distinct set of options (a night's shots share a few presets)."""

    def __init__(self) -> None:
        self._requests: dict[tuple[str, ...], Any] = {}

    def get(self, shot: Shot, args: argparse.Namespace):
        if shot.flags not in self._requests:
            self._requests[shot.flags] = bake._resolve(args)
        return self._requests[shot.flags]


def resolve_all(shot_list: ShotList, shots: Sequence[Shot]) -> dict[str, Any]:
    """Every shot's ``BakeRequest`` (presets, controls, intents and rig options checked) before
    anything opens; ``ShotListError`` places each failure at the option it came from."""
    cache = RequestCache()
    requests, problems = {}, []
    positions = positions_of(shot_list.path.read_text(encoding="utf-8"))
    for shot in shots:
        args = shot_args(shot)
        try:
            requests[shot.name] = cache.get(shot, args)
        except (PresetError, InputError) as exc:  # InputError: an audio file, a profile…
            key = _culprit(exc, args)
            ptr = shot.origins.get(key, shot.pointer)
            tokens = [t.replace("~1", "/").replace("~0", "~") for t in ptr.split("/")[1:]]
            path = [int(t) if t.isdigit() else t for t in tokens]
            what = "invalid preset: " if key == "preset" else ""
            problems.append(problem_at(str(shot_list.path), path, what + one_line(exc), positions))
    if problems:
        raise ShotListError(_unique(problems))
    return requests


def _culprit(exc: Exception, args: argparse.Namespace) -> str:
    """Which option a resolve error is about (to point at it in the list)."""
    if isinstance(exc, PresetError):
        files = {p.file for p in exc.problems}
        if args.intents and str(Path(args.intents).resolve()) in files:
            return "intents"
        return "preset"
    text = str(exc)
    if "audio file" in text:
        return "audio"
    if "rig profile" in text:
        return "profile"
    if "override" in text or (args.overrides and args.overrides in text):
        return "overrides"
    return "preset"


# --- up to date -------------------------------------------------------------------------------


def settings_hash(shot: Shot, request, blender: str) -> str:
    """What the shot's output depends on, hashed: versions, options, the merged preset and the
    contents of the intents, override and ``audio`` files."""
    options = request.report_options()

    def content(path: str | None) -> str | None:
        if not path:
            return None
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()

    doc = {
        "microface": __version__,
        "blender": blender,
        "input": str(shot.input),
        "objects": list(shot.objects) if shot.objects is not None else None,
        "options": options,
        "preset": request.settings.data,
        "intents": content(options.get("intents_file")),
        "overrides_map": content(options.get("overrides_map")),
        "audio": [content(path) for _who, path in options.get("audio_files", ())],
    }
    text = json.dumps(doc, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def depends_on(shot: Shot, request) -> list[Path]:
    """The files whose change makes the output stale: input, preset chain, the defaults,
    intents, override map and ``audio`` files (sound strips inside the .blend are the input's:
    a changed recording they point to is not seen — ``--force`` re-bakes)."""
    from ..core.preset.library import DEFAULTS_NAME, builtin_preset_dir

    options = request.report_options()
    files = [shot.input, *map(Path, request.settings.chain)]
    files.append(builtin_preset_dir() / f"{DEFAULTS_NAME}.json")
    files += [Path(p) for p in (options.get("intents_file"), options.get("overrides_map")) if p]
    files += [Path(path) for _who, path in options.get("audio_files", ())]
    return files


def staleness(shot: Shot, request, fingerprint: str) -> str | None:
    """Why the shot must be baked, or None when its output is up to date."""
    try:
        stamp = json.loads(shot.stamp.read_text(encoding="utf-8"))
        made = shot.output.stat().st_mtime_ns
    except FileNotFoundError:
        return "no output yet" if not shot.output.exists() else "output has no stamp"
    except (OSError, ValueError):
        return "stamp unreadable"
    if not isinstance(stamp, dict) or stamp.get("settings_hash") != fingerprint:
        return "settings changed"
    for dep in depends_on(shot, request):
        try:
            if dep.stat().st_mtime_ns >= made:
                return f"{dep.name} is newer than the output"
        except OSError:
            return f"{dep} is missing"
    return None


def read_stamp(shot: Shot) -> dict[str, Any]:
    try:
        doc = json.loads(shot.stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}
