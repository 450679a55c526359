"""Name normalisation for matching rig names against convention vocabularies.

Why: the same ARKit key arrives as ``eyeBlinkLeft``, ``EyeBlinkLeft``, ``eyeBlink_L`` or
``blendShape1.eyeBlinkLeft`` depending on the exporter; comparing normalised forms lets one
profile recognise them all without listing every spelling.
"""

from __future__ import annotations

import re

_PREFIX = re.compile(r"^.*[.:|]")  # exporter namespaces: "blendShape1.", "Face:", "mesh|"
_SIDE_SUFFIX = re.compile(r"(?:[_.\-\s])(l|r|left|right)$", re.IGNORECASE)
_SIDE_WORD = {"l": "left", "r": "right", "left": "left", "right": "right"}
_SEPARATORS = re.compile(r"[_.\-\s]+")


def normalise(name: str) -> str:
    """Lower-case, no exporter prefix, side spelled ``left``/``right`` at the end, no separators."""
    n = name.strip()
    m = _SIDE_SUFFIX.search(n)
    if m:  # side first, so "eye.L" keeps "eye" instead of losing it as a prefix
        n = n[: m.start()] + _SIDE_WORD[m.group(1).lower()]
    n = _PREFIX.sub("", n)
    return _SEPARATORS.sub("", n).lower()
