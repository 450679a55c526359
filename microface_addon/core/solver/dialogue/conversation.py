"""Who holds the floor when: the character's own turns and pauses, everyone else's, and the
states they put on the timeline.

Why turns, not just utterances: behaviour follows the floor.  A speaker looks away as a long turn
starts and back as it ends (Kendon 1967); a listener looks at whoever speaks, and blinks, nods
and smiles at the speaker's pauses (Hömke et al. 2018; Yngve 1970).  A turn is a run of one
speaker's utterances with no one else's between them and no silence longer than ``turn_gap_s``.

The state track: where the timeline's state is a conversational one (``rest``, ``listening``,
``speaking`` by default), the character is ``speaking`` during its own turns and ``listening``
during others' (until ``listening_linger_s`` after they stop); blink rates, gaze statistics and
the listening head motion of those states then apply.  A state the user set for a reason
(``reading``, ``thinking``…) is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ...timeline.speech import Speech, is_self
from ...timeline.track import StateChange, Timeline
from ..primitives.ramps import cosine_ramp
from .params import ConversationParams, GazeParams

STATE_TRACK = "state"
SELF = ""  # how turns name the character itself
# A long turn's aversion and return windows leave at least this much between them, s, or they
# split the turn in two (a fraction of a second of another gaze behaviour would be noise).
MIN_MIDDLE_S = 0.5

Span = tuple[float, float]


@dataclass(frozen=True)
class Turn:
    """One speaker's turn: its utterances (``(start_s, end_s)``, in order) and the phrase
    breaks inside them."""

    speaker: str  # SELF for the character itself
    utterances: tuple[Span, ...]
    phrase_breaks: tuple[Span, ...] = ()

    @property
    def start_s(self) -> float:
        return self.utterances[0][0]

    @property
    def end_s(self) -> float:
        return self.utterances[-1][1]

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def own(self) -> bool:
        return self.speaker == SELF

    @property
    def pauses(self) -> tuple[Span, ...]:
        """The silences between this turn's utterances."""
        u = self.utterances
        return tuple((a[1], b[0]) for a, b in zip(u[:-1], u[1:], strict=True))


def _merged(spans: Sequence[Span]) -> list[Span]:
    """Sorted spans with overlaps joined."""
    out: list[list[float]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


@dataclass(frozen=True)
class Conversation:
    """The speech track seen from one character: its turns and everyone else's, in time order."""

    turns: tuple[Turn, ...]

    @classmethod
    def of(cls, speech: Speech, character_id: str, p: ConversationParams) -> Conversation:
        """Group everyone's utterances into turns (the character's own speaker is ``SELF``)."""
        by: dict[str, list[Span]] = {}
        for u in speech.utterances:
            who = SELF if is_self(u.speaker, character_id) else u.speaker
            if u.end_s > u.start_s:
                by.setdefault(who, []).append((float(u.start_s), float(u.end_s)))
        flat = sorted((s, e, who) for who, spans in by.items() for s, e in _merged(spans))
        breaks: dict[str, list[Span]] = {}
        for b in speech.phrase_breaks:
            who = SELF if is_self(b.speaker, character_id) else b.speaker
            breaks.setdefault(who, []).append((float(b.start_s), float(b.end_s)))
        turns: list[tuple[str, list[Span]]] = []
        for s, e, who in flat:
            if turns and turns[-1][0] == who and s - turns[-1][1][-1][1] < p.turn_gap_s:
                turns[-1][1].append((s, e))
            else:
                turns.append((who, [(s, e)]))
        out = []
        for who, utts in turns:
            inside = tuple(
                sorted(b for b in breaks.get(who, []) if utts[0][0] <= b[0] and b[1] <= utts[-1][1])
            )
            out.append(Turn(who, tuple(utts), inside))
        return cls(tuple(out))

    def __bool__(self) -> bool:
        return bool(self.turns)

    @property
    def own_turns(self) -> tuple[Turn, ...]:
        return tuple(t for t in self.turns if t.own)

    @property
    def other_turns(self) -> tuple[Turn, ...]:
        return tuple(t for t in self.turns if not t.own)

    @property
    def own_utterances(self) -> tuple[Span, ...]:
        return tuple(u for t in self.own_turns for u in t.utterances)

    @property
    def own_phrase_breaks(self) -> tuple[Span, ...]:
        return tuple(b for t in self.own_turns for b in t.phrase_breaks)

    def speaker_at(self, t_s: float) -> str | None:
        """Who else holds the floor at ``t_s`` (None: nobody else)."""
        for turn in self.other_turns:
            if turn.start_s <= t_s < turn.end_s:
                return turn.speaker
        return None


# --- states ---------------------------------------------------------------------------------


def floor_spans(conv: Conversation, p: ConversationParams) -> list[tuple[float, float, str]]:
    """``(start_s, end_s, state)``: speaking over own turns, listening over others' (lingering
    after them until the next own turn), in time order, without overlaps."""
    spans: list[tuple[float, float, str]] = []
    turns = conv.turns
    for i, turn in enumerate(turns):
        if turn.own:
            spans.append((turn.start_s, turn.end_s, p.speaking_state))
            continue
        end = turn.end_s + p.listening_linger_s
        nxt = next((t.start_s for t in turns[i + 1 :] if t.own), None)
        if nxt is not None:
            end = min(end, nxt)
        spans.append((turn.start_s, end, p.listening_state))
    out: list[tuple[float, float, str]] = []
    for s, e, v in sorted(spans):
        if out and s < out[-1][1]:
            s = out[-1][1]  # someone else starts before the last span ended: the earlier wins
        if e > s:
            if out and out[-1][2] == v and abs(out[-1][1] - s) < 1e-9:
                out[-1] = (out[-1][0], e, v)
            else:
                out.append((s, e, v))
    return out


def _overlay(
    base: Sequence[tuple[float, float, str]],
    spans: Sequence[tuple[float, float, str]],
    replaceable: Sequence[str],
) -> list[tuple[float, float, str]]:
    """``base`` segments with ``spans`` laid over them where the base value is replaceable."""
    cuts = sorted(
        {c for s, e, _ in base for c in (s, e)} | {c for s, e, _ in spans for c in (s, e)}
    )
    out: list[tuple[float, float, str]] = []
    lo, hi = base[0][0], base[-1][1]
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        if b <= lo or a >= hi or b - a <= 0:
            continue
        mid = 0.5 * (a + b)
        value = next(v for s, e, v in base if s <= mid < e)
        if value in replaceable:
            value = next((v for s, e, v in spans if s <= mid < e), value)
        if out and out[-1][2] == value:
            out[-1] = (out[-1][0], b, value)
        else:
            out.append((a, b, value))
    return out


def conversation_states(
    timeline: Timeline,
    initial: str,
    duration_s: float,
    conv: Conversation,
    p: ConversationParams,
) -> list[tuple[float, float, str]]:
    """The state segments once the floor is on them (see the module docstring)."""
    base = timeline.segments(STATE_TRACK, initial, duration_s)
    return _overlay(base, floor_spans(conv, p), p.conversational_states)


def with_states(timeline: Timeline, segments: Sequence[tuple[float, float, str]]) -> Timeline:
    """``timeline`` whose state track is exactly ``segments`` (other tracks untouched)."""
    kept = tuple(c for c in timeline.changes if c.track != STATE_TRACK)
    new = tuple(StateChange(s, STATE_TRACK, v, "dialogue") for s, _e, v in segments)
    return replace(timeline, changes=kept + new)


def gaze_segments(
    segments: Sequence[tuple[float, float, str]],
    conv: Conversation,
    cp: ConversationParams,
    gp: GazeParams,
    gain: float,
) -> list[tuple[float, float, str]]:
    """State segments for the gaze alone: a long own turn starts with ``aversion_state``
    (looking away while planning what to say) and ends with ``return_state`` (back on the
    listener), where the state is the speaking one.  ``gain`` scales the two windows."""
    marks: list[tuple[float, float, str]] = []
    for turn in conv.own_turns:
        if turn.duration_s < cp.long_turn_s or gain <= 0.0:
            continue
        away, back = gp.aversion_s * gain, gp.return_s * gain
        if away + back > turn.duration_s - MIN_MIDDLE_S:  # no sliver of "speaking" between
            away = back = 0.5 * turn.duration_s
        marks.append((turn.start_s, turn.start_s + away, gp.aversion_state))
        marks.append((turn.end_s - back, turn.end_s, gp.return_state))
    if not marks:
        return list(segments)
    return _overlay(segments, marks, (cp.speaking_state,))


def speaking_envelope(t: np.ndarray, utterances: Sequence[Span], fade_s: float) -> np.ndarray:
    """1 while the character's voice runs (eased in and out over ``fade_s`` around each
    utterance), else 0: where the mouth belongs to the lip-sync."""
    out = np.zeros_like(t)
    for s, e in utterances:
        a, b = np.searchsorted(t, [s - fade_s, e + fade_s])
        seg = t[a:b]
        if fade_s > 0:
            env = np.minimum(
                cosine_ramp((seg - (s - fade_s)) / fade_s), cosine_ramp((e + fade_s - seg) / fade_s)
            )
        else:
            env = ((seg >= s) & (seg <= e)).astype(np.float64)
        np.maximum(out[a:b], env, out=out[a:b])
    return out


# --- where a listener looks ---------------------------------------------------------------------

BASE_TARGET = ""  # the user's look-at (or straight ahead) in a gaze-target schedule


def gaze_targets(
    conv: Conversation,
    partners: Sequence[str],
    has_base: bool,
    reaction_s: float,
    linger_s: float,
) -> list[tuple[float, str]]:
    """``(time_s, target)``: whom the eyes aim at from ``time_s`` on — a ``partner`` (another
    speaker that is an object in the scene) from ``reaction_s`` after its turn starts; between
    its turns the user's target (``BASE_TARGET``) when ``has_base``, else the last partner who
    spoke (the conversation partner stays the target).  Empty when no partner speaks."""
    out: list[tuple[float, str]] = []
    turns = [t for t in conv.other_turns if t.speaker in partners]
    if not turns:
        return []
    out.append((0.0, BASE_TARGET if has_base else turns[0].speaker))
    for i, turn in enumerate(turns):
        out.append((turn.start_s + reaction_s, turn.speaker))
        if has_base:  # back to the user's target after the turn, unless the next starts first
            own = [t.start_s for t in conv.own_turns if t.start_s >= turn.end_s]
            back = min([turn.end_s + linger_s, *own[:1]])
            if i + 1 == len(turns) or back < turns[i + 1].start_s + reaction_s:
                out.append((back, BASE_TARGET))
    out.sort(key=lambda x: x[0])
    merged: list[tuple[float, str]] = []
    for t, name in out:
        if merged and merged[-1][1] == name:
            continue
        if merged and t <= merged[-1][0]:
            merged[-1] = (merged[-1][0], name)  # a switch at the same time replaces the last
            continue
        merged.append((t, name))
    return merged
