"""Blender data paths of the rig properties MicroFace reads and keys: ``pose.bones["…"].prop``
and ``key_blocks["…"].value``, built and parsed in this one place.

Why one place, with Blender's own escaping: a name inside ``["…"]`` must be escaped exactly as
Blender escapes it (``bpy.utils.escape_identifier``: backslash, double quote and the control
characters ``\\a \\b \\t \\n \\f \\r``).  A path escaped differently either does not resolve (a bone
named ``he"ad`` made the bake raise on Blender 4.2) or resolves but no longer equals the path
of the user's own F-curve on the same property, so the bake would miss that the user animates it.
Pure string work (no ``bpy``), so the rig's driver reader and the bake share it; the tests pin
it to ``bpy.utils.escape_identifier`` / ``unescape_identifier`` on every supported Blender.
"""

from __future__ import annotations

import re

# Blender's escapes (BLI_str_escape): the character → what follows the backslash.
_ESCAPED = {"\\": "\\", '"': '"', "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\f": "f", "\r": "r"}
_ESCAPE_TABLE = str.maketrans({c: "\\" + e for c, e in _ESCAPED.items()})
_UNESCAPED = {e: c for c, e in _ESCAPED.items()}
# A known escape; any other backslash stays as it is (as in BLI_str_unescape).
_ESCAPE_SEQUENCE = re.compile(r'\\(["\\abtnfr])')
_KEY_BLOCK_VALUE = re.compile(r'^key_blocks\["((?:[^"\\]|\\.)*)"\]\.value$')


def escape(name: str) -> str:
    """``name`` as it stands between the quotes of ``["…"]`` in a data path."""
    return name.translate(_ESCAPE_TABLE)


def unescape(text: str) -> str:
    """The name an escaped ``["…"]`` body stands for (the inverse of ``escape``)."""
    return _ESCAPE_SEQUENCE.sub(lambda m: _UNESCAPED[m.group(1)], text)


def bone(name: str, prop: str) -> str:
    """``pose.bones["name"].prop`` (e.g. ``prop="rotation_quaternion"``), on an armature object."""
    return f'pose.bones["{escape(name)}"].{prop}'


def shape_key(name: str) -> str:
    """``key_blocks["name"].value``, on a shape-key datablock."""
    return f'key_blocks["{escape(name)}"].value'


def shape_key_name(path: str) -> str | None:
    """The key a ``key_blocks["…"].value`` path drives (unescaped), or None for any other path."""
    m = _KEY_BLOCK_VALUE.match(path)
    return unescape(m.group(1)) if m else None


def split(path: str) -> tuple[str, str]:
    """(owner path, property name): ``pose.bones["a.b"].location`` → (``pose.bones["a.b"]``,
    ``location``).  The property is whatever follows the last dot, which for every path built
    here comes after the closing ``"]``, so dots inside names do not matter."""
    owner, _, prop = path.rpartition(".")
    return owner, prop
