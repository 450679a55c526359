"""Plot a minute of gaze per state, and measure the gaze statistics quoted in docs/science.md.

    python tools/plot_gaze.py                 # docs/img/gaze_<state>.png, one per state
    python tools/plot_gaze.py --stats         # also print the measured table (10 min × seeds)

Gaze is measured the way the tests measure it: in the torso's frame (eye-in-head composed with the
head and chest curves), saccades by a velocity threshold, blinks on the lid curve.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from microface_addon.core import load_preset, solve  # noqa: E402
from microface_addon.core.geometry import gaze_in_world  # noqa: E402
from microface_addon.core.measure.stats import (  # noqa: E402
    coincidence_share,
    detect_blinks,
    detect_saccades,
    event_mask,
)
from microface_addon.core.measure.validate import reference_main_sequence  # noqa: E402

STATES = ("rest", "listening", "speaking", "thinking", "reading", "scanning")


def world_gaze(perf, eye: str = "L"):
    c, z = perf.channels, np.zeros(perf.n_samples)
    return gaze_in_world(
        c[f"eye_yaw_{eye}"],
        c[f"eye_pitch_{eye}"],
        c.get("head_yaw", z),
        c.get("head_pitch", z),
        c.get("head_roll", z),
        c.get("chest_pitch", z),
    )


def performance(state: str, duration_s: float, seed: int):
    settings = load_preset("neutral_idle").with_overrides({"state": state})
    return solve(settings, duration_s, seed=seed, character_id="Plot")


def plot(state: str, out_dir: Path, seed: int = 0) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    perf = performance(state, 60.0, seed)
    yaw, pitch = world_gaze(perf)
    blinks = detect_blinks(perf.channels["orbicularis_oculi_palpebral_L"], perf.rate_hz)
    t = perf.t
    fig, ax = plt.subplots(figsize=(9, 2.6), dpi=90)
    for on, dur, amp in zip(blinks.onsets_s, blinks.duration_s, blinks.amplitude, strict=True):
        ax.axvspan(on, on + dur, color="0.55" if amp > 0.9 else "0.8", lw=0)
    ax.plot(t, yaw, lw=0.8, color="tab:blue", label="yaw (+ = character's left)")
    ax.plot(t, pitch, lw=0.8, color="tab:red", label="pitch (+ = up)")
    ax.plot(
        t,
        perf.channels["gaze_head_share_yaw"],
        lw=0.8,
        ls="--",
        color="tab:green",
        label="head share (yaw)",
    )
    ax.set_xlim(0, 60)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("gaze (°)")
    ax.set_title(
        f"{state}: gaze in the torso frame, one minute (grey: blinks, dark = full)", fontsize=9
    )
    ax.legend(loc="upper right", fontsize=7, ncol=3, frameon=False)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    out = out_dir / f"gaze_{state}.png"
    fig.savefig(out)
    plt.close(fig)
    return out


def measure(state: str, seed: int, minutes: float = 10.0) -> dict:
    duration = minutes * 60.0
    perf = performance(state, duration, seed)
    yaw, pitch = world_gaze(perf)
    det = detect_saccades(yaw, pitch, perf.rate_hz)
    big = det.select(det.amplitude_deg >= 1.0)
    micro = det.select(det.amplitude_deg < 1.0)
    ratio = big.duration_s / reference_main_sequence().duration_s(big.amplitude_deg)
    blinks = detect_blinks(perf.channels["orbicularis_oculi_palpebral_L"], perf.rate_hz)
    inside = event_mask(
        perf.n_samples, perf.rate_hz, blinks.onsets_s, blinks.onsets_s + blinks.duration_s, 0.05
    )
    lid_r = np.corrcoef(
        perf.channels["upper_lid_gaze_L"][~inside], -perf.channels["eye_pitch_L"][~inside]
    )[0, 1]
    large = big.amplitude_deg > 30.0
    return {
        "saccades_per_min": big.count / minutes,
        "median_amp": float(np.median(big.amplitude_deg)),
        "under_15": float(np.mean(big.amplitude_deg < 15.0)),
        "dur_ratio": float(np.median(ratio)),
        "dur_within_20": float(np.mean(np.abs(ratio - 1) <= 0.2)),
        "micro_rate": micro.count / (duration - big.duration_s.sum()),
        "micro_max": float(micro.amplitude_deg.max()) if micro.count else 0.0,
        "n_large": int(large.sum()),
        "large_blinks": coincidence_share(big.onsets_s[large], blinks.onsets_s, 0.1),
        "n_large_blinked": int(
            round(coincidence_share(big.onsets_s[large], blinks.onsets_s, 0.1) * large.sum())
        )
        if large.any()
        else 0,
        "lid_r": float(lid_r),
        "blinks_per_min": blinks.rate_per_min(duration),
        "peak_v_large": float(np.median(big.peak_velocity_deg_s[big.amplitude_deg >= 25]))
        if np.any(big.amplitude_deg >= 25)
        else float("nan"),
        "near_target": float(np.mean(np.hypot(yaw, pitch) < 2.5)),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    ap.add_argument("--stats", action="store_true", help="print the measured table")
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for state in STATES:
        print("wrote", plot(state, args.out))
    if args.stats:
        print(
            "| state | saccades/min | median amplitude | < 15° | duration / main sequence "
            "(median, share within 20 %) | microsaccades /s (max amp.) | shifts > 30° with a blink "
            "| lid–pitch r | blinks/min | time within 2.5° of target |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for state in STATES:
            rows = [measure(state, seed) for seed in range(args.seeds)]

            def span(key, fmt="{:.1f}", rows=rows):
                v = [r[key] for r in rows]
                return f"{fmt.format(min(v))}–{fmt.format(max(v))}"

            n_large = sum(r["n_large"] for r in rows)
            blinked = sum(r["n_large_blinked"] for r in rows)
            big = f"{blinked}/{n_large}" if n_large else "—"
            print(
                f"| {state} | {span('saccades_per_min', '{:.0f}')} | {span('median_amp')}° "
                f"| {span('under_15', '{:.2f}')} | {span('dur_ratio', '{:.2f}')}, "
                f"{span('dur_within_20', '{:.2f}')} | {span('micro_rate', '{:.2f}')} "
                f"({max(r['micro_max'] for r in rows):.2f}°) | {big} "
                f"| {span('lid_r', '{:.2f}')} | {span('blinks_per_min')} "
                f"| {span('near_target', '{:.2f}')} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
