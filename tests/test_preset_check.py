"""One check when a preset loads: the schema, the layers' own checks (cascade graph, micro-event
muscles) and the timeline, each problem with file, JSON pointer and line/column — so a bad preset
fails before a bake opens anything, never halfway through solving."""

from __future__ import annotations

import json

import pytest

from microface_addon.cli import dispatch
from microface_addon.core import PresetError, load_preset

EDGE = {"from": "zygomaticus_major", "to": "no_such_muscle", "delay_s": 0.02, "gain": 0.5}


def write(path, doc):
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def line_of(path, fragment: str) -> int:
    """1-based line of the first line of ``path`` containing ``fragment``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if fragment in text)


def only_problem(path):
    with pytest.raises(PresetError) as err:
        load_preset(path, extra_dirs=[])
    (problem,) = err.value.problems
    return problem


def bad_cascade(tmp_path, name="bad_cascade"):
    doc = {"format_version": 1, "name": name, "cascade": {"graph": {"edges": [EDGE]}}}
    return write(tmp_path / f"{name}.json", doc)


def test_unknown_cascade_muscle_fails_at_load_with_pointer_and_line(tmp_path):
    path = bad_cascade(tmp_path)
    p = only_problem(path)
    assert (p.file, p.pointer) == (str(path), "/cascade/graph/edges/0/to")
    assert p.line == line_of(path, '"to": "no_such_muscle"')
    assert "unknown muscle 'no_such_muscle'" in p.message


def test_unknown_micro_event_muscle_fails_at_load(tmp_path):
    doc = {
        "format_version": 1,
        "name": "twitchy",
        "micro_events": {"kinds": {"brow_twitch": {"muscles": {"eyebrow_wiggler": 1.0}}}},
    }
    path = write(tmp_path / "twitchy.json", doc)
    p = only_problem(path)
    assert p.pointer == "/micro_events/kinds/brow_twitch/muscles/eyebrow_wiggler"
    assert p.line == line_of(path, '"eyebrow_wiggler"')
    assert "unknown muscle 'eyebrow_wiggler'" in p.message


def test_timeline_entries_are_checked_against_the_presets_own_intents(tmp_path):
    doc = {
        "format_version": 1,
        "name": "cued",
        "timeline": [{"at_s": 1, "intent": "smile"}, {"at_s": 2, "intent": "giggle"}],
    }
    path = write(tmp_path / "cued.json", doc)
    p = only_problem(path)
    assert p.pointer == "/timeline/1/intent" and p.line == line_of(path, '"giggle"')
    assert "unknown intent 'giggle'" in p.message


def test_a_problem_set_by_a_parent_names_the_parent(tmp_path):
    parent = bad_cascade(tmp_path, "parent")
    child = write(
        tmp_path / "child.json",
        {"format_version": 1, "name": "child", "extends": "parent.json", "intensity": 0.8},
    )
    p = only_problem(child)
    assert p.file == str(parent) and p.line == line_of(parent, '"to": "no_such_muscle"')


def test_overrides_get_the_same_check():
    with pytest.raises(PresetError, match="/cascade/graph/edges/0/to: unknown muscle"):
        load_preset().with_overrides({"cascade": {"graph": {"edges": [EDGE]}}})


def test_every_library_preset_passes_the_check():
    from microface_addon.core.preset import library

    for info in library.list_presets(extra_dirs=[]):
        assert load_preset(info.path, extra_dirs=[]).name == info.name


@pytest.mark.blender  # the bake command imports bpy (and the control opens the shot)
def test_cli_bake_refuses_the_preset_before_opening_any_blend(tmp_path, capsys):
    preset = bad_cascade(tmp_path)
    shot = tmp_path / "shot.blend"
    shot.write_bytes(b"not a blend file: opening it would fail differently")
    out = tmp_path / "out.blend"
    code = dispatch.main(["bake", str(shot), "-o", str(out), "--preset", str(preset)])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    line = line_of(preset, '"to": "no_such_muscle"')
    assert f"{preset}:{line}:" in err and "/cascade/graph/edges/0/to" in err
    assert "cannot open" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad_cascade.json", "shot.blend"]
    # Control: with a valid preset the same command does look at the shot (a bad input: 2).
    assert dispatch.main(["bake", str(shot), "-o", str(out)]) == 2
    assert "not a .blend file" in capsys.readouterr().err


def test_cli_validate_names_file_pointer_and_line(tmp_path, capsys):
    preset = bad_cascade(tmp_path)
    assert dispatch.main(["validate", "--preset", str(preset), "--minutes", "0.1"]) == 2
    err = capsys.readouterr().err
    line = line_of(preset, '"to": "no_such_muscle"')
    assert f"{preset}:{line}:" in err and "/cascade/graph/edges/0/to" in err
