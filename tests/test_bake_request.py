"""Options resolve once: ``apply.resolve`` turns ``BakeOptions`` into a ``BakeRequest`` (preset
loaded and checked, controls applied, intents file read) that every shot of a run shares."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from microface_addon import apply
from microface_addon.cli import dispatch
from microface_addon.core import load_preset
from microface_addon.core.preset import settings as settings_mod
from microface_addon.core.preset.controls import Controls
from microface_addon.core.timeline import grammar

CUES = [{"at_s": 0.5, "intent": "smile", "intensity": 0.6}, {"at_s": 1.0, "state": "reading"}]


def test_resolve_applies_overrides_controls_and_global_intensity_and_reads_the_intents(tmp_path):
    cues = tmp_path / "cues.json"
    cues.write_text(json.dumps(CUES))
    options = apply.BakeOptions(
        preset="joyful",
        intensity=0.5,
        overrides={"blink": {"rate_per_min": {"rest": 11.0}}},
        controls=Controls(disable=("head",), layer_intensity={"gaze": 0.5}, stillness=0.25),
        intents_file=str(cues),
    )
    request = apply.resolve(options)
    joyful = load_preset("joyful")
    s = request.settings
    assert s.intensity == pytest.approx(0.5 * joyful.intensity)
    assert not s.layer_enabled("head") and s.stillness == 0.25
    assert s.section("gaze")["intensity"] == pytest.approx(
        0.5 * joyful.section("gaze")["intensity"]
    )
    assert s.section("blink")["rate_per_min"]["rest"] == 11.0
    from_file = [i.kind for i in request.timeline.intents if i.source.startswith(str(cues))]
    assert from_file == ["smile"]
    assert len(request.timeline.intents) == len(load_preset("joyful").data["timeline"]) + 1
    assert [c.value for c in request.timeline.changes if c.source.startswith(str(cues))] == [
        "reading"
    ]
    # The report lists the controls as the overrides they became (not the global intensity).
    assert request.report_options()["overrides"] == {
        "blink": {"rate_per_min": {"rest": 11.0}},
        "head": {"enabled": False},
        "gaze": {"intensity": pytest.approx(0.5 * joyful.section("gaze")["intensity"])},
        "stillness": 0.25,
    }
    assert request.report_options()["intensity"] == 0.5


@pytest.mark.blender
def test_a_batch_bake_reads_the_preset_and_the_intents_file_once(tmp_path, monkeypatch):
    pytest.importorskip("bpy")
    head = tmp_path / "head.blend"
    assert dispatch.main(["sample", str(head)]) == 0
    cues = tmp_path / "cues.json"
    cues.write_text(json.dumps(CUES))
    preset = tmp_path / "take.json"
    preset.write_text(json.dumps({"format_version": 1, "name": "take", "extends": "joyful"}))
    reads: Counter[Path] = Counter()

    def counting(read):
        def read_json(path):
            reads[Path(path).resolve()] += 1
            return read(path)

        return read_json

    monkeypatch.setattr(settings_mod, "read_json", counting(settings_mod.read_json))
    monkeypatch.setattr(grammar, "read_json", counting(grammar.read_json))
    out = tmp_path / "out"
    argv = ["bake", str(head), str(head), "--output-dir", str(out)]
    argv += ["--preset", str(preset), "--intents", str(cues), "--frames", "1:24"]
    # Two inputs with the same stem would collide: bake a copy under another name.
    second = tmp_path / "head2.blend"
    second.write_bytes(head.read_bytes())
    argv[2] = str(second)
    assert dispatch.main(argv) == 0
    assert len(list(out.glob("*.blend"))) == 2
    assert reads[preset.resolve()] == 1
    assert reads[cues.resolve()] == 1
