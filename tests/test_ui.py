"""The N-panel and its operators, in the real bpy module: registration, the operators on the
sample head, error reporting, undo, preferences and the preset menu."""

from __future__ import annotations

import json

import bpy
import pytest
from conftest import animation_fingerprint

import microface_addon
from microface_addon import ui
from microface_addon.assets.sample_head import build_sample_head
from microface_addon.bake import has_layer
from microface_addon.cli import dispatch as cli
from microface_addon.rig.scene.character import characters_of
from microface_addon.ui import panel, preferences

SHAPE_KEYS_READ = ("eyeBlinkLeft", "eyeBlinkRight", "browInnerUp", "mouthSmileLeft")


def registered_names() -> set[str]:
    return {cls.__name__ for cls in ui.CLASSES if cls.is_registered}


@pytest.fixture
def addon():
    """The add-on registered by hand (as the tests and the CLI load it), removed afterwards."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    microface_addon.register()
    try:
        yield
    finally:
        microface_addon.unregister()


@pytest.fixture
def head(addon):
    """The sample head in a 24 fps, 1–48 scene, with its head mesh selected and active."""
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = 1, 48
    parts = build_sample_head(scene)
    for ob in scene.objects:
        ob.select_set(False)
    parts["head"].select_set(True)
    bpy.context.view_layer.objects.active = parts["head"]
    return parts["head"].name


def shape_values(head_name: str, frames=(5, 17, 29, 41)) -> list[float]:
    """Evaluated shape-key values at a few frames (re-fetching the ID every time)."""
    scene = bpy.context.scene
    out = []
    for f in frames:
        scene.frame_set(f)
        blocks = bpy.data.objects[head_name].data.shape_keys.key_blocks
        out += [round(blocks[k].value, 7) for k in SHAPE_KEYS_READ]
    return out


def character(head_name: str):
    return characters_of([bpy.data.objects[head_name]])[0]


def bake(**props):
    return bpy.ops.microface.layer_micro_motion(**props)


# --- registration ---------------------------------------------------------------------------


def test_register_unregister_register_leaves_nothing_behind():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    assert registered_names() == set() and not hasattr(bpy.types.Scene, "microface")
    for _ in range(2):
        microface_addon.register()
        assert registered_names() == {cls.__name__ for cls in ui.CLASSES}
        assert hasattr(bpy.types.Scene, "microface") and cli._HANDLE is not None
        assert bpy.context.scene.microface.intensity == 1.0
        assert "layer_micro_motion" in dir(bpy.ops.microface)
        assert bpy.ops.microface.layer_micro_motion.poll() is False  # nothing selected
        microface_addon.unregister()
        assert registered_names() == set()
        assert not hasattr(bpy.types.Scene, "microface")
        assert "layer_micro_motion" not in dir(bpy.ops.microface)
        assert cli._HANDLE is None
        assert not hasattr(bpy.types, "MICROFACE_PT_main")


def test_panel_lives_in_the_viewport_sidebar_tab(addon):
    pt = bpy.types.MICROFACE_PT_main
    assert pt.is_registered
    assert (pt.bl_space_type, pt.bl_region_type, pt.bl_category, pt.bl_label) == (
        "VIEW_3D",
        "UI",
        "MicroFace",
        "MicroFace",
    )
    op = bpy.types.MICROFACE_OT_layer_micro_motion
    assert op.bl_label == "Layer micro-motion" and op.bl_options == {"REGISTER", "UNDO"}
    icons = bpy.types.UILayout.bl_rna.functions["operator"].parameters["icon"].enum_items.keys()
    assert {"SHAPEKEY_DATA", "X", "INFO"} <= set(icons)  # the panel's icons exist in this version
    rm = bpy.types.MICROFACE_OT_remove_micro_motion
    assert rm.bl_label == "Remove micro-motion" and rm.bl_options == {"REGISTER", "UNDO"}


# --- the bake operator ----------------------------------------------------------------------


def test_operator_bakes_with_the_scene_settings(head):
    settings = bpy.context.scene.microface
    settings.seed = 5
    settings.use_scene_range = False
    settings.frame_start, settings.frame_end = 3, 40
    settings.intensity = 0.5
    still = shape_values(head)
    assert bake() == {"FINISHED"}
    assert has_layer(character(head))
    assert shape_values(head) != still
    report = json.loads(bpy.context.scene.microface.last_report)
    assert report["seed"] == 5 and report["frame_range"] == [3, 40]
    assert report["options"]["intensity"] == 0.5
    assert report["characters"][0]["convention"] == "arkit52"
    lines = panel.summary_lines(bpy.context.scene.microface.last_report)
    assert lines[0].startswith("neutral_idle, seed 5, frames 3–40")
    assert any("mapped" in ln and "unmapped" in ln and "keys" in ln for ln in lines)


def test_explicit_properties_win_over_the_scene_settings(head):
    bpy.context.scene.microface.seed = 5
    assert bake(seed=9, use_scene_range=False, frame_start=1, frame_end=24) == {"FINISHED"}
    report = json.loads(bpy.context.scene.microface.last_report)
    assert report["seed"] == 9 and report["frame_range"] == [1, 24]
    assert bpy.context.scene.microface.seed == 5  # the scene setting is not overwritten


def test_seed_changes_the_motion_and_rerunning_is_idempotent(head):
    bake(seed=1)
    first = shape_values(head)
    bake(seed=1)  # what "Adjust Last Operation" does: run execute again
    assert shape_values(head) == first
    tracks = [t.name for t in bpy.data.objects[head].data.shape_keys.animation_data.nla_tracks]
    assert len(tracks) == len(set(tracks)) and tracks[-1] == "MicroFace Base"  # replaced, once
    bake(seed=2)
    assert shape_values(head) != first


def test_operator_acts_on_the_active_object_when_nothing_is_selected(head):
    for ob in bpy.context.scene.objects:
        ob.select_set(False)
    rig = character(head)[0]
    with bpy.context.temp_override(active_object=rig, selected_objects=[]):
        assert bake() == {"FINISHED"}
    assert has_layer(character(head))


def test_errors_are_reported_and_change_nothing(head, tmp_path, monkeypatch):
    import bmesh

    me = bpy.data.meshes.new("CubeMesh")
    bm = bmesh.new()
    bmesh.ops.create_cube(bm, size=1.0)
    bm.to_mesh(me)
    bm.free()
    cube = bpy.data.objects.new("Cube", me)
    bpy.context.scene.collection.objects.link(cube)
    before = animation_fingerprint()

    # A rig with nothing to map (NothingToMapError).  An ERROR report makes bpy.ops raise.
    with bpy.context.temp_override(selected_objects=[cube], active_object=cube):
        with pytest.raises(RuntimeError, match="MicroFace: nothing to drive on character 'Cube'"):
            bake()
    # An empty frame range (ValueError).
    with pytest.raises(RuntimeError, match="frame range 30:10 is empty"):
        bake(use_scene_range=False, frame_start=30, frame_end=10)
    # A broken preset on the search path (PresetError, naming the file).
    (tmp_path / "broken.json").write_text('{"name": "broken", "intensity": 9}', encoding="utf-8")
    monkeypatch.setenv("MICROFACE_PRESET_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"broken\.json.*/intensity"):
        bake(preset="broken")

    assert animation_fingerprint() == before
    assert bpy.context.scene.microface.last_report == ""


def test_undo_restores_the_state_before_the_bake(head):
    # Background mode pushes no undo steps by itself (blender-notes: Undo): push them as the
    # UI would, before and after the operator.
    bpy.ops.ed.undo_push(message="before MicroFace")
    before, still = animation_fingerprint(), shape_values(head)
    assert bake(seed=3) == {"FINISHED"}
    bpy.ops.ed.undo_push(message="Layer micro-motion")
    baked = shape_values(head)
    assert animation_fingerprint() != before and baked != still
    bpy.ops.ed.undo()
    # Every Python reference to ID data is stale now: everything is re-fetched by name.
    assert animation_fingerprint() == before
    assert shape_values(head) == still
    assert not has_layer(character(head))
    assert bpy.context.scene.microface.last_report == ""
    bpy.ops.ed.redo()
    assert has_layer(character(head)) and shape_values(head) == baked


# --- the remove operator --------------------------------------------------------------------


def test_remove_operator_restores_the_prior_state(head):
    before, still = animation_fingerprint(), shape_values(head)
    bake(seed=4)
    assert bpy.ops.microface.remove_micro_motion() == {"FINISHED"}
    assert not has_layer(character(head))
    assert animation_fingerprint() == before and shape_values(head) == still
    assert bpy.context.scene.microface.last_report == ""
    # Nothing left to remove: a warning (not an error), and no undo step.
    assert bpy.ops.microface.remove_micro_motion() == {"CANCELLED"}


# --- preferences and the preset menu --------------------------------------------------------


def test_preset_menu_lists_the_search_path(addon, tmp_path, monkeypatch):
    (tmp_path / "studio_take.json").write_text('{"name": "studio_take"}', encoding="utf-8")
    (tmp_path / "defaults.json").write_text("{}", encoding="utf-8")
    (tmp_path / "extra.schema.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv("MICROFACE_PRESET_PATH", str(tmp_path))
    items = preferences.preset_items()
    real = preferences.selectable_items()  # without the per-source headings and separators
    names = [it[0] for it in real]
    assert "neutral_idle" in names and "studio_take" in names
    assert "defaults" not in names and not any("schema" in n for n in names)
    assert sorted(it[-1] for it in real) == list(range(len(real)))  # stable numbers for get/set
    assert preferences.preset_items() is items  # unchanged list kept alive, not rebuilt
    settings = bpy.context.scene.microface
    settings.preset = "studio_take"
    assert settings.preset == "studio_take" and settings.preset_name == "studio_take"


def test_preferences_name_matches_the_addon_module_and_feed_scene_defaults():
    import addon_utils  # on sys.path only once bpy is imported

    assert preferences.ADDON_ID == microface_addon.__name__ == "microface_addon"
    assert preferences.MICROFACE_AP_preferences.bl_idname == microface_addon.__name__
    bpy.ops.wm.read_factory_settings(use_empty=True)
    # Enabled the way Blender enables an add-on, so its preferences really exist.
    addon_utils.enable(microface_addon.__name__, default_set=True)
    try:
        prefs = bpy.context.preferences.addons[microface_addon.__name__].preferences
        assert preferences.default_seed() == 0 and preferences.default_preset() == "neutral_idle"
        prefs.default_seed = 11
        settings = bpy.context.scene.microface
        assert settings.seed == 11  # an untouched scene follows the preferences
        settings.seed = 2
        prefs.default_seed = 12
        assert settings.seed == 2  # a scene's own choice sticks
    finally:
        addon_utils.disable(microface_addon.__name__, default_set=True)
    assert registered_names() == set() and not hasattr(bpy.types.Scene, "microface")


EXTENSION_PROBE = r"""
import importlib, json, sys
import bpy
import addon_utils

repo_dir, out_path = sys.argv[1], sys.argv[2]
prefs = bpy.context.preferences
prefs.extensions.repos.new(name="mftest", module="mftest", custom_directory=repo_dir, source="USER")
name = "bl_ext.mftest.microface"
addon_utils.enable(name, default_set=True)
facts = {"enabled": name in prefs.addons}
addon_prefs = prefs.addons[name].preferences
facts["has_preferences"] = addon_prefs is not None
facts["addon_id"] = sys.modules[name + ".ui.preferences"].ADDON_ID
addon_prefs.default_seed = 6
addon_prefs.default_preset = "neutral_idle"
scene = bpy.context.scene
scene.frame_start, scene.frame_end = 1, 24
facts["scene_seed"] = scene.microface.seed
parts = importlib.import_module(name + ".assets.sample_head").build_sample_head(scene)
with bpy.context.temp_override(selected_objects=[parts["head"]], active_object=parts["head"]):
    facts["bake"] = sorted(bpy.ops.microface.layer_micro_motion())
facts["report_seed"] = json.loads(scene.microface.last_report)["seed"]
facts["cli_registered"] = sys.modules[name + ".cli.dispatch"]._HANDLE is not None
addon_utils.disable(name, default_set=True)
facts["scene_prop_after_disable"] = hasattr(bpy.types.Scene, "microface")
facts["cli_after_disable"] = sys.modules[name + ".cli.dispatch"]._HANDLE is not None
with open(out_path, "w") as fh:
    json.dump(facts, fh)
"""


def test_installed_as_an_extension_preferences_follow_the_extension_name(tmp_path):
    """Loaded as ``bl_ext.<repo>.microface`` (a local extensions repo holding the package, as the
    built zip would unpack it), the preferences register under that name and feed the scene."""
    import os
    import subprocess
    import sys

    from conftest import extension_repo

    repo = extension_repo(tmp_path)
    probe = tmp_path / "probe.py"
    probe.write_text(EXTENSION_PROBE, encoding="utf-8")
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(tmp_path / "user")}
    out = tmp_path / "facts.json"
    proc = subprocess.run(
        [sys.executable, str(probe), str(repo), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    facts = json.loads(out.read_text())
    assert facts["enabled"] and facts["has_preferences"]
    assert facts["addon_id"] == "bl_ext.mftest.microface"
    assert facts["scene_seed"] == 6 and facts["report_seed"] == 6
    assert facts["bake"] == ["FINISHED"] and facts["cli_registered"]
    assert not facts["scene_prop_after_disable"] and not facts["cli_after_disable"]
