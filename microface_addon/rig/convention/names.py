"""Name normalisation for matching rig names against convention vocabularies.

Why: the same ARKit key arrives as ``eyeBlinkLeft``, ``EyeBlinkLeft``, ``eyeBlink_L`` or
``blendShape1.eyeBlinkLeft`` depending on the exporter, and the same eye bone as ``eye.L``,
``Eye_L``, ``L_Eye``, ``CC_Base_L_Eye`` or ``leftEye``.  Names are cut into words (separators and
camelCase), side words (``L``/``R``/``Left``/``Right``/``l``/``r``) are spelled out and moved to
the end, numbers lose their leading zeros, and the words are joined in lower case.  Comparing
these normal forms lets one profile recognise every spelling without listing it.

Pure Python: no ``bpy``, so matching and scoring are tested without Blender.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

# "blendShape1.eyeBlinkLeft", "Face:eyeBlinkLeft", "mesh|jawOpen": an exporter namespace is the
# part before the last ':' or '|', or before the last '.' when what follows is a whole word
# (Rigify/ARP names such as "lid.T.L.002" or "c_eye.l" keep their dots: short or numeric tails).
_HARD_NAMESPACE = re.compile(r"^.*[:|]")
_SEPARATORS = re.compile(r"[_.\-\s]+")
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SIDE_WORDS = {"l": "left", "r": "right", "left": "left", "right": "right"}
# Words that name a part of the body: a dotted "namespace" holding one is the name itself
# ("brow1.l_Armature" is a brow bone, not "l_Armature" in namespace "brow1"), so it is never cut
# off.  Exporter namespaces are tool or mesh words ("blendShape1", "Face", "Genesis8").
ANATOMY_WORDS = frozenset(
    {
        "eye", "eyes", "eyeball", "iris", "pupil", "brow", "eyebrow", "lid", "eyelid", "lash",
        "eyelash", "jaw", "mouth", "lip", "lips", "teeth", "tooth", "tongue", "nose", "nostril",
        "cheek", "ear", "chin", "neck", "shoulder", "clavicle", "arm", "hand", "finger", "leg",
        "foot", "toe", "spine", "chest", "hips", "pelvis",
    }
)  # fmt: skip
# Blender's duplicate suffix (".001") on a name that is otherwise complete.
_INSTANCE_SUFFIX = re.compile(r"\.\d{3}$")


# Rigify/ARP helper layers that must never be keyed: deform, mechanism and original bones.
HELPER_PREFIXES = ("DEF-", "MCH-", "ORG-", "VIS_", "WGT-")


def is_helper(name: str, extra_prefixes: tuple[str, ...] = ()) -> bool:
    """A deform/mechanism/original bone (or one of a profile's ``never_write`` prefixes): read
    for measurements, never keyed."""
    return name.startswith(HELPER_PREFIXES + tuple(extra_prefixes))


def _plain_words(text: str) -> list[str]:
    return [w.lower() for part in _SEPARATORS.split(text) for w in _WORDS.findall(part)]


def strip_namespace(name: str) -> str:
    """``name`` without an exporter namespace such as ``blendShape1.`` or ``Armature:``.

    A dot only separates a namespace when the tail is a whole name of its own: not a number
    (``lid.T.L.002``), not short (``c_eye.l``), not led by a bare side token (``brow1.l_Armature``:
    the dot spells the side) — and when the part before it names no body part
    (``ANATOMY_WORDS``), so normalisation can never swallow the word that says what a bone is.
    """
    n = _HARD_NAMESPACE.sub("", name.strip())
    head, dot, tail = n.rpartition(".")
    if not dot or len(tail) <= 3 or tail.isdigit():
        return n
    if _SEPARATORS.split(tail)[0].lower() in _SIDE_WORDS:
        return n
    if ANATOMY_WORDS.intersection(_plain_words(head)):
        return n
    return tail


def words(name: str) -> list[str]:
    """Lower-case words of ``name`` (namespace removed); numbers without leading zeros."""
    return list(_words(name))


@lru_cache(maxsize=1 << 16)
def _words(name: str) -> tuple[str, ...]:
    # Cached: a Rigify rig has ~700 bone names, looked up by every profile and control.
    out = []
    for part in _SEPARATORS.split(strip_namespace(name)):
        for w in _WORDS.findall(part):
            out.append(str(int(w)) if w.isdigit() else w.lower())
    return tuple(out)


def side_of(name: str) -> str | None:
    """``"L"``/``"R"`` when one of the name's words is a side word, else None (last one wins)."""
    side = None
    for w in words(name):
        if w in _SIDE_WORDS:
            side = "L" if _SIDE_WORDS[w] == "left" else "R"
    return side


@lru_cache(maxsize=1 << 16)
def normalise(name: str) -> str:
    """The comparable form: words without separators, side words spelled out at the end."""
    ws = words(name)
    plain = [w for w in ws if w not in _SIDE_WORDS]
    sides = [_SIDE_WORDS[w] for w in ws if w in _SIDE_WORDS]
    return "".join(plain + sides)


def without_instance_suffix(name: str) -> str:
    """``name`` without Blender's ``.001``-style duplicate suffix (unchanged when it has none)."""
    return _INSTANCE_SUFFIX.sub("", name)


def common_affixes(
    names: Iterable[str], share: float = 0.9
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Leading and trailing words most of ``names`` share (e.g. ``Head_`` in ``Head_jawOpen``).

    Exporters prefix every key of a mesh with the mesh or node name, or suffix them; a word
    counts as an affix when at least ``share`` of the (four or more) names carry it in that
    position and it is not the whole name.  Side words and short numbers are never affixes.
    """
    lists = [words(n) for n in names]
    lists = [ws for ws in lists if ws]
    if len(lists) < 4:
        return (), ()

    def affix(pick) -> tuple[str, ...]:
        found: list[str] = []
        current = lists
        for _ in range(2):
            counts = Counter(pick(ws, len(found)) for ws in current if len(ws) > len(found) + 1)
            if not counts:
                break
            word, n = counts.most_common(1)[0]
            if word is None or word in _SIDE_WORDS or n < share * len(lists):
                break
            found.append(word)
            current = [ws for ws in current if pick(ws, len(found) - 1) == word]
        return tuple(found)

    prefix = affix(lambda ws, i: ws[i] if len(ws) > i else None)
    suffix = affix(lambda ws, i: ws[-1 - i] if len(ws) > i else None)
    return prefix, tuple(reversed(suffix))


def normalise_without(name: str, prefix: tuple[str, ...], suffix: tuple[str, ...]) -> str | None:
    """Normal form of ``name`` with the given affix words removed; None when it lacks them."""
    ws = words(name)
    if not prefix and not suffix:
        return None
    if prefix:
        if tuple(ws[: len(prefix)]) != prefix:
            return None
        ws = ws[len(prefix) :]
    if suffix:
        if tuple(ws[-len(suffix) :]) != suffix:
            return None
        ws = ws[: -len(suffix)]
    if not ws:
        return None
    plain = [w for w in ws if w not in _SIDE_WORDS]
    sides = [_SIDE_WORDS[w] for w in ws if w in _SIDE_WORDS]
    return "".join(plain + sides)


class NameIndex:
    """Look up a rig's actual names by a convention's spelling, most exact match first.

    Tries, in order: the normal form; the normal form after removing affix words most of the
    rig's names share (exporter prefixes/suffixes); the normal form without a ``.001`` suffix.
    """

    def __init__(self, names: Iterable[str]):
        self.names = list(names)
        self.exact: dict[str, str] = {}
        self.stripped: dict[str, str] = {}
        self.instance: dict[str, str] = {}
        for n in self.names:
            self.exact.setdefault(normalise(n), n)
        prefix, suffix = common_affixes(self.names)
        self.affixes = (prefix, suffix)
        if prefix or suffix:
            for n in self.names:
                s = normalise_without(n, prefix, suffix)
                if s is not None:
                    self.stripped.setdefault(s, n)
        for n in self.names:
            base = without_instance_suffix(n)
            if base != n:
                self.instance.setdefault(normalise(base), n)

    def find(self, wanted: str) -> str | None:
        """The rig's name for convention name ``wanted``, or None."""
        key = normalise(wanted)
        for table in (self.exact, self.stripped, self.instance):
            if key in table:
                return table[key]
        return None

    def __contains__(self, wanted: str) -> bool:
        return self.find(wanted) is not None
