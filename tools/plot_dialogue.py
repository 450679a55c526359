"""Plot a spoken line and what MicroFace does with it: docs/img/dialogue.png.

Usage: python tools/plot_dialogue.py [--audio LINE.wav] [--out docs/img] [--seed 3]

Without ``--audio`` the sample line the tests speak is synthesised with espeak-ng
(``tests/speech_audio.py``).  The line is analysed exactly as a bake analyses a sound strip
(``core/audio``), solved with the default preset, and plotted from the solver's output: the
waveform with the utterances, phrase breaks and accents found in it; the breath (chest) with its
speech inhales; the lids with the windows where blinks gather; where the eyes look (eye + head,
degrees off the listener) with the gaze's turn states.  Needs matplotlib (the test extras).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from microface_addon.core import Timeline, load_preset, solve  # noqa: E402
from microface_addon.core.audio.analysis import AnalysisParams, analyze  # noqa: E402
from microface_addon.core.audio.wav import read_wav  # noqa: E402
from microface_addon.core.measure import stats  # noqa: E402

LINES = 5  # of the tests' script: about 17 s


def sample_line() -> tuple[np.ndarray, float]:
    from speech_audio import RATE, SCRIPT, recording

    return recording(SCRIPT[:LINES]).mixed(), float(RATE)


def plot(samples: np.ndarray, rate: float, out: Path, seed: int) -> Path:
    settings = load_preset()
    found = analyze(samples, rate, AnalysisParams.of(settings.section("dialogue")["analysis"]))
    duration = samples.size / rate
    perf = solve(settings, duration, seed, "plot", Timeline(speech=found.speech()))
    plan = perf.events["dialogue"]
    ch, t, r = perf.channels, perf.t, perf.rate_hz

    fig, axes = plt.subplots(4, 1, figsize=(10, 7.5), sharex=True)
    ax = axes[0]
    ts = np.arange(samples.size) / rate
    ax.plot(ts[::4], samples[::4], color="0.55", lw=0.4)
    for s, e in found.utterances:
        ax.axvspan(s, e, color="tab:green", alpha=0.15)
    for s, e in found.activity.phrase_breaks:
        ax.axvspan(s, e, color="tab:orange", alpha=0.5)
    top = np.abs(samples).max()
    for a in found.accents:
        ax.plot(a.at_s, top * 1.05, "v", color="tab:red", ms=3 + 6 * a.strength)
    ax.set_ylabel("voice")
    ax.set_title(
        "utterances (green), phrase breaks (orange), accents (red, size = strength)",
        loc="left",
        fontsize=9,
    )

    ax = axes[1]
    ax.plot(t, ch["chest_pitch"], color="tab:blue", lw=1.2)
    rises = stats.detect_rises(ch["breath"], r, 0.15)
    for on in rises.onsets_s:
        ax.axvline(on, color="tab:blue", alpha=0.3, lw=0.8)
    for s, e in found.utterances:
        ax.axvspan(s, e, color="tab:green", alpha=0.08)
    ax.set_ylabel("chest (deg)")
    ax.set_title(
        "speech breathing: quick inhales before utterances (lines), controlled exhales "
        "through them",
        loc="left",
        fontsize=9,
    )

    ax = axes[2]
    ax.plot(t, ch["orbicularis_oculi_palpebral_L"], color="k", lw=0.8)
    for s, e, _who in plan.blink_windows:
        ax.axvspan(s, e, color="tab:purple", alpha=0.15)
    ax.set_ylabel("lid")
    ax.set_title("blinks, gathered in the first moments of pauses (purple)", loc="left", fontsize=9)

    ax = axes[3]
    yaw = ch["eye_yaw_L"] + ch["head_yaw"]
    pitch = ch["eye_pitch_L"] + ch["head_pitch"]
    ax.plot(t, np.hypot(yaw, pitch), color="tab:brown", lw=0.9)
    colours = {"thinking": "tab:red", "listening": "tab:green"}
    for s, e, state in plan.gaze_states:
        if state in colours:
            ax.axvspan(s, e, color=colours[state], alpha=0.12)
    ax.set_ylabel("gaze off\nlistener (deg)")
    ax.set_xlabel("time (s)")
    ax.set_title(
        "gaze: looks away as a long turn starts (red), back at the listener as it ends (green)",
        loc="left",
        fontsize=9,
    )
    for a in axes:
        a.grid(alpha=0.3)
    fig.suptitle("A spoken line and the micro-motion MicroFace layers onto it", fontsize=10)
    fig.tight_layout()
    path = out / "dialogue.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--audio", type=Path, help="a WAV line (default: the tests' sample line)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    samples, rate = read_wav(args.audio) if args.audio else sample_line()
    print(plot(samples, rate, args.out, args.seed))


if __name__ == "__main__":
    main()
