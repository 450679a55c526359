"""Sparse keys vs the dense bake, side by side: a long shot of the sample head, end to end.

Run: ``python bench/sparse_bake.py [--minutes 10] [--fps 60] [--rounds 3]``

The goal (issue #12): the default bake (sparse keys on one strip per layer) of a 10-minute 60 fps
shot stays within 2× the time of the dense bake it replaces (``--every-frame``, a linear key on
every frame: the bake as it was).  Both run the real command (``microface bake``: open, solve,
key, save) in this process, alternating so machine load hits both alike; CPU time is reported
next to wall time because this machine is shared.  Also printed: keys written and file size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bpy  # noqa: E402

from microface_addon.assets.sample_head import save_sample_head  # noqa: E402
from microface_addon.cli import main  # noqa: E402


def _shot(folder: Path, fps: int) -> Path:
    path = folder / "shot.blend"
    save_sample_head(path)
    bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    bpy.context.scene.render.fps = fps
    bpy.ops.wm.save_mainfile(filepath=str(path))
    return path


def _run(shot: Path, out: Path, frames: int, extra: list[str]) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    rc = main(["bake", str(shot), "-o", str(out), "--frames", f"1:{frames}", *extra])
    if rc != 0:
        raise SystemExit(f"bake failed with exit {rc}")
    return time.perf_counter() - t0, time.process_time() - c0


def _keys(path: Path) -> int:
    from microface_addon import compat

    bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    return sum(
        len(fc.keyframe_points)
        for a in bpy.data.actions
        if a.name.startswith("MicroFace")
        for fc in compat.iter_fcurves(a)
    )


def main_(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--fps", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    frames = int(args.minutes * 60 * args.fps)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shot = _shot(tmp, args.fps)
        runs: dict[str, list[tuple[float, float]]] = {"dense": [], "sparse": []}
        kinds = {"dense": ["--every-frame"], "sparse": []}
        _run(shot, tmp / "warm.blend", min(frames, 240), [])  # imports and caches, once
        for _ in range(args.rounds):
            for name, extra in kinds.items():
                runs[name].append(_run(shot, tmp / f"{name}.blend", frames, extra))
        print(
            f"Blender {bpy.app.version_string}; sample head, {frames} frames "
            f"({args.minutes:g} min at {args.fps} fps), median of {args.rounds}"
        )
        med = {
            n: tuple(statistics.median(x[i] for x in r) for i in (0, 1)) for n, r in runs.items()
        }
        for name in kinds:
            path = tmp / f"{name}.blend"
            print(
                f"  {name:6s}: wall {med[name][0]:6.2f} s  cpu {med[name][1]:6.2f} s  "
                f"{_keys(path):>9d} keys  {os.path.getsize(path) / 1e6:6.1f} MB"
            )
        print(
            f"  sparse / dense: wall {med['sparse'][0] / med['dense'][0]:.2f}x, "
            f"cpu {med['sparse'][1] / med['dense'][1]:.2f}x  (goal: within 2x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main_())
