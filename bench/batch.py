"""CPU per shot of a batch: ``bake --shots`` on worker processes vs one process per shot.

    python bench/batch.py [--shots 8] [--frames 2400] [--jobs 2]

Eight copies of the sample head, 2,400 frames each (100 s at 24 fps), baked four ways in one run:

- one ``bake IN -o OUT`` process per shot, one after another (the way before shot lists);
- ``bake --shots --jobs N`` (N workers, each starting once and baking many shots);
- ``bake --shots --jobs 1`` (one worker);
- ``bake --shots --jobs 0`` (in the coordinator's process, as a farm task runs).

CPU is user + system time of the whole process tree (the coordinator and its workers, read from
``RUSAGE_CHILDREN`` once each command has been waited for), so start-up, imports and exit count.
The goal is at least 3x less CPU per shot for ``--jobs 2`` than one process per shot.  Wall
time is printed too; on a shared machine it depends on the other jobs running.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: object) -> tuple[float, float]:
    """Run ``python -m microface_addon ARGS``; (CPU seconds of its process tree, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "microface_addon", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, args))}\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shots", type=int, default=8)
    ap.add_argument("--frames", type=int, default=2400)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    frames = f"1:{args.frames}"
    with tempfile.TemporaryDirectory(prefix="microface-batch-") as tmp:
        folder = Path(tmp)
        cli("sample", folder / "head.blend")
        names = [f"sh{10 * (i + 1):03d}" for i in range(args.shots)]
        for name in names:
            shutil.copy(folder / "head.blend", folder / f"{name}.blend")
        doc = {
            "defaults": {"output-dir": "baked", "frames": frames},
            "shots": [{"input": f"{n}.blend", "seed": i} for i, n in enumerate(names)],
        }
        (folder / "shots.json").write_text(json.dumps(doc), encoding="utf-8")
        (folder / "single").mkdir()

        rows = []
        cpu = wall = 0.0
        for i, name in enumerate(names):
            c, w = cli(
                "bake", folder / f"{name}.blend", "-o", folder / "single" / f"{name}.blend",
                "--frames", frames, "--seed", i,
            )  # fmt: skip
            cpu, wall = cpu + c, wall + w
        rows.append(("one process per shot", cpu, wall))
        for jobs in (args.jobs, 1, 0):
            c, w = cli("bake", "--shots", folder / "shots.json", "--force", "--jobs", jobs)
            rows.append((f"bake --shots --jobs {jobs}", c, w))
        # The coordinator alone: every shot is up to date, nothing is baked, no worker starts.
        coordinator = cli("bake", "--shots", folder / "shots.json", "--jobs", args.jobs)

    n = args.shots
    print(f"{n} sample-head shots of {args.frames} frames; CPU = user + system of the process tree")
    print(f"{'':28s} {'CPU total':>10s} {'CPU/shot':>9s} {'wall':>8s} {'vs per-shot CPU':>16s}")
    base = rows[0][1] / n
    for label, c, w in rows:
        print(f"{label:28s} {c:9.2f}s {c / n:8.2f}s {w:7.2f}s {base / (c / n):15.2f}x")
    many, one = rows[1][1], rows[2][1]
    print(
        f"where it goes: coordinator alone (all up to date) {coordinator[0]:.2f} s; one more "
        f"worker's start and exit {(many - one) / max(args.jobs - 1, 1):.2f} s; a process per "
        f"shot {base:.2f} s"
    )


if __name__ == "__main__":
    main()
