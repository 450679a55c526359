"""Render the sample head breathing calmly and holding its breath: docs/img/breath_held_vs_calm.png.

Usage (with a Python that has bpy): python tools/render_breath_strip.py [--out PATH] [--seed 1]

Two rows of Workbench frames from the same seed, baked through the real pipeline
(``layer_micro_motion``): calm breathing, and the ``held`` mode, where the chest stops, the lips
press, the jaw clenches and the brow lowers as tension builds, and blinks wait for the release.
The gaze layer is off so the differences come from breath and head alone.
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

FPS = 24
TIMES_S = (0.5, 2.0, 3.5, 5.0, 6.5, 8.0, 9.5, 11.0)
SIZE_PX = 400
# Face crop (fractions of the frame: top, bottom, left, right): brows to chin.
CROP = (0.27, 0.86, 0.2, 0.8)


def render_row(mode: str, seed: int, folder: Path) -> list[Path]:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = FPS, 1.0
    scene.frame_start, scene.frame_end = 1, int(max(TIMES_S) * FPS) + 2
    parts = build_sample_head(scene)
    add_camera_and_light(scene)
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x = scene.render.resolution_y = SIZE_PX
    overrides = {"gaze": {"enabled": False}, "breath": {"mode": mode}}
    layer_micro_motion(scene, list(parts.values()), BakeOptions(seed=seed, overrides=overrides))
    paths = []
    for t in TIMES_S:
        scene.frame_set(scene.frame_start + round(t * FPS))
        path = folder / f"{mode}_{t:04.1f}.png"
        scene.render.filepath = str(path)
        bpy.ops.render.render(write_still=True)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "breath_held_vs_calm.png")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows = {mode: render_row(mode, args.seed, Path(tmp)) for mode in ("calm", "held")}
        fig, axes = plt.subplots(
            2, len(TIMES_S), figsize=(len(TIMES_S) * 1.6, 2 * 1.75), squeeze=False
        )
        for r, (mode, paths) in enumerate(rows.items()):
            for c, (t, path) in enumerate(zip(TIMES_S, paths, strict=True)):
                ax = axes[r][c]
                img = mpimg.imread(path)
                h, w = img.shape[:2]
                top, bottom, left, right = CROP
                ax.imshow(img[int(top * h) : int(bottom * h), int(left * w) : int(right * w)])
                ax.set_xticks([])
                ax.set_yticks([])
                if r == 0:
                    ax.set_title(f"{t:g} s", fontsize=8)
                if c == 0:
                    ax.set_ylabel(mode, fontsize=9)
        fig.suptitle("Sample head: calm breathing (top) vs holding the breath (bottom)", fontsize=9)
        fig.tight_layout()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.out, dpi=90)
        plt.close(fig)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
