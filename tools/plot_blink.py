"""Plot blink behaviour for docs/science.md: a minute of lid closure per state, one blink's
waveform, and the inter-blink-interval distribution over 10 simulated minutes.

Run: ``python tools/plot_blink.py [OUT.png]`` (default docs/img/blink.png).  Pure core only.
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
from microface_addon.core.measure.stats import coefficient_of_variation, detect_blinks  # noqa: E402

LID = "orbicularis_oculi_palpebral_L"


def main(out: Path) -> None:
    base = load_preset()
    fig = plt.figure(figsize=(10, 6.5), constrained_layout=True)
    grid = fig.add_gridspec(4, 2, width_ratios=[3, 1.3])
    for row, state in enumerate(("reading", "rest", "speaking")):
        perf = solve(base.with_overrides({"state": state}), 60.0, seed=4, character_id="Plot")
        ax = fig.add_subplot(grid[row, 0])
        ax.plot(perf.t, perf.channels[LID], lw=0.8, color="C0", label="left lid")
        ax.plot(
            perf.t,
            perf.channels[LID.replace("_L", "_R")],
            lw=0.6,
            color="C3",
            alpha=0.6,
            label="right lid",
        )
        n = detect_blinks(perf.channels[LID], perf.rate_hz).count
        ax.set_ylabel(f"{state}\n{n}/min")
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlim(0, 60)
        if row == 0:
            ax.set_title("One minute of lid closure per state (seed 4)")
            ax.legend(loc="upper right", fontsize=7)
    fig.axes[-1].set_xlabel("time (s)")
    # One full blink, zoomed, at the internal 240 Hz resolution and as 24 fps frames.
    perf = solve(base, 60.0, seed=4, character_id="Plot")
    b = detect_blinks(perf.channels[LID], perf.rate_hz)
    i = int(np.argmax(b.amplitude > 0.97))
    t0 = b.onsets_s[i] - 0.05
    ax = fig.add_subplot(grid[0:2, 1])
    m = (perf.t >= t0) & (perf.t <= t0 + 0.4)
    ax.plot((perf.t[m] - t0) * 1000, perf.channels[LID][m], color="C0", label="solver (240 Hz)")
    frames = np.arange(np.ceil(t0 * 24), np.floor((t0 + 0.4) * 24) + 1) / 24
    ax.plot(
        (frames - t0) * 1000, perf.sample(frames)[LID], "o", color="k", ms=4, label="24 fps keys"
    )
    ax.set_title(f"closing {b.closing_s[i] * 1000:.0f} ms, opening {b.opening_s[i] * 1000:.0f} ms")
    ax.set_xlabel("ms")
    ax.legend(fontsize=7)
    # Interval distribution, 10 minutes at rest.
    perf = solve(base, 600.0, seed=4, character_id="Plot")
    ibi = detect_blinks(perf.channels[LID], perf.rate_hz).ibi_s
    ax = fig.add_subplot(grid[2:4, 1])
    ax.hist(ibi, bins=np.arange(0, 16, 0.5), color="C2")
    ax.set_title(f"intervals at rest: CV {coefficient_of_variation(ibi):.2f}")
    ax.set_xlabel("inter-blink interval (s)")
    ax4 = fig.add_subplot(grid[3, 0])
    tl_perf = perf
    ax4.plot(tl_perf.t / 60, tl_perf.channels[LID], lw=0.3)
    ax4.set_xlabel("time (min)")
    ax4.set_ylabel("rest, 10 min")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img" / "blink.png")
