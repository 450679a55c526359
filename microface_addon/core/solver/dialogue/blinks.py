"""Blinks gathered at pauses: where in a conversation the eyes close.

Why mostly a rate modulation: blinks in conversation are not scheduled on cue, they are more
*likely* at certain moments — speakers blink at pause onsets and phrase boundaries and less while
a phrase runs (Cummins 2012; Nakano & Kitazawa 2010), listeners blink at the end of the
speaker's turns and phrases (Hömke, Holler & Levinson 2018).  So this module shapes the blink
layer's rate over time (``ctx.modulate("blink_rate", …)``) and leaves the rest to its renewal
process (intervals, refractory time, doubles).  The shape is renormalised over each turn, so the
state's rate (``speaking`` 26/min, ``listening``…) stays what the preset says; only *where* the
blinks fall changes.  A renewal process cannot crowd a 0.6-s window by much (its refractory time
and regular intervals spread blinks out), so some pauses also get a blink of their own, placed a
beat after the voice stops (``pause_blinks``: the blink layer's forced blinks, which replace the
spontaneous ones nearby).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..primitives.ramps import cosine_ramp
from .conversation import Conversation, Turn
from .params import BlinkParams

# Edges of a boost window are eased over this long, s (the rate does not switch in one sample).
EDGE_S = 0.05


def _window(t: np.ndarray, start_s: float, length_s: float) -> np.ndarray:
    """1 over ``[start_s, start_s + length_s]`` with eased edges, 0 elsewhere."""
    out = np.zeros_like(t)
    a, b = np.searchsorted(t, [start_s - EDGE_S, start_s + length_s + EDGE_S])
    tt = t[a:b]
    rise = cosine_ramp((tt - start_s + EDGE_S) / EDGE_S)
    fall = 1.0 - cosine_ramp((tt - start_s - length_s) / EDGE_S)
    out[a:b] = np.minimum(rise, fall)
    return out


def _turn_shape(t: np.ndarray, turn: Turn, p: BlinkParams, own: bool) -> tuple[np.ndarray, slice]:
    """Relative blink rate over one turn (and the window after its end), and that span."""
    window = p.pause_window_s if own else p.listener_window_s
    end = turn.end_s + window
    a, b = np.searchsorted(t, [turn.start_s, end])
    tt = t[a:b]
    shape = np.ones_like(tt)
    if own:
        talking = np.zeros_like(tt)
        for s, e in turn.utterances:
            talking = np.maximum(talking, _window(tt, s, e - s))
        shape = 1.0 + (p.utterance_factor - 1.0) * talking
    boost = p.pause_boost if own else p.listener_boost
    # Each pause's window, never longer than the pause itself; the turn's end has the full one.
    for s, length in [(s, min(window, e - s)) for s, e in turn.pauses] + [(turn.end_s, window)]:
        shape = np.maximum(shape, boost * _window(tt, s, length))
    if own:
        for s, _ in turn.phrase_breaks:
            shape = np.maximum(shape, p.phrase_boost * _window(tt, s, p.phrase_window_s))
    return shape / max(float(np.mean(shape)), 1e-9), slice(int(a), int(b))


def blink_modulation(
    t: np.ndarray, conv: Conversation, p: BlinkParams, gain: float
) -> np.ndarray | None:
    """The factor on the blink rate (1 = unchanged), or None when there is nothing to shape."""
    if gain <= 0.0 or not conv or t.size < 2:
        return None
    m = np.ones_like(t)
    for turn in conv.turns:
        shape, span = _turn_shape(t, turn, p, turn.own)
        m[span] = shape
    return m**gain


def cluster_windows(conv: Conversation, p: BlinkParams) -> list[tuple[float, float, str]]:
    """``(start_s, end_s, whose)`` of the windows where blinks gather (for the report)."""
    out: list[tuple[float, float, str]] = []
    for turn in conv.turns:
        window = p.pause_window_s if turn.own else p.listener_window_s
        who = "own pause" if turn.own else f"{turn.speaker} pause"
        for s in [s for s, _ in turn.pauses] + [turn.end_s]:
            out.append((s, s + window, who))
    return sorted(out)


def pause_onsets(turns: Sequence[Turn]) -> list[float]:
    return sorted(s for turn in turns for s in [*(p[0] for p in turn.pauses), turn.end_s])


def pause_blinks(conv: Conversation, p: BlinkParams, gain: float, rng) -> np.ndarray:
    """Times of the blinks placed at pause onsets: some of the character's own pauses and turn
    ends, and some of the other speakers' (a listener's feedback blink)."""
    out = []
    for turn in conv.turns:
        onsets = [s for s, _ in turn.pauses] + [turn.end_s]
        chance = p.pause_blink_probability if turn.own else p.listener_blink_probability
        for s in onsets:
            u, delay = rng.random(2)
            if u < chance * min(gain, 1.0):
                out.append(
                    s + p.blink_delay_s[0] + (p.blink_delay_s[1] - p.blink_delay_s[0]) * delay
                )
    return np.asarray(sorted(out), dtype=np.float64)
