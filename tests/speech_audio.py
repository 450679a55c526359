"""Real speech for the dialogue tests: espeak-ng lines laid out with known pauses.

Why espeak-ng: the analysis must be judged on voices — onsets that rise over a few
milliseconds, unvoiced consonants, intonation — not on sine bursts it could be tuned to.  The
lines are synthesised once per run (cached), so the ground truth is exact: each line's voice
starts and ends where its samples first and last rise above 1 % of its peak, and that is known
before any analysis runs.  Without espeak-ng these tests skip with a clear reason; a skip never
counts as a pass for the dialogue feature.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

ESPEAK = shutil.which("espeak-ng")
SKIP_REASON = (
    "espeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng; "
    "bash tools/bootstrap.sh test installs it): the dialogue tests need real speech"
)
RATE = 22050  # espeak-ng's output rate
ONSET_FRACTION = 0.01  # of a line's peak: where its voice starts and ends

# The scene: nine utterances with pauses of 0.3-3 s (about half a minute).
SCRIPT = (
    ("Hello there, it is good to see you again", 0.6),
    ("I was not sure you would come today", 1.2),
    ("The train was late, and the platform was crowded", 0.35),
    ("So I walked the last part of the way", 2.5),
    ("Anyway, here we are", 0.9),
    ("There is something important I have to tell you", 3.0),
    ("It is about the house by the river", 0.7),
    ("My brother wants to sell it before the winter", 1.6),
    ("And I think we should let him", 1.5),
)
# Two speakers taking turns (speaker, text, pause after).
EXCHANGE = (
    ("A", "Have you seen the report from the north office", 0.8),
    ("B", "Yes, I read it this morning", 0.4),
    ("B", "The numbers look much better than last year", 1.0),
    ("A", "That is good news for everyone", 0.6),
    ("A", "We should tell the others before the meeting", 1.2),
    ("B", "I will send them a message tonight", 1.5),
)


@cache
def say(text: str, voice: str = "en", speed: int = 160, ssml: bool = False) -> np.ndarray:
    """One line as float samples (±1) at ``RATE``."""
    if ESPEAK is None:
        pytest.skip(SKIP_REASON)
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "line.wav"
        cmd = [ESPEAK, "-w", str(out), "-v", voice, "-s", str(speed)]
        subprocess.run([*cmd, *(["-m"] if ssml else []), text], check=True, capture_output=True)
        rate, x = wavfile.read(out)
    assert rate == RATE, rate
    return x.astype(np.float64) / 32768.0


def voice_span(x: np.ndarray) -> tuple[float, float]:
    """Where a clean line's voice starts and ends, seconds into it."""
    loud = np.flatnonzero(np.abs(x) > ONSET_FRACTION * np.abs(x).max())
    return loud[0] / RATE, (loud[-1] + 1) / RATE


@dataclass(frozen=True)
class Line:
    speaker: str
    text: str
    onset_s: float
    end_s: float


@dataclass(frozen=True)
class Recording:
    """A mono recording per speaker (silence where another speaks) and the lines' truth."""

    tracks: dict[str, np.ndarray]
    lines: tuple[Line, ...]

    @property
    def duration_s(self) -> float:
        return next(iter(self.tracks.values())).size / RATE

    def mixed(self) -> np.ndarray:
        return np.sum(list(self.tracks.values()), axis=0)

    def own(self, speaker: str) -> list[Line]:
        return [ln for ln in self.lines if ln.speaker == speaker]

    def pauses(self, speaker: str) -> list[tuple[float, float]]:
        """Silences between a speaker's consecutive lines with no one else speaking between."""
        out = []
        for a, b in zip(self.lines[:-1], self.lines[1:], strict=True):
            if a.speaker == b.speaker == speaker:
                out.append((a.end_s, b.onset_s))
        return out

    def write(self, path: Path, speaker: str | None = None, gain: float = 1.0) -> Path:
        x = self.tracks[speaker] if speaker else self.mixed()
        wavfile.write(path, RATE, np.clip(x * gain * 32767.0, -32768, 32767).astype(np.int16))
        return path


def recording(
    script, lead_s: float = 1.0, tail_s: float = 2.0, voices: dict[str, str] | None = None
) -> Recording:
    """Lay out ``script`` — ``(text, pause_after)`` or ``(speaker, text, pause_after)`` rows —
    after ``lead_s`` of silence; pauses are measured between voices, not between files."""
    rows = [r if len(r) == 3 else ("self", *r) for r in script]
    voices = voices or {}
    pieces: list[tuple[str, np.ndarray, float]] = []
    t = lead_s
    lines = []
    for speaker, text, pause in rows:
        x = say(text, voices.get(speaker, "en"))
        v0, v1 = voice_span(x)
        start = t - v0  # the file starts so that its voice starts at t
        pieces.append((speaker, x, start))
        lines.append(Line(speaker, text, t, t + (v1 - v0)))
        t = t + (v1 - v0) + pause
    n = int((t + tail_s) * RATE)
    tracks = {s: np.zeros(n) for s, _, _ in pieces}
    for speaker, x, start in pieces:
        i = int(round(start * RATE))
        tracks[speaker][i : i + x.size] += x
    # Lines start on whole samples: the truth is where the samples went.
    lines = [
        Line(ln.speaker, ln.text, round(ln.onset_s * RATE) / RATE, round(ln.end_s * RATE) / RATE)
        for ln in lines
    ]
    return Recording(tracks, tuple(lines))


def noisy(x: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """``x`` plus white noise ``snr_db`` below the voice's RMS."""
    rng = np.random.default_rng(seed)
    voice = x[np.abs(x) > ONSET_FRACTION * np.abs(x).max()]
    rms = float(np.sqrt(np.mean(voice**2)))
    return x + rng.normal(0.0, rms * 10 ** (-snr_db / 20.0), x.size)
