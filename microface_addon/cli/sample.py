"""``sample``: write the bundled sample ARKit head as a ``.blend``."""

from __future__ import annotations

import argparse
import os

from .blendfile import save_copy
from .common import (
    EXIT_OK,
    add_common_arguments,
    blender_chatter,
    destination,
    discard,
    fsync_folder,
    remove_stale_temps,
    write_failure,
)


def add_sample_arguments(parser: argparse.ArgumentParser, _file_is_open: bool) -> None:
    parser.add_argument("output", metavar="OUT.blend", help="where to write the sample head")
    add_common_arguments(parser)


def run_sample(args: argparse.Namespace) -> int:
    """Build the sample head and write it like every output: a temporary file checked whole
    (``save_copy``), then renamed over ``output``."""
    output = destination(args.output, "output")
    from ..assets.sample_head import new_sample_file

    remove_stale_temps(output)
    with blender_chatter(args.debug):
        new_sample_file()
    tmp = save_copy(output, args.debug, compress=True)
    try:
        os.replace(tmp, output)
    except OSError as exc:
        discard(tmp)
        raise write_failure(output, exc) from exc
    fsync_folder(output.parent)
    print(f"wrote sample head to {output}")
    return EXIT_OK
