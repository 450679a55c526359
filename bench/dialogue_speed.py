"""Time dialogue: analysing a voice track, and solving with it against solving without it.

    python bench/dialogue_speed.py [--minutes 5] [--repeat 3]

The voice is the tests' espeak-ng script (``tests/speech_audio.py``: nine lines, pauses of
0.35-3 s) repeated to ``--minutes``.  Printed, best of ``--repeat`` on the shared machine:
the analysis (resampling to 16 kHz, voice activity, YIN pitch, accents) in seconds per minute of
audio, and the whole solver with that speech on its timeline next to the same solve without it
(the ratio is the dialogue's cost in the solve).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from speech_audio import RATE, SCRIPT, recording  # noqa: E402

from microface_addon.core import Timeline, load_preset, solve  # noqa: E402
from microface_addon.core.audio.analysis import AnalysisParams, analyze  # noqa: E402


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    one = recording(SCRIPT).mixed()
    voice = np.tile(one, int(np.ceil(args.minutes * 60.0 * RATE / one.size)))
    voice = voice[: int(args.minutes * 60.0 * RATE)]
    seconds = voice.size / RATE
    settings = load_preset()
    params = AnalysisParams.of(settings.section("dialogue")["analysis"])
    t_an, found = best(lambda: analyze(voice, RATE, params), args.repeat)
    speech = Timeline(speech=found.speech())
    t_with, _ = best(lambda: solve(settings, seconds, 1, "Bench", speech), args.repeat)
    t_without, _ = best(lambda: solve(settings, seconds, 1, "Bench"), args.repeat)
    n = len(found.utterances)
    print(f"voice: {seconds / 60:.1f} min at {RATE} Hz, {n} utterances found")
    print(f"analysis: {t_an:.2f} s = {t_an / (seconds / 60):.2f} s per minute of audio")
    print(
        f"solve with speech {t_with:.2f} s, without {t_without:.2f} s: "
        f"ratio {t_with / t_without:.2f}"
    )


if __name__ == "__main__":
    main()
