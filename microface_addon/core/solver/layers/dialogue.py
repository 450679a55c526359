"""Dialogue: the character breathes, blinks, looks and gestures with what is said — its own
lines and the lines it listens to.

Why a layer that runs first and writes no channel: the behaviour speech brings is made of the
other layers' behaviour, timed by the voice.  So this layer *directs*: from the timeline's speech
track (``core/timeline/speech.py``, filled from sound strips by the bake or from an intents
file) it plans

* the floor — the state track becomes ``speaking`` over the character's own turns and
  ``listening`` over others' (blink rates, gaze statistics, listening head motion follow), and
  the gaze alone looks away as a long turn starts and back as it ends (``gaze_states``);
* cues on the timeline — brow raises and small nods on accents, back-channel nods and smiles at
  the speaker's pauses — that the cascade and head layers perform like any intent;
* speech breathing (``DialoguePlan.breath``), which the breath layer blends over its rhythm;
* where blinks gather (``ctx.modulate("blink_rate", …)``) and where the mouth belongs to the
  lip-sync (``ctx.modulate("mouth_free", …)``: 0 while the character speaks).

Without speech on the timeline it does nothing at all (no random numbers drawn), so every
other curve is exactly what it was.  The plan is kept in ``ctx.events["dialogue"]`` for the
report.  Numbers come from the preset's ``dialogue`` section (``dialogue/params.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...sections import from_section
from ...timeline.intents import Intent
from ...timeline.speech import is_self
from ...timeline.track import Timeline
from ..dialogue.blinks import blink_modulation, cluster_windows, pause_blinks
from ..dialogue.breathing import SpeechBreath, speech_breath
from ..dialogue.conversation import (
    Conversation,
    conversation_states,
    gaze_segments,
    speaking_envelope,
    with_states,
)
from ..dialogue.cues import Timing, accent_cues, back_channels
from ..dialogue.params import DialogueParams

NAME = "dialogue"
LABEL = "Dialogue"
WRITES: tuple[str, ...] = ()  # it directs the other layers; see the module docstring
MOUTH_FREE = "mouth_free"  # modulator: 1 where MicroFace may move the mouth, 0 = lip-sync's


@dataclass
class DialoguePlan:
    """What the dialogue layer planned for one character (read by the breath and gaze layers,
    listed in the bake report)."""

    conversation: Conversation
    states: list[tuple[float, float, str]]
    gaze_states: list[tuple[float, float, str]]
    cues: list[Intent] = field(default_factory=list)
    breath: SpeechBreath | None = None
    blink_windows: list[tuple[float, float, str]] = field(default_factory=list)
    pause_blinks_s: list[float] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        r3 = lambda x: round(float(x), 3)  # noqa: E731
        conv = self.conversation
        return {
            "turns": [
                {
                    "speaker": t.speaker or "self",
                    "start_s": r3(t.start_s),
                    "end_s": r3(t.end_s),
                    "utterances": len(t.utterances),
                }
                for t in conv.turns
            ],
            "states": [[r3(s), r3(e), v] for s, e, v in self.states],
            "gaze_states": [[r3(s), r3(e), v] for s, e, v in self.gaze_states],
            "breaths": self.breath.report() if self.breath is not None else {},
            "cues": [
                {
                    "at_s": r3(c.start_s),
                    "intent": c.kind,
                    "intensity": r3(c.intensity),
                    **({"variant": c.variant} if c.variant else {}),
                    "why": c.source,
                }
                for c in self.cues
            ],
            "blink_windows": [[r3(s), r3(e), who] for s, e, who in self.blink_windows],
            "pause_blinks_s": [r3(x) for x in self.pause_blinks_s],
        }


def _timing(ctx) -> Timing:
    """When the cascade and head layers will perform a cue (their own settings)."""
    latency = float(ctx.settings.section("cascade").get("reaction_latency_s", 0.0))
    nod = ctx.settings.section("head").get("listening", {}).get("nod_duration_s", [0.5, 0.5])
    return Timing(latency, float(np.mean(nod)))


def apply(ctx) -> None:
    """Dialogue layer: plan states, cues, speech breathing, blink gathering and the mouth."""
    speech = ctx.timeline.speech
    if not speech:
        return
    p = from_section(DialogueParams, ctx.settings.section(NAME))
    conv = Conversation.of(speech, ctx.character_id, p.conversation)
    if not conv:
        return
    gain = ctx.settings.layer_gain(NAME)
    seeds = ctx.rng(NAME).integers(0, 2**63 - 1, size=4)
    r_breath, r_accent, r_back, r_blink = (np.random.Generator(np.random.PCG64(s)) for s in seeds)

    states = conversation_states(
        ctx.timeline, ctx.settings.state, ctx.duration_s, conv, p.conversation
    )
    own_accents = [a for a in speech.accents if is_self(a.speaker, ctx.character_id)]
    cues = accent_cues(own_accents, p.brows, p.nods, _timing(ctx), gain, r_accent)
    cues += back_channels(conv, p.back_channel, gain, r_back)
    cues.sort(key=lambda c: c.start_s)
    ctx.timeline = with_states(ctx.timeline, states).merged(Timeline(intents=tuple(cues)))

    breath = speech_breath(
        ctx.t,
        conv.own_utterances,
        conv.own_phrase_breaks,
        p.breathing,
        r_breath,
        gain * p.breathing.intensity,
    )
    blink_gain = gain * p.blinks.intensity
    blink = blink_modulation(ctx.t, conv, p.blinks, blink_gain)
    if blink is not None:
        ctx.modulate("blink_rate", blink)
    placed = pause_blinks(conv, p.blinks, blink_gain, r_blink)
    placed = placed[(placed >= 0.0) & (placed < ctx.duration_s)]
    if placed.size:
        prior = np.asarray(ctx.events.get("forced_blinks_s", []), dtype=np.float64)
        ctx.events["forced_blinks_s"] = np.sort(np.concatenate([prior, placed]))
    ctx.modulate(
        MOUTH_FREE,
        1.0 - speaking_envelope(ctx.t, conv.own_utterances, p.conversation.mouth_fade_s),
    )
    gaze = gaze_segments(states, conv, p.conversation, p.gaze, gain * p.gaze.intensity)
    ctx.events[NAME] = DialoguePlan(
        conv, states, gaze, cues, breath, cluster_windows(conv, p.blinks), placed.tolist()
    )
