"""Speech audio → a timeline of what the voice does (pure numpy/scipy, never ``bpy``).

Why here, in the core: what a line of dialogue *is* — when the voice starts and stops, where
the phrases break, which syllables carry the accent — is a property of the samples, not of
Blender.  Computing it here keeps it testable without a scene, lets ``analyze-audio`` print it,
and hands the solver plain seconds (``core/timeline/speech.py``).  Reading the scene's sound
strips and decoding with Blender's ``aud`` module is scene reading (``rig/scene/sound.py``).

- ``signal`` — ``Clip`` (samples placed on the bake's clock: start, offset, length, gain),
  ``mix`` (clips → one mono track at ``ANALYSIS_RATE_HZ``), ``resample``; ``AudioError``.
- ``wav``    — ``read_wav``: WAV files through scipy (the decoder outside Blender).
- ``vad``    — ``voice_activity``: utterances and pauses, robust to level and noise floor.
- ``pitch``  — ``yin``: an autocorrelation (YIN) F0 tracker.
- ``prosody`` — ``accents``: prominence from energy and F0, its peaks.
- ``analysis`` — ``analyze(samples, rate)`` → ``SpeechAnalysis`` (all of the above) and its
  intents-file entries.
"""
