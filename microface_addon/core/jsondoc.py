"""JSON documents for humans: reading them, and saying *where* in them something is wrong.

Why one module: a TD fixing a preset, an intents file or a rig profile wants
"presets/foo.json:12:5: /blink/rate_per_min: 40 is above the maximum 30" — file, JSON pointer,
line and column — whichever check found the problem.  The standard ``json`` module forgets
positions once parsed, so ``Positions`` recovers them (linear in the file, looked up on demand),
and ``problem_at`` is the one place that turns (file, path, message) into a ``Problem``.
``read_json`` is the one way MicroFace reads a JSON input: no FIFOs or devices, a size limit,
a byte-order mark accepted, no NaN, infinity or absurd magnitudes (``core/limits.py``).  A leaf
module (standard library, numpy and ``limits``), so every part of the package can report problems
without importing the preset machinery.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from json.decoder import scanstring
from pathlib import Path
from typing import Any

import numpy as np

from .limits import MAX_JSON_BYTES, MAX_JSON_MAGNITUDE, InputError, out_of_range_numbers

_WS = re.compile(r"[ \t\n\r]*")


def escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def pointer(path) -> str:
    """JSON pointer for a sequence of keys/indices ("" is the document root)."""
    return "".join("/" + escape_token(str(p)) for p in path)


class Positions(Mapping[str, tuple[int, int]]):
    """Line and column of every JSON pointer of a document, found when asked for.

    Keys are pointers (``/blink/rate_per_min``); ``pointer + "#key"`` gives the position of an
    object member's key string rather than of its value, so an *unknown key* error can point at
    the key.  ``text`` must be valid JSON (build it after ``json.loads`` succeeded).

    Why lazy and vectorised: a problem needs the place of one value, and documents can be large
    (a 10⁶-element array, a 100,000-entry intents file).  One numpy pass over the text finds the
    structural characters outside strings, their nesting depth, each bracket's partner and the
    line starts; a look-up then walks only the containers on the pointer's path, each indexed
    once.  Building and looking up stay linear in the text (scanning every value in Python, or
    counting newlines from the start for each value, took minutes on such files).
    """

    def __init__(self, text: str):
        self._text = text
        self._members: dict[int, Any] | None = None  # indexed on the first look-up

    def _index(self) -> None:
        """The one pass over the text (on the first look-up: most documents have no problem)."""
        text = self._text
        raw = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
        # Work on bytes (the characters that matter are ASCII, never inside a multi-byte
        # sequence) and convert the offsets found to character offsets once.
        to_char = _char_offsets(raw, text.isascii())
        self._line_starts = to_char(np.concatenate(([0], np.flatnonzero(raw == ord("\n")) + 1)))
        pos, char, depth = _structure(raw)
        pos = to_char(pos)
        opener = (char == ord("{")) | (char == ord("["))
        brackets = np.flatnonzero(opener | (char == ord("}")) | (char == ord("]")))
        # An opener's level is the depth inside it, a closer's the depth it closes: in position
        # order within one level they alternate opener, closer, opener, closer…
        level = depth[brackets] + np.where(opener[brackets], 0, 1)
        order = brackets[np.lexsort((pos[brackets], level))]
        self._close = dict(zip(pos[order[0::2]].tolist(), pos[order[1::2]].tolist(), strict=True))
        self._level = dict(zip(pos[brackets].tolist(), level.tolist(), strict=True))
        commas, colons = np.flatnonzero(char == ord(",")), np.flatnonzero(char == ord(":"))
        self._commas = _by_level(pos[commas], depth[commas])
        self._colons = _by_level(pos[colons], depth[colons])
        self._members = {}

    # --- Mapping -----------------------------------------------------------------------------

    def __getitem__(self, ptr: str) -> tuple[int, int]:
        return self.line_col(self.offset(ptr))

    def __iter__(self) -> Iterator[str]:
        start = self._ws(0)
        if start >= len(self._text):
            return
        yield from self._walk("", start)

    def __len__(self) -> int:  # walks the whole document: for tests, not for problems
        return sum(1 for _ in self)

    def __bool__(self) -> bool:  # without it, truth would call __len__
        return bool(self._text.strip())

    # --- look-ups ----------------------------------------------------------------------------

    def line_col(self, offset: int) -> tuple[int, int]:
        if self._members is None:
            self._index()
        line = int(np.searchsorted(self._line_starts, offset, side="right"))
        return line, offset - int(self._line_starts[line - 1]) + 1

    def offset(self, ptr: str) -> int:
        """Character offset where the value (or, with ``#key``, the key) at ``ptr`` starts;
        ``KeyError`` when the document has no such value."""
        at_key = ptr.endswith("#key")
        tokens = [unescape_token(t) for t in (ptr[:-4] if at_key else ptr).split("/")[1:]]
        i = self._ws(0)
        if i >= len(self._text) or (at_key and not tokens):
            raise KeyError(ptr)
        for n, token in enumerate(tokens):
            children = self._children(i)
            if isinstance(children, dict):
                if token not in children:
                    raise KeyError(ptr)
                key_at, i = children[token]
                if at_key and n == len(tokens) - 1:
                    return key_at
            elif isinstance(children, _Items) and _is_index(token) and int(token) < len(children):
                if at_key and n == len(tokens) - 1:
                    raise KeyError(ptr)  # array items have no key
                i = children[int(token)]
            else:
                raise KeyError(ptr)
        return i

    def _ws(self, i: int) -> int:
        """The first offset at or after ``i`` that is not whitespace."""
        return _WS.match(self._text, i).end()

    def _children(self, i: int):
        """The direct children of the value at offset ``i``: key → (key offset, value offset)
        for an object, an ``_Items`` of value offsets for an array, None for a scalar.  Each
        container is indexed once; an array's items are found from its commas without a Python
        loop (arrays are what grows to millions)."""
        if self._members is None:
            self._index()
        if i in self._members:
            return self._members[i]
        c = self._text[i]
        if c not in "{[":
            return None
        close, level = self._close[i], self._level[i]
        inner = self._ws(i + 1)
        commas = _between(self._commas.get(level), i, close)
        if c == "[":
            found: Any = _Items(inner, commas, self._ws, empty=inner == close)
        elif inner == close:
            found = {}
        else:
            starts = [inner, *(self._ws(k + 1) for k in commas.tolist())]
            colons = _between(self._colons.get(level), i, close).tolist()
            found = {}
            for start, colon in zip(starts, colons, strict=True):
                key = scanstring(self._text, start + 1)[0]
                found[key] = (start, self._ws(colon + 1))  # the last duplicate wins, as in json
        self._members[i] = found
        return found

    def _walk(self, ptr: str, i: int) -> Iterator[str]:
        yield ptr
        children = self._children(i)
        if isinstance(children, dict):
            for key, (_, value_at) in children.items():
                child = ptr + "/" + escape_token(key)
                yield child + "#key"
                yield from self._walk(child, value_at)
        elif isinstance(children, _Items):
            for k in range(len(children)):
                yield from self._walk(f"{ptr}/{k}", children[k])


def _is_index(token: str) -> bool:
    return token.isascii() and token.isdigit()


class _Items(Sequence[int]):
    """Offsets of an array's items: the first after the bracket, the others after each comma
    (found when asked for: arrays are what grows to millions)."""

    def __init__(self, first: int, commas: np.ndarray, skip_blanks, empty: bool):
        self._first, self._commas, self._skip = first, commas, skip_blanks
        self._len = 0 if empty else commas.size + 1

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, k):  # type: ignore[override]
        if not 0 <= k < self._len:
            raise IndexError(k)
        return self._first if k == 0 else self._skip(int(self._commas[k - 1]) + 1)


_STRUCTURAL = np.zeros(256, dtype=bool)
_STRUCTURAL[[ord(c) for c in "{}[],:"]] = True


def _char_offsets(raw: np.ndarray, ascii_only: bool):
    """A function turning byte offsets of ``raw`` (UTF-8) into character offsets."""
    if ascii_only:
        return lambda offsets: offsets
    # Continuation bytes (0b10xxxxxx) strictly before each offset do not start a character.
    before = np.concatenate(([0], np.cumsum((raw & 0xC0) == 0x80)))
    return lambda offsets: offsets - before[offsets]


def _structure(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(byte offset, character, depth after it) of every structural character outside strings."""
    quotes = np.flatnonzero(raw == ord('"'))
    backslashes = np.flatnonzero(raw == ord("\\"))
    if backslashes.size:  # a quote after an odd run of backslashes is escaped
        plain = np.ones(raw.size, dtype=bool)
        plain[backslashes] = False
        last_plain = np.maximum.accumulate(np.where(plain, np.arange(raw.size), -1))
        before = np.where(quotes > 0, last_plain[np.maximum(quotes - 1, 0)], -1)
        quotes = quotes[((quotes - 1) - before) % 2 == 0]
    candidates = np.flatnonzero(_STRUCTURAL[raw])
    # Outside strings: an even number of (unescaped) quotes before it.
    structural = candidates[np.searchsorted(quotes, candidates) % 2 == 0]
    chars = raw[structural]
    step = np.zeros(chars.size, dtype=np.int64)
    step[(chars == ord("{")) | (chars == ord("["))] = 1
    step[(chars == ord("}")) | (chars == ord("]"))] = -1
    return structural, chars, np.cumsum(step)


def _by_level(positions: np.ndarray, depth: np.ndarray) -> dict[int, np.ndarray]:
    """Sorted offsets of one kind of separator, by the nesting level they separate."""
    order = np.lexsort((positions, depth))
    levels, first = np.unique(depth[order], return_index=True)
    bounds = [*first.tolist(), order.size]
    return {
        int(lv): positions[order[bounds[k] : bounds[k + 1]]] for k, lv in enumerate(levels.tolist())
    }


def _between(offsets: np.ndarray | None, lo: int, hi: int) -> np.ndarray:
    if offsets is None:
        return np.zeros(0, dtype=np.int64)
    return offsets[np.searchsorted(offsets, lo, side="right") : np.searchsorted(offsets, hi)]


def line_col(text: str, offset: int) -> tuple[int, int]:
    """Line and column (both from 1) of a character offset; for one offset (``Positions``
    indexes the lines once for many)."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def positions_of(text: str | None) -> Mapping[str, tuple[int, int]]:
    """Line/column by pointer (``Positions``), or nothing when ``text`` is missing or cannot be
    scanned."""
    if text is None:
        return {}
    try:
        return Positions(text)
    except (ValueError, IndexError, KeyError):
        return {}


def positions_of_file(path: str | Path) -> Mapping[str, tuple[int, int]]:
    """``positions_of`` the file's text (nothing when it cannot be read or is not JSON)."""
    try:
        _, text = read_json(path)
    except PresetError:
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
        """``file:line:col: /pointer`` (without line and column when they are unknown, and
        without the pointer for the document as a whole)."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.col}"
        return f"{where}: {self.pointer}" if self.pointer else where

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


class PresetError(InputError):
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
    positions = {} if positions is None else positions
    pos = (positions.get(ptr + "#key") if at_key else None) or positions.get(ptr)
    return Problem(file, ptr, *(pos or (None, None)), message)


def _constant(name: str) -> float:
    """``NaN``/``Infinity`` are not JSON; read them as numbers so that ``parse_json`` can
    refuse them with their place, like ``1e400`` (which Python reads as infinity)."""
    return float(name.lower().replace("infinity", "inf"))


def _as_written(value: float) -> str:
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, float) and abs(value) == float("inf"):
        return ("-" if value < 0 else "") + "Infinity (or a number too large for a double)"
    return repr(value)


def _cannot(path: Path, message: str) -> PresetError:
    return PresetError([Problem(str(path), "", None, None, message)])


def read_text(path: str | Path, limit: int = MAX_JSON_BYTES) -> str:
    """The text of a JSON input file (UTF-8, a byte-order mark allowed), refusing before reading
    what cannot be one: a FIFO, a device or a folder (reading ``/dev/zero`` never ends, opening
    a FIFO blocks) and anything larger than ``limit`` bytes.  Raises ``PresetError``."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise _cannot(path, "file not found") from None
    except OSError as exc:
        raise _cannot(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a folder"
                if stat.S_ISDIR(info.st_mode)
                else "not a regular file (a FIFO, device or socket, never read)"
            )
            raise _cannot(path, f"is {kind}; give a .json file")
        if info.st_size > limit:
            raise _cannot(
                path,
                f"is {info.st_size / 2**20:,.1f} MB; MicroFace reads JSON files up to "
                f"{limit / 2**20:g} MB",
            )
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise _cannot(path, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise _cannot(path, f"is larger than {limit / 2**20:g} MB, the most MicroFace reads")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _cannot(path, f"is not UTF-8 text (byte {exc.start}: {exc.reason})") from None


def parse_json(text: str, file: str) -> Any:
    """Parse a JSON text, turning every failure into a ``PresetError`` — broken syntax, the
    non-standard ``NaN``/``Infinity``, and numbers that are not finite (``1e400``) or beyond
    ``MAX_JSON_MAGNITUDE``, each with its place."""
    constants: list[str] = []

    def constant(name: str) -> float:
        constants.append(name)
        return _constant(name)

    try:
        doc = json.loads(text, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise PresetError(
            [Problem(file, "", exc.lineno, exc.colno, f"broken JSON: {exc.msg}")]
        ) from None
    except (ValueError, RecursionError) as exc:
        msg = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise PresetError([Problem(file, "", None, None, f"broken JSON: {msg}")]) from None
    # Walking every value in Python costs more than parsing: only when the text has NaN or
    # Infinity, ten digits in a row or a positive exponent can a number be out of range.
    if not constants and not _may_hold_large_numbers(text):
        return doc
    bad = list(out_of_range_numbers(doc))
    if bad:
        positions = positions_of(text)
        raise PresetError(
            [
                problem_at(
                    file,
                    path,
                    f"{_as_written(value)} is not a usable number (MicroFace's numbers are "
                    f"finite and within ±{MAX_JSON_MAGNITUDE:,.0f})",
                    positions,
                )
                for path, value in bad
            ]
        )
    return doc


def _may_hold_large_numbers(text: str) -> bool:
    """Whether ``text`` has ten digits in a row or a positive exponent — what any number of
    magnitude 1e9 or more needs (a quick vectorised look; strings can trigger it too)."""
    raw = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    digit = (raw >= ord("0")) & (raw <= ord("9"))
    breaks = np.flatnonzero(np.concatenate(([True], ~digit, [True])))
    if breaks.size > 1 and np.diff(breaks).max() > 10:  # a run of more than nine digits
        return True
    exponent = (raw[:-1] == ord("e")) | (raw[:-1] == ord("E"))
    return bool((exponent & (digit[1:] | (raw[1:] == ord("+")))).any())


def read_json(path: str | Path) -> tuple[Any, str]:
    """Read and parse a JSON file (``read_text`` then ``parse_json``): (document, text).  Every
    failure is a ``PresetError`` naming the file (and line, column and pointer when known)."""
    text = read_text(path)
    return parse_json(text, str(path)), text
