"""Peak memory (RSS) of a long bake: the sample head at 60 fps, one hour (216,001 frames).

    python bench/memory.py [--minutes 10,30,60] [--fps 60]

Each length is baked by its own ``python -m microface_addon bake`` process (the way a farm task
runs it) and its peak resident set size read from the kernel when it exits (``wait4``), so
nothing of this script is counted.  The slope between lengths gives the memory per frame: a bake
that keeps every frame of every channel in memory grows linearly with the shot.  The goal for a
one-hour shot at 60 fps is under 800 MB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb(args: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of ``python -m microface_addon ARGS``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "microface_addon", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"bake failed ({proc.returncode}): {err}")
    return usage.ru_maxrss / 1024.0, time.perf_counter() - t0  # Linux: ru_maxrss in KiB


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", default="10,30,60")
    ap.add_argument("--fps", type=int, default=60)
    args = ap.parse_args()
    minutes = [float(m) for m in args.minutes.split(",")]
    with tempfile.TemporaryDirectory(prefix="microface-memory-") as tmp:
        head = Path(tmp) / "head.blend"
        subprocess.run(
            [sys.executable, "-m", "microface_addon", "sample", str(head)],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        fps_script = (
            "import bpy, sys; bpy.ops.wm.open_mainfile(filepath=sys.argv[1]); "
            f"bpy.context.scene.render.fps = {args.fps}; bpy.context.scene.render.fps_base = 1; "
            "bpy.ops.wm.save_mainfile()"
        )
        subprocess.run(
            [sys.executable, "-c", fps_script, str(head)], check=True, capture_output=True
        )
        frames, peaks = [], []
        idle_mb, _ = peak_rss_mb(["bake", str(head), "-o", str(Path(tmp) / "o.blend"),
                                  "--frames", "1:2"])  # fmt: skip
        print(f"sample head at {args.fps} fps; peak RSS of one `bake` process")
        print(f"{'':12s} {'frames':>8s} {'peak RSS':>10s} {'wall':>8s}")
        print(f"{'2 frames':12s} {2:8d} {idle_mb:8.0f} MB")
        for m in minutes:
            n = int(round(m * 60 * args.fps)) + 1
            out = Path(tmp) / f"out_{m:g}.blend"
            mb, wall = peak_rss_mb(["bake", str(head), "-o", str(out), "--frames", f"1:{n}"])
            out.unlink()
            frames.append(n)
            peaks.append(mb)
            print(f"{m:g} min{'':7s} {n:8d} {mb:8.0f} MB {wall:7.1f}s")
    if len(frames) >= 2:
        slope = np.polyfit(frames, peaks, 1)[0] * 1024.0  # KiB per frame
        print(f"growth: {slope:.1f} KiB per frame (linear fit over the lengths above)")


if __name__ == "__main__":
    main()
