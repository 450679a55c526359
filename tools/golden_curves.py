"""Fingerprints of MicroFace's output, to prove that a refactor changed the shape of the code and
not the curves.

Two fingerprints, each a short hash per curve so a mismatch names the curve that moved:

* ``solve``: the pure solver's channels (``microface_addon.core.solve``) for every shipped preset
  and a few variants, rounded to float32 (the precision Blender stores keys in; it also absorbs the
  documented <=1e-14 deg numpy-1.x jitter in the gaze channels).  Keyed by numpy major version,
  because numpy 1.26 (Blender 4.2-5.0) and numpy 2 (5.1+) round transcendental functions apart.
* ``bake``: the keyframes MicroFace writes on the sample head with ``--every-frame`` (the dense
  bake: ``bake`` CLI, then the saved file is reopened and every F-curve of every ``MicroFace`` NLA
  strip is hashed).  Keyed by Blender line.  The dense bake is the classic one, bit for bit:
  these references were produced before the sparse keys existed and still hold.
* ``sparse``: the same bakes with the default sparse keys on one strip per layer (handle types
  hashed too).  Keyed by Blender line.

Only stable interfaces are used (the CLI and ``microface_addon.core``'s exports), so the same script
produced the reference from the pre-refactor commit and checks the code today::

    python tools/golden_curves.py solve  --write tests/data/golden_solve.json
    python tools/golden_curves.py bake   --write tests/data/golden_bake.json         # needs bpy
    python tools/golden_curves.py sparse --write tests/data/golden_bake_sparse.json  # needs bpy

``tests/test_golden_curves.py`` compares against the checked-in reference.  When a change *means*
to alter the curves (new behaviour), regenerate the reference in the same commit and say why.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PRESETS = (
    "neutral_idle",
    "calm_listener",
    "attentive_conversation",
    "speaking",
    "reading_focused",
    "anxious",
    "suppressed_tension",
    "joyful",
    "polite_social",
    "grief",
    "defiant",
    "fatigued",
    "stylized_cartoon",
)

# Cues that exercise the cascade, state changes, held breath, posture and nods.
INTENTS = [
    {"at_s": 1.0, "intent": "smile", "intensity": 0.6, "variant": "duchenne"},
    {"at_s": 4.0, "intent": "frown", "intensity": 0.4, "hold_s": 2},
    {"at_s": 7.0, "state": "reading"},
    {"at_s": 9.0, "breath": "held", "duration_s": 4},
    {"at_s": 12.0, "state": "speaking"},
]

SOLVE_SECONDS = 30.0

# (label, preset, extra bake CLI arguments); every bake is frames 1:480 unless it says otherwise.
BAKES: list[tuple[str, str, list[str]]] = [(p, p, []) for p in PRESETS] + [
    ("seed7", "neutral_idle", ["--seed", "7"]),
    ("intents", "neutral_idle", ["--intents", "{intents}"]),
    ("look_at_camera", "attentive_conversation", ["--look-at", "MicroFaceCamera"]),
    (
        "controls",
        "joyful",
        ["--disable", "head", "--intensity", "blink=0.5", "--stylization", "0.6"],
    ),
    ("intensity_still", "anxious", ["--intensity", "0.7", "--stillness", "0.5"]),
    ("frames_200_700", "speaking", ["--frames", "200:700"]),
]
BAKE_FRAMES = "1:480"


def _h(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _version_key_solve() -> str:
    return f"numpy{np.__version__.split('.')[0]}"


def solve_fingerprints() -> dict[str, dict[str, str]]:
    from microface_addon.core import load_preset, solve
    from microface_addon.core.timeline import (
        Timeline,
        load_intents_file,
        settings_vocabulary,
    )

    out: dict[str, dict[str, str]] = {}
    runs = [(p, p, 0, None) for p in PRESETS] + [
        ("neutral_idle_seed5", "neutral_idle", 5, None),
        ("neutral_idle_intents", "neutral_idle", 0, INTENTS),
        ("joyful_intents", "joyful", 2, INTENTS),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for label, preset, seed, intents in runs:
            settings = load_preset(preset)
            timeline = Timeline()
            if intents is not None:
                path = Path(tmp) / "cues.json"
                path.write_text(json.dumps(intents), encoding="utf-8")
                timeline = load_intents_file(str(path), settings_vocabulary(settings))
            perf = solve(settings, SOLVE_SECONDS, seed, "Golden", timeline)
            out[label] = {
                name: _h(np.ascontiguousarray(values, dtype=np.float32).tobytes())
                for name, values in sorted(perf.channels.items())
            }
    return out


def _version_key_bake() -> str:
    import bpy

    major, minor = bpy.app.version[:2]
    return f"bpy{major}.{minor}"


def _curve_hashes(handle_types: bool = False) -> dict[str, str]:
    """Every F-curve on every MicroFace NLA strip of the open file: keys, handles, interpolation
    (and, for the sparse bake, the handle types)."""
    import bpy

    def fcurves_of(action):
        if hasattr(action, "layers") and len(action.layers):  # slotted actions (4.4+)
            for layer in action.layers:
                for strip in layer.strips:
                    for bag in strip.channelbags:
                        yield from bag.fcurves
        else:
            yield from action.fcurves

    out = {}
    ids = list(bpy.data.objects) + list(bpy.data.shape_keys)
    for idb in ids:
        ad = idb.animation_data
        if ad is None:
            continue
        for track in ad.nla_tracks:
            if not track.name.startswith("MicroFace"):
                continue
            for strip in track.strips:
                if strip.action is None:
                    continue
                for fc in fcurves_of(strip.action):
                    n = len(fc.keyframe_points)
                    buf = {}
                    for attr, width in (("co", 2), ("handle_left", 2), ("handle_right", 2)):
                        a = np.empty(n * width, dtype=np.float32)
                        fc.keyframe_points.foreach_get(attr, a)
                        buf[attr] = a.tobytes()
                    interp = np.empty(n, dtype=np.int32)
                    fc.keyframe_points.foreach_get("interpolation", interp)
                    if handle_types:
                        for attr in ("handle_left_type", "handle_right_type"):
                            kind = np.empty(n, dtype=np.int32)
                            fc.keyframe_points.foreach_get(attr, kind)
                            buf[attr] = kind.tobytes()
                    key = f"{idb.name}|{track.name}|{strip.name}|{fc.data_path}[{fc.array_index}]"
                    out[key] = _h(b"".join(buf.values()) + interp.tobytes())
    return dict(sorted(out.items()))


def bake_fingerprints(sparse: bool = False) -> dict[str, dict[str, str]]:
    """The bakes of ``BAKES`` on the sample head: dense (``--every-frame``), or ``sparse``."""
    import bpy

    from microface_addon.cli import main

    out: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sample = tmp / "sample_head.blend"
        intents = tmp / "cues.json"
        intents.write_text(json.dumps(INTENTS), encoding="utf-8")
        if main(["sample", str(sample)]) != 0:
            raise SystemExit("sample failed")
        for label, preset, extra in BAKES:
            result = tmp / f"{label}.blend"
            args = [a.replace("{intents}", str(intents)) for a in extra]
            frames = [] if "--frames" in args else ["--frames", BAKE_FRAMES]
            keying = [] if sparse else ["--every-frame"]
            argv = ["bake", str(sample), "-o", str(result), "--preset", preset, *frames, *args]
            argv += keying
            rc = main(argv)
            if rc != 0:
                raise SystemExit(f"bake {label} failed with exit {rc}: {argv}")
            bpy.ops.wm.open_mainfile(filepath=str(result), load_ui=False, use_scripts=False)
            out[label] = _curve_hashes(handle_types=sparse)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("kind", choices=("solve", "bake", "sparse"))
    ap.add_argument("--write", metavar="FILE", help="merge this version's fingerprints into FILE")
    args = ap.parse_args(argv)
    if args.kind == "solve":
        key, prints = _version_key_solve(), solve_fingerprints()
    else:
        key, prints = _version_key_bake(), bake_fingerprints(sparse=args.kind == "sparse")
    if args.write:
        path = Path(args.write)
        doc = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        doc[key] = prints
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {sum(len(v) for v in prints.values())} curve hashes for {key} to {path}")
    else:
        json.dump({key: prints}, sys.stdout, indent=1, sort_keys=True)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
