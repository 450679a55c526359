"""Line/column of every value in a JSON text, keyed by JSON pointer.

Why: the standard ``json`` module forgets positions once parsed, but a TD fixing a preset wants
"presets/foo.json:12:5 /blink/rate_per_min" — so validation errors look their pointer up here.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")


def escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(path) -> str:
    """JSON pointer for a sequence of keys/indices ("" is the document root)."""
    return "".join("/" + escape_token(str(p)) for p in path)


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def locate(text: str) -> dict[str, tuple[int, int]]:
    """Map every JSON pointer in ``text`` to the (line, column) where its value starts.

    Keys are additionally recorded as ``pointer + "#key"`` at the position of the key string,
    so an *unknown key* error can point at the key rather than at its value.  ``text`` must be
    valid JSON (call after ``json.loads`` succeeded).
    """
    offsets: dict[str, int] = {}

    def ws(i: int) -> int:
        return _WS.match(text, i).end()

    def value(i: int, ptr: str) -> int:
        i = ws(i)
        offsets[ptr] = i
        c = text[i]
        if c == "{":
            i = ws(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                i = ws(i)
                key_pos = i
                key, i = scanstring(text, i + 1)
                child = ptr + "/" + escape_token(key)
                offsets[child + "#key"] = key_pos
                i = ws(i)
                i = value(i + 1, child)  # skip ':'
                i = ws(i)
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1  # '}'
        if c == "[":
            i = ws(i + 1)
            if text[i] == "]":
                return i + 1
            k = 0
            while True:
                i = value(i, f"{ptr}/{k}")
                k += 1
                i = ws(i)
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1
        if c == '"':
            return scanstring(text, i + 1)[1]
        for lit in ("true", "false", "null"):
            if text.startswith(lit, i):
                return i + len(lit)
        m = _NUMBER.match(text, i)
        if not m:  # pragma: no cover - guarded by json.loads
            raise json.JSONDecodeError("unexpected token", text, i)
        return m.end()

    value(0, "")
    return {k: line_col(text, v) for k, v in offsets.items()}
