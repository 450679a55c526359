"""Behaviour that follows speech: what the dialogue layer (``layers/dialogue.py``) plans.

The timeline's speech track (``core/timeline/speech.py``) says who speaks when; these modules
turn it into behaviour, each one concern, pure functions over seconds:

- ``params``       — ``DialogueParams``: the preset's ``dialogue`` section, one dataclass per
  behaviour (each with its own ``intensity``).
- ``conversation`` — ``Conversation``: the character's own utterances, pauses and turns, and
  everyone else's; the speaking/listening states it puts on the state track; the gaze-only
  states (look away at the start of a long turn, back near its end); where the mouth is the
  lip-sync's.
- ``breathing``    — speech breathing: quick inhales before utterances, controlled exhales
  through them, top-ups, sighs in long pauses, handed back to tidal breathing in silences.
- ``blinks``       — blink-rate modulation: blinks gather at pause onsets and phrase breaks
  (the speaker's own, or the speaker's when listening).
- ``cues``         — intents on the timeline: brow raises and small nods on accents; a
  listener's back-channel nods and small smiles at the speaker's phrase ends.
"""
