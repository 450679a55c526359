"""Who speaks when: the speech track of a timeline (utterances, phrase breaks, accents).

Why on the timeline: the behaviour that follows speech — the inhale before an utterance, blinks
in its pauses, a brow raise on its accent, a listener's nod — is *when* information, the same
kind as an intent at 3.2 s.  Whether it came from analysing a sound strip (``core/audio``), from
an intents file a user edited, or from a test, the layers read the same plain seconds, and a
user can see and change exactly what they read.

``speaker`` names who speaks: ``""`` (or ``"self"``) is the character being solved; any other
name is someone else, whom the character listens to (and looks at, if an object of that name is
in the scene).  The character's own name also means itself, so one file can serve a scene.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

SELF = ("", "self")


@dataclass(frozen=True)
class Utterance:
    """Voice from ``start_s`` to ``end_s`` (a stretch between silent pauses)."""

    start_s: float
    end_s: float
    speaker: str = ""
    source: str = field(default="", compare=False)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class PhraseBreak:
    """A brief silence inside an utterance (a comma, a clause end) from ``start_s`` to
    ``end_s``: too short to be a pause, long enough to mark a phrase."""

    start_s: float
    end_s: float
    speaker: str = ""
    source: str = field(default="", compare=False)


@dataclass(frozen=True)
class SpokenAccent:
    """A prosodic accent (a syllable made prominent by loudness and pitch) at ``at_s``;
    ``strength`` 0 (just prominent) … 1."""

    at_s: float
    strength: float = 0.5
    speaker: str = ""
    source: str = field(default="", compare=False)


@dataclass(frozen=True)
class Speech:
    """Everyone's speech over the bake (times in seconds from its start)."""

    utterances: tuple[Utterance, ...] = ()
    phrase_breaks: tuple[PhraseBreak, ...] = ()
    accents: tuple[SpokenAccent, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.utterances)

    def merged(self, other: Speech) -> Speech:
        return Speech(
            self.utterances + other.utterances,
            self.phrase_breaks + other.phrase_breaks,
            self.accents + other.accents,
        )

    def shifted(self, dt_s: float) -> Speech:
        """The same speech ``dt_s`` seconds later (a recording that starts later in the shot)."""
        return Speech(
            tuple(
                replace(u, start_s=u.start_s + dt_s, end_s=u.end_s + dt_s) for u in self.utterances
            ),
            tuple(
                replace(b, start_s=b.start_s + dt_s, end_s=b.end_s + dt_s)
                for b in self.phrase_breaks
            ),
            tuple(replace(a, at_s=a.at_s + dt_s) for a in self.accents),
        )


def is_self(speaker: str, character_id: str) -> bool:
    """Does ``speaker`` name the character being solved?"""
    return speaker.strip().lower() in SELF or (bool(character_id) and speaker == character_id)
