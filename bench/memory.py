"""Peak memory (RSS) of a long bake: the sample head at 60 fps, one hour (216,001 frames).

    python bench/memory.py [--minutes 10,30,60] [--fps 60]
    python bench/memory.py --where [--minutes 60]    # where the memory goes, stage by stage

Each length is baked by its own ``python -m microface_addon bake`` process (the way a farm task
runs it) and its peak resident set size read from the kernel when it exits (``wait4``), so
nothing of this script is counted.  The slope between lengths gives the memory per frame: a bake
that keeps every frame of every channel in memory grows linearly with the shot.  The goal for a
one-hour shot at 60 fps is under 800 MB.

``--where`` bakes the sample head in this process instead and follows the arrays Python holds
(``tracemalloc``, which numpy reports to) through each solver layer and each bake stage: what
each holds when it starts, its peak, what it leaves.  Blender's own memory (the start-up, the
keys) is not in those numbers; the resident size is printed beside them.
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


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def where(minutes: float, fps: int) -> None:
    """Each solver layer's and each bake stage's arrays (MiB): at start, peak, at the end."""
    import importlib
    import tracemalloc

    import bpy

    sys.path.insert(0, str(ROOT))
    from microface_addon import apply
    from microface_addon.assets.sample_head import build_sample_head
    from microface_addon.core.performance import Performance
    from microface_addon.core.solver import registry

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = fps, 1
    build_sample_head(scene)
    scene.frame_start, scene.frame_end = 1, int(round(minutes * 60 * fps)) + 1
    request = apply.resolve(apply.BakeOptions(seed=0))
    mib = 1024.0**2
    rows = []

    def follow(owner, name: str, label: str) -> None:
        real = getattr(owner, name)

        def followed(*a, **k):
            start, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            out = real(*a, **k)
            end, peak = tracemalloc.get_traced_memory()
            rows.append((label, start / mib, peak / mib, end / mib, rss_mb()))
            tracemalloc.reset_peak()
            return out

        if isinstance(owner, type) or not hasattr(owner, "__dataclass_fields__"):
            setattr(owner, name, followed)
        else:  # a solver layer's record is a frozen dataclass
            object.__setattr__(owner, name, followed)

    for layer in registry.layers():
        follow(layer, "apply", f"solve: {layer.name}")
    transaction = importlib.import_module("microface_addon.bake.transaction")
    layer_mod = importlib.import_module("microface_addon.bake.layer")
    follow(Performance, "layer_frames", "bake: layer_frames")
    follow(transaction, "plan", "bake: plan")
    follow(transaction, "layer_strips", "bake: layer_strips")
    follow(layer_mod, "prepare_strips", "bake: write keys")
    print(f"{minutes:g} min at {fps} fps; rss before the bake {rss_mb():.0f} MB")
    tracemalloc.start()
    apply.layer_micro_motion(scene, list(scene.objects), request)
    print(f"{'stage':26s} {'start':>8s} {'peak':>8s} {'end':>8s}  (MiB of arrays)  rss MB")
    for label, start, peak, end, rss in rows:
        print(f"{label:26s} {start:8.0f} {peak:8.0f} {end:8.0f}  {rss:22.0f}")
    print(f"peak resident size of this process: {resource_peak_mb():.0f} MB")


def resource_peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", default="10,30,60")
    ap.add_argument("--fps", type=int, default=60)
    ap.add_argument("--where", action="store_true", help="stage-by-stage breakdown, one length")
    args = ap.parse_args()
    minutes = [float(m) for m in args.minutes.split(",")]
    if args.where:
        where(minutes[-1], args.fps)
        return
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
