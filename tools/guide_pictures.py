"""The pictures of docs/guide.md, made from a real bake of the sample head.

Usage (with a Python that has bpy and matplotlib): ``python tools/guide_pictures.py
[--out-dir docs/img]``.  Writes:

- ``guide_frames.png`` — Workbench renders of the baked head on a few frames (a blink, the
  smile cue, a glance), and the same frame bypassed;
- ``guide_panel.png`` — the N-panel and its Add cue menu, drawn from the panel's own layout calls
  (``tools/draw_panel.py``) with the state the guide describes;
- ``guide_nla.png`` — the NLA stack the bake leaves on the head's shape keys and on the rig;
- ``guide_curve.png`` — a reduced curve against the dense bake's keys on every frame.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import bpy  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import microface_addon  # noqa: E402
from microface_addon import compat  # noqa: E402
from microface_addon.assets.sample_head import save_sample_head  # noqa: E402
from microface_addon.bake import amount  # noqa: E402
from microface_addon.bake import layer as layer_mod  # noqa: E402
from microface_addon.rig.scene.character import characters_of  # noqa: E402

FRAMES = (1, 96)
CUES = {20: "mf:smile 1 duchenne", 70: "mf:state thinking"}


def _scene(tmp: Path):
    blend = tmp / "head.blend"
    save_sample_head(blend)
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    microface_addon.register()
    scene = bpy.context.scene
    scene.render.fps = 24
    scene.frame_start, scene.frame_end = FRAMES
    for frame, name in CUES.items():
        scene.timeline_markers.new(name, frame=frame)
    head = bpy.data.objects["MicroFaceHead"]
    for ob in scene.objects:
        ob.select_set(False)
    head.select_set(True)
    bpy.context.view_layer.objects.active = head
    settings = scene.microface
    settings.look_at_mode = "CAMERA"
    settings.seed = 2
    assert bpy.ops.microface.layer_micro_motion() == {"FINISHED"}
    return scene, head


def panel_picture(path: Path, scene) -> None:
    import draw_panel

    members = characters_of([bpy.context.active_object])[0]
    amount.set_amount(members, "gaze", 0.6)
    scene.timeline_markers.new("mf:smil 0.5", frame=88)  # a typo, flagged in the list
    scene.frame_set(30)
    panels = [
        ("MicroFace", draw_panel.record(bpy.types.MICROFACE_PT_main)),
        ("Character", draw_panel.record(bpy.types.MICROFACE_PT_character)),
        ("Layers", draw_panel.record(bpy.types.MICROFACE_PT_layers)),
        ("Cues", draw_panel.record(bpy.types.MICROFACE_PT_cues)),
    ]
    menu = draw_panel.Recorder()
    bpy.types.MICROFACE_MT_add_cue.draw(type("M", (), {"layout": menu})(), bpy.context)
    draw_panel.draw_panels(path, panels, menu)
    scene.timeline_markers.remove(scene.timeline_markers["mf:smil 0.5"])
    amount.set_amount(members, "gaze", 1.0)


def _strip_keys(idb):
    out = []
    for track in layer_mod.find_tracks(idb):
        strip = track.strips[0]
        frames = np.concatenate(
            [
                np.array([k.co[0] for k in fc.keyframe_points])
                for fc in compat.iter_fcurves(strip.action)
            ]
        )
        out.append((track.name, strip, frames))
    return out


def nla_picture(path: Path, head) -> None:
    key = head.data.shape_keys
    rig = bpy.data.objects["MicroFaceRig"]
    fig, axes = plt.subplots(2, 1, figsize=(8, 5.2), dpi=130, sharex=True)
    for ax, idb, title in ((axes[0], key, "Shape keys (Key)"), (axes[1], rig, "MicroFaceRig")):
        stack = _strip_keys(idb)
        for row, (name, strip, frames) in enumerate(stack):
            base = name.endswith("Base")
            color = "#8a8a8a" if base else plt.cm.tab10(row % 10)
            ax.barh(
                row,
                strip.frame_end - strip.frame_start,
                left=strip.frame_start,
                height=0.7,
                color=color,
                alpha=0.35,
                edgecolor=color,
            )
            shown = frames[(frames >= FRAMES[0] - 1) & (frames <= FRAMES[1] + 1)]
            ax.plot(shown, np.full(shown.size, row), "|", color=color, ms=9, mew=0.6)
            ax.text(FRAMES[1] + 3, row, f"{name}  ({frames.size} keys)", va="center", fontsize=8)
        ax.set_yticks([])
        ax.set_title(
            f"{title}: tracks bottom → top, COMBINE; the user's action would sit above",
            fontsize=9,
            loc="left",
        )
        ax.set_ylim(-0.6, len(stack) - 0.4)
    axes[1].set_xlim(FRAMES[0] - 4, FRAMES[1] + 55)
    axes[1].set_xlabel("frame (ticks: keys; the base strip holds one key per property)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def curve_picture(path: Path, scene, head) -> None:
    from microface_addon.apply import BakeOptions, layer_micro_motion
    from microface_addon.bake import Keying

    key = head.data.shape_keys
    frames = np.arange(FRAMES[0], FRAMES[1] + 1)

    def sample(name):
        kb = key.key_blocks[name]
        out = []
        for f in frames:
            scene.frame_set(int(f))
            out.append(kb.value)
        return np.array(out)

    names = ("eyeBlinkLeft", "mouthSmileLeft")
    sparse = {n: sample(n) for n in names}
    tracks = {t.name: t for t in key.animation_data.nla_tracks}
    keys = {}
    for n in names:
        path_ = f'key_blocks["{n}"].value'
        keys[n] = [
            (t.name, np.array([tuple(k.co) for k in fc.keyframe_points]))
            for t in tracks.values()
            if not t.name.endswith("Base")
            for fc in compat.iter_fcurves(t.strips[0].action)
            if fc.data_path == path_
        ]
    layer_micro_motion(
        scene, [head], BakeOptions(seed=2, look_at="@camera", keying=Keying(every_frame=True))
    )
    dense = {n: sample(n) for n in names}
    dense_keys = sum(
        len(fc.keyframe_points)
        for t in key.animation_data.nla_tracks
        for fc in compat.iter_fcurves(t.strips[0].action)
        if fc.data_path == f'key_blocks["{names[0]}"].value'
    )
    fig, axes = plt.subplots(2, 1, figsize=(8, 5), dpi=130, sharex=True)
    for ax, n in zip(axes, names, strict=True):
        ax.plot(
            frames,
            dense[n],
            ".",
            color="#999999",
            ms=3.5,
            label=f"--every-frame: {dense_keys} keys",
        )
        ax.plot(frames, sparse[n], "-", color="#1f5fbf", lw=1.2, label="default bake, evaluated")
        for tname, co in keys[n]:
            inside = co[(co[:, 0] >= FRAMES[0]) & (co[:, 0] <= FRAMES[1])]
            ax.plot(
                inside[:, 0],
                inside[:, 1],
                "o",
                ms=3.5,
                mfc="white",
                label=f"{tname} strip: {len(co)} keys (its own values)",
            )
        err = np.abs(sparse[n] - dense[n]).max()
        ax.set_title(
            f"{n}: largest difference {err:.4f} (tolerance {0.005 * np.ptp(dense[n]):.4f})",
            fontsize=9,
            loc="left",
        )
        ax.legend(fontsize=7, loc="upper right")
    axes[1].set_xlabel("frame")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def frames_picture(path: Path, scene, head, tmp: Path) -> None:
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x = scene.render.resolution_y = 300
    key = head.data.shape_keys
    values = []
    for f in range(FRAMES[0], FRAMES[1] + 1):
        scene.frame_set(f)
        values.append(key.key_blocks["eyeBlinkLeft"].value)
    closed = FRAMES[0] + int(np.argmax(values))
    shots = [
        (1, "frame 1"),
        (closed, f"frame {closed}: a blink"),
        (40, "frame 40: the smile cue"),
        (80, "frame 80: thinking, a glance"),
    ]
    images = []
    for frame, label in shots:
        scene.frame_set(frame)
        scene.render.filepath = str(tmp / f"f{frame}.png")
        bpy.ops.render.render(write_still=True)
        images.append((plt.imread(scene.render.filepath), label))
    members = characters_of([head])[0]
    amount.set_bypass(members, True)
    scene.frame_set(40)
    scene.render.filepath = str(tmp / "bypass.png")
    bpy.ops.render.render(write_still=True)
    images.append((plt.imread(scene.render.filepath), "frame 40, bypassed"))
    amount.set_bypass(members, False)
    fig, axes = plt.subplots(1, len(images), figsize=(2.2 * len(images), 2.5), dpi=130)
    for ax, (img, label) in zip(axes, images, strict=True):
        ax.imshow(img)
        ax.set_title(label, fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=ROOT / "docs" / "img")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scene, head = _scene(tmp)
        panel_picture(args.out_dir / "guide_panel.png", scene)
        nla_picture(args.out_dir / "guide_nla.png", head)
        frames_picture(args.out_dir / "guide_frames.png", scene, head, tmp)
        curve_picture(args.out_dir / "guide_curve.png", scene, head)
        microface_addon.unregister()
    for name in ("guide_panel", "guide_nla", "guide_frames", "guide_curve"):
        print(args.out_dir / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
