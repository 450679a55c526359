"""Time the whole pure-core solver: 10 minutes of performance sampled at 60 fps, every channel,
and how the solve time grows with the shot's length.

    python bench/solver_speed.py [--minutes 10] [--fps 60] [--repeat 5] [--baseline REF]
                                 [--exponent] [--lengths 7.5,15,30,60]

Two timelines: the default preset with no cues (an idle character) and a busy one (an intent
every ~10 s: smiles of both kinds, frowns, concern, surprise, disgust, contempt, suppress, relax).
Times are CPU seconds of this process (``time.process_time``: the machine is shared, and wall
time mostly measures the neighbours); each case is solved ``--repeat`` times and the best is
printed, with the CPU time per layer of that run.  The first solve of each implementation is a
warm-up (it imports SciPy's filters).

``--baseline REF`` also times the solver as it is at git ``REF`` (``git archive`` of the package
and presets into a temporary folder, imported under another name: the package's imports are
relative), alternating the two in the same run, so the ratio is side by side on the same load.

``--exponent`` solves the idle timeline at ``--lengths`` minutes (default up to one hour) and
fits log(CPU time) against log(length): an exponent near 1 means the solve is linear in the
shot's length (the goal is <= 1.05).
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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
BASELINE_PACKAGE = "microface_addon_baseline"


class Solver:
    """One implementation of the core (this checkout's, or a git ref's)."""

    def __init__(self, label: str, package: str):
        self.label = label
        self.core = importlib.import_module(f"{package}.core")
        self.registry = importlib.import_module(f"{package}.core.solver.registry")
        self.timeline_mod = importlib.import_module(f"{package}.core.timeline")
        self.settings = self.core.load_preset()

    def timeline(self, busy: bool, seconds: float):
        tl = self.timeline_mod
        if not busy:
            return tl.Timeline()
        n = int(seconds / 10.0)
        cues = [
            tl.parse_marker("mf:" + BUSY_CUES[i % len(BUSY_CUES)], 5.0 + 10.0 * i) for i in range(n)
        ]
        return tl.Timeline(intents=tuple(cues))

    def timed(self, seconds: float, fps: float, busy: bool):
        """CPU seconds: (solve + sampling, solve, sampling, per layer, channels)."""
        timeline = self.timeline(busy, seconds)
        per_layer: dict[str, float] = {}
        originals = self.registry.LAYERS

        def wrap(layer):
            def run(ctx):
                t0 = time.process_time()
                layer.apply(ctx)
                per_layer[layer.name] = time.process_time() - t0

            return replace(layer, apply=run)

        self.registry.LAYERS = tuple(wrap(layer) for layer in originals)
        try:
            t0 = time.process_time()
            perf = self.core.solve(
                self.settings, seconds, seed=1, character_id="Bench", timeline=timeline
            )
            t1 = time.process_time()
            frames = perf.at_frames(fps, int(round(seconds * fps)) + 1)
            t2 = time.process_time()
        finally:
            self.registry.LAYERS = originals
        return t2 - t0, t1 - t0, t2 - t1, per_layer, len(frames)


def baseline_package(ref: str, folder: Path) -> str:
    """Unpack the package and presets of git ``ref`` into ``folder``, importable by another name."""
    tar = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "microface_addon", "presets"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(tar)) as archive:
        archive.extractall(folder, filter="data")
    (folder / "microface_addon").rename(folder / BASELINE_PACKAGE)
    sys.path.insert(0, str(folder))
    return BASELINE_PACKAGE


def compare(solvers: list[Solver], minutes: float, fps: float, repeat: int) -> None:
    seconds = minutes * 60.0
    n_frames = int(round(seconds * fps)) + 1
    print(f"{minutes:g} min at {fps:g} fps = {n_frames} frames; CPU s, best of {repeat}")
    for s in solvers:  # warm-up: SciPy's filters are imported by the first solve
        s.timed(10.0, fps, busy=True)
    for label, busy in (("idle (no cues)", False), ("busy (a cue every 10 s)", True)):
        runs: dict[str, list] = {s.label: [] for s in solvers}
        for _ in range(repeat):  # alternate, so both see the same load
            for s in solvers:
                runs[s.label].append(s.timed(seconds, fps, busy))
        print(label)
        best = {}
        for s in solvers:
            total, solve_s, sample_s, per_layer, n_ch = min(runs[s.label], key=lambda r: r[0])
            best[s.label] = total
            layers = ", ".join(f"{k} {v:.3f}" for k, v in per_layer.items())
            print(
                f"  {s.label:10s} total {total:.3f} s  (solve {solve_s:.3f} s, sampling {n_ch} "
                f"channels {sample_s:.3f} s)\n  {'':10s} layers: {layers}"
            )
        if len(solvers) == 2:
            a, b = (best[s.label] for s in solvers)
            print(f"  {solvers[0].label} / {solvers[1].label}: {a / b:.2f}x")


def exponent(solver: Solver, lengths_min: list[float], fps: float) -> float:
    """Fit CPU time ∝ length^k over ``lengths_min`` (idle timeline) and print k."""
    times = []
    for minutes in lengths_min:
        cpu = min(solver.timed(minutes * 60.0, fps, busy=False)[0] for _ in range(2))
        times.append(cpu)
        print(f"  {solver.label:10s} {minutes:6g} min: {cpu:7.3f} s CPU")
    k = float(np.polyfit(np.log(lengths_min), np.log(times), 1)[0])
    print(f"  {solver.label:10s} exponent {k:.3f} (goal <= 1.05)")
    return k


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--fps", type=float, default=60.0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--baseline", metavar="REF", help="also time the solver at this git ref")
    ap.add_argument("--exponent", action="store_true", help="fit the growth with shot length")
    ap.add_argument("--lengths", default="7.5,15,30,60", help="minutes, for --exponent")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        solvers = [Solver("this", "microface_addon")]
        if args.baseline:
            solvers.insert(0, Solver(args.baseline, baseline_package(args.baseline, Path(tmp))))
        compare(solvers, args.minutes, args.fps, args.repeat)
        if args.exponent:
            lengths = [float(x) for x in args.lengths.split(",")]
            print(f"growth with shot length ({args.fps:g} fps, idle, best of 2)")
            for s in solvers:
                exponent(s, lengths, args.fps)


if __name__ == "__main__":
    main()
