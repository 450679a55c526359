"""Bake speed: MicroFace's bulk writer vs a naive per-key ``keyframe_insert`` loop, side by side.

Run: ``python bench/bake_speed.py [--channels 50] [--minutes 10] [--fps 60] [--naive-curves 2]``

Both paths write the same curves at full length (per-key cost grows with curve length, so timing a
short subset would flatter the naive path).  The naive loop is timed on ``--naive-curves`` whole
curves and its keys/s rate is what the ratio uses; MicroFace writes all channels.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bpy  # noqa: E402

from microface_addon import bake  # noqa: E402
from microface_addon.core import Performance  # noqa: E402
from microface_addon.rig.convention.rigmap import RigMap, ShapeKeyTarget  # noqa: E402


def _mesh_with_keys(n_keys: int):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    me = bpy.data.meshes.new("BenchMesh")
    me.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    ob = bpy.data.objects.new("Bench", me)
    bpy.context.scene.collection.objects.link(ob)
    ob.shape_key_add(name="Basis")
    names = []
    for i in range(n_keys):
        kb = ob.shape_key_add(name=f"k{i:03d}")
        kb.value = 0.0
        names.append(kb.name)
    return ob, names


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--channels", type=int, default=50)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--fps", type=float, default=60.0)
    ap.add_argument("--naive-curves", type=int, default=1)
    args = ap.parse_args(argv)

    n_frames = int(args.minutes * 60 * args.fps)
    rate = 240.0
    dur = (n_frames - 1) / args.fps
    n = int(dur * rate) + 1
    rng = np.random.default_rng(0)
    from microface_addon.core.channels import CHANNELS

    pool = [c for c in CHANNELS.values() if c.kind == "activation" and c.lo == 0.0]
    acts = [pool[i % len(pool)] for i in range(args.channels)]  # one curve per shape key
    chans = {c.name: np.clip(rng.random(n), 0, 0.9) for c in pool}
    perf = Performance(rate, dur, chans)

    ob, keys = _mesh_with_keys(args.channels)
    rigmap = RigMap(
        "Bench",
        "bench",
        1.0,
        objects=[ob.name],
        shape_keys=[ShapeKeyTarget(c.name, ob.name, k) for c, k in zip(acts, keys, strict=True)],
    )
    t0 = time.perf_counter()
    with bake.transaction() as tx:
        res = tx.write(perf, rigmap, 1, n_frames, args.fps)
    t_fast = time.perf_counter() - t0
    fast_rate = res.keys_written / t_fast

    # Naive: keyframe_insert per key on fresh curves of the same full length.
    samples = perf.at_frames(args.fps, n_frames)
    key = ob.data.shape_keys
    t0 = time.perf_counter()
    naive_keys = 0
    for c, k in list(zip(acts, keys, strict=True))[: args.naive_curves]:
        kb = key.key_blocks[k]
        vals = samples[c.name]
        for f in range(n_frames):
            kb.value = float(vals[f])
            kb.keyframe_insert("value", frame=f + 1)
            naive_keys += 1
    t_naive = time.perf_counter() - t0
    naive_rate = naive_keys / t_naive

    print(f"Blender {bpy.app.version_string}")
    print(f"curves: {args.channels} x {n_frames} frames ({args.minutes:g} min at {args.fps:g} fps)")
    print(
        f"MicroFace bulk bake: {res.keys_written} keys in {t_fast:.3f} s = {fast_rate / 1e6:.2f} M keys/s"
    )
    print(
        f"naive keyframe_insert: {naive_keys} keys in {t_naive:.3f} s = {naive_rate / 1e3:.1f} k keys/s"
    )
    print(f"ratio: {fast_rate / naive_rate:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
