"""Linked duplicates: a shape-key datablock many characters share is baked once, and the report
counts what the file holds (issue #13, "work done once").

Alt+D duplicates a character with its mesh linked: every duplicate's mesh is the same datablock,
so they share one ``Key``.  It can hold one layer; writing it per duplicate wasted half the bake
and made the report claim twice the keys the file holds.
"""

from __future__ import annotations

import importlib

import bpy
import pytest
from conftest import animation_fingerprint
from test_cli import layer_keys_in_open_file

from microface_addon.apply import BakeOptions, layer_micro_motion, remove_micro_motion
from microface_addon.assets.sample_head import build_sample_head

COPIES = 16
FRAMES = 48
# The module (``microface_addon.bake.transaction`` the name is the package's context manager).
transaction = importlib.import_module("microface_addon.bake.transaction")


def linked_duplicates(scene, copies: int) -> list[bpy.types.Object]:
    """The sample head and ``copies - 1`` linked duplicates of it (rig, head and eyes copied as
    objects, their data shared), each rig carrying its own head and eyes; every object."""
    parts = build_sample_head(scene)
    out = list(parts.values())
    for n in range(1, copies):
        rig = parts["armature"].copy()
        rig.location.x += 0.4 * n
        scene.collection.objects.link(rig)
        for key in ("head", "eye_L", "eye_R"):
            ob = parts[key].copy()  # Object.copy(): a new object on the same mesh
            scene.collection.objects.link(ob)
            ob.parent = rig
            for mod in ob.modifiers:
                if mod.type == "ARMATURE":
                    mod.object = rig
            out.append(ob)
        out.append(rig)
    for view_layer in scene.view_layers:
        view_layer.update()
    return out


@pytest.fixture
def duplicates(empty_scene):
    empty_scene.frame_start, empty_scene.frame_end = 1, FRAMES
    return empty_scene, linked_duplicates(empty_scene, COPIES)


def test_a_shared_key_is_baked_once_and_the_report_counts_the_file(duplicates):
    scene, objects = duplicates
    heads = [ob for ob in objects if ob.type == "MESH" and ob.data.shape_keys is not None]
    shared = {ob.data.shape_keys.as_pointer() for ob in heads}
    assert len(heads) == COPIES and len(shared) == 1  # the premise: one Key for all
    key = heads[0].data.shape_keys

    report = layer_micro_motion(scene, objects, BakeOptions(seed=1))

    chars = report["characters"]
    assert len(chars) == COPIES
    key_id = f"KEY:{key.name}"
    writers = [c for c in chars if key_id in c["ids"]]
    assert len(writers) == 1  # baked by one character …
    others = [c for c in chars if c is not writers[0]]
    assert all(c["shared_ids"] == [key_id] for c in others)  # … the others say so
    assert all(any("shared with" in n and writers[0]["character"] in n for n in c["notes"])
               for c in others)  # fmt: skip
    # One layer on the Key, and the report's keys are exactly the file's.
    key_actions = {s.action.name for t in key.animation_data.nla_tracks for s in t.strips}
    assert len(key_actions) >= 1
    assert all(a.startswith(f"MicroFace|{key.name}") for a in key_actions)
    assert sum(c["keys_written"] for c in chars) == layer_keys_in_open_file()
    # Every duplicate still moves: its own bones and the shared shape keys.
    rigs = [ob for ob in objects if ob.type == "ARMATURE"]
    assert all(r.animation_data and r.animation_data.nla_tracks for r in rigs)

    remove_micro_motion(scene, objects)
    assert layer_keys_in_open_file() == 0 and key.animation_data is None


def test_a_failed_bake_of_duplicates_undoes_the_shared_key_too(duplicates, monkeypatch):
    """A later duplicate failing rolls back the Key the first one wrote."""
    scene, objects = duplicates
    before = animation_fingerprint()
    real_plan = transaction.plan
    calls = {"n": 0}

    def failing_plan(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == COPIES:  # the last character, after the shared Key was written
            raise RuntimeError("simulated failure planning the last duplicate")
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(transaction, "plan", failing_plan)
    with pytest.raises(RuntimeError, match="simulated"):
        layer_micro_motion(scene, objects, BakeOptions(seed=1))
    assert animation_fingerprint() == before
    assert layer_keys_in_open_file() == 0
