"""``farm-bundle SHOTS.json --output DIR``: the shot list as an Open Job Description job bundle,
laid out as AWS Deadline Cloud reads it, for the render farm a studio already runs.

Why a bundle and no scheduler of our own: farms already queue, retry, time out and log tasks.
Each task runs the same command a TD runs by hand — ``bake --shots SHOTS.json --only NAMES
--jobs 0`` — so a farm bakes exactly what ``bake --shots`` bakes, shot for shot, with the same
up-to-date skips.  The bundle is::

    DIR/template.yaml           OpenJD job template (specificationVersion jobtemplate-2023-09)
    DIR/parameter_values.yaml   {"parameterValues": [{"name": …, "value": …}]}
    DIR/asset_references.yaml   the inputs and output folders, for Deadline's job attachments

Job parameters: ``ShotList`` (the list, a PATH), ``MicroFaceCommand`` (how a worker host runs
MicroFace: ``python -m microface_addon`` with the bpy module, or ``blender -b -c microface`` with
the extension installed) and ``Force``.  One task per shot, or per ``--chunk`` shots.  The task
script is bash (Linux and macOS hosts); ``docs/farm.md`` shows the same command in other farm
managers.  The files are YAML written by hand (Blender ships no YAML library): block mappings
and lists, every string double-quoted as JSON (valid YAML), scripts as literal blocks.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .common import EXIT_OK, UsageError, add_common_arguments, discard, names_arg, temp_path
from .shotlist import PATH_OPTIONS, Shot, ShotList, load_shot_list
from .shots import blender_binary, seconds_arg, whole_number

SPEC_VERSION = "jobtemplate-2023-09"
STEP = "BakeShots"
STARTUP_ALLOWANCE_S = 120  # added to a task's timeout: the command's start-up and exit


def add_arguments(parser: argparse.ArgumentParser, file_is_open: bool) -> None:
    parser.add_argument("shots", metavar="SHOTS.json", help="the shot list (see bake --shots)")
    parser.add_argument(
        "--output", required=True, metavar="DIR", help="folder for the bundle (created)"
    )
    parser.add_argument(
        "--chunk",
        type=whole_number("--chunk", 1),
        default=1,
        metavar="N",
        help="shots per farm task (default 1: one task per shot)",
    )
    parser.add_argument(
        "--command",
        dest="host_command",  # "command" is the subcommand's name
        metavar="CMD",
        help="how worker hosts run MicroFace, e.g. 'blender -b -c microface' (default: how this "
        "command was run)",
    )
    parser.add_argument("--name", help="the job's name (default: MicroFace <list name>)")
    parser.add_argument(
        "--only", type=names_arg, metavar="NAME,...", help="only these shots of the list"
    )
    parser.add_argument(
        "--timeout",
        type=seconds_arg,
        metavar="S",
        help='seconds per shot for shots without their own "timeout"; a task\'s timeout is '
        "its shots' sum plus start-up (default: no task timeout)",
    )
    add_common_arguments(parser)


def run(args: argparse.Namespace) -> int:
    shot_list = load_shot_list(args.shots)
    shots = shot_list.select(args.only)
    out = Path(args.output).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--output {args.output} is not a folder")
    if not out.parent.is_dir():
        raise UsageError(f"folder of --output {args.output} does not exist: {out.parent}")
    command = args.host_command or default_command()
    name = args.name or f"MicroFace {shot_list.path.stem}"
    files = {
        "template.yaml": job_template(name, shot_list, shots, args.chunk, command, args.timeout),
        "parameter_values.yaml": parameter_values(shot_list, command),
        "asset_references.yaml": asset_references(shot_list, shots),
    }
    out.mkdir(exist_ok=True)
    staged = []
    try:
        for filename, doc in files.items():
            final = out / filename
            tmp = temp_path(final)
            tmp.write_text(to_yaml(doc), encoding="utf-8")
            staged.append((tmp, final))
        for tmp, final in staged:
            os.replace(tmp, final)
    finally:
        for tmp, _ in staged:
            discard(tmp)
    tasks = math.ceil(len(shots) / args.chunk)
    print(f"wrote {out}: {len(shots)} shots in {tasks} task{'s' * (tasks != 1)}")
    return EXIT_OK


def default_command() -> str:
    """This Blender with the extension (``blender -b -c microface``), or this Python with the
    package on ``PYTHONPATH`` (``python -m microface_addon``)."""
    binary = blender_binary()
    if binary:
        return f"{shlex.quote(binary)} -b -c microface"
    package = __name__.rsplit(".cli.", 1)[0]
    root = Path(sys.modules[package.split(".")[0]].__file__).resolve().parent.parent
    return f"PYTHONPATH={shlex.quote(str(root))} {shlex.quote(sys.executable)} -m {package}"


def _chunks(shots: Sequence[Shot], size: int) -> list[list[Shot]]:
    return [list(shots[i : i + size]) for i in range(0, len(shots), size)]


def _task_timeout(chunk: Sequence[Shot], default_s: float | None) -> int | None:
    limits = [s.timeout_s or default_s for s in chunk]
    if any(t is None for t in limits):
        return None
    return int(math.ceil(sum(limits))) + STARTUP_ALLOWANCE_S


TASK_SCRIPT = """\
set -euo pipefail
FORCE=""
if [ "{{Param.Force}}" = "true" ]; then FORCE="--force"; fi
{{Param.MicroFaceCommand}} bake --shots '{{Param.ShotList}}' --only '{{Task.Param.Shots}}' \\
    --jobs 0 $FORCE
"""


def job_template(
    name: str,
    shot_list: ShotList,
    shots: Sequence[Shot],
    chunk: int,
    command: str,
    timeout_s: float | None,
) -> dict[str, Any]:
    """The OpenJD job template: one step, a task per chunk of shots."""
    chunks = _chunks(shots, chunk)
    on_run: dict[str, Any] = {"command": "bash", "args": ["{{Task.File.Bake}}"]}
    limits = [_task_timeout(c, timeout_s) for c in chunks]
    if all(t is not None for t in limits):
        on_run["timeout"] = max(limits)
    return {
        "specificationVersion": SPEC_VERSION,
        "name": name,
        "description": f"MicroFace: bake the shots of {shot_list.path.name} "
        "(microface bake --shots, one task per shot or chunk of shots).",
        "parameterDefinitions": [
            {
                "name": "ShotList",
                "type": "PATH",
                "objectType": "FILE",
                "dataFlow": "IN",
                "default": str(shot_list.path),
                "description": "The shot list (paths in it are relative to its folder).",
            },
            {
                "name": "MicroFaceCommand",
                "type": "STRING",
                "default": command,
                "description": "How a worker host runs MicroFace: 'python -m microface_addon' "
                "(the bpy module) or 'blender -b -c microface' (Blender with the extension).",
            },
            {
                "name": "Force",
                "type": "STRING",
                "allowedValues": ["false", "true"],
                "default": "false",
                "description": "true: bake every shot, even those whose output is up to date.",
            },
        ],
        "steps": [
            {
                "name": STEP,
                "parameterSpace": {
                    "taskParameterDefinitions": [
                        {
                            "name": "Shots",
                            "type": "STRING",
                            "range": [",".join(s.name for s in c) for c in chunks],
                        }
                    ]
                },
                "script": {
                    "actions": {"onRun": on_run},
                    "embeddedFiles": [
                        {"name": "Bake", "type": "TEXT", "filename": "bake.sh", "data": TASK_SCRIPT}
                    ],
                },
            }
        ],
    }


def parameter_values(shot_list: ShotList, command: str) -> dict[str, Any]:
    """Deadline Cloud's ``parameter_values.yaml``: the values the job is submitted with."""
    values = {"ShotList": str(shot_list.path), "MicroFaceCommand": command, "Force": "false"}
    return {"parameterValues": [{"name": k, "value": v} for k, v in values.items()]}


def asset_references(shot_list: ShotList, shots: Sequence[Shot]) -> dict[str, Any]:
    """The files the tasks read and the folders they write, for job attachments."""
    inputs = {str(s.input) for s in shots}
    for s in shots:
        flags = list(s.flags)
        for key in (*PATH_OPTIONS, "preset"):
            flag = f"--{key}"
            if flag in flags:
                value = flags[flags.index(flag) + 1]
                if os.path.isabs(value):
                    inputs.add(value)
    return {
        "assetReferences": {
            "inputs": {"filenames": sorted(inputs), "directories": []},
            "outputs": {"directories": sorted({str(s.output.parent) for s in shots})},
        }
    }


# --- YAML -------------------------------------------------------------------------------------


def to_yaml(doc: Any) -> str:
    """Block-style YAML for mappings, lists and scalars; multi-line strings as literal blocks."""
    return "".join(_yaml_lines(doc, 0))


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)


def _yaml_lines(node: Any, indent: int):
    pad = " " * indent
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _entry(f"{pad}{key}:", value, indent)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and item:
                first = True
                for key, value in item.items():
                    lead = f"{pad}- {key}:" if first else f"{pad}  {key}:"
                    yield from _entry(lead, value, indent + 2)
                    first = False
            else:
                yield from _entry(f"{pad}-", item, indent + 2)
    else:
        yield f"{pad}{_scalar(node)}\n"


def _entry(lead: str, value: Any, indent: int):
    if isinstance(value, str) and "\n" in value:
        yield f"{lead} |\n"
        for line in value.splitlines():
            yield (" " * (indent + 2) + line).rstrip() + "\n"
    elif isinstance(value, dict) and value:
        yield lead + "\n"
        yield from _yaml_lines(value, indent + 2)
    elif isinstance(value, list) and value:
        yield lead + "\n"
        yield from _yaml_lines(value, indent + 2)
    elif isinstance(value, (dict, list)):
        yield f"{lead} {'{}' if isinstance(value, dict) else '[]'}\n"
    else:
        yield f"{lead} {_scalar(value)}\n"
