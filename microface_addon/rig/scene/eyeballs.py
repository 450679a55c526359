"""Eyeballs as geometry: which vertices are an eyeball, what carries them, and how far a control
actually turns them.

Why measure: real avatars move one eyeball in several ways at once — a Ready Player Me or VRoid
eyeball is skinned to an eye bone *and* carries ``eyeLook*`` morphs, so turning the bone and
keying the morphs turned it twice (an intended 17° became 31°).  And a morph's strength is
whatever the artist sculpted: ARKit's documented scale (1.0 at 30° out, 25° up) is a convention,
not a measurement.  Here an eyeball is found as geometry (a round, closed blob of vertices) and
every candidate control is measured on it from rest data alone — vertex positions, skin weights,
shape-key offsets — so nothing in the scene is changed to measure it:

- a bone: the vertices it carries (bone-parented meshes rigidly; skinned vertices by their
  normalised weight, as Blender's Armature modifier blends them), turned by a test angle about
  the bone's head;
- an object (Face Cap's ``grp_eyeLeft``): the meshes below it, rigidly;
- a shape key: its offsets from its relative key on the eyeball's vertices, at 1.0.

The turn is the best-fitting rigid rotation of the moved vertices (Kabsch), so a morph that
also shifts or squashes the eyeball a little still reads as the rotation it mostly is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import bpy
import numpy as np
from mathutils import Matrix

from ..convention.names import side_of, words

# A blob of vertices is an eyeball when it is round and closed: its distances from the best-fit
# sphere's centre vary by less than this share of the radius (a cornea bulge of a few per cent
# passes), and it spans at least ``ROUND_MIN_EXTENT`` radii along each of its principal axes (a
# hemispherical cap or a flat patch does not).  Both are independent of how densely the iris is
# meshed.
ROUND_MAX_SPREAD = 0.1
ROUND_MIN_EXTENT = 1.5
MIN_EYEBALL_VERTICES = 8
# A skinned vertex belongs to a bone's eyeball when the bone (and its children) carry at least
# this share of it.
CARRIED_WEIGHT = 0.5
# Test rotation for measuring how far a bone turns its eyeball, degrees (small enough that a
# partial skin weight reads as the ratio it gives at gaze angles).
TEST_ANGLE_DEG = 10.0
# Weights this close to 1 are rigid: the measured ratio is exactly 1.
RIGID_TOLERANCE = 1e-6
EYE_WORDS = frozenset({"eye", "eyeball"})
NOT_EYE_WORDS = frozenset(
    {"lid", "eyelid", "brow", "eyebrow", "lash", "eyelash", "socket", "target", "eyes", "shadow"}
)


@dataclass(frozen=True)
class Eyeball:
    """One eyeball's vertices and what carries them.

    ``rest``: world positions (n, 3) as the scene stands; ``weight``: the share of each vertex
    the carrier moves (1 for meshes parented to it); ``mesh``: the object holding the vertices
    (several meshes parented to one bone count as the largest); ``how``: for the report.
    """

    mesh: str
    indices: np.ndarray
    rest: np.ndarray
    weight: np.ndarray
    how: str

    @cached_property
    def _sphere(self) -> tuple[np.ndarray, float]:
        return sphere_fit(self.rest)

    @property
    def centre(self) -> np.ndarray:
        return self._sphere[0]

    @property
    def radius(self) -> float:
        return self._sphere[1]

    @property
    def rigid(self) -> bool:
        return bool(np.all(np.abs(self.weight - 1.0) <= RIGID_TOLERANCE))


def sphere_fit(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre and radius of the least-squares sphere through ``points`` (n, 3)."""
    p = np.asarray(points, dtype=np.float64)
    origin = p.mean(axis=0)
    q = p - origin  # fit about the centroid: well conditioned far from the world origin
    a = np.c_[2.0 * q, np.ones(len(q))]
    x = np.linalg.lstsq(a, (q * q).sum(axis=1), rcond=None)[0]
    centre = x[:3]
    return centre + origin, float(np.sqrt(max(x[3] + centre @ centre, 0.0)))


def is_round(points: np.ndarray) -> bool:
    """Is this blob of points a closed, roughly spherical surface (an eyeball)?"""
    p = np.asarray(points, dtype=np.float64)
    if len(p) < MIN_EYEBALL_VERTICES:
        return False
    centre, radius = sphere_fit(p)
    if radius <= 1e-9:
        return False
    d = np.linalg.norm(p - centre, axis=1)
    if d.std() / radius > ROUND_MAX_SPREAD:
        return False
    q = p - centre
    _, axes = np.linalg.eigh(np.cov(q.T))
    extent = (q @ axes).max(axis=0) - (q @ axes).min(axis=0)
    return bool(np.all(extent >= ROUND_MIN_EXTENT * radius))


def named_like_an_eye(name: str) -> bool:
    """``name`` has the word eye/eyeball and none of lid, brow, lash, socket, target…"""
    ws = set(words(name))
    return bool(ws & EYE_WORDS) and not ws & NOT_EYE_WORDS


def world_coordinates(obj: bpy.types.Object) -> np.ndarray:
    """The mesh's rest (undeformed) vertex positions in world space, (n, 3)."""
    me = obj.data
    co = np.empty(len(me.vertices) * 3, dtype=np.float32)  # Blender's own type: a fast copy
    me.vertices.foreach_get("co", co)
    m = np.array(obj.matrix_world, dtype=np.float64)
    return co.reshape(-1, 3).astype(np.float64) @ m[:3, :3].T + m[:3, 3]


# --- skin weights -----------------------------------------------------------------------------


class SkinWeights:
    """Normalised deform weights of one mesh on one armature, as Blender's Armature modifier
    blends them: per vertex, the weights of groups named after deforming bones, divided by
    their sum (a vertex in no such group is not moved)."""

    def __init__(self, mesh_obj: bpy.types.Object, arm_obj: bpy.types.Object):
        deform = {b.name for b in arm_obj.data.bones if b.use_deform}
        names = [g.name for g in mesh_obj.vertex_groups]
        rows, groups, values = [], [], []
        for v in mesh_obj.data.vertices:
            for g in v.groups:
                if g.group < len(names) and names[g.group] in deform and g.weight > 0.0:
                    rows.append(v.index)
                    groups.append(g.group)
                    values.append(g.weight)
        self.n = len(mesh_obj.data.vertices)
        self.names = names
        self.rows = np.asarray(rows, dtype=np.int64)
        self.groups = np.asarray(groups, dtype=np.int64)
        values = np.asarray(values, dtype=np.float64)
        total = np.bincount(self.rows, weights=values, minlength=self.n)
        self.values = values / np.where(total[self.rows] > 0, total[self.rows], 1.0)

    def share(self, bones: set[str]) -> np.ndarray:
        """Per vertex, the share of it that ``bones`` move together."""
        picked = np.array([n in bones for n in self.names] or [False], dtype=bool)
        take = picked[self.groups] if self.groups.size else np.zeros(0, dtype=bool)
        return np.bincount(self.rows[take], weights=self.values[take], minlength=self.n)

    def dominant(self) -> dict[str, np.ndarray]:
        """Bone → the vertices it carries at least ``CARRIED_WEIGHT`` of (alone)."""
        out: dict[str, np.ndarray] = {}
        strong = self.values >= CARRIED_WEIGHT
        for g in np.unique(self.groups[strong]):
            sel = strong & (self.groups == g)
            out[self.names[g]] = np.unique(self.rows[sel])
        return out


def _deformed_by(mesh_obj: bpy.types.Object, arm_obj: bpy.types.Object) -> bool:
    return any(
        m.type == "ARMATURE" and m.object == arm_obj and m.use_vertex_groups
        for m in mesh_obj.modifiers
    )


class Skins:
    """``SkinWeights`` of each mesh of a character, read once per detection."""

    def __init__(self, arm_obj, meshes):
        self.arm = arm_obj
        self.meshes = [m for m in meshes if m.type == "MESH"]
        self._cache: dict[str, SkinWeights] = {}

    def of(self, mesh_obj, bones: set[str] | None = None) -> SkinWeights | None:
        """The mesh's weights on the armature; None when the armature does not deform it, or
        when none of its vertex groups is one of ``bones`` (then they carry none of it, and its
        vertices — the costly part — are not read)."""
        if self.arm is None or not _deformed_by(mesh_obj, self.arm):
            return None
        if bones is not None and not bones.intersection(mesh_obj.vertex_groups.keys()):
            return None
        if mesh_obj.name not in self._cache:
            self._cache[mesh_obj.name] = SkinWeights(mesh_obj, self.arm)
        return self._cache[mesh_obj.name]


# --- finding eyeballs ---------------------------------------------------------------------------


def _bone_family(arm_obj, bone: str) -> set[str]:
    b = arm_obj.data.bones[bone]
    return {bone, *(c.name for c in b.children_recursive)}


def _largest(found: list[Eyeball]) -> Eyeball | None:
    return max(found, key=lambda e: len(e.indices), default=None)


def eyeball_of_bone(skins: Skins, bone: str) -> Eyeball | None:
    """The eyeball ``bone`` (with its children) carries: round meshes parented to it, else the
    round blob of skinned vertices it carries most of."""
    arm = skins.arm
    family = _bone_family(arm, bone)
    rigid = []
    for m in skins.meshes:
        if m.parent == arm and m.parent_type == "BONE" and m.parent_bone in family:
            co = world_coordinates(m)
            if is_round(co):
                idx = np.arange(len(co))
                rigid.append(Eyeball(m.name, idx, co, np.ones(len(co)), f"parented to {bone}"))
    if rigid:
        return _largest(rigid)
    skinned = []
    for m in skins.meshes:
        sw = skins.of(m, family)
        if sw is None:
            continue
        share = sw.share(family)
        idx = np.flatnonzero(share >= CARRIED_WEIGHT)
        if idx.size < MIN_EYEBALL_VERTICES:
            continue
        co = world_coordinates(m)[idx]
        if is_round(co):
            w = share[idx]
            how = f"skinned to {bone} (weight {w.mean():.2f})"
            skinned.append(Eyeball(m.name, idx, co, w, how))
    return _largest(skinned)


def eyeball_of_object(obj: bpy.types.Object) -> Eyeball | None:
    """The round mesh below ``obj`` (Face Cap's ``grp_eyeLeft`` → ``eyeLeft`` → ``Mesh_0``)."""
    found = []
    for m in obj.children_recursive:
        if m.type == "MESH":
            co = world_coordinates(m)
            if is_round(co):
                idx = np.arange(len(co))
                found.append(Eyeball(m.name, idx, co, np.ones(len(co)), f"below {obj.name}"))
    return _largest(found)


def eyeball_by_name(meshes, side: str) -> Eyeball | None:
    """A round mesh named like an eye of ``side`` (an eyeball moved by morphs alone)."""
    found = []
    for m in meshes:
        if m.type == "MESH" and named_like_an_eye(m.name) and side_of(m.name) == side:
            co = world_coordinates(m)
            if is_round(co):
                idx = np.arange(len(co))
                found.append(Eyeball(m.name, idx, co, np.zeros(len(co)), "named like an eye"))
    return _largest(found)


def eyeball_carriers(skins: Skins) -> dict[str, Eyeball]:
    """Bone → the eyeball it carries, for every bone carrying a round blob (eye bones found by
    the geometry they move, whatever they are called)."""
    out: dict[str, Eyeball] = {}
    if skins.arm is None:
        return out
    for m in skins.meshes:
        if m.parent == skins.arm and m.parent_type == "BONE" and m.parent_bone:
            co = world_coordinates(m)
            if is_round(co) and m.parent_bone not in out:
                idx = np.arange(len(co))
                how = f"parented to {m.parent_bone}"
                out[m.parent_bone] = Eyeball(m.name, idx, co, np.ones(len(co)), how)
        sw = skins.of(m)
        if sw is None:
            continue
        co_all = None
        for bone, idx in sw.dominant().items():
            if idx.size < MIN_EYEBALL_VERTICES or bone in out:
                continue
            co_all = world_coordinates(m) if co_all is None else co_all
            if is_round(co_all[idx]):
                w = sw.share({bone})[idx]
                how = f"skinned to {bone} (weight {w.mean():.2f})"
                out[bone] = Eyeball(m.name, idx, co_all[idx], w, how)
    return out


# --- measuring turns ------------------------------------------------------------------------------


def fitted_rotation(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Rotation vector (radians, (3,)) of the rigid rotation best carrying ``before`` onto
    ``after`` (Kabsch: centroids removed, so a shift does not read as a turn)."""
    a = before - before.mean(axis=0)
    b = after - after.mean(axis=0)
    u, _, vt = np.linalg.svd(a.T @ b)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    r = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    angle = math.acos(max(-1.0, min(1.0, (np.trace(r) - 1.0) / 2.0)))
    if angle < 1e-12:
        return np.zeros(3)
    axis = np.array([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]])
    return axis / (2.0 * math.sin(angle)) * angle


def bone_turn(eye: Eyeball, pivot_world, axis_world) -> float:
    """Degrees the eyeball turns about ``axis_world`` per degree of rotation of its carrier
    about that axis through ``pivot_world`` (1.0 exactly when it is carried rigidly)."""
    if eye.rigid:
        return 1.0
    axis = np.asarray(axis_world, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    rot = np.array(Matrix.Rotation(math.radians(TEST_ANGLE_DEG), 3, axis), dtype=np.float64)
    pivot = np.asarray(pivot_world, dtype=np.float64)
    turned = (eye.rest - pivot) @ rot.T + pivot
    moved = eye.rest + eye.weight[:, None] * (turned - eye.rest)
    return float(np.degrees(fitted_rotation(eye.rest, moved) @ axis) / TEST_ANGLE_DEG)


def shape_key_turn(eye: Eyeball, mesh_obj: bpy.types.Object, key_name: str) -> np.ndarray:
    """Rotation vector (degrees, world axes) the eyeball turns when ``key_name`` of
    ``mesh_obj`` is at 1.0; zero when the key is on another mesh or moves none of its
    vertices."""
    if mesh_obj.name != eye.mesh or mesh_obj.data.shape_keys is None:
        return np.zeros(3)
    kb = mesh_obj.data.shape_keys.key_blocks[key_name]
    ref = kb.relative_key
    n = len(kb.data)
    co, base = np.empty(3 * n), np.empty(3 * n)
    kb.data.foreach_get("co", co)
    ref.data.foreach_get("co", base)
    delta = (co - base).reshape(-1, 3)[eye.indices]
    if kb.vertex_group and kb.vertex_group in mesh_obj.vertex_groups:
        group = mesh_obj.vertex_groups[kb.vertex_group]
        w = np.zeros(n)
        for v in mesh_obj.data.vertices:
            for g in v.groups:
                if g.group == group.index:
                    w[v.index] = g.weight
        delta *= w[eye.indices, None]
    if not np.any(delta):
        return np.zeros(3)
    m3 = np.array(mesh_obj.matrix_world.to_3x3(), dtype=np.float64)
    return np.degrees(fitted_rotation(eye.rest, eye.rest + delta @ m3.T))


def bone_head_world(arm_obj, bone: str) -> np.ndarray:
    return np.array(arm_obj.matrix_world @ arm_obj.data.bones[bone].head_local, dtype=np.float64)
