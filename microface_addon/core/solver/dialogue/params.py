"""The preset's ``dialogue`` section as dataclasses (``core/sections.py`` builds them).

Every number here has its source in ``docs/science.md`` and its meaning in ``docs/dialogue.md``;
each behaviour has an ``intensity`` (0 turns it off, 1 as published, up to 2 exaggerated), which
the layer's own intensity multiplies.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...sections import Range


@dataclass(frozen=True)
class ConversationParams:
    turn_gap_s: float  # own utterances closer than this (nobody between) are one turn
    long_turn_s: float  # a turn at least this long starts with an aversion (gaze)
    conversational_states: tuple[str, ...]  # states the dialogue may replace
    speaking_state: str
    listening_state: str
    listening_linger_s: float  # a listener keeps listening this long after the speaker stops
    mouth_fade_s: float  # the lip-sync takes the mouth over this long before/after the voice


@dataclass(frozen=True)
class BreathingParams:
    intensity: float
    inhale_s: Range  # quick inhale duration, shallow … deep
    lead_s: float  # the inhale ends this long before the voice starts
    min_pause_s: float  # a pause at least this long gets a full inhale
    depth: float  # inhaled volume before a vanishingly short breath group (breath units)
    depth_per_s: float  # … plus this per second of voice it must carry
    depth_range: Range
    end_level: float  # lung level an exhale through speech runs down to (0 = rest)
    top_up_after_s: float  # voiced seconds since the last inhale that call for a top-up
    top_up_min_gap_s: float  # the shortest silence a top-up fits into
    release_pause_s: float  # silences at least this long hand back to tidal breathing
    settle_s: float  # after the last word, before the hand-over starts
    handover_s: float  # cross-fade between speech and tidal breathing
    recoil_s: float  # time constant of the passive return to rest after speaking
    sigh_pause_s: float  # silences at least this long may hold a sigh
    sigh_probability: float
    sigh_depth: float
    sigh_inhale_s: float
    sigh_exhale_s: float
    sigh_delay_s: float  # after the last word


@dataclass(frozen=True)
class BlinkParams:
    intensity: float
    pause_window_s: float  # blinks gather in this window after a pause starts
    pause_boost: float  # relative rate there (before the turn's rate is renormalised)
    phrase_window_s: float
    phrase_boost: float
    utterance_factor: float  # relative rate while the voice runs
    pause_blink_probability: float  # an own pause (or turn end) starts with a blink of its own
    blink_delay_s: Range  # that blink comes this long after the voice stops
    listener_boost: float  # relative rate at the speaker's pause onsets
    listener_window_s: float
    listener_blink_probability: float  # a listener blinks as the speaker's turn ends


@dataclass(frozen=True)
class GazeParams:
    intensity: float
    aversion_s: float  # at the start of a long turn
    aversion_state: str  # gaze behaviour used then (its fixation statistics)
    return_s: float  # before the end of a long turn
    return_state: str
    speaker_reaction_s: float  # a listener's eyes find a new speaker after this long


@dataclass(frozen=True)
class AccentCueParams:
    intensity: float
    min_strength: float  # accents weaker than this get none
    probability: float  # of a cue on an accent at full strength (scaled by strength)
    amount: Range  # intent intensity, weakest … strongest accent
    min_interval_s: float  # cues closer than this are skipped
    lead_s: float  # the drive starts this long before the accent


@dataclass(frozen=True)
class BackChannelParams:
    intensity: float
    min_pause_s: float  # the speaker's silences at least this long invite one
    delay_s: Range  # after the pause starts
    nod_probability: float
    nod_amount: Range
    smile_probability: float
    smile_amount: Range
    smile_variant: str
    smile_s: float  # attack + hold + release
    min_interval_s: float


@dataclass(frozen=True)
class DialogueParams:
    """The preset's ``dialogue`` section (its ``analysis`` part is read by ``core/audio``)."""

    conversation: ConversationParams
    breathing: BreathingParams
    blinks: BlinkParams
    gaze: GazeParams
    brows: AccentCueParams
    nods: AccentCueParams
    back_channel: BackChannelParams
