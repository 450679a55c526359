"""Which of a character's channels the user already animates: where a lip-sync lives.

Why the bake asks: a speaking character's mouth belongs to its lip-sync (keys, an NLA strip or
drivers on the jaw and mouth shapes).  MicroFace composes its layer over the user's animation,
so anything it added there would fight the visemes; the bake leaves such channels out for a
speaking character (``apply``) and says so in the report.  A channel counts as animated when
*every* target it drives is animated by the user — MicroFace's own layer excluded.
"""

from __future__ import annotations

from collections.abc import Iterable

import bpy

from ..rig.convention import datapath
from ..rig.convention.rigmap import RigMap
from . import layer as L


def _animated(idb) -> set[str]:
    """Data paths the user animates on ``idb`` (any array index)."""
    record = L.read_record(idb)
    return {path for path, _ in L.user_animated_paths(idb, L.record_actions(record))}


def keyed_channels(rigmap: RigMap, channels: Iterable[str]) -> list[str]:
    """Those of ``channels`` whose every target on the rig the user animates, sorted."""
    wanted = set(channels)
    paths: dict[str, list[tuple[object, str]]] = {}
    for t in rigmap.shape_keys:
        if t.channel in wanted:
            key = bpy.data.objects[t.mesh].data.shape_keys
            paths.setdefault(t.channel, []).append((key, datapath.shape_key(t.key_block)))
    for b in rigmap.bones:
        if b.channel in wanted:
            arm = bpy.data.objects[b.armature]
            mode = arm.pose.bones[b.bone].rotation_mode
            prop = "rotation_quaternion" if mode == "QUATERNION" else "rotation_euler"
            paths.setdefault(b.channel, []).append((arm, datapath.bone(b.bone, prop)))
    for b in rigmap.bone_locations:
        if b.channel in wanted:
            arm = bpy.data.objects[b.armature]
            paths.setdefault(b.channel, []).append((arm, datapath.bone(b.bone, "location")))
    cache: dict[str, set[str]] = {}

    def animated(idb) -> set[str]:
        key = f"{type(idb).__name__}:{idb.name}"
        if key not in cache:
            cache[key] = _animated(idb)
        return cache[key]

    return sorted(ch for ch, ps in paths.items() if all(p in animated(idb) for idb, p in ps))
