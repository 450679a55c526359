"""The few SciPy functions the solver uses (``scipy.signal`` filters, two ``scipy.special``
incomplete functions), imported on first call.

Why lazily: importing ``scipy.signal`` costs about a second of CPU and ``scipy.special`` a few
tenths (they pull in most of SciPy), and every process that merely imports the core — the add-on
registering in Blender, the CLI parsing its arguments, a shot list checking its presets — would
pay it at import time.  Only a solve needs these functions, so only a solve imports them.  Each
wrapper forwards its arguments unchanged, so results are exactly SciPy's.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def _on_first_call(module: str, name: str) -> Callable:
    """``module.name``, imported when first called (later calls find the module loaded)."""

    def call(*args, **kwargs):
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``{module}.{name}``, imported on first call."
    return call


lfilter = _on_first_call("scipy.signal", "lfilter")
lfilter_zi = _on_first_call("scipy.signal", "lfilter_zi")
butter = _on_first_call("scipy.signal", "butter")
iirpeak = _on_first_call("scipy.signal", "iirpeak")
cont2discrete = _on_first_call("scipy.signal", "cont2discrete")
betainc = _on_first_call("scipy.special", "betainc")
gammainc = _on_first_call("scipy.special", "gammainc")
