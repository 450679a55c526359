"""The guide's panel picture is drawn from the real panel: the recorder sees what it shows.

Why: ``docs/img/guide_panel.png`` is made by calling the panels' ``draw`` with a recording
``UILayout`` (``tools/draw_panel.py``); if the panel changed in a way the recorder cannot follow,
the picture could no longer be made (or would show a panel that is not there).
"""

from __future__ import annotations

import sys
from pathlib import Path

import bpy
import pytest

import microface_addon
from microface_addon.assets.sample_head import add_camera_and_light, build_sample_head

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import draw_panel  # noqa: E402

pytestmark = pytest.mark.blender


@pytest.fixture
def baked():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    microface_addon.register()
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, 48
    parts = build_sample_head(scene)
    add_camera_and_light(scene)
    parts["head"].select_set(True)
    bpy.context.view_layer.objects.active = parts["head"]
    scene.timeline_markers.new("mf:smile 0.6 duchenne", frame=10)
    scene.timeline_markers.new("mf:smil", frame=30)
    try:
        yield scene
    finally:
        microface_addon.unregister()


def _props(layout) -> set[str]:
    return {it.prop for it in draw_panel.items(layout) if it.prop}


def test_the_recorder_follows_every_panel(baked, tmp_path):
    main = draw_panel.record(bpy.types.MICROFACE_PT_main)
    assert {
        "preset",
        "seed",
        "intensity",
        "look_at_mode",
        "every_frame",
        "tolerance",
        "rotation_tolerance",
        "microface.layer_micro_motion",
    } <= _props(main)
    layers = draw_panel.record(bpy.types.MICROFACE_PT_layers)
    assert "not baked yet" in " ".join(it.text for it in draw_panel.items(layers))
    baked.timeline_markers.remove(baked.timeline_markers["mf:smil"])
    assert bpy.ops.microface.layer_micro_motion() == {"FINISHED"}
    baked.timeline_markers.new("mf:smil", frame=30)
    layers = draw_panel.record(bpy.types.MICROFACE_PT_layers)
    assert {"bypass", "amounts", "mutes"} <= _props(layers)
    cues = draw_panel.record(bpy.types.MICROFACE_PT_cues)
    (listing,) = [it for it in draw_panel.items(cues) if it.kind == "list"]
    shown = [" ".join(i.value or i.text for i in draw_panel.items(row)) for row in listing.rows]
    assert shown[0].startswith("10 mf:smile 0.6 duchenne") and "unknown intent" in shown[1]
    character = draw_panel.record(bpy.types.MICROFACE_PT_character)
    assert {"use_own", "preset", "seed", "layers"} <= _props(character)
    out = tmp_path / "panel.png"
    draw_panel.draw_panels(out, [("MicroFace", main), ("Layers", layers), ("Cues", cues)])
    assert out.stat().st_size > 10_000
