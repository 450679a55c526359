"""The panel's rig fields (profile, override map) reach the bake, and the last-bake box shows
the mapping: score, runner-up, ambiguity, skipped and unused targets."""

from __future__ import annotations

import json
import re

import bpy
import pytest
from rig_builders import add_mesh

import microface_addon
from microface_addon.rig.convention import profiles as profiles_mod
from microface_addon.rig.convention.profiles import PROFILE_DIR
from microface_addon.ui import panel

ARKIT = json.loads((PROFILE_DIR / "arkit52.json").read_text(encoding="utf-8"))["vocabulary"]


@pytest.fixture
def face(monkeypatch, tmp_path):
    monkeypatch.delenv(profiles_mod.PROFILE_PATH_ENV, raising=False)
    monkeypatch.setenv("BLENDER_USER_CONFIG", str(tmp_path / "user_config"))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    microface_addon.register()
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = 1, 48
    ob = add_mesh("Face", [*ARKIT, "BlinkL_custom", "Wrinkles"])
    ob.select_set(True)
    bpy.context.view_layer.objects.active = ob
    try:
        yield ob
    finally:
        microface_addon.unregister()


def test_panel_profile_and_override_map_reach_the_bake(face, tmp_path):
    path = tmp_path / "face.json"
    path.write_text(json.dumps({"orbicularis_oculi_palpebral_L": {"shape_key": "BlinkL_custom"}}))
    settings = bpy.context.scene.microface
    settings.rig_profile = "arkit52"
    settings.rig_overrides = str(path)
    assert bpy.ops.microface.layer_micro_motion() == {"FINISHED"}
    report = json.loads(settings.last_report)
    assert report["options"]["profile"] == "arkit52"
    (char,) = report["characters"]
    assert char["overridden"] == ["orbicularis_oculi_palpebral_L"]
    assert char["mapped"]["orbicularis_oculi_palpebral_L"] == ["Face:BlinkL_custom ×1"]
    lines = panel.summary_lines(settings.last_report)
    # Every ARKit key is there (the mesh's two others do not count against it): coverage 1,
    # the runner-up quoted in the same kind of score, far below.
    assert any(
        re.match(r"shape-key coverage 1\.00, runner-up reallusion_cc 0\.[0-6]", ln.strip())
        for ln in lines
    )
    assert any("rig targets unused" in ln for ln in lines)
    assert "arkit52" in panel._profile_names("ark")


def test_panel_reports_an_unknown_profile_without_baking(face):
    bpy.context.scene.microface.rig_profile = "no_such_rig"
    with pytest.raises(RuntimeError, match="unknown rig profile 'no_such_rig'"):
        bpy.ops.microface.layer_micro_motion()
    assert face.data.shape_keys.animation_data is None
