"""MicroFace's pure core: preset JSON → ``Settings`` → ``Timeline`` → ``solve`` → ``Performance``.
Never imports ``bpy``.

Why pure: the solver must run (and be tested, and be benchmarked) without Blender, from the CLI
``validate`` command or a notebook, and stay fast because it is only numpy/scipy.

The public API by topic (``docs/architecture.md`` has the map):

- Presets (``preset/``) — ``settings.load_preset``, ``Settings``, ``PresetError``;
  ``controls.Controls``/``with_controls``/``effective_settings``; ``library.list_presets``,
  ``set_user_preset_dirs``; ``writer.derived_preset``/``write_preset``;
  ``schema.validate_document``, ``INTENSITY_RANGE``.
- Timeline (``timeline/``) — ``Timeline``, ``StateChange``, ``Intent``, ``LookAt``,
  ``parse_marker``, ``timeline_from_markers``, ``load_intents_file``, ``preset_timeline``.
- Solving (``solver/``) — ``compose.solve``/``solve_frames``/``SolveContext``;
  ``registry.LAYERS``/``Layer``/``register`` (the layers, in solve order); ``layers/`` and
  ``primitives/``.
- Results — ``performance.Performance``; ``channels.CHANNELS``/``Channel``/``soft_limit``.
- Measuring (``measure/``) — ``validate.validate_settings``/``STATISTICS``, ``stats`` detectors.
- Shared leaves — ``jsondoc`` (``problem_at``, ``Problem``, ``PresetError``, ``read_json``),
  ``sections`` (``from_section``, ``Range``), ``geometry`` (angles and rotations).

The names below are re-exported here for scripts and tools.
"""

from .channels import CHANNELS, Channel
from .performance import Performance
from .preset.settings import PresetError, Problem, Settings, load_preset
from .solver.compose import DEFAULT_RATE_HZ, solve, solve_frames
from .timeline.track import StateChange, Timeline

__all__ = [
    "CHANNELS",
    "Channel",
    "DEFAULT_RATE_HZ",
    "Performance",
    "PresetError",
    "Problem",
    "Settings",
    "StateChange",
    "Timeline",
    "load_preset",
    "solve",
    "solve_frames",
]
