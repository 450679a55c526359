"""Data paths of bones and shape keys (``rig/convention/datapath.py``) are spelled exactly as
Blender spells them: the pure escaping is checked against ``bpy.utils.escape_identifier`` and
``unescape_identifier`` of the running Blender, character by character."""

from __future__ import annotations

import pytest

from microface_addon.rig.convention import datapath

NAMES = ['he"ad', "eye\\L", 'a\\"b', "tab\there", "line\nbreak", "bell\a", "ü ß 日本", "", "eye.L"]


@pytest.mark.pure
def test_paths_round_trip_and_split_after_the_name():
    for name in NAMES:
        path = datapath.shape_key(name)
        assert datapath.shape_key_name(path) == name
        assert datapath.unescape(datapath.escape(name)) == name
        owner, prop = datapath.split(datapath.bone(name, "rotation_euler"))
        assert prop == "rotation_euler" and owner == f'pose.bones["{datapath.escape(name)}"]'
    assert datapath.bone('he"ad', "location") == 'pose.bones["he\\"ad"].location'
    assert datapath.shape_key_name('key_blocks["x"].slider_max') is None
    assert datapath.shape_key_name('pose.bones["x"].location') is None


@pytest.mark.blender
def test_escaping_is_blenders_own():
    bpy = pytest.importorskip("bpy")
    chars = [chr(c) for c in range(1, 0x800)] + ["\u2028", "\U0001f600"]
    for c in chars:
        assert datapath.escape(c) == bpy.utils.escape_identifier(c), repr(c)
    odd = ["a\\xb", "a\\", "a\\\\b", "x\\tq", 'q\\"r', "a\\vb", "\\\\\\", *NAMES]
    for text in odd + [bpy.utils.escape_identifier(n) for n in NAMES]:
        assert datapath.unescape(text) == bpy.utils.unescape_identifier(text), repr(text)


@pytest.mark.blender
def test_a_path_built_here_is_the_path_blender_builds():
    """A user's F-curve on a bone with a quote in its name has the very path the bake builds:
    that is how the bake knows the user animates that property."""
    bpy = pytest.importorskip("bpy")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    arm = bpy.data.objects.new("Rig", bpy.data.armatures.new("Rig"))
    bpy.context.scene.collection.objects.link(arm)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    for name in ('he"ad', "eye\\L"):
        b = arm.data.edit_bones.new(name)
        b.tail = (0.0, 0.0, 0.1)
    bpy.ops.object.mode_set(mode="OBJECT")
    for name in ('he"ad', "eye\\L"):
        arm.pose.bones[name].keyframe_insert("location", index=0, frame=1)
    from microface_addon import compat

    paths = {fc.data_path for fc in compat.iter_fcurves(arm.animation_data.action)}
    assert paths == {datapath.bone('he"ad', "location"), datapath.bone("eye\\L", "location")}
