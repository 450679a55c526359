"""The pure solver: preset + timeline + seed → ``Performance`` (channel curves in seconds).

- ``compose`` — ``solve``/``solve_frames``: run the layers in their declared order on a 240 Hz grid.
- ``layers/`` — one module per behaviour layer (blink, breath, cascade, micro_events, gaze, head).
- ``primitives/`` — building blocks the layers share: muscle activation dynamics, the saccade main
  sequence, smooth ramps.
- ``rng`` — one seeded random stream per (seed, character, layer).
"""

from .compose import DEFAULT_RATE_HZ, SolveContext, solve, solve_frames

__all__ = ["DEFAULT_RATE_HZ", "SolveContext", "solve", "solve_frames"]
