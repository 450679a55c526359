"""Turn a character (armature + meshes) into a ``RigMap``: which rig parts each channel drives.

Why score every profile: a rig rarely announces its convention, but its shape-key names do.
The profile whose vocabulary matches most of the character's keys wins; the runner-up is
reported so a near-tie is visible, not silently guessed.
"""

from __future__ import annotations

import re

import bpy
from mathutils import Vector

from ..core.channels import CHANNELS
from .character import character_id
from .names import normalise
from .profiles import Profile, shipped_profiles
from .rigmap import BoneTarget, NothingToMapError, RigError, RigMap, ShapeKeyTarget
from .skeleton import Skeleton, find_skeleton

# How the head-on-torso rotation is shared along the neck chain: the neck joints together take
# this fraction, the head the rest (cervical spine vs atlanto-occipital joint; docs/channels.md).
NECK_SHARE = 0.4
# Jaw-bone opening at jaw_drop = 1, degrees (used only when no shape key drives jaw_drop).
JAW_OPEN_DEG = 22.0

_DRIVEN = re.compile(r'key_blocks\["(.+)"\]\.value')


def _driven_keys(mesh: bpy.types.Object) -> set[str]:
    key = mesh.data.shape_keys
    ad = key.animation_data if key else None
    if not ad:
        return set()
    out = set()
    for d in ad.drivers:
        m = _DRIVEN.fullmatch(d.data_path)
        if m:
            out.add(m.group(1))
    return out


def _keyed_meshes(members) -> list[bpy.types.Object]:
    return [
        m
        for m in members
        if m.type == "MESH" and m.data.shape_keys and len(m.data.shape_keys.key_blocks) > 1
    ]


def score_profile(profile: Profile, meshes) -> float:
    """Share of the profile's vocabulary present (normalised) on any of the meshes."""
    vocab = set(profile.normalised_vocabulary())
    found = {normalise(kb.name) for m in meshes for kb in m.data.shape_keys.key_blocks}
    return len(vocab & found) / max(len(vocab), 1)


def _local_axis(arm_obj, bone_name: str, axis_arm: Vector) -> tuple[float, float, float]:
    rest = arm_obj.data.bones[bone_name].matrix_local.to_3x3()
    v = (rest.transposed() @ axis_arm).normalized()
    return (v.x, v.y, v.z)


def _bone_targets(arm_obj, sk: Skeleton, shape_channels: set[str]) -> list[BoneTarget]:
    left, up, fwd = Vector(sk.left), Vector(sk.up), Vector(sk.forward)
    # Canonical axes (docs/channels.md): pitch + = up = about the character's right (−left),
    # yaw + = towards the character's left = about up, roll + = top towards left = about −forward.
    axes = {"pitch": -left, "yaw": up, "roll": -fwd}
    out: list[BoneTarget] = []
    if sk.head:
        chain = [(b, NECK_SHARE / len(sk.neck)) for b in sk.neck] if sk.neck else []
        chain.append((sk.head, 1.0 - NECK_SHARE if sk.neck else 1.0))
        for comp, axis in axes.items():
            for bone, share in chain:
                out.append(
                    BoneTarget(
                        f"head_{comp}", arm_obj.name, bone, _local_axis(arm_obj, bone, axis), share
                    )
                )
    if sk.chest:
        out.append(
            BoneTarget(
                "chest_pitch", arm_obj.name, sk.chest, _local_axis(arm_obj, sk.chest, axes["pitch"])
            )
        )
    for side, bone in sk.eyes.items():
        for comp in ("yaw", "pitch"):
            ax = _local_axis(arm_obj, bone, axes[comp])
            out.append(BoneTarget(f"eye_{comp}_{side}", arm_obj.name, bone, ax))
    if sk.jaw and "jaw_drop" not in shape_channels:
        # Opening the jaw pitches its front down: about +left.
        out.append(
            BoneTarget(
                "jaw_drop", arm_obj.name, sk.jaw, _local_axis(arm_obj, sk.jaw, left), JAW_OPEN_DEG
            )
        )
    return out


def detect(members, profile: str | None = None) -> RigMap:
    """Build the RigMap of one character (``members`` from ``character.characters_of``)."""
    meshes = _keyed_meshes(members)
    arm = next((m for m in members if m.type == "ARMATURE"), None)
    profiles = shipped_profiles()
    if profile is not None:
        chosen = [p for p in profiles if p.name == profile]
        if not chosen:
            raise RigError(
                f"unknown rig profile {profile!r} (known: {', '.join(p.name for p in profiles)})"
            )
        ranked = [(score_profile(chosen[0], meshes) if meshes else 0.0, chosen[0])]
    else:
        ranked = sorted(
            ((score_profile(p, meshes) if meshes else 0.0, p) for p in profiles),
            key=lambda sp: -sp[0],
        )
    best_score, best = ranked[0]
    rigmap = RigMap(
        character=character_id(members),
        convention=best.name if best_score > 0 else "none",
        score=best_score,
        objects=[m.name for m in members],
        runner_up=(ranked[1][1].name, round(ranked[1][0], 3)) if len(ranked) > 1 else None,
    )
    if best_score > 0:
        for mesh in meshes:
            by_norm = {normalise(kb.name): kb.name for kb in mesh.data.shape_keys.key_blocks[1:]}
            driven = _driven_keys(mesh)
            for ch, targets in best.shape_keys.items():
                for key, gain in targets:
                    actual = by_norm.get(normalise(key))
                    if actual is None:
                        continue
                    if actual in driven:
                        rigmap.notes.append(
                            f"{mesh.name}:{actual} is driven by a driver; not keyed ({ch})"
                        )
                        continue
                    rigmap.shape_keys.append(ShapeKeyTarget(ch, mesh.name, actual, gain))
    shape_channels = {t.channel for t in rigmap.shape_keys}
    if arm is not None:
        sk = find_skeleton(arm)
        rigmap.skeleton = sk.as_report()
        rigmap.bones = _bone_targets(arm, sk, shape_channels)
        if not sk.head:
            rigmap.notes.append(f"{arm.name}: no head bone found (looked for an eye pair, 'head')")
    mapped = set(rigmap.mapped_channels)
    for name, ch in CHANNELS.items():
        if ch.bakeable and name not in mapped:
            if ch.kind == "angle":
                why = "no bone found for it" if arm is not None else "character has no armature"
            elif best_score == 0:
                why = "no known shape-key convention on the character"
            else:
                why = f"no {best.name} shape key for it on the character"
            rigmap.unmapped[name] = why
    if rigmap.is_empty():
        looked = ", ".join(p.name for p in profiles)
        raise NothingToMapError(
            f"nothing to drive on character {rigmap.character!r}: no shape keys of a known "
            f"convention ({looked}) and no head/eye/neck bones "
            f"(objects: {', '.join(rigmap.objects)})"
        )
    return rigmap


__all__ = ["NothingToMapError", "RigError", "detect", "score_profile"]
