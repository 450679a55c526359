"""A failure at any stage of a real bake changes nothing (issue #13, "failure injected at each
stage"): the solve, the mapping onto the rig, creating the actions, writing the keys, saving.

The shot has two characters, the second already carrying a MicroFace layer and the first a user
action, and each stage fails on the first call for the second character: the first one's layer
is already written and swapped in, so the rollback has something to undo.  In the scene: the
animation-data fingerprint and the set of actions are what they were.  Through the command line:
the input file is byte-identical, no output and no temporary file exists, and the exit code says
what kind of failure it was.
"""

from __future__ import annotations

import errno
import hashlib
import importlib
from pathlib import Path

import bpy
import pytest
from conftest import animation_fingerprint, run_cli_in_process

from microface_addon.apply import BakeOptions, layer_micro_motion
from microface_addon.assets.sample_head import build_sample_head
from microface_addon.cli.common import EXIT_FAILURE, EXIT_WRITE

FRAMES = (1, 72)

# stage → (module, function) the stage calls through; each is looked up on its module at call
# time, so replacing it there reaches the real bake.
STAGES = {
    "solve": ("microface_addon.apply", "solve"),
    "mapping": ("microface_addon.bake.transaction", "plan"),
    "action creation": ("microface_addon.compat", "new_action"),
    "key writing": ("microface_addon.bake.layer", "write_keyed"),  # sparse keys (the default)
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def shot(tmp_path_factory) -> Path:
    """Two sample heads: Ann with her own shape-key action, Bob with an earlier MicroFace
    layer."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = FRAMES
    ann = build_sample_head(scene, name="AnnHead")
    bob = build_sample_head(scene, name="BobHead")
    bob["armature"].location.x = 0.5
    kb = ann["head"].data.shape_keys.key_blocks["jawOpen"]
    for frame, value in ((1, 0.0), (30, 0.6), (72, 0.1)):
        kb.value = value
        kb.keyframe_insert("value", frame=frame)
    layer_micro_motion(scene, list(bob.values()), BakeOptions(seed=7))
    path = tmp_path_factory.mktemp("failures") / "shot.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True)
    return path


def _open(path: Path):
    bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    scene = bpy.context.scene
    scene.frame_set(FRAMES[0])
    return scene


def _wrap(monkeypatch, stage: str, fail_at: int | None) -> dict:
    """Count the stage's calls; with ``fail_at``, raise on that call."""
    module_name, attr = STAGES[stage]
    module = importlib.import_module(module_name)
    real = getattr(module, attr)
    calls = {"n": 0}

    def counted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise RuntimeError(f"injected failure in {stage}")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, attr, counted)
    return calls


@pytest.fixture(scope="module")
def first_call_of_bob(shot) -> dict[str, int]:
    """Per stage, the call that starts the second character's share of the work (Ann's calls,
    counted by baking her alone, plus one): a failure there comes after Ann's layer is written
    and swapped in."""
    counts = {}
    for who in (["Ann"], ["Ann", "Bob"]):
        with pytest.MonkeyPatch.context() as mp:
            calls = {stage: _wrap(mp, stage, None) for stage in STAGES}
            scene = _open(shot)
            objects = [ob for ob in scene.objects if ob.name.startswith(tuple(who))]
            layer_micro_motion(scene, objects, BakeOptions(seed=3))
        counts[len(who)] = {stage: c["n"] for stage, c in calls.items()}
    assert all(counts[2][s] > counts[1][s] > 0 for s in STAGES), counts  # Bob's share exists
    return {stage: n + 1 for stage, n in counts[1].items()}


@pytest.mark.parametrize("stage", list(STAGES))
def test_a_failure_in_the_scene_changes_nothing(shot, first_call_of_bob, monkeypatch, stage):
    scene = _open(shot)
    before = animation_fingerprint()
    actions = sorted(a.name for a in bpy.data.actions)
    fail_at = first_call_of_bob[stage]
    calls = _wrap(monkeypatch, stage, fail_at)
    with pytest.raises(RuntimeError, match=f"injected failure in {stage}"):
        layer_micro_motion(scene, list(scene.objects), BakeOptions(seed=3))
    assert calls["n"] == fail_at  # Ann's share of the stage ran before it failed
    scene.frame_set(FRAMES[0])
    assert animation_fingerprint() == before
    assert sorted(a.name for a in bpy.data.actions) == actions


@pytest.mark.parametrize("stage", list(STAGES))
def test_a_failure_in_a_command_line_bake_writes_nothing(
    shot, first_call_of_bob, tmp_path, monkeypatch, stage
):
    original = _sha(shot)
    out = tmp_path / "out.blend"
    _wrap(monkeypatch, stage, first_call_of_bob[stage])
    run = run_cli_in_process("bake", shot, "-o", out, "--frames", f"{FRAMES[0]}:{FRAMES[1]}")
    assert run.returncode == EXIT_FAILURE, run.stderr  # an internal error, said in one line
    assert f"injected failure in {stage}" in run.stderr
    assert _sha(shot) == original
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["save", "flush"])
def test_a_failed_save_leaves_the_input_and_no_output(shot, tmp_path, monkeypatch, where):
    """Saving fails (Blender's save raises) or the saved copy proves incomplete (the disk filled
    up): exit 4, the input unchanged, nothing beside the output."""
    blendfile = importlib.import_module("microface_addon.cli.blendfile")
    _open(shot)
    before = animation_fingerprint()
    original = _sha(shot)
    out = tmp_path / "out.blend"
    if where == "save":
        real_wm = bpy.ops.wm

        class FailingSave:  # bpy.ops.wm with a save that fails, as in a folder gone read-only
            def __getattr__(self, name):
                return getattr(real_wm, name)

            @staticmethod
            def save_as_mainfile(**_kwargs):
                raise RuntimeError("Error: cannot open file for writing (injected)")

        monkeypatch.setattr(bpy.ops, "wm", FailingSave())
    else:

        def full_disk(_path):  # flushing the saved copy finds the disk full
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(blendfile, "fsync_path", full_disk)
    run = run_cli_in_process("bake", shot, "-o", out, "--frames", f"{FRAMES[0]}:{FRAMES[1]}")
    monkeypatch.undo()
    assert run.returncode == EXIT_WRITE, run.stderr
    assert f"cannot write {out}" in run.stderr
    assert _sha(shot) == original
    assert list(tmp_path.iterdir()) == []  # no output, no temporary file
    _open(shot)
    assert animation_fingerprint() == before
