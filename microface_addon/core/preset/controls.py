"""The TD-facing controls on top of a preset: layer switches and intensities, stylization,
stillness, hold eye contact — as preset overrides, and their application before solving.

Why one module: the panel and the CLI offer the same controls and must mean the same thing, so
both turn their fields into the same override document (``overrides``) and the solver applies
the same transforms (``effective_settings``).  Layer switches are independent of each other:
turning head motion off leaves blinks exactly as they were (the layers draw from separate
random streams).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

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
            if not 0.0 <= v <= 2.0:
                raise ControlError(f"{name.strip()}: intensity {v:g} is outside 0…2")
            out[_layer(name)] = v
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
    global intensity multiplies the preset's), clamped to 0–2; without, they are absolute.
    """
    out: dict[str, Any] = {}
    for name in disable:
        out.setdefault(_layer(name), {})["enabled"] = False
    for name, value in (intensities or {}).items():
        layer = _layer(name)
        v = float(value)
        if base is not None:
            v = min(max(v * float(base.section(layer).get("intensity", 1.0)), 0.0), 2.0)
        out.setdefault(layer, {})["intensity"] = v
    if stylization is not None:
        out["stylization"] = float(stylization)
    if stillness is not None:
        out["stillness"] = float(stillness)
    if hold_eye_contact is not None:
        out.setdefault("gaze", {})["hold_eye_contact"] = bool(hold_eye_contact)
    return out


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
