"""Shot lists read and checked without Blender: the schema, each option parsed by the ``bake`` flag
of the same name, every problem placed at file:line:col and JSON pointer; the farm bundle's YAML.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml  # comes with openjd-cli (a test requirement)

from microface_addon.cli import farm, shotlist
from microface_addon.cli.shotlist import ShotListError, load_shot_list

pytestmark = pytest.mark.pure


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first ``needle`` in ``text`` (how an editor counts)."""
    offset = text.index(needle)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ShotListError) as info:
        load_shot_list(path)
    return [str(p) for p in info.value.problems]


@pytest.fixture
def shots_dir(tmp_path):
    for name in ("sh010", "sh020", "sh030"):
        write(tmp_path / "in" / f"{name}.blend", "not read here")
    return tmp_path


def test_every_problem_at_once_with_file_line_column_and_pointer(shots_dir):
    text = """{
  "defaults": {"output-dir": "baked"},
  "shots": [
    {"input": "in/sh010.blend", "look_at": "Camera"},
    {"input": "in/sh020.blend", "seed": "three"},
    {"input": "in/sh030.blend", "frames": "9:3"},
    {"input": "in/nowhere.blend"},
    {"output": "x.blend"}
  ]
}
"""
    path = write(shots_dir / "shots.json", text)
    found = problems_of(path)
    f = str(path)
    expected = {
        (*position(text, '"look_at"'), "/shots/0/look_at", "unknown key 'look_at'"),
        (*position(text, '"three"'), "/shots/1/seed", "expected integer"),
        (*position(text, '{"output": "x.blend"}'), "/shots/4", "'input' is missing"),
    }
    for line, col, ptr, words in expected:
        assert any(p.startswith(f"{f}:{line}:{col}: {ptr}: ") and words in p for p in found), (
            ptr,
            found,
        )
    # The schema is checked first: value checks run only on a schema-valid list.
    assert not any("9:3" in p for p in found)

    text2 = text.replace('"look_at"', '"look-at"').replace('"three"', "3")
    text2 = text2.replace(',\n    {"output": "x.blend"}', "")
    write(path, text2)
    found = problems_of(path)
    line, col = position(text2, '"9:3"')
    assert any(
        p.startswith(f"{f}:{line}:{col}: /shots/2/frames: ") and "END after START" in p
        for p in found
    ), found
    line, col = position(text2, '"in/nowhere.blend"')
    assert any(
        p.startswith(f"{f}:{line}:{col}: /shots/3/input: ") and "not found" in p for p in found
    ), found
    assert len(found) == 2, found


def test_a_bad_default_is_reported_once_where_it_is_written(shots_dir):
    text = """{
  "defaults": {"output-dir": "baked", "intensity": 3, "disable": ["blink", "nosuch"]},
  "shots": [{"input": "in/sh010.blend"}, {"input": "in/sh020.blend"}]
}
"""
    path = write(shots_dir / "shots.json", text)
    found = problems_of(path)
    assert len(found) == 2, found
    line, col = position(text, "3,")
    assert found[0].startswith(f"{path}:{line}:{col}: /defaults/intensity: "), found
    assert "outside 0–2" in found[0]
    line, col = position(text, '["blink"')
    assert found[1].startswith(f"{path}:{line}:{col}: /defaults/disable: "), found
    assert "nosuch" in found[1]


def test_broken_json_names_line_and_column(tmp_path):
    path = write(tmp_path / "shots.json", '{\n  "shots": [\n    {"input": "a.blend",}\n  ]\n}\n')
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:3:") and "broken JSON" in problem


def test_names_outputs_and_inputs_must_not_collide(shots_dir):
    text = json.dumps(
        {
            "shots": [
                {"input": "in/sh010.blend", "output": "out/a.blend"},
                {"input": "in/sh010.blend", "output": "out/a.blend", "seed": 2},
                {"input": "in/sh020.blend", "output": "in/sh030.blend"},
                {"name": "sh020", "input": "in/sh030.blend", "output": "out/c.blend"},
            ]
        },
        indent=1,
    )
    (shots_dir / "out").mkdir()
    found = problems_of(write(shots_dir / "shots.json", text))
    joined = "\n".join(found)
    assert "/shots/1/input: shot name 'sh010' is already used by /shots/0" in joined
    assert "/shots/1/output: output " in joined and "also written by /shots/0" in joined
    assert "/shots/3/name: shot name 'sh020' is already used by /shots/2" in joined
    assert re.search(r"/shots/\d: refusing to overwrite .*sh030\.blend: it is an input", joined)


def test_paths_are_relative_to_the_list_and_options_become_bake_flags(shots_dir, monkeypatch):
    write(shots_dir / "cues.json", "[]")
    write(shots_dir / "looks" / "take.json", "{}")
    text = json.dumps(
        {
            "defaults": {"output-dir": "baked", "seed": 4, "preset": "calm_listener"},
            "shots": [
                {
                    "name": "closeup",
                    "input": "in/sh010.blend",
                    "intents": "cues.json",
                    "preset": "looks/take.json",
                    "intensity": [0.8, {"blink": 0.5, "gaze": 1.2}],
                    "disable": ["head"],
                    "hold-eye-contact": True,
                    "objects": ["Face, left", "Rig"],
                    "timeout": 90,
                },
                {"input": "in/sh020.blend", "output": "sh020_done.blend", "seed": 7},
            ],
        }
    )
    path = write(shots_dir / "lists" / "night.json", text.replace('"in/', '"../in/'))
    monkeypatch.chdir(shots_dir / "in")  # the working folder must not matter
    a, b = load_shot_list(path).shots
    lists = shots_dir / "lists"
    assert a.name == "closeup" and a.input == shots_dir / "in" / "sh010.blend"
    assert a.output == lists / "baked" / "sh010_microface.blend"
    assert a.stamp == lists / "baked" / "sh010_microface.blend.microface.json"
    assert a.objects == ("Face, left", "Rig") and a.timeout_s == 90.0
    flags = list(a.flags)
    assert flags[flags.index("--seed") + 1] == "4"
    assert flags[flags.index("--preset") + 1] == str(lists / "looks" / "take.json")
    assert flags[flags.index("--intents") + 1] == str(lists / "cues.json")
    assert [flags[i + 1] for i, f in enumerate(flags) if f == "--intensity"] == [
        "0.8",
        "blink=0.5,gaze=1.2",
    ]
    assert "--hold-eye-contact" in flags and flags[flags.index("--disable") + 1] == "head"
    assert b.name == "sh020" and b.output == lists / "sh020_done.blend" and b.timeout_s is None
    assert list(b.flags) == ["--seed", "7", "--preset", "calm_listener"]
    # What a worker is sent reads back as the same shot.
    assert shotlist.Shot.from_json(json.loads(json.dumps(a.to_json()))).flags == a.flags


def test_audio_and_keying_options_become_bake_flags_files_relative_to_the_list(
    shots_dir, monkeypatch
):
    """Dialogue's flags in a list: files beside the list (a CHARACTER= prefix kept, a file whose
    name holds "=" kept whole), strips by character, and the parsed bake options they give."""
    lists = shots_dir / "lists"
    write(lists / "vo" / "ann.wav", "")
    write(lists / "vo" / "a=b.wav", "")
    text = json.dumps(
        {
            "shots": [
                {
                    "input": "../in/sh010.blend",
                    "output": "out.blend",
                    "audio": ["Ann=vo/ann.wav", "vo/a=b.wav"],
                    "audio-start": 12,
                    "audio-strips": {"Ann": ["ann_01", "ann_02"], "Bob": "bob_01"},
                    "no-audio": True,
                    "tolerance": 1.5,
                    "every-frame": True,
                }
            ]
        }
    )
    path = write(lists / "dialogue.json", text)
    monkeypatch.chdir(shots_dir / "in")
    (shot,) = load_shot_list(path).shots
    args = shotlist.shot_args(shot)
    assert args.audio == [
        ("Ann", str(lists / "vo" / "ann.wav")),
        ("", str(lists / "vo" / "a=b.wav")),
    ]
    assert args.audio_start == 12 and args.no_audio is True
    assert args.audio_strips == [("Ann", ["ann_01", "ann_02"]), ("Bob", ["bob_01"])]
    assert args.tolerance == 1.5 and args.every_frame is True


def test_only_selects_in_list_order_and_names_unknown_shots(shots_dir):
    text = json.dumps(
        {
            "defaults": {"output-dir": "o"},
            "shots": [{"input": f"in/{n}.blend"} for n in ("sh010", "sh020", "sh030")],
        }  # fmt: skip
    )
    shots = load_shot_list(write(shots_dir / "s.json", text))
    assert [s.name for s in shots.select(["sh030", "sh010"])] == ["sh010", "sh030"]
    with pytest.raises(shotlist.UsageError, match="no shot named 'sh999'.*sh010, sh020, sh030"):
        shots.select(["sh999"])


def test_every_per_shot_bake_flag_is_a_shot_list_option_and_back():
    """The list's options are the ``bake`` flags by name: a new flag must reach the schema."""
    parser = shotlist.bake_parser()
    per_shot = {
        a.option_strings[-1][2:]
        for a in parser._actions
        if a.option_strings and a.dest not in ("help", "report", "debug", "output")
    }
    schema = shotlist.load_schema()
    options = set(schema["$defs"]["options"]["properties"])
    assert per_shot == options - {"timeout"}  # timeout: the runner's, also a flag of --shots
    shot_keys = set(schema["$defs"]["shot"]["properties"])
    assert shot_keys == options | {"name", "input", "output"}
    for key in options:  # each described once, in $defs/options
        assert schema["$defs"]["options"]["properties"][key].get("description"), key


def test_yaml_writer_round_trips_through_a_yaml_parser():
    doc = {
        "specificationVersion": "jobtemplate-2023-09",
        "name": 'MicroFace "night": ü / #1',
        "empty": [],
        "none": {},
        "flags": [True, False, 3, 2.5],
        "steps": [
            {
                "name": "A",
                "script": {"data": "set -e\n\necho '{{Task.Param.Shots}}' # not a comment\n"},
                "range": ["sh010,sh020", "sh030"],
            },
            "plain: colon",
        ],
    }
    assert yaml.safe_load(farm.to_yaml(doc)) == doc
