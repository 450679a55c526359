"""Canonical facial channels: the vocabulary shared by the solver, the rig profiles and the bake.

Why a fixed vocabulary: solver layers speak in muscles and angles, never in a particular rig's
shape-key names.  Rig profiles (``rig/convention/profiles/*.json``) translate these names onto a rig, and
``docs/channels.md`` tables each one with its FACS action unit(s) and ARKit-52 targets.

Kinds:
  ``activation`` – muscle activation, 0 (relaxed) … 1 (full contraction); dimensionless.
  ``angle``      – a rotation in degrees in the character's frame (see ``docs/channels.md``:
                   yaw + = towards the character's left, pitch + = up, roll + = top of the head
                   towards the character's left shoulder).
  ``state``      – an internal state other layers read (e.g. tension); never baked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIDES = ("L", "R")


@dataclass(frozen=True)
class Channel:
    name: str
    kind: str  # "activation" | "angle" | "state"
    lo: float
    hi: float
    facs: str
    description: str

    @property
    def bakeable(self) -> bool:
        return self.kind != "state"


def sided(*bases: str) -> tuple[str, ...]:
    """The left and right channel of each base name: ``sided("nasalis")`` → nasalis_L, nasalis_R."""
    return tuple(f"{base}_{s}" for base in bases for s in SIDES)


def _sided(base: str, kind: str, lo: float, hi: float, facs: str, desc: str) -> list[Channel]:
    return [Channel(f"{base}_{s}", kind, lo, hi, facs, f"{desc} ({s})") for s in SIDES]


def _build() -> dict[str, Channel]:
    act = ("activation", 0.0, 1.0)
    chans: list[Channel] = []
    # Eyes and lids
    chans += _sided("orbicularis_oculi_palpebral", *act, "AU45/AU43", "lid closure: blink")
    chans += _sided("levator_palpebrae", *act, "AU5", "upper lid raiser: eye widening")
    chans += _sided(
        "orbicularis_oculi_orbital", *act, "AU6/AU7", "cheek raiser, eye-corner crinkle"
    )
    chans += _sided(
        "upper_lid_gaze",
        "activation",
        -1.0,
        1.0,
        "AU61-64 coupling",
        "upper lid following eye pitch: + lowers the lid, - raises it",
    )
    chans += _sided(
        "upper_lid_droop",
        "activation",
        -1.0,
        1.0,
        "AU43 (tonic) / AU5",
        "upper lid set by state (levator tone): + lowers it (fatigue), - lifts it (alertness);"
        " same units as upper_lid_gaze",
    )
    chans += _sided(
        "lid_tightener", *act, "AU7", "lid tightener: orbicularis oculi tone narrowing the eye"
    )
    chans += _sided("eye_yaw", "angle", -45.0, 45.0, "AU61/AU62", "eye-in-head yaw, degrees")
    chans += _sided("eye_pitch", "angle", -35.0, 35.0, "AU63/AU64", "eye-in-head pitch, degrees")
    # Brows
    chans += _sided("corrugator", *act, "AU4", "brow lowerer / knitter")
    chans += _sided("frontalis_medial", *act, "AU1", "inner brow raiser")
    chans += _sided("frontalis_lateral", *act, "AU2", "outer brow raiser")
    # Mid and lower face
    chans += _sided("zygomaticus_major", *act, "AU12", "lip-corner puller: smile")
    chans += _sided("levator_labii", *act, "AU10/AU9", "upper-lip raiser: nasolabial deepening")
    chans += _sided("nasalis", *act, "AU38", "nostril dilator: flare")
    chans += _sided("buccinator", *act, "AU14", "dimpler")
    chans += _sided("depressor_anguli_oris", *act, "AU15", "lip-corner depressor")
    chans += _sided("risorius", *act, "AU20", "lip stretcher")
    chans += _sided("depressor_labii", *act, "AU16", "lower-lip depressor")
    chans += _sided("orbicularis_oris", *act, "AU24/AU23", "lip presser / tightener")
    chans += [
        Channel("orbicularis_oris_pucker", *act, "AU18", "lip pucker"),
        Channel("mentalis", *act, "AU17", "chin raiser"),
        Channel("jaw_drop", *act, "AU26/AU27", "jaw opening (masseter relax / digastric pull)"),
        Channel("jaw_forward", *act, "AU29", "jaw thrust"),
        Channel("jaw_clench", *act, "AU31", "jaw clencher (masseter)"),
    ]
    # Head, neck, body
    chans += [
        Channel("head_pitch", "angle", -40.0, 40.0, "AU53/AU54", "head-on-torso pitch, degrees"),
        Channel("head_yaw", "angle", -70.0, 70.0, "AU51/AU52", "head-on-torso yaw, degrees"),
        Channel("head_roll", "angle", -30.0, 30.0, "AU55/AU56", "head-on-torso roll, degrees"),
        Channel("chest_pitch", "angle", -10.0, 10.0, "-", "upper-body pitch from breathing"),
        Channel(
            "shoulder_rise",
            "angle",
            -10.0,
            10.0,
            "-",
            "shoulder-girdle elevation from breathing, degrees (+ = shoulders up)",
        ),
        Channel(
            "breath", "state", -0.5, 1.5, "-", "lung volume above rest, 0 exhaled … 1 full inhale"
        ),
        Channel("tension", "state", 0.0, 1.0, "-", "shared arousal/tension state read by layers"),
        Channel(
            "gaze_head_share_yaw",
            "state",
            -90.0,
            90.0,
            "-",
            "head yaw recruited by large gaze shifts, degrees",
        ),
        Channel(
            "gaze_head_share_pitch",
            "state",
            -90.0,
            90.0,
            "-",
            "head pitch recruited by large gaze shifts, degrees",
        ),
    ]
    return {c.name: c for c in chans}


CHANNELS: dict[str, Channel] = _build()

# Width of the soft knee at each end of a channel's range, as a fraction of the range.
# Inside [lo + m, hi - m] values pass through unchanged; beyond, they approach the bound
# exponentially (C1-continuous), so summed layers never exceed a target's range and never
# show the flat-topped spikes hard clipping makes.
SOFT_KNEE_FRACTION = 0.05


def soft_limit(values: np.ndarray, lo: float, hi: float, knee: float | None = None) -> np.ndarray:
    """Smoothly keep ``values`` inside ``[lo, hi]`` (identity in the interior, C1 at the knee).

    A bound that is the rest value 0 (the bottom of an activation) gets no knee, because rest
    must stay exactly at rest; values beyond it are simply held at the bound.
    """
    m = (hi - lo) * (SOFT_KNEE_FRACTION if knee is None else knee)
    x = np.asarray(values, dtype=np.float64)
    out = x.copy()
    for bound, sign in ((hi, 1.0), (lo, -1.0)):
        if bound == 0.0:
            out = np.minimum(out, bound) if sign > 0 else np.maximum(out, bound)
            continue
        start = bound - sign * m
        beyond = sign * (x - start) > 0
        out[beyond] = bound - sign * m * np.exp(-sign * (x[beyond] - start) / m)
    return out


def channel(name: str) -> Channel:
    try:
        return CHANNELS[name]
    except KeyError:
        raise KeyError(f"unknown canonical channel {name!r}") from None


# The channels that shape the lips and jaw: what a lip-sync animates.  A speaking character's
# keyed ones are left to the lip-sync (``bake/keyed.py``, ``docs/dialogue.md``).
MOUTH_CHANNELS: tuple[str, ...] = (
    *sided(
        "zygomaticus_major",
        "levator_labii",
        "buccinator",
        "depressor_anguli_oris",
        "risorius",
        "depressor_labii",
        "orbicularis_oris",
    ),
    "orbicularis_oris_pucker",
    "mentalis",
    "jaw_drop",
    "jaw_forward",
    "jaw_clench",
)

# The channels that show tension (a held breath, a suppressed expression): the clench and thrust
# of the jaw, pressed lips and a knitted brow (breath's ``tension_face``, the cascade's
# ``tension.drive``), the lid tightener and the lowered lid (the ``lids`` layer).  Each rig offers
# its own part of them; ``RigMap.report()["tension"]`` says what each drives on a character.
TENSION_CHANNELS: tuple[str, ...] = (
    "jaw_clench",
    "jaw_forward",
    *sided("orbicularis_oris", "corrugator", "lid_tightener", "upper_lid_droop"),
)
