"""Convention profiles as data (pure, no bpy): spelling tolerance, scoring, schema errors with
their place, and the user profile folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from microface_addon.core.channels import CHANNELS
from microface_addon.rig.convention import profiles as profiles_mod
from microface_addon.rig.convention.names import NameIndex, normalise, side_of
from microface_addon.rig.convention.profiles import (
    PROFILE_DIR,
    ProfileError,
    available_profiles,
    find_profile,
    load_profile,
    shipped_profiles,
)
from microface_addon.rig.convention.scoring import MIN_SCORE, choose, score_profiles

ROOT = Path(__file__).resolve().parents[1]
ARKIT = json.loads((PROFILE_DIR / "arkit52.json").read_text(encoding="utf-8"))["vocabulary"]


@pytest.fixture(autouse=True)
def _no_user_profiles(monkeypatch):
    monkeypatch.delenv(profiles_mod.PROFILE_PATH_ENV, raising=False)


def best(keys, bones=()):
    s = score_profiles(shipped_profiles(), keys, bones)
    return s[0].profile, s


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "eyeBlinkLeft",
        "EyeBlinkLeft",
        "eyeBlink_L",
        "eyeBlink_l",
        "eyeBlink.L",
        "eyeBlink-L",
        "blendShape1.eyeBlinkLeft",
        "Face:eyeBlinkLeft",
        "EYE_BLINK_LEFT",
    ],
)
def test_every_arkit_spelling_finds_the_same_key(spelling):
    index = NameIndex([spelling, "jawOpen", "mouthSmileLeft"])
    assert index.find("eyeBlinkLeft") == spelling


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("CC_Base_L_Eye", "CC_Base_Eye_L"),
        ("leftEye", "eye.L"),
        ("LeftEye", "Eye_Left"),
        ("AU06_L", "AU6_L"),
        ("mixamorig:Head", "Head"),
    ],
)
def test_side_words_move_and_numbers_lose_zeros(a, b):
    assert normalise(a) == normalise(b)


def test_rigify_names_keep_their_numbers_and_dots():
    assert len({normalise(n) for n in ("lid.T.L", "lid.T.L.001", "lid.T.L.002", "lid.T.R")}) == 4
    assert side_of("lid.T.L.002") == "L" and side_of("c_eyelid_top.r") == "R"
    assert side_of("jaw_master") is None


def test_exporter_prefix_shared_by_a_mesh_is_ignored_but_short_lists_are_not_guessed():
    prefixed = NameIndex([f"Head_{n}" for n in ARKIT])
    assert prefixed.find("eyeBlinkLeft") == "Head_eyeBlinkLeft"
    # Three of five keys start with "eye": not an exporter prefix.
    few = NameIndex(["eyeBlinkLeft", "eyeBlinkRight", "eyeWideLeft", "jawOpen", "mouthSmileLeft"])
    assert few.find("blinkLeft") is None


@pytest.mark.parametrize(
    ("name", "normal", "side"),
    [
        # The dot spells the side: "brow1" is the bone's own name, not an exporter namespace.
        ("brow1.l_Armature", "brow1armatureleft", "L"),
        ("brow1.r_Armature", "brow1armatureright", "R"),
        # A namespace naming a body part is part of the name, whatever follows the dot.
        ("Eye.Armature_bone", "eyearmaturebone", None),
        # Exporter namespaces still go.
        ("blendShape1.LeftEyeBlink", "eyeblinkleft", "L"),
        ("Wolf3D_Head.jawOpen", "jawopen", None),
    ],
)
def test_name_normalisation_never_swallows_the_word_that_says_what_it_is(name, normal, side):
    assert normalise(name) == normal and side_of(name) == side


def test_duplicate_suffix_matches_only_when_nothing_exact_exists():
    index = NameIndex(["jawOpen.001", "eyeBlinkLeft", "eyeBlinkLeft.001"])
    assert index.find("jawOpen") == "jawOpen.001"
    assert index.find("eyeBlinkLeft") == "eyeBlinkLeft"


# --- scoring --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "transform",
    [
        lambda n: n,
        lambda n: n[0].upper() + n[1:],
        lambda n: n.replace("Left", "_L").replace("Right", "_R"),
        lambda n: "blendShape1." + n,
        lambda n: "Genesis_" + n,
        lambda n: n + "_morph",
    ],
)
def test_arkit_character_is_detected_as_arkit_whatever_the_spelling(transform):
    name, scores = best([transform(n) for n in ARKIT])
    assert name == "arkit52" and scores[0].keys == pytest.approx(1.0)
    assert scores[1].keys < 0.8  # a clear margin over the runner-up


def test_reallusion_facecap_vroid_and_facs_names_pick_their_own_profile():
    cc = ["Eye_Blink_L", "Eye_Blink_R", "Mouth_Smile_L", "Mouth_Smile_R", "Cheek_Raise_L"]
    cc += ["Cheek_Raise_R", "Brow_Drop_L", "Brow_Drop_R", "Nose_Sneer_L", "Nose_Sneer_R"]
    cc += ["Brow_Raise_Inner_L", "Brow_Raise_Inner_R", "Mouth_Press_L", "V_Open", "V_Tight_O"]
    cc += ["Mouth_Roll_In_Upper_L", "Tongue_Out", "Ear_Up_L"]
    assert best(cc)[0] == "reallusion_cc"
    vroid = ["Fcl_ALL_Neutral", "Fcl_EYE_Close", "Fcl_EYE_Close_L", "Fcl_EYE_Close_R"]
    vroid += ["Fcl_EYE_Joy_L", "Fcl_MTH_A", "Fcl_MTH_Fun", "Fcl_BRW_Angry", "Fcl_HA_Hide"]
    assert best(vroid)[0] == "vrm"
    facs = ["AU01_L", "AU01_R", "AU04_L", "AU04_R", "AU06_L", "AU06_R", "AU12", "AU45", "AU26"]
    assert best(facs)[0] == "facs"
    vrm1 = ["blinkLeft", "blinkRight", "aa", "ou", "happy", "angry"]
    assert best(vrm1)[0] == "vrm"


def test_unrelated_keys_cannot_outvote_a_complete_set():
    # Issue #15 item 6: the complete ARKit set plus 1,000 correctives is still ARKit, at full
    # coverage, whatever share of the character's keys the correctives are.
    name, scores = best(ARKIT + [f"corrective_{i:04d}" for i in range(1000)])
    assert name == "arkit52" and scores[0].keys == pytest.approx(1.0)
    assert scores[0].mapped_keys == best(ARKIT)[1][0].mapped_keys


def test_a_few_keys_of_a_convention_match_when_they_drive():
    # An older export: two unsided ARKit-style keys, both driving channels.
    profiles = {p.name: p for p in shipped_profiles()}
    names = ["mouthSmile", "mouthOpen"]
    choice = choose(
        score_profiles(profiles.values(), names, []), profiles, "keys", NameIndex(names)
    )
    assert choice.profile.name == "arkit52" and choice.score.keys < MIN_SCORE
    # reallusion_cc would drive the very same keys the same way: no real alternative.
    assert choice.rivals == [] and choice.runner_up.profile == "reallusion_cc"
    # One stray word is not evidence.
    lone = ["eyeBlink", "Dent", "Open"]
    assert (
        choose(
            score_profiles(profiles.values(), lone, []), profiles, "keys", NameIndex(lone)
        ).profile
        is None
    )


def test_whole_face_emotion_keys_are_recognised_but_score_nothing():
    name, scores = best(["Angry", "Surprised", "Sad"])
    assert all(s.keys == 0.0 for s in scores)


def test_bones_pick_the_bone_convention():
    rigify = ["lid.T.L.002", "lid.T.R.002", "lid.B.L.002", "lid.B.R.002", "brow.T.L.001"]
    rigify += ["brow.T.R.001", "lips.L", "lips.R", "master_eye.L", "master_eye.R"]
    rigify += ["jaw_master", "eyes", "nose_master", "head", "neck", "chest"]
    assert best([], rigify)[0] == "rigify_face"
    arp = ["c_head.x", "c_neck.x", "c_eye.l", "c_eye.r", "c_eyelid_top.l", "c_eyelid_top.r"]
    arp += ["c_jawbone.x", "c_lips_smile.l", "c_lips_smile.r", "c_traj", "head.x", "neck.x"]
    assert best([], arp)[0] == "autorigpro"
    cc = ["CC_Base_Hip", "CC_Base_Spine02", "CC_Base_NeckTwist01", "CC_Base_NeckTwist02"]
    cc += ["CC_Base_Head", "CC_Base_FacialBone", "CC_Base_L_Eye", "CC_Base_R_Eye"]
    cc += ["CC_Base_JawRoot"]
    assert best([], cc)[0] == "reallusion_cc"


# --- profiles as data -----------------------------------------------------------------------


def test_shipped_profiles_are_valid_and_speak_only_canonical_channels():
    names = {p.name for p in shipped_profiles()}
    assert {"arkit52", "reallusion_cc", "vrm", "facs", "rigify_face", "autorigpro"} <= names
    for p in shipped_profiles():
        for ch in [*p.shape_keys, *p.controls, *p.handled_by_rig]:
            assert ch in CHANNELS and CHANNELS[ch].bakeable, (p.name, ch)
        for cs in p.controls.values():
            for c in cs:
                assert not c.bone.startswith(("DEF-", "MCH-", "ORG-")), (p.name, c.bone)


def test_side_templates_expand_to_both_sides():
    rigify = find_profile("rigify_face")
    left = rigify.controls["orbicularis_oculi_palpebral_L"]
    right = rigify.controls["orbicularis_oculi_palpebral_R"]
    assert left[0].bone == "lid.T.L.002" and left[0].toward == "lid.B.L.002"
    assert right[0].bone == "lid.T.R.002"
    arp = find_profile("autorigpro")
    assert arp.controls["orbicularis_oculi_palpebral_R"][0].bone == "c_eyelid_top.r"


def _write(folder: Path, name: str, doc) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2), encoding="utf-8")
    return path


def test_schema_errors_name_the_file_line_and_pointer(tmp_path):
    bad = _write(
        tmp_path,
        "studio.json",
        '{\n  "name": "studio",\n  "shape_keys": {\n    "zygomaticus_major_L": [\n'
        '      {"key": "Smile_L", "gian": 1.0}\n    ]\n  },\n'
        '  "controls": {"jaw_drop": [{"bone": "Jaw", "toward": "Chin", "rotate": "pitch"}]}\n}\n',
    )
    with pytest.raises(ProfileError) as err:
        load_profile(bad)
    text = str(err.value)
    assert f"{bad}:5:7: /shape_keys/zygomaticus_major_L/0" in text
    assert "gian" in text
    assert "/controls/jaw_drop/0" in text and "exactly one of" in text


def test_unknown_channel_and_broken_json_are_errors(tmp_path):
    unknown = _write(tmp_path, "a.json", {"name": "a", "shape_keys": {"smile_L": [{"key": "x"}]}})
    with pytest.raises(ProfileError, match="unknown canonical channel 'smile_L'"):
        load_profile(unknown)
    broken = _write(tmp_path, "b.json", '{"name": "b",\n "shape_keys": }')
    with pytest.raises(ProfileError, match=r"b\.json:2:16: broken JSON"):
        load_profile(broken)


def test_user_folder_adds_and_replaces_profiles_by_name(tmp_path, monkeypatch):
    studio = {
        "name": "studio_x",
        "shape_keys": {"zygomaticus_major_{side}": [{"key": "SX_smile_{side}", "gain": 0.7}]},
    }
    _write(tmp_path / "a", "studio.json", studio)
    _write(tmp_path / "b", "arkit_override.json", {"name": "arkit52", "shape_keys": {}})
    monkeypatch.setenv(
        profiles_mod.PROFILE_PATH_ENV, f"{tmp_path / 'a'}{profiles_mod.os.pathsep}{tmp_path / 'b'}"
    )
    found = {p.name: p for p in available_profiles(extra_dirs=[])}
    assert found["studio_x"].shape_keys["zygomaticus_major_R"][0][0].key == "SX_smile_R"
    assert found["studio_x"].shape_keys["zygomaticus_major_R"][0][0].gain == 0.7
    assert found["arkit52"].shape_keys == {}  # the env folder replaced the shipped one
    name, _ = best(["SX_smile_L", "SX_smile_R"])  # shipped only: no match
    scores = score_profiles(found.values(), ["SX_smile_L", "SX_smile_R"], [])
    assert scores[0].profile == "studio_x" and name != "studio_x"


def test_a_broken_user_profile_stops_detection_with_its_place(tmp_path, monkeypatch):
    _write(tmp_path, "bad.json", {"name": "bad", "sides": {"L": "l"}})
    monkeypatch.setenv(profiles_mod.PROFILE_PATH_ENV, str(tmp_path))
    with pytest.raises(ProfileError, match=r"bad\.json.*/sides.*'R' is missing"):
        available_profiles(extra_dirs=[])
