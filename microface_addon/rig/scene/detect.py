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
from ..convention import vrm
from ..convention.names import NameIndex, is_helper
from ..convention.overrides import BoneOverride, KeyOverride, OverrideMap, as_override_map
from ..convention.parts import BONE, CONTROL, Candidate, part_of
from ..convention.profiles import Profile, ProfileError
from ..convention.rigmap import (
    BoneLocationTarget,
    BoneTarget,
    NothingToMapError,
    ObjectRotationTarget,
    RigError,
    RigMap,
    ShapeKeyTarget,
    Skeleton,
)
from ..convention.scoring import AMBIGUITY_MARGIN, Choice, Score, choose, score_profiles
from .calibration import calibrate, frame_axes, local_axis
from .character import character_id
from .drivers import driven_keys, driving_control
from .eyeballs import Skins
from .objects import find_object_roles
from .parts import resolve_parts
from .profile_folders import available_profiles, find_profile
from .skeleton import find_skeleton, reach

# How the head-on-torso rotation is shared along the neck chain: the neck joints together take
# this fraction, the head the rest (cervical spine vs atlanto-occipital joint; docs/channels.md).
NECK_SHARE = 0.4
# Jaw-bone opening at jaw_drop = 1, degrees (used only when nothing else drives jaw_drop).
JAW_OPEN_DEG = 22.0
# How many scores the report lists.
REPORTED_SCORES = 4
# How the report names the kind of score that decided (docs/rigs.md, "Scores").
KIND_LABEL = {"keys": "shape-key coverage", "bones": "bone coverage"}


def _keyed_meshes(members) -> list[bpy.types.Object]:
    return [
        m
        for m in members
        if m.type == "MESH" and m.data.shape_keys and len(m.data.shape_keys.key_blocks) > 1
    ]


def _key_names(mesh) -> list[str]:
    key = mesh.data.shape_keys
    return [kb.name for kb in key.key_blocks if kb != key.reference_key]


# --- targets --------------------------------------------------------------------------------


class _Builder:
    """Collects targets per channel, remembering where each channel's mapping came from."""

    def __init__(self, rigmap: RigMap, arm, sk: Skeleton | None, never_write: tuple[str, ...]):
        self.rm = rigmap
        self.arm = arm
        self.bone_index = NameIndex([b.name for b in arm.data.bones]) if arm else None
        self.sk = sk
        self.never_write = never_write
        self.source: dict[str, str] = {}  # channel → where its first target came from
        self.target_source: dict = {}  # target → where it came from
        self.alternatives: dict[str, list[Candidate]] = {}  # part → seen, not mapped

    def has(self, channel: str) -> bool:
        return channel in self.source

    def add(self, target, source: str) -> None:
        if isinstance(target, ShapeKeyTarget):
            self.rm.shape_keys.append(target)
        elif isinstance(target, BoneLocationTarget):
            self.rm.bone_locations.append(target)
        elif isinstance(target, ObjectRotationTarget):
            self.rm.object_rotations.append(target)
        else:
            self.rm.bones.append(target)
        self.source.setdefault(target.channel, source)
        self.target_source.setdefault(target, source)

    def alternative(self, channel: str, kind: str, label: str, evidence: str) -> None:
        """A control that could move ``channel``'s part but was not mapped (for the report)."""
        part = part_of(channel)
        if part is not None:
            known = self.alternatives.setdefault(part, [])
            if not any(c.label == label for c in known):
                known.append(Candidate(kind, label, None, evidence, mapped=False))

    def drop(self, channel: str) -> None:
        self.rm.shape_keys = [t for t in self.rm.shape_keys if t.channel != channel]
        self.rm.bones = [t for t in self.rm.bones if t.channel != channel]
        self.rm.bone_locations = [t for t in self.rm.bone_locations if t.channel != channel]
        self.rm.object_rotations = [t for t in self.rm.object_rotations if t.channel != channel]
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


def _map_shape_keys(profile: Profile, meshes, arm, b: _Builder) -> None:
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
            # Lifting the arm the shoulder carries: rotate about (its sideways reach × up).
            axis = reach(arm.data.bones[bone]).cross(up)
            if axis.length > 0.3:
                rot("shoulder_rise", bone, axis.normalized())
    for side, bone in sk.eyes.items():
        for comp in ("yaw", "pitch"):
            ch = f"eye_{comp}_{side}"
            if any(t.channel == ch for t in (*b.rm.bones, *b.rm.bone_locations)):
                continue  # a control already aims this eye
            if is_helper(bone, b.never_write):
                continue  # e.g. Rigify's ORG-eye: aimed by its target control instead
            b.add(BoneTarget(ch, arm.name, bone, local_axis(arm, bone, axes[comp])), "skeleton")
    if sk.jaw and not b.has("jaw_drop") and "jaw_drop" not in shape_channels:
        # Opening the jaw pitches its front down: about +left.
        rot("jaw_drop", sk.jaw, -axes["pitch"], JAW_OPEN_DEG)
    elif sk.jaw:
        b.alternative("jaw_drop", BONE, f"{arm.name}:{sk.jaw}", "jaw bone, not driven")


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


def _choose(profiles, scores, key_index, bone_index, profile, profile_dirs):
    """(shape-key choice, bone choice, the explicitly chosen profile or None)."""
    by_name = {p.name: p for p in profiles}
    keys = choose(scores, by_name, "keys", key_index)
    bones = choose(scores, by_name, "bones", bone_index)
    forced = None
    if profile is not None:
        forced = by_name.get(profile) or find_profile(profile, profile_dirs)
        score = next(s for s in scores if s.profile == forced.name)

        def best_other(kind: str) -> Score | None:
            rest = [s for s in scores if s.profile != forced.name and s.of(kind) > 0]
            return max(rest, key=lambda s: s.of(kind), default=None)

        if forced.has_keys:
            keys = Choice(forced, score, [], best_other("keys"))
        if forced.has_bones or forced.skeleton or forced.controls:
            bones = Choice(forced, score, [], best_other("bones"))
    if keys.profile is None and bones.profile is not None and bones.profile.has_keys:
        # e.g. a CC skeleton whose few keys scored low: still try them
        score = next(s for s in scores if s.profile == bones.profile.name)
        keys = Choice(bones.profile, score, [], keys.runner_up)
    return keys, bones, forced


def _new_rigmap(members, scores: list[Score], keys: Choice, bones: Choice, forced) -> RigMap:
    """The rig map's header: convention, scores, runner-up, and notes on how it was chosen.

    Every number is a coverage (``scoring``); the convention's score and its runner-up are of
    the kind of evidence that chose it (shape keys, else bones), as the ambiguity notes are."""
    kind, choice = ("keys", keys) if keys.profile is not None else ("bones", bones)
    primary = choice.profile
    rigmap = RigMap(
        character=character_id(members),
        convention=primary.name if primary else "none",
        score=choice.coverage(kind),
        score_kind=KIND_LABEL[kind] if primary else "",
        objects=[m.name for m in members],
        bone_convention=bones.profile.name if bones.profile else None,
        bone_score=bones.coverage("bones") if bones.profile else None,
        scores=[s.as_report() for s in scores[:REPORTED_SCORES]],
    )
    runner = choice.runner_up
    if runner is not None:
        rigmap.runner_up = (runner.profile, round(runner.of(kind), 3))
    if forced is not None:
        rigmap.notes.append(f"profile {forced.name!r} chosen explicitly")
    for what, attr, c in (("shape keys", "keys", keys), ("bones", "bones", bones)):
        if c.rivals and c.score is not None:
            rigmap.ambiguous += c.rivals
            score_of = {s.profile: s for s in scores}
            rival_txt = ", ".join(f"{r} {score_of[r].of(attr):.3f}" for r in c.rivals)
            rigmap.notes.append(
                f"ambiguous {what}: {c.score.profile} {c.score.of(attr):.3f} vs {rival_txt} "
                f"({KIND_LABEL[attr]}, within {AMBIGUITY_MARGIN}); using {c.score.profile} - "
                "pass an explicit profile to choose"
            )
    return rigmap


def _skeleton(arm, bone_prof: Profile | None, ov: OverrideMap | None, skins: Skins) -> Skeleton:
    """The armature's roles: the bone profile's hints, then the override map's ``skeleton``."""
    hints = bone_prof.skeleton if bone_prof else {}
    sk = find_skeleton(arm, hints, f"profile {bone_prof.name}" if bone_prof else "", skins)
    if ov is not None and ov.skeleton:
        sk.assign(ov.skeleton, arm.data.bones, ov.source, arm.name)
    return sk


def _map_targets(b: _Builder, meshes, keys: Profile | None, bones: Profile | None) -> dict:
    """Shape keys, then face controls, then default bones; returns the channels the profiles
    say the rig handles itself (channel → why)."""
    if keys is not None:
        _map_shape_keys(keys, meshes, b.arm, b)
    shape_channels = {t.channel for t in b.rm.shape_keys}
    handled: dict[str, str] = {}
    if b.arm is None:
        return handled
    for prof in {p.name: p for p in (bones, keys) if p is not None}.values():
        handled.update(prof.handled_by_rig)
        for ch, controls in prof.controls.items():
            if ch in prof.handled_by_rig:
                continue
            if b.has(ch):
                bones = ", ".join(sorted({c.bone for c in controls}))
                b.alternative(ch, CONTROL, f"{prof.name} controls {bones}", "not driven")
                continue
            _add_controls(ch, controls, b, prof.name)
    _default_bones(b, shape_channels)
    if not b.sk.head:
        b.rm.notes.append(
            f"{b.arm.name}: no head bone found (looked for VRM metadata, profile names, an "
            "eye pair, a bone named head, the top of the central chain)"
        )
    if not b.sk.eyes:
        b.rm.notes.append(
            f"{b.arm.name}: no eye bones (no mirrored pair named like eyes or carrying an "
            "eyeball mesh, and no unnamed pair pointing forward from the head)"
        )
    return handled


def _object_axis(obj, axis_world: Vector) -> tuple[float, float, float]:
    """``axis_world`` in ``obj``'s space before its own rotation (its parent frame): the space
    its rotation channels turn in."""
    parent_frame = (obj.matrix_world @ obj.matrix_basis.inverted()).to_3x3()
    v = (parent_frame.inverted() @ axis_world).normalized()
    return (v.x, v.y, v.z)


def _map_objects(b: _Builder, roles, frame_world: dict[str, Vector]) -> None:
    """Object-level head and eyes (Face Cap's empties): candidates like bones; ``parts``
    decides between them and any bone or morph moving the same part."""
    if roles is None:
        return
    for comp in ("yaw", "pitch", "roll"):
        ch = f"head_{comp}"
        if roles.head:
            obj = bpy.data.objects[roles.head]
            axis = _object_axis(obj, frame_world[comp])
            b.add(ObjectRotationTarget(ch, obj.name, axis), "object")
    for side, name in roles.eyes.items():
        obj = bpy.data.objects[name]
        for comp in ("yaw", "pitch"):
            axis = _object_axis(obj, frame_world[comp])
            b.add(ObjectRotationTarget(f"eye_{comp}_{side}", name, axis), "object")


def _world_axes(rigmap: RigMap, arm) -> dict[str, Vector]:
    """Canonical rotation axes in world space: from the object roles' frame when eyes were
    found as objects, else from the skeleton, else the default frame."""
    roles = rigmap.object_roles
    if roles is not None and roles.eyes:
        sk = Skeleton(forward=roles.forward, up=roles.up, left=roles.left)
        return frame_axes(sk)
    if arm is not None and rigmap.skeleton is not None:
        m = arm.matrix_world.to_3x3()
        return {k: (m @ v).normalized() for k, v in frame_axes(rigmap.skeleton).items()}
    return frame_axes(Skeleton())


def _report_unmapped(rigmap: RigMap, handled: dict, has_armature: bool, keys: Profile | None):
    """Why each bakeable channel that drives nothing does not."""
    mapped = set(rigmap.mapped_channels)
    for name, ch in CHANNELS.items():
        if not ch.bakeable or name in mapped or name in rigmap.unmapped:
            continue
        if name in handled:
            why = f"handled by the rig itself: {handled[name]}"
        elif any(r.endswith(f"({name})") for r in rigmap.skipped.values()):
            why = "its shape keys are driven by drivers MicroFace cannot follow"
        elif ch.kind == "angle":
            why = "no bone found for it" if has_armature else "character has no armature"
        elif keys is None:
            why = "no shape key of a known convention and no face control for it"
        else:
            why = f"no {keys.name} shape key or face control for it on the character"
        rigmap.unmapped[name] = why


def _report_unused(rigmap: RigMap, meshes, bones: Profile | None, bone_index: NameIndex | None):
    """Shape keys nothing drives (and that no driver skipped), and unused profile controls."""
    driven = {(t.mesh, t.key_block) for t in rigmap.shape_keys}
    unused: dict[str, list[str]] = {}
    for mesh in meshes:
        for n in _key_names(mesh):
            if (mesh.name, n) not in driven and f"{mesh.name}:{n}" not in rigmap.skipped:
                unused.setdefault(n, []).append(mesh.name)
    rigmap.unused = [f"shape key {k} ({', '.join(v)})" for k, v in sorted(unused.items())]
    if bone_index is not None and bones is not None:
        driven_bones = {t.bone for t in (*rigmap.bones, *rigmap.bone_locations)}
        for name in bones.control_bones():
            actual = bone_index.find(name)
            if actual and actual not in driven_bones:
                rigmap.unused.append(f"control {actual}")


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
    ov = as_override_map(overrides)
    key_index = NameIndex(sorted({n for m in meshes for n in _key_names(m)}))
    bone_index = NameIndex([b.name for b in arm.data.bones] if arm else [])
    scores = score_profiles(profiles, key_index.names, bone_index.names)
    keys, bones, forced = _choose(profiles, scores, key_index, bone_index, profile, profile_dirs)
    rigmap = _new_rigmap(members, scores, keys, bones, forced)
    skins = Skins(arm, [m for m in members if m.type == "MESH"])
    if arm is not None:
        rigmap.skeleton = _skeleton(arm, bones.profile, ov, skins)
    rigmap.object_roles = find_object_roles(members, meshes)
    never_write = tuple(bones.profile.never_write) if bones.profile else ()
    b = _Builder(rigmap, arm, rigmap.skeleton, never_write)
    handled = _map_targets(b, meshes, keys.profile, bones.profile)
    world_axes = _world_axes(rigmap, arm)
    _map_objects(b, rigmap.object_roles, world_axes)
    if ov is not None:
        _apply_overrides(ov, meshes, b)
    resolve_parts(rigmap, b.target_source, b.alternatives, skins, members, world_axes)
    _report_unmapped(rigmap, handled, arm is not None, keys.profile)
    _report_unused(rigmap, meshes, bones.profile, bone_index if arm is not None else None)
    unnamed = _unnamed_targets(meshes)
    if unnamed:
        rigmap.notes.append(unnamed)
    if rigmap.is_empty():
        raise NothingToMapError(
            f"nothing to drive on character {rigmap.character!r} "
            f"({', '.join(rigmap.objects)}): no shape key or bone name MicroFace knows. "
            + (f"{unnamed} " if unnamed else "")
            + "'microface inspect' shows what it looked for; map your names with an override "
            "map (--overrides, or the panel's Rig overrides; docs/rigs.md)",
            details=f"looked for shape keys of a known convention ({_looked_for(profiles)}) "
            "and head/eye/neck/jaw bones (VRM humanoid metadata, profile bone names, an eye "
            "pair, a bone named head, the top of the central chain)",
        )
    return rigmap


def _unnamed_targets(meshes) -> str:
    """The VRM case: meshes whose keys are ``target_0…`` (names lost on import), explained."""
    lost = [(m.name, len(_key_names(m))) for m in meshes if vrm.has_unnamed_targets(_key_names(m))]
    if not lost:
        return ""
    return vrm.unnamed_targets_hint([name for name, _ in lost], max(n for _, n in lost))


__all__ = ["NothingToMapError", "ProfileError", "RigError", "detect"]
