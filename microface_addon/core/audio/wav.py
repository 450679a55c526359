"""WAV files through scipy: the decoder when Blender's ``aud`` module is not there.

Why a fallback: the PyPI ``bpy`` module (and a plain Python running ``analyze-audio``) may be
built without Audaspace; WAV is what every recording tool and TTS engine writes.  Integer PCM
is scaled to ±1 the way audio libraries do (by the type's full scale), float WAV is read as is.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .signal import AudioError, mono


def read_wav(path: str | Path) -> tuple[np.ndarray, float]:
    """Mono samples (float64, ±1 full scale) and their rate from a WAV file.

    Raises ``AudioError`` naming the file when it is missing or not a readable WAV.
    """
    from scipy.io import wavfile  # lazy: registering the add-on must not load scipy

    p = Path(path)
    if not p.is_file():
        raise AudioError(f"audio file not found: {p}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, data = wavfile.read(p)
    except (ValueError, OSError, EOFError) as exc:
        raise AudioError(
            f"cannot read {p} as audio ({exc}); outside Blender only WAV files can be read"
        ) from None
    x = np.asarray(data)
    if np.issubdtype(x.dtype, np.integer):
        info = np.iinfo(x.dtype)
        if info.min == 0:  # 8-bit WAV is unsigned, centred on 128
            x = (x.astype(np.float64) - (info.max + 1) / 2) / ((info.max + 1) / 2)
        else:
            x = x.astype(np.float64) / float(-info.min)
    else:
        x = x.astype(np.float64)
    if x.size == 0:
        raise AudioError(f"audio file {p} holds no samples")
    return mono(x), float(rate)
