"""The preset control flags (``--intensity [LAYER=]X``, ``--disable``, ``--stylization``,
``--stillness``, ``--hold-eye-contact``) that ``bake`` and ``validate`` share.

Why through ``core.preset.controls``: the flags must mean exactly what the panel's fields mean,
so they become the same ``Controls`` and are applied by the same ``with_controls``.
"""

from __future__ import annotations

import argparse


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
    """``--intensity`` values: a bare number (global) or ``LAYER=X[,LAYER=X…]``."""
    from ..core.preset.controls import ControlError, check_intensity, parse_layer_intensities

    try:
        if "=" in text:
            parse_layer_intensities(text)
            return text
        try:
            v = float(text)
        except ValueError:
            raise ControlError(
                f"invalid intensity {text!r}: expected a number or LAYER=VALUE"
            ) from None
        check_intensity(v)
    except ControlError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def layer_list_arg(text: str) -> list[str]:
    from ..core.preset.controls import ControlError, parse_layer_list

    try:
        return parse_layer_list(text)
    except ControlError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_control_arguments(parser: argparse.ArgumentParser) -> None:
    """The preset controls, as in the panel (``bake`` and ``validate``)."""
    from ..core.preset.schema import INTENSITY_RANGE
    from ..core.solver import registry

    lo, hi = INTENSITY_RANGE
    parser.add_argument(
        "--intensity",
        type=intensity_item,
        action="append",
        default=[],
        metavar="X|LAYER=X",
        help=f"global strength {lo:g}–{hi:g}, or one layer's (e.g. blink=0.5), multiplying the "
        "preset's (default: 1); repeatable",
    )
    parser.add_argument(
        "--disable",
        type=layer_list_arg,
        action="append",
        default=[],
        metavar="LAYER,...",
        help=f"turn layers off: {', '.join(registry.names())}",
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


def controls_from_args(args: argparse.Namespace):
    """(``Controls``, global intensity factor) the parsed control flags stand for; the last bare
    ``--intensity X`` is the global factor, ``LAYER=X`` items the layers' (later ones win)."""
    from ..core.preset.controls import Controls, parse_layer_intensities

    global_ = 1.0
    layers: dict[str, float] = {}
    for item in args.intensity:
        if "=" in item:
            layers.update(parse_layer_intensities(item))
        else:
            global_ = float(item)
    disabled = tuple(name for group in args.disable for name in group)
    controls = Controls(
        disable=disabled,
        layer_intensity=layers,
        stylization=args.stylization,
        stillness=args.stillness,
        hold_eye_contact=args.hold_eye_contact,
    )
    return controls, global_
