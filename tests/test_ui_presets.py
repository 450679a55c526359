"""Presets in the panel (real bpy): the menu grouped by source with tooltips, panel overrides
reaching the bake, Save as preset writing a minimal extends file, Reload presets."""

from __future__ import annotations

import json

import bpy
import pytest

import microface_addon
from microface_addon.assets.sample_head import build_sample_head
from microface_addon.core.preset import library
from microface_addon.core.preset.settings import load_preset
from microface_addon.ui import preferences, presets


@pytest.fixture
def addon(tmp_path, monkeypatch):
    """The add-on registered with a temporary user preset folder (never the real one)."""
    user = tmp_path / "user_config" / "microface" / "presets"
    monkeypatch.setattr(presets, "user_preset_folder", lambda: user)
    monkeypatch.delenv(library.PRESET_PATH_ENV, raising=False)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    microface_addon.register()
    try:
        yield user
    finally:
        microface_addon.unregister()


def test_register_sets_and_unregister_clears_the_user_folder(addon):
    assert library.user_preset_dirs() == (addon,)
    assert hasattr(bpy.types.Scene, "microface_controls")
    microface_addon.unregister()
    assert library.user_preset_dirs() == ()
    assert not hasattr(bpy.types.Scene, "microface_controls")
    microface_addon.register()  # the fixture unregisters again


def test_menu_is_grouped_by_source_with_description_tooltips(addon, tmp_path, monkeypatch):
    addon.mkdir(parents=True)
    (addon / "joyful.json").write_text(
        json.dumps({"format_version": 1, "name": "joyful", "extends": "joyful", "intensity": 0.7})
    )
    studio = tmp_path / "studio"
    studio.mkdir()
    (studio / "house.json").write_text(
        json.dumps({"format_version": 1, "name": "house", "description": "the house look"})
    )
    monkeypatch.setenv(library.PRESET_PATH_ENV, str(studio))
    items = preferences.preset_items()
    headings = [it[1] for it in items if it and not it[0]]
    assert headings == ["Add-on", "User", "Studio path"]
    group = None
    where = {}
    for it in items:
        if it is None:
            continue
        if not it[0]:
            group = it[1]
        else:
            where[it[0]] = (group, it[2])
    assert where["joyful"][0] == "User"  # the user's copy replaces the shipped one
    assert "replaces" in where["joyful"][1] and "Duchenne" in where["joyful"][1]
    assert where["house"] == (
        "Studio path",
        f"the house look\nStudio path: {studio / 'house.json'}",
    )
    assert where["calm_listener"][0] == "Add-on"
    assert where["calm_listener"][1].startswith(load_preset("calm_listener").description)
    settings = bpy.context.scene.microface
    settings.preset = "house"
    assert settings.preset == "house" and settings.preset_name == "house"


def test_save_as_preset_writes_a_minimal_extends_file(addon):
    scene = bpy.context.scene
    scene.microface.preset = "calm_listener"
    c = scene.microface_controls
    c.override_stylization, c.stylization = True, 0.4
    c.use_head = False
    c.blink_strength = 0.5
    c.hold_eye_contact = True
    result = bpy.ops.microface.save_preset(name="my_listener", description="a quieter listener")
    assert result == {"FINISHED"}
    path = addon / "my_listener.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc == {
        "$schema": "./microface-preset.schema.json",
        "format_version": 1,
        "name": "my_listener",
        "description": "a quieter listener",
        "extends": "calm_listener",
        "stylization": 0.4,
        "head": {"enabled": False},
        "blink": {"intensity": 0.5},
        "gaze": {"hold_eye_contact": True},
    }
    assert (addon / "microface-preset.schema.json").is_file()  # $schema resolves for editors
    saved = load_preset("my_listener")
    want = load_preset("calm_listener").with_overrides(
        {
            "stylization": 0.4,
            "head": {"enabled": False},
            "blink": {"intensity": 0.5},
            "gaze": {"hold_eye_contact": True},
        }
    )
    strip = lambda d: {k: v for k, v in d.items() if k not in ("name", "description")}  # noqa: E731
    assert strip(saved.data) == strip(want.data)
    assert scene.microface.preset == "my_listener"  # the new preset is picked
    # The same name again is refused rather than silently replaced, and so is a shipped one.
    with pytest.raises(RuntimeError, match="'my_listener' exists already .User"):
        bpy.ops.microface.save_preset(name="my_listener")
    with pytest.raises(RuntimeError, match="'joyful' exists already .Add-on: .*tick Overwrite"):
        bpy.ops.microface.save_preset(name="joyful")
    # Saving over the selected user preset builds on *its* parent, never on itself.
    c.stylization = 0.6
    assert bpy.ops.microface.save_preset(name="my_listener", overwrite=True) == {"FINISHED"}
    again = json.loads(path.read_text(encoding="utf-8"))
    assert again["extends"] == "calm_listener" and again["stylization"] == 0.6
    assert again["head"] == {"enabled": False}
    assert load_preset("my_listener").stylization == pytest.approx(0.6)


def test_save_with_no_overrides_refuses_an_unchanged_copy(addon):
    bpy.context.scene.microface.preset = "joyful"
    with pytest.raises(RuntimeError, match="nothing to save.*'joyful'"):
        bpy.ops.microface.save_preset(name="joy2")
    assert not (addon / "joy2.json").exists()


def test_reload_presets_picks_up_files_edited_by_hand(addon):
    assert "late" not in [it[0] for it in preferences.selectable_items()]
    addon.mkdir(parents=True)
    (addon / "late.json").write_text(json.dumps({"format_version": 1, "name": "late"}))
    assert bpy.ops.microface.reload_presets() == {"FINISHED"}
    assert "late" in [it[0] for it in preferences.selectable_items()]


def test_panel_overrides_reach_the_bake(addon):
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = 1, 96
    parts = build_sample_head(scene)
    head = parts["head"]
    for ob in scene.objects:
        ob.select_set(False)
    head.select_set(True)
    bpy.context.view_layer.objects.active = head

    def blink_curve():
        values = []
        for f in range(1, 97, 2):
            scene.frame_set(f)
            values.append(
                bpy.data.objects[head.name].data.shape_keys.key_blocks["eyeBlinkLeft"].value
            )
        return values

    assert bpy.ops.microface.layer_micro_motion(seed=3) == {"FINISHED"}
    with_blinks = blink_curve()
    assert max(with_blinks) > 0.3
    controls = scene.microface_controls
    controls.use_blink = controls.use_gaze = False  # gaze's lid-follow also moves this key
    assert bpy.ops.microface.layer_micro_motion(seed=3) == {"FINISHED"}
    without = blink_curve()
    assert max(without) - min(without) < 0.02  # no blink moves the key any more
    report = json.loads(scene.microface.last_report)
    assert report["options"]["overrides"] == {
        "blink": {"enabled": False},
        "gaze": {"enabled": False},
    }


def test_reload_presets_checks_every_preset_and_marks_the_broken_ones(addon, capfd):
    addon.mkdir(parents=True)
    # valid JSON, but a field out of range and a misspelt parent: only a full check finds them
    (addon / "too_hot.json").write_text(
        json.dumps({"format_version": 1, "name": "too_hot", "intensity": 9}), encoding="utf-8"
    )
    (addon / "orphan.json").write_text(
        json.dumps({"format_version": 1, "name": "orphan", "extends": "calm_listner"}),
        encoding="utf-8",
    )
    capfd.readouterr()
    assert bpy.ops.microface.reload_presets() == {"FINISHED"}
    message = capfd.readouterr().out  # the WARNING report, printed in background mode
    assert "broken" in message and "too_hot: " in message and "orphan: " in message
    assert "calm_listner" in message
    items = {it[0]: it for it in preferences.selectable_items()}
    label, tip, icon = items["too_hot"][1:4]
    assert label.endswith("(broken)") and icon == "ERROR" and "intensity" in tip
    assert items["calm_listener"][3] == "NONE"  # the rest are fine and unmarked
    (addon / "too_hot.json").unlink()
    (addon / "orphan.json").unlink()
    assert bpy.ops.microface.reload_presets() == {"FINISHED"}
    assert all(it[3] == "NONE" for it in preferences.selectable_items())
