"""Preset format: inheritance, search path, data-only references, format migration, and every
kind of error reported with file, JSON pointer and line."""

from __future__ import annotations

import json
import os

import jsonschema
import pytest

from microface_addon.core.preset import library
from microface_addon.core.preset.migrations import CURRENT_FORMAT
from microface_addon.core.preset.settings import (
    PresetError,
    builtin_preset_dir,
    load_preset,
    load_schema,
    validate_document,
)

LIBRARY = [
    "neutral_idle",
    "calm_listener",
    "attentive_conversation",
    "speaking",
    "reading_focused",
    "anxious",
    "suppressed_tension",
    "joyful",
    "polite_social",
    "grief",
    "defiant",
    "fatigued",
    "stylized_cartoon",
]


def write(folder, name, doc_or_text):
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / f"{name}.json"
    text = doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text, indent=2)
    p.write_text(text, encoding="utf-8")
    return p


def preset(name, **fields):
    return {"format_version": 1, "name": name, **fields}


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(library.PRESET_PATH_ENV, raising=False)


def problems_of(call):
    with pytest.raises(PresetError) as err:
        call()
    return err.value.problems


# --- the shipped library ------------------------------------------------------------------


def test_library_is_complete_and_every_file_is_schema_valid_alone():
    schema = jsonschema.Draft202012Validator(load_schema())
    names = {f.stem for f in builtin_preset_dir().glob("*.json") if library.is_preset_file(f)}
    assert set(LIBRARY) <= names
    for name in names:
        f = builtin_preset_dir() / f"{name}.json"
        doc = json.loads(f.read_text(encoding="utf-8"))
        assert doc["$schema"] == "./microface-preset.schema.json", name
        assert list(schema.iter_errors(doc)) == [], name
        assert validate_document(doc, str(f)) == [], name
        assert doc["name"] == name


@pytest.mark.parametrize("name", LIBRARY)
def test_library_preset_loads_with_description_and_sources(name):
    s = load_preset(name)
    assert s.name == name
    assert len(s.description) > 60  # says what performance it gives
    assert s.data.get("sources") or name == "neutral_idle", name
    assert s.notices == ()
    # The merged result is a full, valid preset.
    assert validate_document(dict(s.data), name) == []


def test_schema_documents_every_top_level_field():
    schema = load_schema()
    assert schema["$schema"].endswith("2020-12/schema") and schema["$id"]
    for key in ("extends", "stylization", "stillness", "sources", "targets", "format_version"):
        assert len(schema["properties"][key]["description"]) > 30, key
    assert schema["properties"]["stylization"]["maximum"] == 1
    gaze = schema["properties"]["gaze"]["properties"]
    assert "hold_eye_contact" in gaze and gaze["hold_eye_contact"]["description"]


def test_every_field_of_the_schema_says_what_it_is():
    """Editors show these descriptions as the TD types; every constant in the defaults has one."""
    undocumented = []

    def walk(node, path):
        if not isinstance(node, dict):
            return
        for key, sub in node.get("properties", {}).items():
            if isinstance(sub, dict) and len(sub.get("description", "")) < 10:
                undocumented.append("/".join([*path, key]))
            walk(sub, [*path, key])
        for key in ("items", "additionalProperties"):
            walk(node.get(key), [*path, key])
        for key, sub in node.get("patternProperties", {}).items():
            walk(sub, [*path, key])

    schema = load_schema()
    walk(schema, [])
    for name, sub in schema["$defs"].items():
        walk(sub, ["$defs", name])
    assert undocumented == []


def test_targets_in_schema_match_validate_statistics():
    from microface_addon.core.measure.validate import STATISTICS

    props = load_schema()["properties"]["targets"]["properties"]
    assert set(props) == set(STATISTICS)


# --- inheritance ----------------------------------------------------------------------------


def test_extends_by_name_deep_merges_over_the_parent(tmp_path):
    write(
        tmp_path,
        "base",
        preset(
            "base",
            description="a base",
            blink={"rate_per_min": {"rest": 10.0, "reading": 3.0}, "ibi_cv": 0.7},
            timeline=[{"at_s": 1.0, "state": "reading"}],
        ),
    )
    write(
        tmp_path,
        "child",
        preset("child", extends="base", blink={"rate_per_min": {"rest": 12.5}}, timeline=[]),
    )
    s = load_preset("child", extra_dirs=[tmp_path])
    rate = s.section("blink")["rate_per_min"]
    assert rate["rest"] == 12.5  # child wins
    assert rate["reading"] == 3.0  # parent's sibling kept
    assert rate["speaking"] == 26.0  # defaults underneath both
    assert s.section("blink")["ibi_cv"] == 0.7
    assert s.data["timeline"] == []  # lists are replaced, not concatenated
    assert s.description == "a base"  # inherited when the child has none
    assert s.name == "child"
    assert s.chain == (str(tmp_path / "child.json"), str(tmp_path / "base.json"))
    assert s.origin("timeline") == str(tmp_path / "child.json")
    assert s.origin("description") == str(tmp_path / "base.json")
    assert "extends" not in s.data and "$schema" not in s.data


def test_three_level_chain_and_library_parent(tmp_path):
    write(tmp_path, "mid", preset("mid", extends="calm_listener", intensity=0.8))
    write(tmp_path, "leaf", preset("leaf", extends="mid", state="thinking"))
    s = load_preset("leaf", extra_dirs=[tmp_path])
    calm = load_preset("calm_listener")
    assert s.intensity == 0.8 and s.state == "thinking"
    assert s.section("gaze") == calm.section("gaze")
    assert len(s.chain) == 3 and s.chain[-1].endswith("calm_listener.json")


def test_extends_relative_path_inside_the_folder(tmp_path):
    write(tmp_path / "base", "studio", preset("studio", intensity=0.7))
    p = write(tmp_path, "shot", preset("shot", extends="base/studio.json"))
    assert load_preset(p).intensity == 0.7


def test_user_preset_may_extend_the_builtin_of_the_same_name(tmp_path):
    write(
        tmp_path, "calm_listener", preset("calm_listener", extends="calm_listener", intensity=0.6)
    )
    s = load_preset("calm_listener", extra_dirs=[tmp_path])
    assert s.intensity == 0.6
    assert s.chain[1] == str(builtin_preset_dir() / "calm_listener.json")
    assert s.state == "listening"  # from the shipped calm_listener


# --- errors: one kind each, with pointer and line --------------------------------------------


def test_type_range_and_unknown_key_errors_with_line(tmp_path):
    text = (
        "{\n"
        '  "format_version": 1,\n'
        '  "name": "bad",\n'
        '  "stylization": 1.5,\n'
        '  "stillness": "a lot",\n'
        '  "colour": "blue"\n'
        "}\n"
    )
    p = write(tmp_path, "bad", text)
    probs = {pr.pointer: pr for pr in problems_of(lambda: load_preset(p))}
    assert set(probs) == {"/stylization", "/stillness", "/colour"}
    assert (
        probs["/stylization"].line == 4 and "above the maximum 1" in probs["/stylization"].message
    )
    assert probs["/stillness"].line == 5 and "expected number" in probs["/stillness"].message
    assert probs["/colour"].line == 6 and probs["/colour"].col == 3
    assert "unknown key 'colour'" in probs["/colour"].message
    assert all(pr.file == str(p) for pr in probs.values())


def test_missing_parent_is_named_with_its_line(tmp_path):
    p = write(
        tmp_path, "orphan", '{"format_version": 1,\n "name": "orphan",\n "extends": "nobody"}'
    )
    (pr,) = problems_of(lambda: load_preset(p))
    assert pr.pointer == "/extends" and pr.line == 3 and pr.col == 13
    assert "no preset named 'nobody' to extend" in pr.message and "calm_listener" in pr.message


def test_cycle_is_reported_with_the_loop(tmp_path):
    write(tmp_path, "a", preset("a", extends="b"))
    write(tmp_path, "b", preset("b", extends="c"))
    write(tmp_path, "c", preset("c", extends="a"))
    (pr,) = problems_of(lambda: load_preset("a", extra_dirs=[tmp_path]))
    assert pr.file == str(tmp_path / "c.json") and pr.pointer == "/extends"
    assert "cycle" in pr.message
    assert pr.message.count("a.json") == 2 and "b.json" in pr.message


def test_self_extension_without_a_lower_preset_is_an_error(tmp_path):
    write(tmp_path, "solo", preset("solo", extends="solo"))
    (pr,) = problems_of(lambda: load_preset("solo", extra_dirs=[tmp_path]))
    assert pr.pointer == "/extends" and "itself" in pr.message


@pytest.mark.parametrize(
    "ref, words",
    [
        ("/etc/passwd.json", "absolute path"),
        ("C:/presets/x.json", "absolute path"),
        ("~/x.json", "absolute path"),
        ("../outside.json", "'..'"),
        ("sub/../../outside.json", "'..'"),
        ("sub\\x.json", "'/'"),
    ],
)
def test_path_escapes_are_refused(tmp_path, ref, words):
    (tmp_path.parent / "outside.json").write_text(json.dumps(preset("outside")))
    p = write(tmp_path, "sneaky", preset("sneaky", extends=ref))
    (pr,) = problems_of(lambda: load_preset(p))
    assert pr.pointer == "/extends" and pr.line is not None
    assert words in pr.message


def test_symlink_out_of_the_folder_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    write(outside, "target", preset("target"))
    inside = tmp_path / "presets"
    inside.mkdir()
    os.symlink(outside, inside / "link")
    p = write(inside, "p", preset("p", extends="link/target.json"))
    (pr,) = problems_of(lambda: load_preset(p))
    assert "outside the preset's folder" in pr.message


def test_problems_in_every_file_of_the_chain_are_reported_together(tmp_path):
    write(tmp_path, "parent", preset("parent", blink={"ibi_cv": 7}))
    write(tmp_path, "child", preset("child", extends="parent", intensity=-1))
    probs = problems_of(lambda: load_preset("child", extra_dirs=[tmp_path]))
    where = {(os.path.basename(pr.file), pr.pointer) for pr in probs}
    assert where == {("child.json", "/intensity"), ("parent.json", "/blink/ibi_cv")}


def test_non_numbers_json_allows_are_refused(tmp_path):
    p = write(tmp_path, "nan", '{"format_version": 1, "name": "nan", "intensity": NaN}')
    (pr,) = problems_of(lambda: load_preset(p))
    # Refused with its place: NaN is read as a number only to be reported at its pointer.
    assert pr.pointer == "/intensity" and (pr.line, pr.col) == (1, 51)
    assert "NaN is not a usable number" in pr.message


# --- format versions --------------------------------------------------------------------------


def test_format_0_loads_with_a_notice_and_means_the_same_as_format_1(tmp_path):
    old = {
        "format_version": 0,
        "name": "old",
        "gain": 0.8,
        "inherits": "calm_listener",
        "blink": {"rate_per_min": 11.0},
        "timeline": [{"time_s": 2.0, "state": "reading"}],
    }
    new = {
        "format_version": 1,
        "name": "old",
        "intensity": 0.8,
        "extends": "calm_listener",
        "blink": {"rate_per_min": {"rest": 11.0}},
        "timeline": [{"at_s": 2.0, "state": "reading"}],
    }
    s_old = load_preset(write(tmp_path / "v0", "old", old))
    s_new = load_preset(write(tmp_path / "v1", "old", new))
    assert dict(s_old.data) == dict(s_new.data)
    assert s_new.notices == ()
    (notice,) = s_old.notices
    assert "older preset format" in notice and str(tmp_path / "v0" / "old.json") in notice
    for change in ("'gain' to 'intensity'", "'inherits' to 'extends'", "rate_per_min.rest"):
        assert change in notice


def test_newer_format_is_refused_clearly(tmp_path):
    p = write(tmp_path, "future", '{"format_version": 7,\n "name": "future", "warp": 1}')
    (pr,) = problems_of(lambda: load_preset(p))
    assert pr.pointer == "/format_version" and pr.line == 1
    assert f"up to {CURRENT_FORMAT}" in pr.message and "update MicroFace" in pr.message


# --- search path ----------------------------------------------------------------------------


def test_search_path_order_builtin_user_env(tmp_path, monkeypatch):
    user, env1, env2 = tmp_path / "user", tmp_path / "env1", tmp_path / "env2"
    write(user, "calm_listener", preset("calm_listener", intensity=0.5, description="user"))
    write(user, "mine", preset("mine", description="only mine"))
    write(env1, "calm_listener", preset("calm_listener", intensity=0.4, description="studio"))
    write(env2, "joyful", preset("joyful", intensity=0.3))
    monkeypatch.setenv(library.PRESET_PATH_ENV, os.pathsep.join([str(env1), "", str(env2)]))
    dirs = library.preset_dirs([user])
    assert [d.kind for d in dirs] == ["builtin", "user", "env", "env"]
    assert load_preset("calm_listener", extra_dirs=[user]).intensity == 0.4  # env wins
    assert load_preset("mine", extra_dirs=[user]).description == "only mine"
    monkeypatch.delenv(library.PRESET_PATH_ENV)
    assert load_preset("calm_listener", extra_dirs=[user]).intensity == 0.5  # user beats builtin
    assert load_preset("calm_listener").intensity == 1.0  # no user folder: the shipped one


def test_registered_user_folder_is_used_by_default(tmp_path):
    write(tmp_path, "mine", preset("mine"))
    library.set_user_preset_dirs([tmp_path])
    try:
        assert load_preset("mine").source == str(tmp_path / "mine.json")
        assert library.preset_search_path()[1] == tmp_path
    finally:
        library.set_user_preset_dirs([])
    with pytest.raises(PresetError, match="no preset named 'mine'"):
        load_preset("mine")


def test_list_presets_reports_source_description_and_shadowing(tmp_path, monkeypatch):
    user, env = tmp_path / "user", tmp_path / "env"
    write(user, "joyful", preset("joyful", extends="joyful"))  # no description of its own
    write(user, "broken", "{ not json")
    write(env, "studio", preset("studio", description="house style"))
    monkeypatch.setenv(library.PRESET_PATH_ENV, str(env))
    infos = {i.name: i for i in library.list_presets([user])}
    assert set(LIBRARY) <= set(infos)
    assert "defaults" not in infos
    assert infos["calm_listener"].kind == "builtin" and infos["calm_listener"].shadows == ()
    joy = infos["joyful"]
    assert joy.kind == "user" and joy.path == user / "joyful.json"
    assert joy.shadows == (builtin_preset_dir() / "joyful.json",)
    assert joy.description == load_preset("joyful").description  # inherited for the tooltip
    assert infos["studio"].kind == "env" and infos["studio"].description == "house style"
    assert infos["broken"].problem.startswith("cannot read")
    assert [i.name for i in library.list_presets([user])] == sorted(infos)


# --- writing presets --------------------------------------------------------------------------


def test_derived_preset_lists_only_what_differs_and_loads_back(tmp_path):
    from microface_addon.core.preset.writer import derived_preset, differences, write_preset

    assert differences({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"b": 1, "c": 3}, "d": [1]}) == {
        "a": {"c": 3}
    }
    over = {"blink": {"rate_per_min": {"listening": 14.0}}, "head": {"posture": "chin_up"}}
    doc = derived_preset("mine", "calm_listener", over, "quieter")
    assert doc == {
        "$schema": "./microface-preset.schema.json",
        "format_version": CURRENT_FORMAT,
        "name": "mine",
        "description": "quieter",
        "extends": "calm_listener",
        **over,
    }
    path = write_preset(tmp_path / "user", doc)
    assert (tmp_path / "user" / "microface-preset.schema.json").is_file()
    loaded = load_preset("mine", extra_dirs=[tmp_path / "user"])
    assert loaded.section("blink")["rate_per_min"]["listening"] == 14.0
    assert loaded.section("gaze") == load_preset("calm_listener").section("gaze")
    with pytest.raises(PresetError, match="exists there already"):
        write_preset(tmp_path / "user", doc)
    assert write_preset(tmp_path / "user", {**doc, "intensity": 0.5}, overwrite=True) == path
    assert [p.name for p in (tmp_path / "user").iterdir() if p.name.startswith(".")] == []
    for bad in ({**doc, "name": "../escape"}, {**doc, "intensity": 5}):
        with pytest.raises(PresetError):
            write_preset(tmp_path / "user", bad)
