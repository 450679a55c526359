"""Render the README/docs pictures of the sample head: at rest, and with blink/smile/jaw keys.

Usage (with a Python that has bpy): ``python tools/render_sample_head.py [--out-dir docs/img]``.
Workbench at 512×512 through the camera ``save_sample_head`` adds; writes
``sample_head_rest.png`` and ``sample_head_keys.png`` (eyeBlinkLeft 1, mouthSmileLeft 1, jawOpen 0.5).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bpy  # noqa: E402

from microface_addon.assets.sample_head import save_sample_head  # noqa: E402

POSES = {
    "sample_head_rest.png": {},
    "sample_head_keys.png": {"eyeBlinkLeft": 1.0, "mouthSmileLeft": 1.0, "jawOpen": 0.5},
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=ROOT / "docs" / "img")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        blend = Path(tmp) / "head.blend"
        save_sample_head(blend)
        bpy.ops.wm.open_mainfile(filepath=str(blend))
        scene = bpy.context.scene
        scene.render.engine = "BLENDER_WORKBENCH"
        scene.render.resolution_x = scene.render.resolution_y = 512
        head = bpy.data.objects["MicroFaceHead"]
        keys = head.data.shape_keys.key_blocks
        for name, pose in POSES.items():
            for kb in keys:
                kb.value = pose.get(kb.name, 0.0) if kb.name != "Basis" else kb.value
            scene.render.filepath = str(args.out_dir / name)
            bpy.ops.render.render(write_still=True)
            print(args.out_dir / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
