"""Cues that cannot land: which intents and state changes of a timeline show on nothing a
character's rig map drives.

Why: an older avatar without smile keys took a ``mf:smile`` marker and the ``joyful`` preset
without a word — the bake succeeded and the face did nothing.  A cue is only as good as the
channels that carry it, and only the timeline (what is cued) and the rig map (what moves) together
can tell.  This is a pure function of both, called where both are at hand (``apply``), so the
rig stage never reaches into the timeline's layers nor the solver into the rig.

What a cue shows in:
- an intent (``smile``, ``frown`` …): the muscles its preset kind (and variant) drives
  (``cascade.intents.<kind>.drive``); a ``suppress`` shows in what it holds back (its leak); a
  ``relax`` only ends other cues and needs nothing;
- a ``nod``: the head's pitch;
- a state change: the channels of the layers reading its track (``TRACK_LAYERS``): ``state``
  (reading, listening …) changes gaze, blinks and head, ``breath`` the breathing, ``posture``
  the head — read from the layer registry, so the list follows the layers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ...core.channels import CHANNELS, SIDES
from ...core.solver import registry
from ...core.timeline.intents import RELAX, SUPPRESS, IntentKind
from ...core.timeline.track import Timeline

# Timeline track → the layers whose behaviour it changes.
TRACK_LAYERS = {"state": ("gaze", "blink", "head"), "breath": ("breath",), "posture": ("head",)}
# Cue kinds performed by a layer other than the cascade → the channels they move.
OTHER_LAYER_CHANNELS = {"nod": ("head_pitch",)}
# How many channel names a line lists.
LISTED = 3


def _channels_of_muscles(muscles: Iterable[str]) -> list[str]:
    out = []
    for m in muscles:
        sided = [f"{m}_{s}" for s in SIDES if f"{m}_{s}" in CHANNELS]
        out += sided or ([m] if m in CHANNELS else [])
    return out


def _intent_channels(kind: str, variant: str, kinds: Mapping[str, Mapping]) -> list[str]:
    if kind in OTHER_LAYER_CHANNELS:
        return list(OTHER_LAYER_CHANNELS[kind])
    if kind not in kinds:
        return []
    if kind == SUPPRESS:
        held = variant or str(kinds[kind].get("default_variant", ""))
        if held not in kinds:
            return []
        spec = kinds[held]
        return _channels_of_muscles(IntentKind.of(spec, str(spec.get("default_variant", ""))).drive)
    spec = kinds[kind]
    drive = IntentKind.of(spec, variant or str(spec.get("default_variant", ""))).drive
    return _channels_of_muscles(m for m, gain in drive.items() if gain)


def _track_channels(track: str) -> list[str]:
    names = TRACK_LAYERS.get(track, ())
    out = []
    for layer in registry.layers():
        if layer.name in names:
            out += [c for c in layer.writes if CHANNELS[c].bakeable]
    if track == "posture":
        out = [c for c in out if c.startswith("head_")]
    return out


def _names(channels: list[str]) -> str:
    """``zygomaticus_major_L``, ``…_R`` → ``zygomaticus major`` (sides merged, first few)."""
    plain: list[str] = []
    for c in channels:
        base = c[:-2] if c[-2:] in ("_L", "_R") else c
        name = base.replace("_", " ")
        if name not in plain:
            plain.append(name)
    more = "…" if len(plain) > LISTED else ""
    return ", ".join(plain[:LISTED]) + more


def unlanded_cues(
    timeline: Timeline,
    intent_kinds: Mapping[str, Mapping],
    mapped: Iterable[str],
    character: str,
    duration_s: float | None = None,
) -> list[str]:
    """One line per cue of ``timeline`` that moves nothing on ``character``.

    ``intent_kinds``: the preset's ``cascade.intents``; ``mapped``: the channels the
    character's rig map drives; ``duration_s``: cues starting after it are not baked and not
    listed.  Lines read ``smile (duchenne) at 2.0 s: nothing on FaceRig drives zygomaticus major``.
    """
    drives = set(mapped)
    lines = []
    cues = [(i.start_s, i.kind, i.variant, None) for i in timeline.intents if i.kind != RELAX]
    cues += [(c.start_s, c.track, c.value, c.track) for c in timeline.changes]
    for start_s, kind, value, track in sorted(cues, key=lambda c: (c[0], c[1])):
        if duration_s is not None and start_s > duration_s:
            continue
        if track is None:
            needed = _intent_channels(kind, value, intent_kinds)
            label = f"{kind} ({value})" if value else kind
        else:
            needed = _track_channels(track)
            label = f"{track} {value}"
        if needed and not drives.intersection(needed):
            where = f"{label} at {start_s:.1f} s"
            lines.append(f"{where}: nothing on {character} drives {_names(needed)}")
    return lines
