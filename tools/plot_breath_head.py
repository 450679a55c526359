"""Plot the breath and head layers from solved curves: docs/img/breath_*.png, head_*.png.

Usage: python tools/plot_breath_head.py [--out docs/img] [--seed 1]

Everything plotted is what the solver outputs (no layer internals), so the figures show what a
rig receives.  Needs matplotlib (in the test extras).
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

RATE_HZ = 240.0
QUIET = {"gaze": {"enabled": False}, "cascade": {"enabled": False}}
QUIET["micro_events"] = {"enabled": False}


def solved(overrides: dict, seconds: float, seed: int):
    settings = load_preset("neutral_idle").with_overrides({**QUIET, **overrides})
    return solve(settings, seconds, seed, "plot")


def breath_modes(out: Path, seed: int) -> Path:
    modes = ["calm", "shallow_quick", "deep", "speech", "held"]
    fig, axes = plt.subplots(len(modes), 1, figsize=(9, 7.5), sharex=True, sharey=True)
    for ax, mode in zip(axes, modes, strict=True):
        perf = solved({"breath": {"mode": mode}, "head": {"enabled": False}}, 60.0, seed)
        b = perf.channels["breath"]
        cyc = stats.detect_breath_cycles(b, RATE_HZ)
        ax.plot(perf.t, b, lw=1.2, color="tab:blue")
        label = mode
        if cyc.count:
            label += f"  ({cyc.rate_per_min:.1f}/min, inhale {np.median(cyc.inhale_share):.2f})"
        ax.set_title(label, loc="left", fontsize=9)
        ax.set_ylabel("breath")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time (s)")
    fig.suptitle("Breath state per mode (0 = end-exhale, 1 = full deep inhale)", fontsize=10)
    fig.tight_layout()
    path = out / "breath_modes.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def hold_and_tension(out: Path, seed: int) -> Path:
    perf = solved({"breath": {"mode": "held"}, "head": {"enabled": False}}, 75.0, seed)
    ch, t = perf.channels, perf.t
    fig, axes = plt.subplots(3, 1, figsize=(9, 5.5), sharex=True)
    axes[0].plot(t, ch["breath"], color="tab:blue", lw=1.2)
    axes[0].set_ylabel("breath")
    axes[1].plot(t, ch["tension"], color="tab:red", lw=1.2, label="tension")
    axes[1].plot(t, ch["jaw_clench"], color="tab:orange", lw=1, label="jaw clench")
    axes[1].plot(t, ch["orbicularis_oris_L"], color="tab:purple", lw=1, label="lip press")
    axes[1].plot(t, ch["corrugator_L"], color="tab:brown", lw=1, label="brow lowering")
    axes[1].legend(fontsize=7, ncol=4, loc="upper right")
    axes[1].set_ylabel("0-1")
    axes[2].plot(t, ch["orbicularis_oculi_palpebral_L"], color="k", lw=0.8)
    axes[2].set_ylabel("lid (blink)")
    axes[2].set_xlabel("time (s)")
    for s, e in stats.flat_spans(ch["breath"], RATE_HZ, 0.01, 2.0):
        for ax in axes:
            ax.axvspan(s, e, color="tab:blue", alpha=0.08)
    fig.suptitle(
        "Held breath: flat chest, rising tension, blinks withheld then a burst after the release",
        fontsize=10,
    )
    fig.tight_layout()
    path = out / "breath_hold_tension.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def head_sway(out: Path, seed: int) -> Path:
    perf = solved({"breath": {"enabled": False}}, 600.0, seed)
    fig, (ax_t, ax_f) = plt.subplots(1, 2, figsize=(10, 3.8))
    window = perf.t < 60
    for axis, color in (("pitch", "tab:blue"), ("yaw", "tab:green"), ("roll", "tab:red")):
        x = perf.channels[f"head_{axis}"]
        ax_t.plot(perf.t[window], x[window], color=color, lw=0.9, label=axis)
        f, psd = stats.power_spectrum(x, RATE_HZ)
        keep = (f > 0.02) & (f < 20)
        peak = stats.spectral_peak_hz(f, psd)
        slope = stats.loglog_slope(f, psd, 0.5, 5.0)
        ax_f.loglog(
            f[keep], psd[keep], color=color, lw=0.9,
            label=f"{axis}: peak {peak:.2f} Hz, slope {slope:.1f}",
        )  # fmt: skip
    ax_t.set_xlabel("time (s)")
    ax_t.set_ylabel("degrees")
    ax_t.set_title("Head sway, first minute", fontsize=9)
    ax_t.legend(fontsize=7)
    ax_f.axvspan(0.2, 0.6, color="grey", alpha=0.15, label="target peak band")
    ax_f.set_xlabel("frequency (Hz)")
    ax_f.set_ylabel("PSD (deg²/Hz)")
    ax_f.set_title("Sway spectrum (Welch, 10 simulated minutes)", fontsize=9)
    ax_f.legend(fontsize=7)
    ax_f.grid(alpha=0.3, which="both")
    fig.tight_layout()
    path = out / "head_sway_spectrum.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for make in (breath_modes, hold_and_tension, head_sway):
        print(make(args.out, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
