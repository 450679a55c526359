"""Command-line side of presets: ``validate``, ``presets`` (list), and the preset control flags
(``--disable``, ``--intensity LAYER=X``, ``--stylization``, ``--stillness``, ``--hold-eye-contact``)
that ``bake`` and ``validate`` share.

Why a module of its own: ``cli.py`` is the dispatcher; these commands are pure core (no scene,
no ``bpy`` beyond finding the user's preset folder) and their options must mean exactly what the
panel's fields mean, so both go through ``core.controls``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

USER_PRESETS_SUBDIR = "microface/presets"

EXIT_OK, EXIT_FAILED = 0, 1


def user_preset_folder() -> Path | None:
    """The user's preset folder in Blender's config folder, or None when ``bpy`` is missing."""
    try:
        import bpy
    except ImportError:
        return None
    path = bpy.utils.user_resource("CONFIG", path=USER_PRESETS_SUBDIR)
    return Path(path) if path else None


def use_user_presets() -> None:
    """Put the user's preset folder on the search path (the CLI's equivalent of the add-on)."""
    from .core.library import set_user_preset_dirs

    folder = user_preset_folder()
    set_user_preset_dirs([folder] if folder else [])


# --- the shared control flags ------------------------------------------------------------------


def _unit_arg(what: str):
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, got {text!r}") from None
        if not 0.0 <= v <= 1.0:
            raise argparse.ArgumentTypeError(f"{what} {v:g} is outside 0–1")
        return v

    return parse


def intensity_item(text: str) -> str:
    """``--intensity`` values: a bare number (global, 0–2) or ``LAYER=X[,LAYER=X…]``."""
    from .core.controls import ControlError, parse_layer_intensities

    if "=" in text:
        try:
            parse_layer_intensities(text)
        except ControlError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid intensity {text!r}: expected a number or LAYER=VALUE"
        ) from None
    if not 0.0 <= v <= 2.0:
        raise argparse.ArgumentTypeError(f"intensity {v:g} is outside 0–2")
    return text


def layer_list_arg(text: str) -> list[str]:
    from .core.controls import ControlError, parse_layer_list

    try:
        return parse_layer_list(text)
    except ControlError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_control_arguments(parser: argparse.ArgumentParser, with_intensity: bool = True) -> None:
    """The preset controls, as in the panel.  ``with_intensity=False`` when the command already
    has its own ``--intensity`` (then parse it with ``intensity_item``)."""
    parser.add_argument(
        "--disable",
        type=layer_list_arg,
        action="append",
        default=[],
        metavar="LAYER,...",
        help="turn layers off: blink, gaze, breath, head, cascade, micro_events",
    )
    if with_intensity:
        parser.add_argument(
            "--intensity",
            type=intensity_item,
            action="append",
            default=[],
            metavar="X|LAYER=X",
            help="global strength 0–2, or one layer's (e.g. blink=0.5), multiplying the preset's; "
            "repeatable",
        )
    parser.add_argument(
        "--stylization",
        type=_unit_arg("stylization"),
        metavar="0..1",
        help="realism (0) to stylised (1): bigger, snappier, held, fewer but clearer events",
    )
    parser.add_argument(
        "--stillness",
        type=_unit_arg("stillness"),
        metavar="0..1",
        help="scale all idle motion down, 1 = locked (timeline cues still play)",
    )
    parser.add_argument(
        "--hold-eye-contact",
        action="store_true",
        default=None,
        help="keep the eyes on the look-at target (no saccades away)",
    )


def split_intensity(values: list[str] | float | None) -> tuple[float | None, dict[str, float]]:
    """``--intensity`` items → (global intensity or None, per-layer intensities)."""
    from .core.controls import parse_layer_intensities

    if values is None:
        return None, {}
    if isinstance(values, (int, float)):
        return float(values), {}
    global_: float | None = None
    layers: dict[str, float] = {}
    for v in values:
        if "=" in v:
            layers.update(parse_layer_intensities(v))
        else:
            global_ = float(v)
    return global_, layers


def control_overrides(args: argparse.Namespace, settings) -> tuple[float | None, dict[str, Any]]:
    """(global intensity factor or None, preset overrides) from the parsed control flags.

    Like the global ``--intensity X``, ``--intensity blink=X`` multiplies the preset's own value.
    """
    from .core.controls import overrides

    global_, layers = split_intensity(getattr(args, "intensity", None))
    disabled = [name for group in getattr(args, "disable", []) or [] for name in group]
    return global_, overrides(
        disable=disabled,
        intensities=layers,
        stylization=getattr(args, "stylization", None),
        stillness=getattr(args, "stillness", None),
        hold_eye_contact=getattr(args, "hold_eye_contact", None),
        base=settings,
    )


def apply_controls(settings, args: argparse.Namespace):
    """``settings`` with the control flags applied (as the bake does with the panel fields)."""
    global_, over = control_overrides(args, settings)
    if global_ is not None and global_ != 1.0:
        over["intensity"] = settings.intensity * global_
    return settings.with_overrides(over) if over else settings


# --- validate ---------------------------------------------------------------------------------


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
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    parser.add_argument("--plots", metavar="DIR", help="write one PNG of curves per preset")
    add_control_arguments(parser)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def run_validate(args: argparse.Namespace) -> int:
    from .core.library import DEFAULT_PRESET, list_presets
    from .core.settings import PresetError, load_preset
    from .core.validate import format_table, validate_settings

    if not (args.minutes > 0 and math.isfinite(args.minutes)):
        from .cli import UsageError

        raise UsageError(f"--minutes must be a positive number, got {args.minutes:g}")
    use_user_presets()
    names = [i.name for i in list_presets()] if args.all else (args.preset or [DEFAULT_PRESET])
    reports, problems = [], []
    plots = Path(args.plots) if args.plots else None
    for name in names:
        try:
            settings = apply_controls(load_preset(name), args)
        except PresetError as exc:  # keep going: one broken preset must not hide the others
            problems.append(exc)
            continue
        report, perf = validate_settings(settings, args.minutes, args.seed)
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
        print(
            f"{len(reports)} preset(s) measured over {args.minutes:g} min, seed {args.seed}: "
            + (f"outside their bands: {', '.join(failed)}" if failed else "all within their bands")
        )
    for p in problems:
        print(f"microface: error: invalid preset: {p}", file=sys.stderr)
    if problems:
        return 2
    return EXIT_FAILED if any(not r.ok for r in reports) else EXIT_OK


def write_plot(folder: Path, report, perf) -> Path:
    """Blink intervals, saccade main sequence, breath trace and head-sway spectrum, one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from .core import stats

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
    ax[0, 1].scatter(sac.amplitude_deg, 1000 * sac.duration_s, s=4, alpha=0.5)
    ax[0, 1].plot(a, 2.2 * a + 21, "k--", label="2.2·A + 21 ms")
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


# --- presets (list) ---------------------------------------------------------------------------


def add_presets_arguments(parser: argparse.ArgumentParser, _file_is_open: bool) -> None:
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def run_presets(args: argparse.Namespace) -> int:
    from .core.library import list_presets, preset_dirs

    use_user_presets()
    infos = list_presets()
    if args.json:
        doc = [
            {
                "name": i.name,
                "kind": i.kind,
                "path": str(i.path),
                "description": i.description,
                "shadows": [str(p) for p in i.shadows],
                "problem": i.problem,
            }
            for i in infos
        ]
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return EXIT_OK
    for d in preset_dirs():
        mark = "" if d.path.is_dir() else "  (missing)"
        print(f"search path [{d.kind}]: {d.path}{mark}")
    for i in infos:
        extra = f"  (replaces {', '.join(map(str, i.shadows))})" if i.shadows else ""
        warn = f"  [problem: {i.problem}]" if i.problem else ""
        print(f"{i.name:<24} {i.kind:<8} {i.description[:70]}{extra}{warn}")
    return EXIT_OK
