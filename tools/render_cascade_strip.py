"""Render the sample head through a felt smile, a polite smile and a frown: docs/img/cascade_strip.png.

Usage (with a Python that has bpy): python tools/render_cascade_strip.py [--out PATH] [--seed 1]

Each row is baked through the real pipeline (``layer_micro_motion`` with the intent given as an
``mf:`` scene marker) with every other layer off, and rendered with Workbench at the same
moments: before the cue, when the lip corners reach their apex, when the cheeks do (felt smile
only), while holding, and while letting go.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import bpy
import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from microface_addon.apply import BakeOptions, layer_micro_motion  # noqa: E402
from microface_addon.assets.sample_head import add_camera_and_light, build_sample_head  # noqa: E402
from microface_addon.core import load_preset, solve  # noqa: E402
from microface_addon.core.measure.stats import apex_time_s  # noqa: E402
from microface_addon.core.timeline import Timeline, parse_marker  # noqa: E402

FPS = 60
CUE_S = 0.5
ROWS = (
    ("felt smile", "mf:smile 0.8 duchenne hold=1.5"),
    ("polite smile", "mf:smile 0.8 social hold=1.5"),
    ("frown", "mf:frown 0.8 hold=1.5"),
)
QUIET = {k: {"enabled": False} for k in ("blink", "gaze", "head", "breath", "micro_events")}
SIZE_PX = 400
CROP = (0.27, 0.86, 0.2, 0.8)  # top, bottom, left, right (fractions of the frame)


def moments(seed: int) -> list[tuple[str, float]]:
    """Column times from the felt smile's own curves (pure core, same seed as the bake)."""
    s = load_preset().with_overrides(QUIET)
    perf = solve(
        s, 6.0, seed, "MicroFaceHead", Timeline(intents=(parse_marker(ROWS[0][1], CUE_S),))
    )
    zyg = apex_time_s(perf.channels["zygomaticus_major_L"], perf.rate_hz)
    ooo = apex_time_s(perf.channels["orbicularis_oculi_orbital_L"], perf.rate_hz)
    return [
        ("rest", 0.3),
        (f"AU12 apex {zyg:.2f} s", zyg),
        (f"AU6 apex {ooo:.2f} s", ooo),
        ("holding", 2.6),
        ("letting go", 3.55),
    ]


def render_row(marker: str, seed: int, times: list[float], folder: Path, tag: str) -> list[Path]:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = FPS, 1.0
    scene.frame_start, scene.frame_end = 1, int(5.0 * FPS)
    parts = build_sample_head(scene)
    add_camera_and_light(scene)
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x = scene.render.resolution_y = SIZE_PX
    scene.timeline_markers.new(marker, frame=scene.frame_start + round(CUE_S * FPS))
    layer_micro_motion(scene, list(parts.values()), BakeOptions(seed=seed, overrides=QUIET))
    paths = []
    for i, t in enumerate(times):
        scene.frame_set(scene.frame_start + round(t * FPS))
        path = folder / f"{tag}_{i}.png"
        scene.render.filepath = str(path)
        bpy.ops.render.render(write_still=True)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "cascade_strip.png")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    cols = moments(args.seed)
    times = [t for _, t in cols]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            (label, render_row(marker, args.seed, times, Path(tmp), f"r{i}"))
            for i, (label, marker) in enumerate(ROWS)
        ]
        fig, axes = plt.subplots(
            len(rows), len(cols), figsize=(len(cols) * 1.7, len(rows) * 1.85), squeeze=False
        )
        for r, (label, paths) in enumerate(rows):
            for c, path in enumerate(paths):
                ax = axes[r][c]
                img = mpimg.imread(path)
                h, w = img.shape[:2]
                top, bottom, left, right = CROP
                ax.imshow(img[int(top * h) : int(bottom * h), int(left * w) : int(right * w)])
                ax.set_xticks([])
                ax.set_yticks([])
                if r == 0:
                    ax.set_title(cols[c][0], fontsize=7)
                if c == 0:
                    ax.set_ylabel(label, fontsize=8)
        fig.suptitle(
            f"Sample head, cue at {CUE_S:g} s: the felt smile reaches the cheeks, the polite one "
            "does not; the frown knits then softens",
            fontsize=8,
        )
        fig.tight_layout()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.out, dpi=90)
        plt.close(fig)
    print(args.out, f"{args.out.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
