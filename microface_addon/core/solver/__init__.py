"""The pure solver: preset + timeline + seed → ``Performance`` (channel curves in seconds).

- ``registry`` — the layers in solve order, each with its name, label, preset section, the
  channels it writes and its section check; everything layer-shaped is read from here.
- ``compose`` — ``solve``/``solve_frames`` and ``SolveContext``: run the registered layers on a
  240 Hz grid.
- ``layers/`` — one module per behaviour layer (breath, cascade, micro_events, gaze, head, lids,
  blink); ``instances`` is the cascade's per-instance variation and living holds.
- ``primitives/`` — building blocks the layers share: muscle activation dynamics, the saccade main
  sequence, smooth ramps.
- ``rng`` — one seeded random stream per (seed, character, layer).

Import from the modules (``from microface_addon.core.solver.compose import solve``, or
``microface_addon.core.solve``); this package file only indexes them, so that the preset package
can read the registry without loading the solver.

SciPy is imported inside the functions that use it (marked ``# lazy``): the panel reads the
registry when the add-on registers, and importing SciPy there cost every Blender start ~1.9 s
(``tests/test_startup.py`` proves registration imports none of it).
"""
