"""Turn a character (armature + meshes) into a ``RigMap``: which rig parts each channel drives.

Why score every profile: a rig rarely announces its convention, but its names do.  Two questions
are answered separately, because real characters mix them (ARKit keys from Faceit on a Rigify
body, CC keys on a CC skeleton):
- which profile names the *shape keys* (best shape-key fit), and
- which profile names the *bones and face controls* (best signature-bone fit; the generic
  ``humanoid`` profile only when no specific one matches).
Every profile's score, the runner-up and any near-tie are reported, never guessed silently.  An
explicit ``profile=`` decides whatever that profile covers; an override map decides the channels
it lists.  Per channel, the first source that has something wins:
override → undriven shape keys → controls behind driven keys → the profile's face controls →
default bone rotations (head/neck/chest/eyes/jaw found by ``skeleton.py``).
"""

from __future__ import annotations

import math

import bpy
from mathutils import Vector

from ...core.channels import CHANNELS
from ..convention.names import NameIndex, is_helper
from ..convention.overrides import BoneOverride, KeyOverride, OverrideMap, as_override_map
from ..convention.profiles import Profile, ProfileError
from ..convention.rigmap import (
    BoneLocationTarget,
    BoneTarget,
    NothingToMapError,
    RigError,
    RigMap,
    ShapeKeyTarget,
    Skeleton,
)
from ..convention.scoring import AMBIGUITY_MARGIN, MIN_SCORE, Score, score_profiles
from .calibration import calibrate, frame_axes, local_axis
from .character import character_id
from .drivers import driven_keys, driving_control
from .profile_folders import available_profiles, find_profile
from .skeleton import find_skeleton

# How the head-on-torso rotation is shared along the neck chain: the neck joints together take
# this fraction, the head the rest (cervical spine vs atlanto-occipital joint; docs/channels.md).
NECK_SHARE = 0.4
# Jaw-bone opening at jaw_drop = 1, degrees (used only when nothing else drives jaw_drop).
JAW_OPEN_DEG = 22.0
# How many scores the report lists.
REPORTED_SCORES = 4


def _keyed_meshes(members) -> list[bpy.types.Object]:
    return [
        m
        for m in members
        if m.type == "MESH" and m.data.shape_keys and len(m.data.shape_keys.key_blocks) > 1
    ]


def _key_names(mesh) -> list[str]:
    key = mesh.data.shape_keys
    return [kb.name for kb in key.key_blocks if kb != key.reference_key]


# --- choosing profiles ----------------------------------------------------------------------


def _matched_keys(profile: Profile, index: NameIndex) -> set[str]:
    return {index.find(v) for v in profile.vocabulary} - {None}


def _matched_bones(profile: Profile, index: NameIndex) -> set[str]:
    return {index.find(b) for alts in profile.bones for b in alts} - {None}


def _pick(scores: list[Score], profiles: dict[str, Profile], kind: str, evidence):
    """(best profile, its score, ambiguous rivals) for ``kind`` 'keys' or 'bones'."""
    attr = "keys" if kind == "keys" else "bones"
    usable = [s for s in scores if getattr(s, attr) >= MIN_SCORE]
    specific = [s for s in usable if not s.fallback]
    pool = specific or usable
    if not pool:
        return None, None, []
    pool.sort(key=lambda s: (-getattr(s, attr), s.profile))
    best = pool[0]
    matched = evidence(profiles[best.profile])
    rivals = []
    for s in pool[1:]:
        if getattr(best, attr) - getattr(s, attr) > AMBIGUITY_MARGIN:
            break
        # A rival explaining strictly less than the winner (CC's names that happen to be
        # ARKit's too) is no real alternative; one claiming the very same names is.
        if not evidence(profiles[s.profile]) < matched:
            rivals.append(s.profile)
    return profiles[best.profile], best, rivals


# --- targets --------------------------------------------------------------------------------


class _Builder:
    """Collects targets per channel, remembering where each channel's mapping came from."""

    def __init__(self, rigmap: RigMap, arm, sk: Skeleton | None, never_write: tuple[str, ...]):
        self.rm = rigmap
        self.arm = arm
        self.bone_index = NameIndex([b.name for b in arm.data.bones]) if arm else None
        self.sk = sk
        self.never_write = never_write
        self.source: dict[str, str] = {}

    def has(self, channel: str) -> bool:
        return channel in self.source

    def add(self, target, source: str) -> None:
        if isinstance(target, ShapeKeyTarget):
            self.rm.shape_keys.append(target)
        elif isinstance(target, BoneLocationTarget):
            self.rm.bone_locations.append(target)
        else:
            self.rm.bones.append(target)
        self.source.setdefault(target.channel, source)

    def drop(self, channel: str) -> None:
        self.rm.shape_keys = [t for t in self.rm.shape_keys if t.channel != channel]
        self.rm.bones = [t for t in self.rm.bones if t.channel != channel]
        self.rm.bone_locations = [t for t in self.rm.bone_locations if t.channel != channel]
        self.source.pop(channel, None)

    def writable(self, bone: str) -> bool:
        return not is_helper(bone, self.never_write)


def _driven_target(channel, gain, mesh, key, fc, arm, notes_key, b: _Builder):
    """Map a driven key's channel onto the control behind its driver; returns the reason on failure."""
    ctrl, why = driving_control(fc, arm)
    if ctrl is None:
        return why
    if not b.writable(ctrl.bone):
        return f"its driver reads {ctrl.bone!r}, a mechanism/deform bone MicroFace never keys"
    if ctrl.kind == "location":
        t = BoneLocationTarget(channel, arm.name, ctrl.bone, ctrl.axis_local, gain * ctrl.full)
    else:
        t = BoneTarget(
            channel, arm.name, ctrl.bone, ctrl.axis_local, gain * math.degrees(ctrl.full)
        )
    if not any(
        x.channel == t.channel and x.bone == t.bone for x in (*b.rm.bone_locations, *b.rm.bones)
    ):  # several meshes with the same driven key: one control target
        b.add(t, f"driver of {notes_key}")
    return None


def _map_shape_keys(profile: Profile, meshes, arm, b: _Builder, used: dict[str, set]) -> None:
    for mesh in meshes:
        index = NameIndex(_key_names(mesh))
        drivers = driven_keys(mesh)
        for ch, choices in profile.shape_keys.items():
            if ch not in CHANNELS:
                continue
            for alts in choices:
                for t in alts:
                    actual = index.find(t.key)
                    if actual is None:
                        continue
                    used.setdefault(mesh.name, set()).add(actual)
                    place = f"{mesh.name}:{actual}"
                    if actual in drivers:
                        why = _driven_target(
                            ch, t.gain, mesh, actual, drivers[actual], arm, place, b
                        )
                        if why:
                            b.rm.skipped[place] = f"driven by a driver; {why} ({ch})"
                    else:
                        b.add(ShapeKeyTarget(ch, mesh.name, actual, t.gain, t.range), profile.name)
                    break  # first alternative present wins


def _add_controls(channel, controls, b: _Builder, source: str) -> None:
    cal = calibrate(channel, controls, b.arm, b.sk, b.never_write, b.bone_index)
    for t in cal.targets:
        b.add(t, source)
    b.rm.calibration.update(cal.measured)
    for p in cal.problems:
        b.rm.notes.append(f"{channel}: {p}")


def _default_bones(b: _Builder, shape_channels: set[str]) -> None:
    sk, arm = b.sk, b.arm
    axes = frame_axes(sk)

    def rot(channel, bone, axis, gain=1.0):
        if b.has(channel) and b.source[channel] != "skeleton":
            return
        if not b.writable(bone):
            b.rm.notes.append(f"{channel}: {bone!r} is a mechanism/deform bone; not keyed")
            return
        b.add(BoneTarget(channel, arm.name, bone, local_axis(arm, bone, axis), gain), "skeleton")

    if sk.head:
        chain = [(n, NECK_SHARE / len(sk.neck)) for n in sk.neck] if sk.neck else []
        chain.append((sk.head, 1.0 - NECK_SHARE if sk.neck else 1.0))
        for comp in ("pitch", "yaw", "roll"):
            if b.has(f"head_{comp}"):
                continue
            for bone, share in chain:
                rot(f"head_{comp}", bone, axes[comp], share)
    if sk.chest and not b.has("chest_pitch"):
        rot("chest_pitch", sk.chest, axes["pitch"])
    if not b.has("shoulder_rise"):
        up = Vector(sk.up)
        for bone in sk.shoulders.values():
            rest = arm.data.bones[bone]
            # Lifting a sideways bone's tail: rotate about (bone direction × up).
            axis = (rest.tail_local - rest.head_local).normalized().cross(up)
            if axis.length > 0.3:
                rot("shoulder_rise", bone, axis.normalized())
    for side, bone in sk.eyes.items():
        for comp in ("yaw", "pitch"):
            ch = f"eye_{comp}_{side}"
            if any(t.channel == ch for t in (*b.rm.bones, *b.rm.bone_locations)):
                continue  # a control already aims this eye
            if is_helper(bone, b.never_write):
                continue  # e.g. Rigify's ORG-eye: aimed by its target control instead
            b.rm.bones.append(BoneTarget(ch, arm.name, bone, local_axis(arm, bone, axes[comp])))
            b.source.setdefault(ch, "skeleton")
    if sk.jaw and not b.has("jaw_drop") and "jaw_drop" not in shape_channels:
        # Opening the jaw pitches its front down: about +left.
        rot("jaw_drop", sk.jaw, -axes["pitch"], JAW_OPEN_DEG)


def _apply_overrides(ov: OverrideMap, meshes, b: _Builder) -> None:
    for ch, targets in ov.channels.items():
        b.drop(ch)
        b.rm.overridden.append(ch)
        if not targets:
            b.rm.unmapped[ch] = f"switched off by the {ov.source}"
            continue
        controls = []
        for t in targets:
            if isinstance(t, KeyOverride):
                hits = 0
                for mesh in meshes:
                    if t.mesh and mesh.name != t.mesh:
                        continue
                    names = _key_names(mesh)
                    actual = (
                        t.shape_key if t.shape_key in names else NameIndex(names).find(t.shape_key)
                    )
                    if actual is None:
                        continue
                    if actual in driven_keys(mesh):
                        b.rm.skipped[f"{mesh.name}:{actual}"] = (
                            f"driven by a driver; named by the {ov.source} for {ch}"
                        )
                        continue
                    b.add(ShapeKeyTarget(ch, mesh.name, actual, t.gain), ov.source)
                    hits += 1
                if not hits:
                    raise RigError(
                        f"{ov.source}: {ch}: shape key {t.shape_key!r} is on no mesh of the "
                        f"character{' ' + repr(t.mesh) if t.mesh else ''}"
                    )
            elif b.arm is None:
                raise RigError(f"{ov.source}: {ch}: names a bone but the character has no armature")
            elif isinstance(t, BoneOverride):
                bone = b.bone_index.find(t.bone)
                if bone is None:
                    raise RigError(f"{ov.source}: {ch}: bone {t.bone!r} is not on {b.arm.name}")
                if not b.writable(bone):
                    raise RigError(f"{ov.source}: {ch}: {bone!r} is a mechanism/deform bone")
                comp = ch.split("_")[1] if ch.startswith(("head_", "eye_", "chest_")) else "pitch"
                axis = frame_axes(b.sk)[comp]
                b.add(
                    BoneTarget(ch, b.arm.name, bone, local_axis(b.arm, bone, axis), t.gain),
                    ov.source,
                )
            else:
                controls.append(t)
        if controls:
            cal = calibrate(ch, controls, b.arm, b.sk, b.never_write, b.bone_index)
            if cal.problems:
                raise RigError(f"{ov.source}: {ch}: " + "; ".join(cal.problems))
            for t in cal.targets:
                b.add(t, ov.source)
            b.rm.calibration.update(cal.measured)
        b.rm.unmapped.pop(ch, None)


# --- the detection --------------------------------------------------------------------------


def _looked_for(profiles) -> str:
    examples = []
    for p in profiles:
        if p.has_keys:
            sample = next(iter(p.shape_keys.values()))[0][0].key
            examples.append(f"{p.name} keys (e.g. {sample})")
        if p.has_bones:
            examples.append(f"{p.name} bones (e.g. {p.bones[0][0]})")
    return "; ".join(examples)


def detect(members, profile: str | None = None, overrides=None, profile_dirs=None) -> RigMap:
    """Build the RigMap of one character (``members`` from ``character.characters_of``).

    ``profile``: a profile name that decides what it covers (shape keys and/or bones).
    ``overrides``: an override map (dict, JSON path or ``OverrideMap``) that decides the channels
    it lists.  ``profile_dirs`` replaces the user profile folders (tests, CLI).
    Raises ``NothingToMapError`` when nothing on the character can be driven, ``ProfileError``
    for a broken profile/override file and ``RigError`` for an unknown profile.
    """
    meshes = _keyed_meshes(members)
    arm = next((m for m in members if m.type == "ARMATURE"), None)
    profiles = available_profiles(profile_dirs)
    by_name = {p.name: p for p in profiles}
    ov = as_override_map(overrides)
    key_index = NameIndex(sorted({n for m in meshes for n in _key_names(m)}))
    bone_index = NameIndex([b.name for b in arm.data.bones] if arm else [])
    scores = score_profiles(profiles, key_index.names, bone_index.names)
    score_of = {s.profile: s for s in scores}

    key_prof, key_score, key_rivals = _pick(
        scores, by_name, "keys", lambda p: _matched_keys(p, key_index)
    )
    bone_prof, bone_score, bone_rivals = _pick(
        scores, by_name, "bones", lambda p: _matched_bones(p, bone_index)
    )
    forced = None
    if profile is not None:
        forced = by_name.get(profile) or find_profile(profile, profile_dirs)
        if forced.has_keys:
            key_prof, key_score, key_rivals = forced, score_of[forced.name], []
        if forced.has_bones or forced.skeleton or forced.controls:
            bone_prof, bone_score, bone_rivals = forced, score_of[forced.name], []
    if key_prof is None and bone_prof is not None and bone_prof.has_keys:
        key_prof = bone_prof  # e.g. a CC skeleton whose few keys scored low: still try them
    primary = key_prof or bone_prof
    primary_score = score_of[primary.name] if primary else None
    rigmap = RigMap(
        character=character_id(members),
        convention=primary.name if primary else "none",
        score=primary_score.overall if primary_score else 0.0,
        objects=[m.name for m in members],
        bone_convention=bone_prof.name if bone_prof else None,
        scores=[s.as_report() for s in scores[:REPORTED_SCORES]],
    )
    others = [
        s
        for s in scores
        if primary is None or s.profile not in {primary.name, bone_prof and bone_prof.name}
    ]
    if others and others[0].overall > 0:
        rigmap.runner_up = (others[0].profile, round(others[0].overall, 3))
    if forced is not None:
        rigmap.notes.append(f"profile {forced.name!r} chosen explicitly")
    for kind, best, rivals in (
        ("shape keys", key_score, key_rivals),
        ("bones", bone_score, bone_rivals),
    ):
        if rivals and best is not None:
            rigmap.ambiguous += rivals
            rival_txt = ", ".join(
                f"{r} {getattr(score_of[r], 'keys' if kind == 'shape keys' else 'bones'):.3f}"
                for r in rivals
            )
            mine = getattr(best, "keys" if kind == "shape keys" else "bones")
            rigmap.notes.append(
                f"ambiguous {kind}: {best.profile} {mine:.3f} vs {rival_txt} (within "
                f"{AMBIGUITY_MARGIN}); using {best.profile} - pass an explicit profile to choose"
            )

    never_write = tuple(bone_prof.never_write) if bone_prof else ()
    sk = None
    if arm is not None:
        hints = bone_prof.skeleton if bone_prof else {}
        source = f"profile {bone_prof.name}" if bone_prof else ""
        sk = find_skeleton(arm, hints, source)
        if ov is not None and ov.skeleton:
            sk.assign(ov.skeleton, arm.data.bones, ov.source, arm.name)
        rigmap.skeleton = sk
    b = _Builder(rigmap, arm, sk, never_write)

    used: dict[str, set] = {}
    if key_prof is not None:
        _map_shape_keys(key_prof, meshes, arm, b, used)
    shape_channels = {t.channel for t in rigmap.shape_keys}
    handled: dict[str, str] = {}
    if arm is not None:
        for prof in {p.name: p for p in (bone_prof, key_prof) if p is not None}.values():
            handled.update(prof.handled_by_rig)
            for ch, controls in prof.controls.items():
                if b.has(ch) or ch in prof.handled_by_rig:
                    continue
                _add_controls(ch, controls, b, prof.name)
        _default_bones(b, shape_channels)
        if not sk.head:
            rigmap.notes.append(
                f"{arm.name}: no head bone found (looked for VRM metadata, profile names, an "
                "eye pair, a bone named head, the top of the central chain)"
            )
    if ov is not None:
        _apply_overrides(ov, meshes, b)

    # Report: unmapped channels, unused rig targets.
    mapped = set(rigmap.mapped_channels)
    for name, ch in CHANNELS.items():
        if not ch.bakeable or name in mapped or name in rigmap.unmapped:
            continue
        if name in handled:
            rigmap.unmapped[name] = f"handled by the rig itself: {handled[name]}"
        elif any(why.endswith(f"({name})") for why in rigmap.skipped.values()):
            rigmap.unmapped[name] = "its shape keys are driven by drivers MicroFace cannot follow"
        elif ch.kind == "angle":
            rigmap.unmapped[name] = (
                "no bone found for it" if arm is not None else "character has no armature"
            )
        elif key_prof is None:
            rigmap.unmapped[name] = "no shape key of a known convention and no face control for it"
        else:
            rigmap.unmapped[name] = (
                f"no {key_prof.name} shape key or face control for it on the character"
            )
    driven_keys_by_mesh = {(t.mesh, t.key_block) for t in rigmap.shape_keys}
    unused: dict[str, list[str]] = {}
    for mesh in meshes:
        for n in _key_names(mesh):
            if (
                mesh.name,
                n,
            ) not in driven_keys_by_mesh and f"{mesh.name}:{n}" not in rigmap.skipped:
                unused.setdefault(n, []).append(mesh.name)
    rigmap.unused = [f"shape key {k} ({', '.join(v)})" for k, v in sorted(unused.items())]
    if arm is not None and bone_prof is not None:
        driven_bones = {t.bone for t in (*rigmap.bones, *rigmap.bone_locations)}
        for name in bone_prof.control_bones():
            actual = bone_index.find(name)
            if actual and actual not in driven_bones:
                rigmap.unused.append(f"control {actual}")

    if rigmap.is_empty():
        looked = _looked_for(profiles)
        raise NothingToMapError(
            f"nothing to drive on character {rigmap.character!r}: no shape keys of a known "
            f"convention ({looked}) and no head/eye/neck/jaw bones (looked for VRM humanoid "
            f"metadata, profile bone names, an eye pair, a bone named head, the top of the "
            f"central chain) (objects: {', '.join(rigmap.objects)})"
        )
    return rigmap


__all__ = ["NothingToMapError", "ProfileError", "RigError", "detect"]
