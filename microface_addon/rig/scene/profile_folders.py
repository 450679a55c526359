"""The profile search path as seen from inside Blender: the pure search path
(``rig.convention.profiles``) plus the user's Blender config folder ``microface/profiles``.

Why a separate module: where Blender keeps its config folder is a ``bpy`` question, and the
convention stage never imports ``bpy``.  Inside Blender, ask this module; outside (pure tests,
tools), ``rig.convention.profiles`` gives the same search path without the user folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import bpy

from ..convention import profiles as convention
from ..convention.profiles import USER_PROFILE_SUBDIR, Profile


def user_profile_dirs() -> list[Path]:
    """The Blender config folder ``microface/profiles`` (not created; may not exist)."""
    try:
        folder = bpy.utils.user_resource("CONFIG", path=USER_PROFILE_SUBDIR)
    except (AttributeError, RuntimeError, TypeError):
        return []
    return [Path(folder)] if folder else []


def _user(extra_dirs: Sequence[str | os.PathLike] | None) -> Sequence[str | os.PathLike]:
    return user_profile_dirs() if extra_dirs is None else extra_dirs


def available_profiles(
    extra_dirs: Sequence[str | os.PathLike] | None = None,
) -> tuple[Profile, ...]:
    """Every profile: shipped, the user's config folder (or ``extra_dirs`` instead), env."""
    return convention.available_profiles(_user(extra_dirs))


def find_profile(name: str, extra_dirs: Sequence[str | os.PathLike] | None = None) -> Profile:
    """The profile called ``name`` on that search path; ``RigError`` when there is none."""
    return convention.find_profile(name, _user(extra_dirs))
