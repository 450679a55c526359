"""The solver's layers, in the order they run: the one list everything layer-shaped comes from.

Why a registry: the solve order (``compose.py``), which preset sections are layers and what is
checked in them when a preset loads (``core/preset``), the CLI's ``--disable``/``--intensity``,
the panel's layer toggles and the channel table in ``docs/channels.md`` all need "the layers".
With this one list, adding a layer is one new module in ``layers/`` plus one line in ``LAYERS``.

A layer module provides (see ``docs/architecture.md`` for a complete toy layer):

* ``NAME``   — the layer's name: also its preset section, ``--disable NAME``, its random stream;
* ``LABEL``  — how the panel names it;
* ``WRITES`` — the canonical channels it adds to (``SolveContext.add`` refuses any other);
* ``apply(ctx)`` — reads ``ctx.settings.section(NAME)`` and the timeline, adds channels;
* ``check(section)`` (optional) — what the schema cannot say about its section, as
  ``[(path inside the section, message)]``; run when a preset loads, so a bad preset fails with
  file, pointer and line before any bake starts.

Order matters: a layer may read what the layers before it wrote.
  dialogue     → no channel: from the timeline's speech track it rewrites the state track
                 (speaking/listening), adds cue intents (brow raises, nods, back-channel
                 smiles), plans speech breathing and the gaze's turn states
                 (``ctx.events["dialogue"]``), and modulates "blink_rate" and "mouth_free"
  breath       → breath, chest_pitch, tension (+ blink_rate modulation while holding; speech
                 breathing blended in; mouth channels × "mouth_free")
  cascade      → muscle channels from intents (reads tension)
  micro_events → twitches and leaks (reads tension and the cascade's intent spans)
  gaze         → eye angles, lid-follow, gaze_head_share_*, forced blinks (the dialogue
                 plan's gaze states replace the state track's, when there is speech)
  head         → head angles (sway, posture, breath pitch, gaze share) + VOR on the eyes
  lids         → upper-lid baseline and AU7 tone by state, fatigue and tension (reads the final
                 eye pitch and the shared tension)
  blink        → lid closure (reads modulators and forced blinks)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ..channels import CHANNELS
from .layers import blink, breath, cascade, dialogue, gaze, head, lids, micro_events

# (path inside the layer's section, message) for each problem its check finds.
SectionProblems = list[tuple[list[Any], str]]


@dataclass(frozen=True)
class Layer:
    """One solver layer's contract."""

    name: str  # also the preset section it reads
    label: str  # the panel's name for it
    writes: tuple[str, ...]  # canonical channels it adds to
    apply: Callable[[Any], None]  # apply(ctx: SolveContext)
    check: Callable[[Mapping[str, Any]], SectionProblems] | None = None

    @property
    def section(self) -> str:
        """The preset section the layer reads (its name)."""
        return self.name

    @classmethod
    def of(cls, module: ModuleType) -> Layer:
        """The layer a module declares (``NAME``, ``LABEL``, ``WRITES``, ``apply``, ``check``)."""
        return cls(
            module.NAME,
            module.LABEL,
            tuple(module.WRITES),
            module.apply,
            getattr(module, "check", None),
        )


# The layers, in solve order.
LAYERS: tuple[Layer, ...] = (
    Layer.of(dialogue),
    Layer.of(breath),
    Layer.of(cascade),
    Layer.of(micro_events),
    Layer.of(gaze),
    Layer.of(head),
    Layer.of(lids),
    Layer.of(blink),
)


def layers() -> tuple[Layer, ...]:
    """The registered layers, in solve order (read at call time: ``register`` may add one)."""
    return LAYERS


def names() -> tuple[str, ...]:
    return tuple(layer.name for layer in LAYERS)


def get(name: str) -> Layer:
    for layer in LAYERS:
        if layer.name == name:
            return layer
    raise KeyError(f"no layer named {name!r} (layers: {', '.join(names())})")


def register(layer: Layer, before: str | None = None) -> None:
    """Add ``layer`` at the end of the solve order (or just before layer ``before``).

    For a layer defined outside this package (a studio's own, a test's toy layer); the shipped
    ones are listed in ``LAYERS``.
    """
    global LAYERS
    problems = _contract_problems(layer, names())
    if problems:
        raise ValueError(f"layer {layer.name!r}: {'; '.join(problems)}")
    at = len(LAYERS) if before is None else names().index(before)
    LAYERS = (*LAYERS[:at], layer, *LAYERS[at:])


def unregister(name: str) -> None:
    global LAYERS
    LAYERS = tuple(layer for layer in LAYERS if layer.name != name)


def _contract_problems(layer: Layer, taken: Sequence[str]) -> list[str]:
    out = []
    if not layer.name.isidentifier() or layer.name in taken:
        out.append("needs a name that is an identifier and not already taken")
    unknown = [c for c in layer.writes if c not in CHANNELS]
    if unknown:
        out.append(f"writes unknown channels {', '.join(unknown)}")
    return out
