"""Preset loading and validation: every problem reported at once with file, pointer, line/col."""

from __future__ import annotations

import json

import pytest

from microface_addon.core import PresetError, load_preset
from microface_addon.core.preset.settings import builtin_preset_dir, deep_merge, validate_document


def _write(tmp_path, text, name="p.json"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_presets_validate_and_name_the_schema():
    d = builtin_preset_dir()
    files = [f for f in d.glob("*.json") if not f.name.endswith(".schema.json")]
    assert files
    for f in files:
        doc = json.loads(f.read_text())
        assert doc.get("$schema") == "./microface-preset.schema.json", f
        assert validate_document(doc, str(f)) == [], f


def test_defaults_fill_every_blink_field():
    s = load_preset("neutral_idle")
    assert s.name == "neutral_idle"
    assert s.section("blink")["rate_per_min"]["rest"] == pytest.approx(17.0)
    assert s.layer_enabled("blink")


def test_all_problems_reported_with_pointer_and_line(tmp_path):
    text = """{
  "format_version": 1,
  "name": "broken",
  "blink": {
    "rate_per_min": {"rest": 140},
    "closing_s": "fast",
    "wobble": 3
  }
}
"""
    p = _write(tmp_path, text)
    with pytest.raises(PresetError) as err:
        load_preset(p)
    probs = {pr.pointer: pr for pr in err.value.problems}
    assert set(probs) == {"/blink/rate_per_min/rest", "/blink/closing_s", "/blink/wobble"}
    assert probs["/blink/rate_per_min/rest"].line == 5
    assert "140 is above the maximum 60" in probs["/blink/rate_per_min/rest"].message
    assert probs["/blink/closing_s"].line == 6 and probs["/blink/closing_s"].col == 18
    assert "unknown key 'wobble'" in probs["/blink/wobble"].message
    assert probs["/blink/wobble"].line == 7 and probs["/blink/wobble"].col == 5
    text_msg = str(err.value)
    assert str(p) in text_msg and ":5:" in text_msg


def test_broken_json_names_file_line_and_column(tmp_path):
    p = _write(tmp_path, '{\n  "format_version": 1,\n  "name": "x",,\n}\n')
    with pytest.raises(PresetError) as err:
        load_preset(p)
    (pr,) = err.value.problems
    assert pr.file == str(p) and pr.line == 3 and "broken JSON" in pr.message


def test_missing_file_and_unknown_name_are_clear(tmp_path):
    with pytest.raises(PresetError, match="file not found"):
        load_preset(tmp_path / "nope.json")
    with pytest.raises(PresetError, match="no preset named 'nope'.*neutral_idle"):
        load_preset("nope")


def test_wrong_type_and_missing_required(tmp_path):
    p = _write(tmp_path, '{"name": 5, "state": "sleeping"}')
    with pytest.raises(PresetError) as err:
        load_preset(p)
    msgs = {pr.pointer: pr.message for pr in err.value.problems}
    assert "format_version" in msgs[""] and "missing" in msgs[""]
    assert "expected string" in msgs["/name"]
    assert "'sleeping' is not one of" in msgs["/state"]


def test_overrides_are_validated_too():
    s = load_preset()
    assert (
        s.with_overrides({"blink": {"rate_per_min": {"rest": 30}}}).section("blink")[
            "rate_per_min"
        ]["rest"]
        == 30
    )
    with pytest.raises(PresetError, match="/blink/ibi_cv"):
        s.with_overrides({"blink": {"ibi_cv": 9}})


def test_env_path_presets_override_builtin_by_name(tmp_path, monkeypatch):
    _write(
        tmp_path,
        json.dumps({"format_version": 1, "name": "neutral_idle", "intensity": 0.5}),
        "neutral_idle.json",
    )
    monkeypatch.setenv("MICROFACE_PRESET_PATH", str(tmp_path))
    s = load_preset("neutral_idle")
    assert s.intensity == 0.5 and s.source == str(tmp_path / "neutral_idle.json")


def test_deep_merge_keeps_unmentioned_fields():
    base = {"a": {"b": 1, "c": {"d": 2}}, "e": [1]}
    assert deep_merge(base, {"a": {"c": {"x": 3}}, "e": [2]}) == {
        "a": {"b": 1, "c": {"d": 2, "x": 3}},
        "e": [2],
    }


def test_channel_table_in_docs_is_current():
    import subprocess
    import sys

    from conftest import ROOT

    out = subprocess.run(
        [sys.executable, "tools/gen_channels_doc.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
