"""MicroFace's pure core: settings, channels and solver layers. Never imports ``bpy``.

Why pure: the solver must run (and be tested, and be benchmarked) without Blender, from the CLI
``validate`` command or a notebook, and stay fast because it is only numpy/scipy.
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
