"""Time the whole pure-core solver: 10 minutes of performance sampled at 60 fps, every channel.

    python bench/solver_speed.py [--minutes 10] [--fps 60] [--repeat 5] [--lengths 7.5,15,30,60]

Two timelines: the default preset with no cues (an idle character) and a busy one (an intent
every ~10 s: smiles of both kinds, frowns, concern, surprise, disgust, contempt, suppress, relax).
Each case is solved ``--repeat`` times; the best wall time is printed (the machine is shared, so
the minimum is the fairest number), with the time per layer of that run.

Then how the solve scales: the busy timeline solved at each of ``--lengths`` minutes (up to one
hour), best CPU time of ``--repeat-long`` runs each, and the exponent ``k`` of ``time ~ length^k``
fitted on a log-log scale (1 = linear; the goal is <= 1.05).  ``--lengths ''`` skips it.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from microface_addon.core import load_preset, solve  # noqa: E402
from microface_addon.core.solver import registry  # noqa: E402
from microface_addon.core.timeline import Timeline, parse_marker  # noqa: E402

BUSY_CUES = (
    "smile 0.7 duchenne",
    "smile 0.5 social",
    "frown 0.5",
    "concern 0.6",
    "surprise 0.8",
    "disgust 0.5",
    "contempt 0.5",
    "suppress 0.6 smile",
    "relax",
)


def busy_timeline(seconds: float) -> Timeline:
    n = int(seconds / 10.0)
    cues = [parse_marker("mf:" + BUSY_CUES[i % len(BUSY_CUES)], 5.0 + 10.0 * i) for i in range(n)]
    return Timeline(intents=tuple(cues))


def timed(settings, seconds: float, fps: float, timeline: Timeline):
    per_layer: dict[str, float] = {}
    originals = registry.LAYERS

    def wrap(layer):
        def run(ctx):
            t0 = time.perf_counter()
            layer.apply(ctx)
            per_layer[layer.name] = time.perf_counter() - t0

        return replace(layer, apply=run)

    registry.LAYERS = tuple(wrap(layer) for layer in originals)
    try:
        c0, t0 = time.process_time(), time.perf_counter()
        perf = solve(settings, seconds, seed=1, character_id="Bench", timeline=timeline)
        t1 = time.perf_counter()
        frames = perf.at_frames(fps, int(round(seconds * fps)) + 1)
        t2, c2 = time.perf_counter(), time.process_time()
    finally:
        registry.LAYERS = originals
    return t2 - t0, t1 - t0, t2 - t1, per_layer, len(frames), c2 - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--fps", type=float, default=60.0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--lengths", default="7.5,15,30,60", help="minutes, for the exponent")
    ap.add_argument("--repeat-long", type=int, default=2)
    args = ap.parse_args()
    seconds = args.minutes * 60.0
    settings = load_preset()
    n_frames = int(round(seconds * args.fps)) + 1
    print(f"{args.minutes:g} min at {args.fps:g} fps = {n_frames} frames; best of {args.repeat}")
    for label, tl in (
        ("idle (no cues)", Timeline()),
        ("busy (a cue every 10 s)", busy_timeline(seconds)),
    ):
        best = min(
            (timed(settings, seconds, args.fps, tl) for _ in range(args.repeat)), key=lambda r: r[0]
        )
        total, solve_s, sample_s, per_layer, n_ch, cpu = best
        layers = ", ".join(f"{k} {v:.3f}" for k, v in per_layer.items())
        print(
            f"{label:26s} total {total:.3f} s wall, {cpu:.3f} s CPU  (solve {solve_s:.3f} s, "
            f"sampling {n_ch} channels {sample_s:.3f} s)\n{'':26s} layers: {layers}"
        )
    lengths = [float(m) for m in args.lengths.split(",") if m.strip()]
    if len(lengths) >= 2:
        scaling(settings, lengths, args.repeat_long)


def scaling(settings, minutes: list[float], repeat: int) -> None:
    """Best CPU seconds of the idle and busy solves per length, and the fitted exponents."""
    for label, make in (("idle", lambda s: Timeline()), ("busy", busy_timeline)):
        cpu = []
        for m in minutes:
            seconds = m * 60.0
            timeline = make(seconds)
            best = float("inf")
            for _ in range(repeat):
                t0 = time.process_time()
                solve(settings, seconds, seed=1, character_id="Bench", timeline=timeline)
                best = min(best, time.process_time() - t0)
            cpu.append(best)
        k = np.polyfit(np.log(minutes), np.log(cpu), 1)[0]
        rows = ", ".join(f"{m:g} min {c:.2f} s" for m, c in zip(minutes, cpu, strict=True))
        print(f"{label} solve CPU by length: {rows}; exponent (time ~ length^k) k = {k:.2f}")


if __name__ == "__main__":
    main()
