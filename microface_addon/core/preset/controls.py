"""The TD-facing controls on top of a preset: the global intensity, layer switches and
intensities, stylization, stillness, hold eye contact — as preset overrides, and their
application before solving.

Why one module: the panel and the CLI offer the same controls and must mean the same thing, so
both gather them into ``Controls``, turn them into the same override document (``overrides``),
apply them with the same rule (``with_controls``: every intensity is a factor on the preset's
own), and the solver applies the same transforms (``effective_settings``).  Layer switches are
independent of each other: turning head motion off leaves blinks exactly as they were (the layers
draw from separate random streams).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .schema import INTENSITY_RANGE
from .settings import Settings, layer_sections
from .stillness import still
from .stylize import stylize


class ControlError(ValueError):
    """A control value that does not make sense (unknown layer, bad number)."""


def _layer(name: str) -> str:
    n = name.strip().lower().replace("-", "_")
    if n not in layer_sections():
        known = ", ".join(layer_sections())
        raise ControlError(f"unknown layer {name.strip()!r} (layers: {known})")
    return n


def check_intensity(value: float, what: str = "intensity") -> float:
    """``value`` if it is a valid intensity (``INTENSITY_RANGE``), else a ``ControlError``."""
    lo, hi = INTENSITY_RANGE
    if not lo <= value <= hi:
        raise ControlError(f"{what} {value:g} is outside {lo:g}–{hi:g}")
    return value


def parse_layer_list(text: str | Iterable[str]) -> list[str]:
    """``"head,gaze"`` (or several such arguments) → ``["head", "gaze"]``."""
    parts = [text] if isinstance(text, str) else list(text)
    out: list[str] = []
    for part in parts:
        for item in part.split(","):
            if item.strip():
                name = _layer(item)
                if name not in out:
                    out.append(name)
    return out


def parse_layer_intensities(text: str | Iterable[str]) -> dict[str, float]:
    """``"blink=0.5,gaze=1.2"`` (or several such arguments) → ``{"blink": 0.5, "gaze": 1.2}``."""
    parts = [text] if isinstance(text, str) else list(text)
    out: dict[str, float] = {}
    for part in parts:
        for item in part.split(","):
            if not item.strip():
                continue
            name, sep, value = item.partition("=")
            if not sep:
                raise ControlError(f"expected LAYER=VALUE, got {item.strip()!r}")
            try:
                v = float(value)
            except ValueError:
                raise ControlError(f"{name.strip()}: {value.strip()!r} is not a number") from None
            out[_layer(name)] = check_intensity(v, f"{name.strip()}: intensity")
    return out


def overrides(
    disable: Iterable[str] = (),
    intensities: Mapping[str, float] | None = None,
    stylization: float | None = None,
    stillness: float | None = None,
    hold_eye_contact: bool | None = None,
    base: Settings | None = None,
) -> dict[str, Any]:
    """The preset overrides these controls stand for (feed to ``Settings.with_overrides``).

    With ``base``, layer ``intensities`` are factors on the preset's own layer intensity (as the
    global intensity multiplies the preset's), clamped to ``INTENSITY_RANGE``; without, they are
    absolute.
    """
    out: dict[str, Any] = {}
    for name in disable:
        out.setdefault(_layer(name), {})["enabled"] = False
    for name, value in (intensities or {}).items():
        layer = _layer(name)
        v = float(value)
        if base is not None:
            lo, hi = INTENSITY_RANGE
            v = min(max(v * float(base.section(layer).get("intensity", 1.0)), lo), hi)
        out.setdefault(layer, {})["intensity"] = v
    if stylization is not None:
        out["stylization"] = float(stylization)
    if stillness is not None:
        out["stillness"] = float(stillness)
    if hold_eye_contact is not None:
        out.setdefault("gaze", {})["hold_eye_contact"] = bool(hold_eye_contact)
    return out


@dataclass(frozen=True)
class Controls:
    """The preset controls as the panel and the CLI gather them, before a preset is known (the
    layer intensities are factors on the preset's own; the global intensity travels beside them,
    see ``with_controls``)."""

    disable: tuple[str, ...] = ()
    layer_intensity: Mapping[str, float] = field(default_factory=dict)
    stylization: float | None = None
    stillness: float | None = None
    hold_eye_contact: bool | None = None

    def overrides(self, base: Settings) -> dict[str, Any]:
        """The preset overrides these controls stand for on top of ``base``."""
        return overrides(
            self.disable,
            self.layer_intensity,
            self.stylization,
            self.stillness,
            self.hold_eye_contact,
            base=base,
        )


def with_controls(settings: Settings, over: Mapping[str, Any], intensity: float = 1.0) -> Settings:
    """``settings`` with the preset overrides ``over`` and the global ``intensity`` factor
    applied, validated once (``Settings.with_overrides``).

    The global intensity rule lives here: like every control, it multiplies the preset's own
    value, so ``intensity`` 0.5 on a preset at 0.8 bakes at 0.4.
    """
    over = dict(over)
    if intensity != 1.0:
        over["intensity"] = settings.intensity * float(intensity)
    return settings.with_overrides(over) if over else settings


def effective_settings(settings: Settings) -> Settings:
    """What the layers see: the preset with stylization, then stillness, applied.

    The returned settings have both controls at 0 (consumed), so applying this twice changes
    nothing.
    """
    s, k = settings.stylization, settings.stillness
    if s == 0.0 and k == 0.0:
        return settings
    data = still(stylize(settings.data, s), k)
    data["stylization"] = 0.0
    data["stillness"] = 0.0
    return replace(settings, data=data)
