"""Plot the muscle cascade for the docs: a felt vs a polite smile, and a frown (+ jaw hesitation).

Run from the repository root with a venv that has matplotlib:
    python tools/plot_cascade.py            # writes docs/img/cascade_*.png
The curves are the solver's own output (cascade layer alone, seed 1), so the plots show exactly
what the tests measure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from microface_addon.core import load_preset, solve  # noqa: E402
from microface_addon.core.measure.stats import apex_time_s  # noqa: E402
from microface_addon.core.timeline import Timeline, parse_marker  # noqa: E402

OUT = ROOT / "docs" / "img"
CUE_S = 0.5
ONLY_CASCADE = {k: {"enabled": False} for k in ("breath", "micro_events", "blink", "gaze", "head")}
SMILE = [
    ("zygomaticus_major_L", "zygomaticus major (AU12, mouthSmile)", "tab:red"),
    ("levator_labii_L", "levator labii (nasolabial, mouthUpperUp)", "tab:orange"),
    ("orbicularis_oculi_orbital_L", "orbicularis oculi orbital (AU6, cheekSquint)", "tab:blue"),
]


def curves(marker: str, seconds: float = 5.5, seed: int = 1):
    s = load_preset().with_overrides(ONLY_CASCADE)
    tl = Timeline(intents=(parse_marker(marker, CUE_S),))
    perf = solve(s, seconds, seed=seed, character_id="Docs", timeline=tl)
    return perf.t, perf


def _cue(ax) -> None:
    ax.axvline(CUE_S, color="0.6", lw=0.8, ls=":")
    ax.text(CUE_S + 0.03, 0.02, "cue", color="0.4", fontsize=8, transform=ax.get_xaxis_transform())


def plot_smiles(path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
    for ax, variant in zip(axes, ("duchenne", "social"), strict=True):
        t, perf = curves(f"mf:smile 0.7 {variant}")
        for name, label, color in SMILE:
            x = perf.channels.get(name, np.zeros_like(t))
            ax.plot(t, x, color=color, lw=1.6, label=label)
            if x.max() > 0.01:
                ta = apex_time_s(x, perf.rate_hz)
                ax.plot([ta], [0.95 * x.max()], "o", color=color, ms=4)
        _cue(ax)
        ax.set_title(f"{variant} smile, intensity 0.7 (dots: apex)", fontsize=10)
        ax.set_xlabel("time (s)")
        ax.grid(alpha=0.25)
    axes[0].set_ylabel("activation")
    axes[0].set_ylim(-0.02, 1.0)
    axes[0].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_frown(path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    t, perf = curves("mf:frown 0.6 hold=3", seconds=6.5)
    for name, label, color in [
        ("corrugator_L", "corrugator (AU4, browDown)", "tab:purple"),
        ("orbicularis_oculi_orbital_L", "orbicularis oculi orbital (lid tightening)", "tab:blue"),
        ("mentalis", "mentalis (chin, via lip press)", "tab:green"),
    ]:
        axes[0].plot(t, perf.channels[name], color=color, lw=1.6, label=label)
    x = perf.channels["corrugator_L"]
    i = int(np.argmax(x))
    axes[0].annotate(
        f"peak {x[i]:.2f}",
        (t[i], x[i]),
        xytext=(t[i] + 0.5, x[i] + 0.02),
        fontsize=8,
        arrowprops={"arrowstyle": "->", "lw": 0.6},
    )
    hold_end = int((CUE_S + 0.25 + 0.3 + 3.0) * perf.rate_hz) - 1
    axes[0].annotate(
        f"settles at {x[hold_end] / x[i]:.0%} of peak",
        (t[hold_end], x[hold_end]),
        xytext=(t[hold_end] - 1.6, x[hold_end] + 0.09),
        fontsize=8,
        arrowprops={"arrowstyle": "->", "lw": 0.6},
    )
    axes[0].set_title("frown 0.6: the brow knits, then softens", fontsize=10)
    axes[0].set_ylim(-0.02, 0.8)
    axes[0].legend(fontsize=7, loc="upper right")
    _cue(axes[0])

    t, perf = curves("mf:surprise 0.8", seconds=4.0)
    for name, label, color in [
        ("jaw_drop", "jaw drop (AU26, jawOpen)", "tab:brown"),
        ("frontalis_medial_L", "frontalis medial (AU1)", "tab:cyan"),
        ("levator_palpebrae_L", "levator palpebrae (AU5)", "tab:gray"),
    ]:
        axes[1].plot(t, perf.channels[name], color=color, lw=1.6, label=label)
    axes[1].set_title("surprise 0.8: the jaw closes in two steps", fontsize=10)
    axes[1].set_ylim(-0.02, 0.9)
    axes[1].legend(fontsize=7, loc="upper right")
    _cue(axes[1])
    for ax in axes:
        ax.set_xlabel("time (s)")
        ax.grid(alpha=0.25)
    axes[0].set_ylabel("activation")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    plot_smiles(OUT / "cascade_duchenne_vs_social.png")
    plot_frown(OUT / "cascade_frown.png")
    for p in sorted(OUT.glob("cascade_*.png")):
        print(f"wrote {p.relative_to(ROOT)} ({p.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
