"""``sample``: write the bundled sample ARKit head as a ``.blend``."""

from __future__ import annotations

import argparse

from .common import EXIT_OK, add_common_arguments, blender_chatter, destination


def add_sample_arguments(parser: argparse.ArgumentParser, _file_is_open: bool) -> None:
    parser.add_argument("output", metavar="OUT.blend", help="where to write the sample head")
    add_common_arguments(parser)


def run_sample(args: argparse.Namespace) -> int:
    output = destination(args.output, "output")
    from ..assets.sample_head import save_sample_head

    with blender_chatter(args.debug):
        save_sample_head(output)
    print(f"wrote sample head to {output}")
    return EXIT_OK
