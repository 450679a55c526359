"""Test characters built in code for the rig-convention tests (no binary fixtures).

Every mesh is a small grid whose shape keys each lift one distinct vertex by 1 cm, so a key's
evaluated value can be read back from the evaluated mesh as well as from ``key_block.value``.
Bones follow one humanoid layout (character faces −Y, +Z up, character's left = +X) whose names
each convention spells its own way.
"""

from __future__ import annotations

import math

import bmesh
import bpy

LIFT_M = 0.01

# role → (head, tail, parent role)
LAYOUT = {
    "hips": ((0, 0, 1.0), (0, 0, 1.1), None),
    "spine": ((0, 0, 1.1), (0, 0, 1.3), "hips"),
    "chest": ((0, 0, 1.3), (0, 0, 1.45), "spine"),
    "shoulder_L": ((0.02, 0, 1.42), (0.18, 0, 1.42), "chest"),
    "shoulder_R": ((-0.02, 0, 1.42), (-0.18, 0, 1.42), "chest"),
    "neck1": ((0, 0, 1.45), (0, 0, 1.5), "chest"),
    "neck2": ((0, 0, 1.5), (0, 0, 1.55), "neck1"),
    "head": ((0, 0, 1.55), (0, 0, 1.75), "neck2"),
    "eye_L": ((0.032, -0.08, 1.65), (0.032, -0.1, 1.65), "head"),
    "eye_R": ((-0.032, -0.08, 1.65), (-0.032, -0.1, 1.65), "head"),
    "jaw": ((0, -0.02, 1.58), (0, -0.08, 1.52), "head"),
}


def add_mesh(name: str, keys=(), armature=None, parent=None, parent_bone: str | None = None):
    """A grid mesh with ``keys`` (each lifting its own vertex), deformed by ``armature``."""
    me = bpy.data.meshes.new(name)
    bm = bmesh.new()
    bmesh.ops.create_grid(bm, x_segments=11, y_segments=11, size=0.1)
    bm.to_mesh(me)
    bm.free()
    ob = bpy.data.objects.new(name, me)
    bpy.context.scene.collection.objects.link(ob)
    if keys:
        ob.shape_key_add(name="Basis", from_mix=False)
        for i, k in enumerate(keys):
            kb = ob.shape_key_add(name=k, from_mix=False)
            co = kb.data[i].co
            kb.data[i].co = (co.x, co.y, co.z + LIFT_M)
            kb.value = 0.0  # 5.0+ creates keys at 1.0
    if armature is not None:
        mod = ob.modifiers.new("Armature", "ARMATURE")
        mod.object = armature
    if parent is not None:
        ob.parent = parent
        if parent_bone:
            ob.parent_type = "BONE"
            ob.parent_bone = parent_bone
    return ob


def add_armature(
    name: str, names: dict[str, str | None], extra=(), rotation_mode="QUATERNION", scale=1.0
):
    """An armature with the humanoid LAYOUT; ``names`` maps role → bone name (None: leave out).

    ``extra``: further bones ``(name, head, tail, parent_name)``.  ``scale`` sizes the whole
    character (a child is ~0.6, a giant 2.0) without any object scale.
    """

    def sc(v):
        return tuple(scale * c for c in v)

    arm = bpy.data.armatures.new(name)
    ob = bpy.data.objects.new(name, arm)
    bpy.context.scene.collection.objects.link(ob)
    bpy.context.view_layer.objects.active = ob
    bpy.ops.object.mode_set(mode="EDIT")
    eb = arm.edit_bones
    for role, (head, tail, parent) in LAYOUT.items():
        bname = names.get(role, role)
        if bname is None:
            continue
        b = eb.new(bname)
        b.head, b.tail = sc(head), sc(tail)
        p = parent
        while p is not None and names.get(p, p) is None:  # skip left-out roles
            p = LAYOUT[p][2]
        if p is not None:
            b.parent = eb[names.get(p, p)]
    for bname, head, tail, parent in extra:
        b = eb.new(bname)
        b.head, b.tail = sc(head), sc(tail)
        if parent:
            b.parent = eb[parent]
    bpy.ops.object.mode_set(mode="OBJECT")
    for pb in ob.pose.bones:
        pb.rotation_mode = rotation_mode
    return ob


def drive_key(mesh, key: str, arm, bone: str, transform="LOC_Z", expression="var * 20"):
    """Drive ``key`` by a bone transform channel (local space) through ``expression``."""
    fc = mesh.data.shape_keys.key_blocks[key].driver_add("value")
    drv = fc.driver
    drv.type = "SCRIPTED"
    var = drv.variables.new()
    var.name = "var"
    var.type = "TRANSFORMS"
    t = var.targets[0]
    t.id = arm
    t.bone_target = bone
    t.transform_type = transform
    t.transform_space = "LOCAL_SPACE"
    drv.expression = expression
    # A driver F-curve may come with a default generator modifier; keep the mapping exact.
    for m in list(fc.modifiers):
        fc.modifiers.remove(m)
    return fc


def drive_key_by_property(mesh, key: str, owner, prop: str):
    """Drive ``key`` from a custom property (a setup MicroFace cannot follow)."""
    owner[prop] = 0.0
    fc = mesh.data.shape_keys.key_blocks[key].driver_add("value")
    drv = fc.driver
    drv.type = "AVERAGE"
    var = drv.variables.new()
    var.type = "SINGLE_PROP"
    var.targets[0].id = owner
    var.targets[0].data_path = f'["{prop}"]'
    return fc


def evaluated_key(mesh, key: str) -> float:
    """The value of ``key`` as the depsgraph evaluated it (after NLA and drivers)."""
    return mesh.data.shape_keys.key_blocks[key].value


def lift(mesh, key: str) -> float:
    """Evaluated height of the vertex ``key`` moves, above its basis height (metres)."""
    deps = bpy.context.evaluated_depsgraph_get()
    ev = mesh.evaluated_get(deps)
    index = list(mesh.data.shape_keys.key_blocks).index(mesh.data.shape_keys.key_blocks[key]) - 1
    basis = mesh.data.shape_keys.key_blocks[0].data[index].co.z
    return ev.data.vertices[index].co.z - basis


# --- eyeballs (issue #11: real avatars) ---------------------------------------------------------

EYE_RADIUS_M = 0.012
# (key stem, axis in world/armature space, degrees) for the left eye; the right eye mirrors yaw.
# Sculpted stronger than ARKit's documented 30°/25° scale, as avatars often are.
LOOKS_DEG = {"Out": 40.0, "In": 40.0, "Up": 35.0, "Down": 35.0}


def _rotated(co, centre, axis, deg):
    from mathutils import Matrix, Vector

    rot = Matrix.Rotation(math.radians(deg), 3, Vector(axis))
    c = Vector(centre)
    return [tuple(rot @ (Vector(p) - c) + c) for p in co]


def look_axis(side: str, stem: str) -> tuple[tuple[float, float, float], float]:
    """Rotation (axis, sign) of an ``eyeLook<stem><Side>`` key for a character facing −Y with
    its left at +X: yaw about +Z (+ toward the character's left), pitch about −X (+ up)."""
    toward_left = {"Out": 1.0, "In": -1.0}.get(stem)
    if toward_left is not None:
        return (0.0, 0.0, 1.0), toward_left if side == "L" else -toward_left
    return (-1.0, 0.0, 0.0), 1.0 if stem == "Up" else -1.0


def add_eyeball(
    name: str,
    centre,
    side: str,
    armature=None,
    bone: str | None = None,
    weight: float = 1.0,
    rest_bone: str | None = None,
    looks: dict[str, float] | None = None,
    parent=None,
    parent_bone: str | None = None,
):
    """A UV-sphere eyeball at ``centre`` (world), optionally skinned to ``bone`` with ``weight``
    (the rest to ``rest_bone``), with ``eyeLook*`` morphs that turn it by ``looks`` degrees."""
    me = bpy.data.meshes.new(name)
    bm = bmesh.new()
    bmesh.ops.create_uvsphere(bm, u_segments=16, v_segments=10, radius=EYE_RADIUS_M)
    bm.to_mesh(me)
    bm.free()
    ob = bpy.data.objects.new(name, me)
    bpy.context.scene.collection.objects.link(ob)
    for v in me.vertices:
        v.co = (v.co.x + centre[0], v.co.y + centre[1], v.co.z + centre[2])
    if looks:
        ob.shape_key_add(name="Basis", from_mix=False)
        basis = [tuple(v.co) for v in me.vertices]
        sname = "Left" if side == "L" else "Right"
        for stem, deg in looks.items():
            axis, sign = look_axis(side, stem)
            kb = ob.shape_key_add(name=f"eyeLook{stem}{sname}", from_mix=False)
            for i, p in enumerate(_rotated(basis, centre, axis, sign * deg)):
                kb.data[i].co = p
            kb.value = 0.0
    if armature is not None:
        n = len(me.vertices)
        if bone is not None:
            ob.vertex_groups.new(name=bone).add(list(range(n)), weight, "REPLACE")
        if rest_bone is not None and weight < 1.0:
            ob.vertex_groups.new(name=rest_bone).add(list(range(n)), 1.0 - weight, "REPLACE")
        ob.modifiers.new("Armature", "ARMATURE").object = armature
    if parent is not None:
        world = ob.matrix_world.copy()
        ob.parent = parent
        if parent_bone:
            ob.parent_type = "BONE"
            ob.parent_bone = parent_bone
        bpy.context.view_layer.update()
        ob.matrix_world = world  # keep the eyeball where it is
    return ob


def evaluated_world(ob):
    """(n, 3) world positions of ``ob``'s evaluated (deformed, keyed) vertices."""
    import numpy as np

    deps = bpy.context.evaluated_depsgraph_get()
    ev = ob.evaluated_get(deps)
    me = ev.to_mesh()
    try:
        co = np.empty(3 * len(me.vertices))
        me.vertices.foreach_get("co", co)
    finally:
        ev.to_mesh_clear()
    m = np.array(ev.matrix_world)
    return co.reshape(-1, 3) @ m[:3, :3].T + m[:3, 3]
