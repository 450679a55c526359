"""Which voice is whose: sound strips → speakers.

Why rules rather than guesses: with one character every unmuted sound strip is its speech; with
several, a strip belongs to the character whose name it contains (the longest name wins, so
"Anna" beats "Ann").  A character's names are its objects' names and what they share at the
start ("Ann" for ``AnnRig`` and ``AnnHead``).  Anything else must be said explicitly — by the panel's strip picker or
``--audio-strips CHARACTER=STRIP[,STRIP]``.  An explicit speaker need not be a baked character:
naming one that is not (an off-screen interviewer) makes every baked character listen to it.
A strip no rule claims is left out and reported, never silently given to someone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .signal import AudioError


@dataclass
class Assignment:
    """Strip names per speaker (a character id or another speaker's name), and the strips no
    rule assigned."""

    by_speaker: dict[str, list[str]] = field(default_factory=dict)
    unassigned: list[str] = field(default_factory=list)
    how: dict[str, str] = field(default_factory=dict)  # strip → why it went where it went


# Shortest shared prefix that counts as a character's name.
MIN_NAME = 2


def aliases(character_id: str, names: Sequence[str]) -> set[str]:
    """What a character answers to: its id, its objects' names, and the start they share
    (without trailing separators), e.g. ``Ann`` for ``AnnRig``/``AnnHead``/``AnnEye.L``."""
    every = [character_id, *names]
    prefix = os.path.commonprefix(every).rstrip(" _.-:")
    out = {n for n in every if n}
    if len(prefix) >= MIN_NAME:
        out.add(prefix)
    return out


def speaker_of(name: str, characters: Mapping[str, Sequence[str]]) -> str:
    """The character id ``name`` refers to (one of its ``aliases``), else ``name`` itself."""
    for cid, names in characters.items():
        if name in aliases(cid, names):
            return cid
    return name


def assign_strips(
    strips: Sequence[str],
    characters: Mapping[str, Sequence[str]],
    explicit: Mapping[str, Sequence[str]] | None = None,
) -> Assignment:
    """Assign the unmuted ``strips`` (names) to speakers.

    ``characters``: each baked character's id → the names it answers to (its objects).
    ``explicit``: speaker (character id, object name or any other speaker name) → strip names.
    Raises ``AudioError`` for an explicit strip that is not among ``strips``.
    """
    out = Assignment()
    taken: set[str] = set()
    for who, names in (explicit or {}).items():
        speaker = speaker_of(who, characters)
        for strip in names:
            if strip not in strips:
                known = ", ".join(strips) or "none"
                raise AudioError(
                    f"no unmuted sound strip named {strip!r} (for {who}); strips: {known}"
                )
            if strip in taken:
                raise AudioError(f"sound strip {strip!r} is assigned to two speakers")
            out.by_speaker.setdefault(speaker, []).append(strip)
            out.how[strip] = f"assigned to {speaker}"
            taken.add(strip)
    rest = [s for s in strips if s not in taken]
    if len(characters) == 1:
        (only,) = characters
        for strip in rest:
            out.by_speaker.setdefault(only, []).append(strip)
            out.how[strip] = f"the only character, {only}"
        return out
    for strip in rest:
        low = strip.lower()
        matches = [
            (len(n), cid, n)
            for cid, names in characters.items()
            for n in aliases(cid, names)
            if n.lower() in low
        ]
        if not matches:
            out.unassigned.append(strip)
            out.how[strip] = "no character's name in it: not used (assign it explicitly)"
            continue
        best = max(m[0] for m in matches)
        owners = sorted({cid for n, cid, _ in matches if n == best})
        if len(owners) > 1:
            out.unassigned.append(strip)
            out.how[strip] = f"names {' and '.join(owners)} alike: not used (assign it explicitly)"
            continue
        out.by_speaker.setdefault(owners[0], []).append(strip)
        name = next(a for n, cid, a in matches if n == best and cid == owners[0])
        out.how[strip] = f"{owners[0]} (the strip's name contains {name!r})"
    return out
