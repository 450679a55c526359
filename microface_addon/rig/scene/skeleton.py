"""Find root → spine → chest → neck chain → head → eyes/jaw of an armature.

Why not by name alone: every rig names bones differently (``head``, ``Head``, ``CC_Base_Head``,
``J_Bip_C_Head``…).  Sources, most trusted first, role by role:
1. VRM humanoid metadata stored by an importer (``vrm.py``): exact.
2. The bone-convention profile's ``skeleton`` names (Rigify controls, CC, VRoid, ARP…).
3. Evidence: the eyes are a left/right pair mirrored across the mid-plane *and* something says
   they are eyes — an eyeball mesh they carry (parented or skinned, ``eyeballs.py``), their
   names after safe normalisation (the word eye, never lid/brow/lash), or, for bones with no
   meaningful name at all (``Bone.009``), pointing forward from the front of the head.  A
   mirrored pair of head children is not evidence by itself (``brow1.l_Armature`` is no eye).
   The head is where the eyes hang; without eyes, a bone named like a head, else the top of the
   central chain.  The neck is the chain below the head down to where the body branches into a
   mirrored pair (shoulders/clavicles): that branch bone is the chest; the shoulders are the
   pair whose children (the arms) reach sideways — by where the child sits, not the bone's own
   direction, since imported bones often all point +Z (Mixamo).  The jaw is a head child below
   the eyes whose tail points down/forward.
Rotation modes and rest orientations are respected downstream, because every target is
expressed in the bone's own rest axes.
"""

from __future__ import annotations

import bpy
from mathutils import Vector

from ..convention import vrm
from ..convention.names import ANATOMY_WORDS, NameIndex, is_helper, normalise, side_of, words
from ..convention.rigmap import Skeleton
from .eyeballs import Eyeball, Skins, eyeball_carriers, eyeball_of_bone, named_like_an_eye

MAX_NECK_JOINTS = 4
# Mirror-pair tolerance: |left − mirror(right)| relative to the pair's separation.
MIRROR_TOLERANCE = 0.25


def _usable(bone: bpy.types.Bone) -> bool:
    return not is_helper(bone.name)


def _side(name: str) -> str | None:
    return side_of(name)


def _ancestors(bone: bpy.types.Bone) -> list[bpy.types.Bone]:
    out = []
    p = bone.parent
    while p is not None:
        out.append(p)
        p = p.parent
    return out


def _mirror_error(a: bpy.types.Bone, b: bpy.types.Bone, mid_x: float = 0.0) -> float:
    pa, pb = a.head_local, b.head_local
    mirror = Vector((2 * mid_x - pb.x, pb.y, pb.z))
    return (pa - mirror).length / max((pa - pb).length, 1e-6)


def _pair_cost(a: bpy.types.Bone, b: bpy.types.Bone) -> float:
    """How well ``a`` (left) and ``b`` (right) mirror each other, sharing a parent and with short
    names (eye.L over eye_fk.L): lower is better."""
    return _mirror_error(a, b) + (0 if a.parent == b.parent else 0.5) + 0.01 * len(a.name)


def _best_pair(left, right) -> tuple[bpy.types.Bone, bpy.types.Bone] | None:
    best = None
    for a in left:
        for b in right:
            if a is b:
                continue
            cost = _pair_cost(a, b)
            if cost <= 1.0 and (best is None or cost < best[0]):
                best = (cost, a, b)
    return best[1:] if best else None


def _by_side(bones) -> tuple[list, list]:
    """Bones named left / right; bones without a side word go by +X (character facing −Y)."""
    left = [
        b
        for b in bones
        if side_of(b.name) == "L" or (not side_of(b.name) and b.head_local.x > 1e-4)
    ]
    right = [
        b
        for b in bones
        if side_of(b.name) == "R" or (not side_of(b.name) and b.head_local.x < -1e-4)
    ]
    return left, right


def _find_eyes(bones, skins: Skins | None) -> tuple[dict[str, bpy.types.Bone], str]:
    """The eye pair by evidence, and the evidence: an eyeball mesh carried by each, names.

    A pair named like eyes *and* carrying eyeballs beats one carrying eyeballs, which beats one
    only named like eyes.  Without either, no pair (see ``_eye_pair_below`` for unnamed bones).
    Every bone's skin is read (the costly part) only when the named bones carry no eyeballs.
    """
    usable = [b for b in bones if _usable(b)]
    named = [b for b in usable if named_like_an_eye(b.name)]
    carried: dict[str, Eyeball] = {}
    if skins is not None:
        for b in named:
            eye = eyeball_of_bone(skins, b.name)
            if eye is not None:
                carried[b.name] = eye
    ways = [
        (lambda: carried, lambda c: [b for b in named if b.name in c], "name and eyeball mesh"),
        (lambda: eyeball_carriers(skins) if skins else {}, None, "eyeball mesh"),
        (lambda: {}, lambda c: named, "name"),
    ]
    for evidence, pick, how in ways:
        found = evidence()
        cands = pick(found) if pick else [b for b in usable if b.name in found]
        pair = _best_pair(*_by_side(cands))
        if pair is not None:
            a, b = pair
            if found:
                how += f" ({found[a.name].how}; {found[b.name].how})"
            return {"L": a, "R": b}, f"mirrored pair, by {how}"
    return {}, ""


# Words that say nothing about what a bone is: an unnamed bone ("Bone.009", "Armature_joint_3").
GENERIC_WORDS = frozenset({"bone", "joint", "armature", "def", "jnt", "b"})


def _generic_name(name: str) -> bool:
    ws = [w for w in words(name) if not w.isdigit() and w not in ("l", "r", "left", "right")]
    return all(w in GENERIC_WORDS for w in ws) and not ANATOMY_WORDS.intersection(ws)


def _mirrored_pair(kids, mid_x: float, accept=None) -> tuple | None:
    """The best-mirrored (left on +X, right) pair among ``kids`` across x = ``mid_x``, within
    ``MIRROR_TOLERANCE`` and passing ``accept(a, b)`` when given; None when there is none."""
    best = None
    for a in kids:
        for b in kids:
            if a is b or a.head_local.x <= b.head_local.x + 1e-4:
                continue
            if accept is not None and not accept(a, b):
                continue
            err = _mirror_error(a, b, mid_x)
            if err < MIRROR_TOLERANCE and (best is None or err < best[0]):
                best = (err, a, b)
    return best[1:] if best else None


def _eye_pair_below(head: bpy.types.Bone) -> dict[str, bpy.types.Bone]:
    """Unnamed eyes: a mirrored pair of head children whose names say nothing (``Bone.009``),
    in front of and above the head's root, each pointing forward — away from the head's axis
    toward where the pair sits.  A pair named anything meaningful (``brow1.l_Armature``) is not
    taken: only names, an eyeball mesh or this unnamed geometry make eyes."""
    kids = [c for c in head.children if _usable(c) and _generic_name(c.name)]

    def looks_like_eyes(a, b) -> bool:
        if min(a.head_local.z, b.head_local.z) < head.head_local.z:
            return False
        front = (a.head_local + b.head_local) / 2 - head.head_local
        front.z = 0.0
        if front.length < 1e-6:
            return False
        front.normalize()
        return all((x.tail_local - x.head_local).normalized().dot(front) > 0.7 for x in (a, b))

    pair = _mirrored_pair(kids, head.head_local.x, looks_like_eyes)
    if pair is None:
        return {}
    a, b = pair
    # Which one is the character's left: the side named so, else +X (a character facing −Y).
    if _side(a.name) == "R" or _side(b.name) == "L":
        a, b = b, a
    return {"L": a, "R": b}


def _is_branch(bone: bpy.types.Bone) -> bool:
    """A bone whose children include a left/right mirrored pair (shoulders, clavicles, legs)."""
    return _mirrored_pair([c for c in bone.children if _usable(c)], bone.head_local.x) is not None


def reach(bone: bpy.types.Bone) -> Vector:
    """Which way a bone reaches (armature space, unit): toward its first usable child's head (a
    shoulder reaches toward its arm), else toward its tail.  Imported bones often all point +Z
    (Mixamo FBX/glTF), so a bone's own direction says nothing about the limb it carries."""
    kids = [c for c in bone.children if _usable(c)]
    if kids:
        # The child farthest away: a shoulder's arm, not a small twist/helper bone at its root.
        far = max(kids, key=lambda c: (c.head_local - bone.head_local).length)
        to_child = far.head_local - bone.head_local
        if to_child.length > 1e-6:
            return to_child.normalized()
    return (bone.tail_local - bone.head_local).normalized()


def _shoulder_pair(chest: bpy.types.Bone, neck: set[str]) -> dict[str, bpy.types.Bone]:
    """The mirrored pair of usable children of the chest that reach sideways (clavicles or
    shoulders, judged by where their arms are), left = +X side; empty when there is none."""
    kids = [c for c in chest.children if _usable(c) and c.name not in neck]

    def sideways(a, b) -> bool:
        return abs(reach(a).x) > 0.5 and abs(reach(b).x) > 0.5

    pair = _mirrored_pair(kids, chest.head_local.x, sideways)
    return {"L": pair[0], "R": pair[1]} if pair else {}


def _central_top(bones) -> bpy.types.Bone | None:
    """Without eyes or a head name: the highest bone of the chain that stays on the mid-plane."""
    usable = [b for b in bones if _usable(b)]
    if not usable:
        return None
    height = max(b.tail_local.z for b in usable) - min(b.head_local.z for b in usable)
    tol = max(0.02 * height, 1e-4)
    central = [b for b in usable if abs(b.head_local.x) < tol and abs(b.tail_local.x) < tol]
    if not central:
        return None
    # The top of the main chain; only on a body (a branch into a mirrored pair below it and a
    # few joints deep), so a prop's lone bone is never taken for a head.
    top = max(central, key=lambda b: (b.tail_local.z, -len(_ancestors(b))))
    below = _ancestors(top)
    if len(below) < 2 or not any(_is_branch(b) for b in below):
        return None
    return top


def _common_parent(a: bpy.types.Bone, b: bpy.types.Bone) -> bpy.types.Bone | None:
    """The nearest usable bone both hang below (where a pair of eyes hangs: the head)."""
    others = _ancestors(b)
    return next((p for p in _ancestors(a) if p in others and _usable(p)), None)


def _named_head(bones) -> bpy.types.Bone | None:
    """A usable bone named like a head (not its end or top), ``head`` itself and shallow first."""
    named = [b for b in bones if _usable(b) and "head" in normalise(b.name)]
    named = [b for b in named if not normalise(b.name).startswith(("headend", "headtop"))]
    named.sort(key=lambda b: (normalise(b.name) != "head", len(_ancestors(b)), len(b.name)))
    return named[0] if named else None


def _neck_chain(head: bpy.types.Bone) -> tuple[list[bpy.types.Bone], bpy.types.Bone | None, str]:
    """(neck bottom→top, chest, how) below ``head``."""
    chain = []
    p = head.parent
    while p is not None and "neck" in normalise(p.name) and len(chain) < MAX_NECK_JOINTS:
        chain.append(p)
        p = p.parent
    if chain:
        return list(reversed(chain)), p, "named neck chain"
    # Hierarchy: walk down to the bone where the body branches into a mirrored pair.
    chain = []
    p = head.parent
    while p is not None and not _is_branch(p) and len(chain) < MAX_NECK_JOINTS:
        chain.append(p)
        p = p.parent
    if p is not None and _is_branch(p):
        return list(reversed(chain)), p, "hierarchy (chain above the shoulder branch)"
    # No branch found (a head-only rig): one parent as the neck, its parent as the chest.
    if head.parent is not None and head.parent.parent is not None:
        return [head.parent], head.parent.parent, "hierarchy (parent of the head)"
    return [], head.parent, "hierarchy"


def _find_jaw(
    head: bpy.types.Bone, eyes: dict, forward: Vector
) -> tuple[bpy.types.Bone | None, str]:
    eye_names = {b.name for b in eyes.values()}
    desc = [b for b in head.children_recursive if _usable(b) and b.name not in eye_names]
    named = [b for b in desc if "jaw" in normalise(b.name)]
    if named:
        named.sort(key=lambda b: (len(_ancestors(b)), len(b.name)))
        return named[0], "name"
    # Geometry: a direct child of the head, below the eyes (or the head's middle), pointing
    # down and/or forward, on the mid-plane.
    ref_z = (
        min(b.head_local.z for b in eyes.values())
        if eyes
        else (head.head_local.z + head.tail_local.z) / 2
    )
    best = None
    for b in head.children:
        if not _usable(b) or b.name in eye_names:
            continue
        d = (b.tail_local - b.head_local).normalized()
        if abs(b.head_local.x - head.head_local.x) > 0.25 * max(b.length, 1e-4):
            continue
        if b.tail_local.z >= ref_z or d.z > 0.1:
            continue
        score = -d.z + max(0.0, d.dot(forward))
        if best is None or score > best[0]:
            best = (score, b)
    return (best[1], "geometry (head child pointing down/forward)") if best else (None, "")


def _pick(index: NameIndex, alternatives) -> str | None:
    for name in alternatives or ():
        found = index.find(name)
        if found is not None:
            return found
    return None


def _neck_from_hints(index: NameIndex, chains) -> list[str] | None:
    for chain in chains or ():
        found = [index.find(n) for n in chain]
        if all(found):
            return found
    return None


class _Finder:
    """Fills one ``Skeleton`` role by role; each role tries metadata, hints, then geometry."""

    def __init__(
        self, arm_obj: bpy.types.Object, hints: dict, hint_source: str, skins: Skins | None
    ):
        self.bones = arm_obj.data.bones
        self.skins = skins
        self.index = NameIndex([b.name for b in self.bones])
        self.hints = hints
        self.hint_source = hint_source or "profile"
        self.meta = vrm.humanoid_bones(arm_obj)
        self.sk = Skeleton()

    def role(self, name: str) -> str | None:
        """The bone VRM metadata or the profile's hints give ``name``, noting which did."""
        if name in self.meta:
            self.sk.found_by[name] = "VRM humanoid metadata"
            return self.meta[name]
        got = _pick(self.index, self.hints.get(name))
        if got:
            self.sk.found_by[name] = self.hint_source
        return got

    def _set_eyes(self, pair: dict[str, bpy.types.Bone], how: str) -> None:
        self.sk.eyes = {s: b.name for s, b in pair.items()}
        self.sk.found_by["eye_L"] = self.sk.found_by["eye_R"] = how

    def eyes(self) -> dict[str, bpy.types.Bone]:
        eye_l, eye_r = self.role("eye_L"), self.role("eye_R")
        if eye_l and eye_r:
            self.sk.eyes = {"L": eye_l, "R": eye_r}
        else:
            pair, how = _find_eyes(self.bones, self.skins)
            if pair:
                self._set_eyes(pair, how)
        return {s: self.bones[n] for s, n in self.sk.eyes.items()}

    def head(self, eyes: dict[str, bpy.types.Bone]) -> bpy.types.Bone | None:
        """Hints, the eyes' common parent, a bone named head, the top of the central chain."""
        name = self.role("head")
        if name:
            return self.bones[name]
        ways = []
        if eyes:
            ways.append((lambda: _common_parent(eyes["L"], eyes["R"]), "common parent of the eyes"))
        ways.append((lambda: _named_head(self.bones), "name"))
        ways.append((lambda: _central_top(self.bones), "top of the central chain"))
        for find, how in ways:
            head = find()
            if head is not None:
                self.sk.found_by["head"] = how
                return head
        return None

    def eyes_below(self, head: bpy.types.Bone) -> dict[str, bpy.types.Bone]:
        pair = _eye_pair_below(head)
        if pair:
            self._set_eyes(pair, "unnamed mirrored head children pointing forward")
        return pair

    def neck_and_chest(self, head: bpy.types.Bone) -> None:
        sk = self.sk
        neck = _neck_from_hints(self.index, self.hints.get("neck"))
        if "neck" in self.meta:
            neck, sk.found_by["neck"] = [self.meta["neck"]], "VRM humanoid metadata"
        elif neck:
            sk.found_by["neck"] = self.hint_source
        chest = self.role("upper_chest") or self.role("chest")
        if "upper_chest" in sk.found_by:
            sk.found_by["chest"] = sk.found_by.pop("upper_chest")
        if neck is None:
            chain, chest_bone, how = _neck_chain(head)
            neck = [b.name for b in chain]
            sk.found_by["neck"] = how
            if chest is None and chest_bone is not None:
                chest = chest_bone.name
                sk.found_by["chest"] = how
        if chest is None and neck:
            parent = self.bones[neck[0]].parent
            if parent is not None:
                chest = parent.name
                sk.found_by["chest"] = "parent of the neck"
        sk.neck, sk.chest = neck, chest

    def shoulders(self) -> None:
        sk = self.sk
        if sk.chest is not None and sk.chest in self.bones:
            pair = _shoulder_pair(self.bones[sk.chest], set(sk.neck))
            if pair:
                sk.shoulders = {side: b.name for side, b in pair.items()}
                sk.found_by["shoulders"] = "mirrored pair off the chest reaching sideways"

    def jaw(self, head: bpy.types.Bone, eyes: dict[str, bpy.types.Bone]) -> None:
        jaw = self.role("jaw")
        if jaw is None:
            bone, how = _find_jaw(head, eyes, Vector(self.sk.forward))
            if bone is not None:
                jaw = bone.name
                self.sk.found_by["jaw"] = how
        self.sk.jaw = jaw

    def root_and_spine(self) -> None:
        """Down the hierarchy from the chest: the last usable ancestor is the root."""
        sk = self.sk
        root = self.role("root")
        if sk.chest is not None:
            below = [b for b in _ancestors(self.bones[sk.chest]) if _usable(b)]
            if root is None and below:
                root = below[-1].name
                sk.found_by["root"] = "hierarchy"
            if root is not None and self.bones[root] in below:
                sk.spine = [b.name for b in reversed(below[: below.index(self.bones[root])])]
        sk.root = root


def find_skeleton(
    arm_obj: bpy.types.Object, hints: dict, hint_source: str = "", skins: Skins | None = None
) -> Skeleton:
    """Roles of ``arm_obj``'s bones.  ``hints`` is the bone profile's ``skeleton`` section (role →
    alternatives; empty without a profile), ``hint_source`` how the report names it, ``skins``
    the character's meshes on this armature (eyeball meshes are evidence for eye bones)."""
    find = _Finder(arm_obj, hints, hint_source, skins)
    eyes = find.eyes()
    head = find.head(eyes)
    if head is not None and not eyes:
        eyes = find.eyes_below(head)
    _frame(find.sk, eyes)
    if head is None:
        return find.sk
    find.sk.head = head.name
    find.neck_and_chest(head)
    find.shoulders()
    find.jaw(head, eyes)
    find.root_and_spine()
    return find.sk


def _frame(sk: Skeleton, eyes: dict) -> None:
    """Character frame from the eyes: the left eye is on the character's left, Z is up, so
    forward = left × up (a character facing +Y, left eye at −X, comes out facing +Y)."""
    if len(eyes) != 2:
        return
    left = eyes["L"].head_local - eyes["R"].head_local
    left.z = 0.0
    if left.length <= 1e-6:
        return
    left.normalize()
    fwd = left.cross(Vector((0.0, 0.0, 1.0)))
    sk.forward = tuple(fwd.normalized())
    sk.left = tuple(left)
    sk.up = (0.0, 0.0, 1.0)
