"""The preset control flags (``--disable``, ``--intensity LAYER=X``, ``--stylization``,
``--stillness``, ``--hold-eye-contact``) that ``bake`` and ``validate`` share.

Why through ``core.preset.controls``: the flags must mean exactly what the panel's fields mean.
"""

from __future__ import annotations

import argparse
from typing import Any


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
    from ..core.preset.controls import ControlError, parse_layer_intensities

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
    from ..core.preset.controls import ControlError, parse_layer_list

    try:
        return parse_layer_list(text)
    except ControlError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_control_arguments(parser: argparse.ArgumentParser, with_intensity: bool = True) -> None:
    """The preset controls, as in the panel.  ``with_intensity=False`` when the command already
    has its own ``--intensity`` (then parse it with ``intensity_item``)."""
    from ..core.solver import registry

    parser.add_argument(
        "--disable",
        type=layer_list_arg,
        action="append",
        default=[],
        metavar="LAYER,...",
        help=f"turn layers off: {', '.join(registry.names())}",
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
    from ..core.preset.controls import parse_layer_intensities

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
    from ..core.preset.controls import overrides

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
