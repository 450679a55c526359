"""Sound in the scene: the sequencer's sound strips and audio files, decoded and placed on the
bake's clock as ``core.audio`` clips.  Reads, never writes.

Why here: strips are scene data (where they start, how they are trimmed, their volume and mute)
and decoding any format Blender plays needs Blender's own Audaspace (``aud``).  Everything after
— mixing, resampling, analysis — is pure (``core/audio``).  The PyPI ``bpy`` module may be built
without Audaspace; then WAV files are read with scipy (``core/audio/wav.py``) and anything else
is an error naming the file.

A strip's timing (Blender's sequencer; ``compat.strip_timing`` reads the 4.x and 5.x names):
its content starts at ``frame_start`` (5.x ``content_start``); trimming hides frames of it, so
the visible part runs from ``frame_final_start`` to ``frame_final_end`` (5.x ``left_handle``,
``right_handle``); ``animation_offset_start`` (5.x ``content_trim_start``) skips frames of the
source and ``sound_offset`` (seconds) shifts which part of the file plays.  The clip therefore
starts at the left handle on the bake's clock and reads the file from
``(left handle − content start + content trim) / fps + sound_offset`` seconds on.

``bpy`` is imported where the scene is read, so ``decode`` also serves ``analyze-audio`` in a
Python without Blender.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...core.audio.signal import AudioError, Clip, mono
from ...core.audio.wav import read_wav


@dataclass(frozen=True)
class SoundStrip:
    """What the bake needs of one sound strip (plain data: undo invalidates ``bpy`` structs)."""

    name: str
    path: str  # absolute file path ("" for a packed sound without one)
    packed: bool
    frame_start: float  # where the strip's content starts
    frame_final_start: float  # the visible part
    frame_final_end: float
    trim_frames: float  # frames of the source skipped (the hold offset)
    sound_offset_s: float
    volume: float
    muted: bool  # the strip or its channel

    def clip(self, samples: np.ndarray, rate_hz: float, bake_start: int, fps: float) -> Clip:
        """The decoded ``samples`` placed where this strip plays, seconds from ``bake_start``."""
        return Clip(
            samples=samples,
            rate_hz=rate_hz,
            start_s=(self.frame_final_start - bake_start) / fps,
            offset_s=(self.frame_final_start - self.frame_start + self.trim_frames) / fps
            + self.sound_offset_s,
            duration_s=(self.frame_final_end - self.frame_final_start) / fps,
            gain=self.volume,
            source=f"strip {self.name!r} ({Path(self.path).name or 'packed'})",
        )


def sound_strips(scene) -> list[SoundStrip]:
    """The scene's sound strips (muted ones too, flagged), in start then name order."""
    import bpy

    from ... import compat

    out = []
    for s in compat.sound_strips(scene):
        snd = s.sound
        path = bpy.path.abspath(snd.filepath, library=snd.library) if snd else ""
        start, left, right, trim = compat.strip_timing(s)
        out.append(
            SoundStrip(
                name=s.name,
                path=str(Path(path).resolve()) if path else "",
                packed=bool(snd is not None and snd.packed_file is not None),
                frame_start=start,
                frame_final_start=left,
                frame_final_end=right,
                trim_frames=trim,
                sound_offset_s=float(getattr(s, "sound_offset", 0.0)),
                volume=float(s.volume),
                muted=bool(s.mute) or compat.strip_channel_muted(scene, s),
            )
        )
    return sorted(out, key=lambda x: (x.frame_final_start, x.name))


def _decode_with_aud(path: str) -> tuple[np.ndarray, float] | None:
    """Samples and rate via Blender's Audaspace, or None when this Blender has none."""
    try:
        import aud
    except ImportError:
        return None
    try:
        sound = aud.Sound(path)
        rate = float(sound.specs[0])
        data = np.asarray(sound.data(), dtype=np.float64)
    except Exception as exc:  # aud.error: the file is not audio any reader knows
        raise AudioError(f"cannot read {path} as audio: {exc}") from None
    if data.size == 0:
        raise AudioError(f"audio file {path} holds no samples")
    return mono(data), rate


def decode(path: str | os.PathLike) -> tuple[np.ndarray, float]:
    """Mono samples (±1) and their rate from an audio file: any format Blender reads, or WAV
    where this Blender has no Audaspace.  Raises ``AudioError`` naming the file."""
    p = Path(path)
    if not p.is_file():
        raise AudioError(f"audio file not found: {p}")
    decoded = _decode_with_aud(str(p))
    return decoded if decoded is not None else read_wav(p)


def _packed_samples(name: str) -> tuple[np.ndarray, float]:
    """Decode the packed sound of strip ``name`` through a temporary file."""
    import bpy

    from ... import compat

    strip = next(s for s in compat.sound_strips(bpy.context.scene) if s.name == name)
    snd = strip.sound
    suffix = Path(snd.filepath).suffix or ".wav"
    fd, tmp = tempfile.mkstemp(suffix=suffix, prefix="microface-sound-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(snd.packed_file.data)
        return decode(tmp)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def strip_clips(strips: list[SoundStrip], bake_start: int, fps: float) -> list[Clip]:
    """Clips for ``strips``, each file decoded once."""
    cache: dict[str, tuple[np.ndarray, float]] = {}
    out = []
    for s in strips:
        key = f"packed:{s.name}" if s.packed else s.path
        if key not in cache:
            if s.packed:
                cache[key] = _packed_samples(s.name)
            elif not s.path:
                raise AudioError(f"sound strip {s.name!r} has no file")
            else:
                try:
                    cache[key] = decode(s.path)
                except AudioError as exc:
                    raise AudioError(f"sound strip {s.name!r}: {exc}") from None
        samples, rate = cache[key]
        out.append(s.clip(samples, rate, bake_start, fps))
    return out


def file_clip(path: str | os.PathLike, start_frame: int, bake_start: int, fps: float) -> Clip:
    """An audio file (``--audio FILE``) playing from ``start_frame``."""
    samples, rate = decode(path)
    return Clip(samples, rate, (start_frame - bake_start) / fps, source=f"file {Path(path).name}")
