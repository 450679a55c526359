"""JSON documents for humans: reading them, and saying *where* in them something is wrong.

Why one module: a TD fixing a preset, an intents file or a rig profile wants
"presets/foo.json:12:5: /blink/rate_per_min: 40 is above the maximum 30" — file, JSON pointer,
line and column — whichever check found the problem.  The standard ``json`` module forgets
positions once parsed, so ``locate`` recovers them, and ``problem_at`` is the one place that turns
(file, path, message) into a ``Problem``.  A leaf module (standard library only), so every part of
the package can report problems without importing the preset machinery.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from json.decoder import scanstring
from pathlib import Path
from typing import Any

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


def positions_of(text: str | None) -> dict[str, tuple[int, int]]:
    """Line/column by pointer, or nothing when ``text`` is missing or cannot be scanned."""
    if text is None:
        return {}
    try:
        return locate(text)
    except (ValueError, IndexError, RecursionError):
        return {}


def positions_of_file(path: str | Path) -> dict[str, tuple[int, int]]:
    """``positions_of`` the file's text (nothing when it cannot be read or is not JSON)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        json.loads(text)
    except (OSError, ValueError, RecursionError):
        return {}
    return positions_of(text)


# --- problems ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a JSON document, and where: ``file:line:col: /pointer: message``."""

    file: str
    pointer: str
    line: int | None
    col: int | None
    message: str

    @property
    def place(self) -> str:
        """``file:line:col: /pointer`` (without line and column when they are unknown)."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.col}"
        return f"{where}: {self.pointer or '/'}"

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


class PresetError(ValueError):
    """A preset (or intents file) could not be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def problem_at(
    file: str,
    path: Sequence[Any],
    message: str,
    positions: Mapping[str, tuple[int, int]] | None = None,
    *,
    at_key: bool = False,
) -> Problem:
    """The ``Problem`` at ``path`` (keys/indices) of ``file``, with the line/column ``positions``
    (from ``locate``) give for it.  ``at_key`` points at the key rather than its value when the
    value is inside an object (unknown keys, a bad entry of a mapping)."""
    ptr = pointer(path)
    positions = positions or {}
    pos = (positions.get(ptr + "#key") if at_key else None) or positions.get(ptr)
    return Problem(file, ptr, *(pos or (None, None)), message)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def read_json(path: str | Path) -> tuple[Any, str]:
    """Read and parse a JSON file, turning every failure into a ``PresetError``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PresetError([Problem(str(path), "", None, None, "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError([Problem(str(path), "", None, None, f"cannot read: {exc}")]) from None
    try:
        return json.loads(text, parse_constant=_reject_constant), text
    except json.JSONDecodeError as exc:
        raise PresetError(
            [Problem(str(path), "", exc.lineno, exc.colno, f"broken JSON: {exc.msg}")]
        ) from None
    except (ValueError, RecursionError) as exc:
        msg = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise PresetError([Problem(str(path), "", None, None, f"broken JSON: {msg}")]) from None
