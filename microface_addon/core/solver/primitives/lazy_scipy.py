"""The few SciPy functions the solver uses (``scipy.signal`` filters, two ``scipy.special``
incomplete functions), imported on first call.

Why lazily: importing ``scipy.signal`` costs about a second of CPU and ``scipy.special`` a few
tenths (they pull in most of SciPy), and every process that merely imports the core — the add-on registering in Blender, the CLI
parsing its arguments, a shot list checking its presets — would pay it at import time.  Only a
solve needs these filters, so only a solve imports them.  Each wrapper forwards its arguments
unchanged, so results are exactly SciPy's.
"""

from __future__ import annotations


def lfilter(*args, **kwargs):
    from scipy.signal import lfilter as f

    return f(*args, **kwargs)


def lfilter_zi(*args, **kwargs):
    from scipy.signal import lfilter_zi as f

    return f(*args, **kwargs)


def butter(*args, **kwargs):
    from scipy.signal import butter as f

    return f(*args, **kwargs)


def iirpeak(*args, **kwargs):
    from scipy.signal import iirpeak as f

    return f(*args, **kwargs)


def cont2discrete(*args, **kwargs):
    from scipy.signal import cont2discrete as f

    return f(*args, **kwargs)


def betainc(*args, **kwargs):
    from scipy.special import betainc as f

    return f(*args, **kwargs)


def gammainc(*args, **kwargs):
    from scipy.special import gammainc as f

    return f(*args, **kwargs)
