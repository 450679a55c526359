"""Rig options shared by ``bake`` and ``inspect``: ``--profile`` and ``--overrides``, checked before
any ``.blend`` is opened."""

from __future__ import annotations

import argparse

from .common import UsageError, existing_input


def check_profile(name: str | None) -> None:
    if name is None:
        return
    from ..rig.convention.profiles import ProfileError
    from ..rig.scene.profile_folders import available_profiles

    try:  # shipped, user-folder and MICROFACE_PROFILE_PATH profiles
        known = [p.name for p in available_profiles()]
    except ProfileError as exc:
        raise UsageError(f"invalid rig profile: {exc}") from None
    if name not in known:
        raise UsageError(f"unknown rig profile {name!r} (known: {', '.join(known)})")


def check_overrides(path: str | None) -> str | None:
    """Validate a rig override map file before any .blend is opened; its absolute path."""
    if path is None:
        return None
    from ..rig.convention.overrides import load_override_map
    from ..rig.convention.profiles import ProfileError

    resolved = existing_input(path)
    try:
        load_override_map(resolved)
    except ProfileError as exc:
        raise UsageError(f"invalid rig override map: {exc}") from None
    return str(resolved)


def add_overrides_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--overrides",
        metavar="FILE.json",
        help="per-character rig override map that wins over detection, e.g. "
        '{"zygomaticus_major_L": {"shape_key": "SmileL_custom", "gain": 0.8}}',
    )
