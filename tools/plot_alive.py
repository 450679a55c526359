"""Plot what "alive, not a template" changed: docs/img/alive_held_smile.png, alive_sway_spectrum.png.

Usage: python tools/plot_alive.py [--out docs/img] [--seed 1]

"Before" is the same solver with the new behaviour switched off in the preset — no hold wander,
no tremor, no per-instance scatter or per-event asymmetry for the smiles; for the sway, the
earlier model's mix (a 0.35 Hz resonance with 10 % of the variance in a first-order drift at
0.1 Hz) — so the figures compare models, not random draws.  Needs matplotlib.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from microface_addon.core import load_preset, solve  # noqa: E402
from microface_addon.core.measure import stats  # noqa: E402
from microface_addon.core.timeline import Timeline  # noqa: E402
from microface_addon.core.timeline.intents import Intent  # noqa: E402

RATE_HZ = 240.0
ONLY_FACE = {k: {"enabled": False} for k in ("breath", "gaze", "head", "blink", "micro_events")}
TEMPLATE = {
    "cascade": {
        "living": {"wander_cv": 0.0, "tremor_cv": 0.0},
        "instances": {"latency_sd_s": 0.0, "attack_cv": 0.0, "release_cv": 0.0, "peak_cv": 0.0},
        "asymmetry": {"event_gain_sd": 0.0, "event_onset_sd_s": 0.0},
    }
}
OLD_SWAY = {"head": {"sway": {"drift_share": 0.1, "drift_band_hz": [0.1, 0.1]}}}


def held_smiles(out: Path, seed: int) -> Path:
    smiles = Timeline(
        intents=tuple(
            Intent("smile", 1.0 + 8.0 * i, a, "duchenne", hold_s=4.0)
            for i, a in enumerate((0.45, 0.7, 0.55))
        )
    )
    fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True, sharey=True)
    for ax, (title, extra) in zip(
        axes, (("before: a template", TEMPLATE), ("now: alive", {})), strict=True
    ):
        s = load_preset("neutral_idle").with_overrides({**ONLY_FACE, **extra})
        perf = solve(s, 25.0, seed, "plot", smiles)
        t = perf.t
        for name, colour, label in (
            ("zygomaticus_major_L", "tab:red", "lip corner L (mouthSmile)"),
            ("zygomaticus_major_R", "tab:orange", "lip corner R"),
            ("orbicularis_oculi_orbital_L", "tab:blue", "cheek / eye corner L (cheekSquint)"),
        ):
            ax.plot(t, perf.channels[name], color=colour, lw=1.1, label=label)
        frames = np.arange(0, 25.0, 1 / 24)
        x = np.interp(frames, t, perf.channels["zygomaticus_major_L"])
        still = np.abs(np.diff(x)) < 1e-3
        ax.scatter(
            frames[1:][still], x[1:][still], s=3, color="k", zorder=3, label="frozen frame (< 1e-3)"
        )
        ax.set_title(title, loc="left", fontsize=10)
        ax.set_ylabel("activation")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper right", ncol=2)
    axes[-1].set_xlabel(
        "time (s); three felt smiles, 4-s holds, 24-fps keys checked for frozen frames"
    )
    fig.tight_layout()
    path = out / "alive_held_smile.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def sway_spectrum(out: Path, seed: int) -> Path:
    quiet = {**ONLY_FACE, "cascade": {"enabled": False}}
    quiet.pop("head")
    fig, ax = plt.subplots(figsize=(8, 5))
    for label, extra, colour in (("before", OLD_SWAY, "tab:gray"), ("now", {}, "tab:green")):
        spectra, slopes = [], []
        for k in range(3):
            s = load_preset("neutral_idle").with_overrides({**quiet, **extra})
            perf = solve(s, 600.0, seed + k, "plot")
            x = perf.channels["head_yaw"]
            f, psd = stats.power_spectrum(x, RATE_HZ)
            spectra.append(psd)
            slopes.append(stats.loglog_slope(f, psd, 0.02, 0.3, bins_per_octave=3))
        keep = (f > 0.008) & (f < 5.0)
        ax.loglog(
            f[keep],
            np.mean(spectra, axis=0)[keep],
            color=colour,
            label=f"{label}: slope 0.02-0.3 Hz {np.mean(slopes):+.2f}",
        )
    ax.axvspan(0.02, 0.3, color="tab:green", alpha=0.08, label="0.02-0.3 Hz (target: slope ≤ -0.5)")
    ax.set(xlabel="Hz", ylabel="deg²/Hz", title="Head yaw sway at rest (10 min × 3 seeds, Welch)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "alive_sway_spectrum.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "img"))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for p in (held_smiles(out, args.seed), sway_spectrum(out, args.seed)):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
