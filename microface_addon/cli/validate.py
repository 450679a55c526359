"""``validate``: measure presets against published physiology (pure core, no scene)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from .common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, use_user_presets
from .controls import add_control_arguments, controls_from_args


def add_validate_arguments(parser: argparse.ArgumentParser, _file_is_open: bool) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--preset",
        action="append",
        default=[],
        metavar="NAME_OR_PATH",
        help="preset to measure (repeatable; default: neutral_idle)",
    )
    which.add_argument("--all", action="store_true", help="every preset on the search path")
    parser.add_argument(
        "--minutes", type=float, default=10.0, help="simulated minutes per preset (default: 10)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--pool-minutes",
        type=float,
        default=None,
        metavar="M",
        help="extra simulated minutes per preset (full solves; breath-only solves get six times"
        " as many) for statistics with fewer than 30 events (default: 30; 0 pools nothing)",
    )
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    parser.add_argument("--plots", metavar="DIR", help="write one PNG of curves per preset")
    add_control_arguments(parser)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def run_validate(args: argparse.Namespace) -> int:
    from ..core.measure.validate import DEFAULT_POOL_MINUTES, format_table, validate_settings
    from ..core.preset.controls import with_controls
    from ..core.preset.library import DEFAULT_PRESET, list_presets
    from ..core.preset.settings import PresetError, load_preset

    if not (args.minutes > 0 and math.isfinite(args.minutes)):
        raise UsageError(f"--minutes must be a positive number, got {args.minutes:g}")
    pool = DEFAULT_POOL_MINUTES if args.pool_minutes is None else args.pool_minutes
    if not (pool >= 0 and math.isfinite(pool)):
        raise UsageError(f"--pool-minutes must be 0 or more, got {pool:g}")
    use_user_presets()
    names = [i.name for i in list_presets()] if args.all else (args.preset or [DEFAULT_PRESET])
    controls, intensity = controls_from_args(args)
    reports, problems = [], []
    plots = Path(args.plots) if args.plots else None
    for name in names:
        try:
            base = load_preset(name)
            settings = with_controls(base, controls.overrides(base), intensity)
        except PresetError as exc:  # keep going: one broken preset must not hide the others
            problems.append(exc)
            continue
        report, perf = validate_settings(settings, args.minutes, args.seed, pool_minutes=pool)
        reports.append(report)
        if plots is not None:
            write_plot(plots, report, perf)
    if args.json:
        doc = {
            "reports": [r.as_dict() for r in reports],
            "invalid": [str(p) for p in problems],
        }
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        print(format_table(reports))
        failed = [r.name for r in reports if not r.ok]
        undecided = sum(len(r.inconclusive) for r in reports)
        print(
            f"{len(reports)} preset(s) measured over {args.minutes:g} min, seed {args.seed}: "
            + (f"outside their bands: {', '.join(failed)}" if failed else "all within their bands")
            + (
                f" ({undecided} statistic(s) inconclusive, each with its reason)"
                if undecided
                else ""
            )
        )
    for p in problems:
        print(f"microface: error: invalid preset: {p}", file=sys.stderr)
    if problems:
        return EXIT_USAGE
    return EXIT_FAILURE if any(not r.ok for r in reports) else EXIT_OK


def write_plot(folder: Path, report, perf) -> Path:
    """Blink intervals, saccade main sequence, breath trace and head-sway spectrum, one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from ..core.measure import stats
    from ..core.measure.validate import reference_main_sequence

    folder.mkdir(parents=True, exist_ok=True)
    rate = perf.rate_hz
    ch = perf.channels
    zeros = np.zeros(perf.n_samples)
    fig, ax = plt.subplots(2, 2, figsize=(11, 7))
    b = stats.detect_blinks(ch.get("orbicularis_oculi_palpebral_L", zeros), rate)
    if b.count > 1:
        ax[0, 0].hist(b.ibi_s, bins=40, color="tab:blue")
    ax[0, 0].set(title=f"inter-blink intervals ({b.count} blinks)", xlabel="s", ylabel="count")
    yaw = ch.get("eye_yaw_L", zeros) + ch.get("head_yaw", zeros)
    pitch = ch.get("eye_pitch_L", zeros) + ch.get("head_pitch", zeros)
    sac = stats.detect_saccades(yaw, pitch, rate)
    a = np.linspace(0, 40, 50)
    ms = reference_main_sequence()
    ax[0, 1].scatter(sac.amplitude_deg, 1000 * sac.duration_s, s=4, alpha=0.5)
    label = f"{ms.duration_slope_ms_per_deg:g}·A + {ms.duration_intercept_ms:g} ms"
    ax[0, 1].plot(a, 1000 * ms.duration_s(a), "k--", label=label)
    ax[0, 1].set(title="saccade main sequence", xlabel="amplitude (deg)", ylabel="duration (ms)")
    ax[0, 1].legend()
    n = min(perf.n_samples, int(60 * rate))
    ax[1, 0].plot(perf.t[:n], ch.get("breath", zeros)[:n])
    ax[1, 0].set(title="breath, first minute", xlabel="s", ylabel="breath units")
    head = ch.get("head_yaw", zeros) - ch.get("gaze_head_share_yaw", zeros)
    if np.std(head) > 0:
        f, psd = stats.power_spectrum(head, rate)
        keep = (f > 0.02) & (f < 10)
        ax[1, 1].loglog(f[keep], psd[keep])
    ax[1, 1].set(title="head yaw sway spectrum", xlabel="Hz", ylabel="deg²/Hz")
    fails = ", ".join(r.statistic for r in report.failures) or "none"
    fig.suptitle(
        f"{report.name}: {report.minutes:g} min, seed {report.seed}; outside band: {fails}"
    )
    fig.tight_layout()
    out = folder / f"{report.name}.png"
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
