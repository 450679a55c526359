"""One source per moved part and cues that cannot land, as pure rules (no bpy): the decision
table of ``rig/convention/parts.py`` and the cue lines of ``rig/convention/landing.py``."""

from __future__ import annotations

import pytest

from microface_addon.core import load_preset
from microface_addon.core.timeline.intents import Intent
from microface_addon.core.timeline.track import StateChange, Timeline
from microface_addon.rig.convention.landing import unlanded_cues
from microface_addon.rig.convention.parts import (
    BONE,
    DRIVEN,
    OBJECT,
    OVERRIDE,
    SHAPE_KEYS,
    Candidate,
    decide,
    part_of,
)

pytestmark = pytest.mark.pure


def test_measured_evidence_comes_before_precedence():
    bone = Candidate(BONE, "Rig:eye.L", True, "turns EyeLeft 1.00°/°")
    morphs = Candidate(SHAPE_KEYS, "eyeLook… on EyeLeft", True, "turns EyeLeft +40°")
    lids = Candidate(SHAPE_KEYS, "eyeLook… on Face", False, "turns no vertex of EyeLeft")
    choice = decide("eye_L", [morphs, lids, bone])
    assert choice.driver is bone and choice.alternatives == [morphs] and choice.kept == [lids]
    assert choice.why == "precedence: bone before shape keys; measured to move it"
    # Without the bone, the morphs on the eyeball drive; the face's keys still are not it.
    alone = decide("eye_L", [morphs, lids])
    assert alone.driver is morphs and alone.kept == [lids]
    # A bone measured not to carry the eyeball loses to an object that does.
    empty = Candidate(OBJECT, "grp_eyeL", True)
    idle = Candidate(BONE, "Rig:eye.L", False)
    assert decide("eye_L", [idle, empty]).driver is empty


@pytest.mark.parametrize(
    ("part", "kinds", "winner"),
    [
        ("jaw", [BONE, SHAPE_KEYS], SHAPE_KEYS),
        ("jaw", [BONE, DRIVEN], DRIVEN),
        ("head", [OBJECT, BONE], BONE),
        ("lid_R", [DRIVEN, SHAPE_KEYS], SHAPE_KEYS),
        ("eye_R", [SHAPE_KEYS, OBJECT], OBJECT),
        ("head", [BONE, OVERRIDE], OVERRIDE),
    ],
)
def test_unmeasured_candidates_go_by_the_parts_precedence(part, kinds, winner):
    choice = decide(part, [Candidate(k, k) for k in kinds])
    assert choice.driver.kind == winner and len(choice.alternatives) == 1


def test_an_unmapped_alternative_is_reported_but_never_drives():
    key = Candidate(SHAPE_KEYS, "jawOpen on Face")
    bone = Candidate(BONE, "Rig:jaw", None, "jaw bone, not driven", mapped=False)
    choice = decide("jaw", [key, bone])
    assert choice.driver is key and choice.alternatives == [bone]
    assert decide("jaw", [bone]).driver is None
    assert part_of("eye_pitch_R") == "eye_R" and part_of("zygomaticus_major_L") is None


def test_cues_that_move_nothing_get_one_line_each():
    settings = load_preset("neutral_idle")
    kinds = settings.section("cascade")["intents"]
    timeline = Timeline(
        (StateChange(3.0, "state", "reading"), StateChange(4.0, "breath", "held", duration_s=3)),
        (Intent("smile", 2.0, 0.7, "duchenne"), Intent("nod", 5.0), Intent("relax", 6.0)),
    )
    # A face with a jaw and blinks: nothing for the smile, the nod or the head's posture.
    mapped = ["jaw_drop", "orbicularis_oculi_palpebral_L", "orbicularis_oculi_palpebral_R"]
    lines = unlanded_cues(timeline, kinds, mapped, "FaceRig", duration_s=10.0)
    assert lines == [
        "smile (duchenne) at 2.0 s: nothing on FaceRig drives zygomaticus major",
        "nod at 5.0 s: nothing on FaceRig drives head pitch",
    ]  # blinks carry the reading state; relax needs nothing; breath shows in the chest
    assert unlanded_cues(timeline, kinds, [], "X", duration_s=4.5)[-1].startswith("breath held")
    # A cue after the baked range is not baked, so not listed.
    assert unlanded_cues(timeline, kinds, mapped, "FaceRig", duration_s=4.0) == [lines[0]]
    # A smile with somewhere to go lands.
    assert not any(
        "smile" in ln for ln in unlanded_cues(timeline, kinds, ["zygomaticus_major_L"], "F")
    )
