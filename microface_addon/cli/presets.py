"""``presets``: list the presets on the search path and where each comes from."""

from __future__ import annotations

import argparse
import json

from .common import EXIT_OK, use_user_presets


def add_presets_arguments(parser: argparse.ArgumentParser, _file_is_open: bool) -> None:
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def run_presets(args: argparse.Namespace) -> int:
    from ..core.preset.library import list_presets, preset_dirs

    use_user_presets()
    infos = list_presets()
    if args.json:
        doc = [
            {
                "name": i.name,
                "kind": i.kind,
                "path": str(i.path),
                "description": i.description,
                "shadows": [str(p) for p in i.shadows],
                "problem": i.problem,
            }
            for i in infos
        ]
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return EXIT_OK
    for d in preset_dirs():
        mark = "" if d.path.is_dir() else "  (missing)"
        print(f"search path [{d.kind}]: {d.path}{mark}")
    for i in infos:
        extra = f"  (replaces {', '.join(map(str, i.shadows))})" if i.shadows else ""
        warn = f"  [problem: {i.problem}]" if i.problem else ""
        print(f"{i.name:<24} {i.kind:<8} {i.description[:70]}{extra}{warn}")
    return EXIT_OK
