"""The rig options of the command line (``microface_addon.cli.main`` in-process, output captured
at the file-descriptor level; tests/test_cli.py runs ``python -m microface_addon`` for real):
``inspect`` on a rig with no face (exit 3 with what was looked for), a studio profile from
``MICROFACE_PROFILE_PATH``, ``--profile`` and ``--overrides``."""

from __future__ import annotations

import json
import os
from typing import NamedTuple

import bpy
import pytest
from rig_builders import LAYOUT, add_armature, add_mesh

from microface_addon.cli import dispatch as cli


class Result(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capfd, monkeypatch):
    """``run_cli(*args, env_extra=None)``: the command in this process with no ``MICROFACE_*``
    variable but ``env_extra``'s."""

    def run(*args, env_extra=None) -> Result:
        with monkeypatch.context() as m:
            for key in [k for k in os.environ if k.startswith("MICROFACE_")]:
                m.delenv(key)
            for key, value in (env_extra or {}).items():
                m.setenv(key, value)
            capfd.readouterr()
            code = cli.main([str(a) for a in args])
            out, err = capfd.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    out = tmp_path_factory.mktemp("rigcli")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    arm = add_armature("Prop", {r: (r if r == "hips" else None) for r in LAYOUT})
    add_mesh("Crate", ["Dent", "Open"], armature=arm, parent=arm)
    bpy.ops.wm.save_as_mainfile(filepath=str(out / "prop.blend"))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    add_mesh("Ghost", ["GH_lidClose_L", "GH_lidClose_R", "GH_smile_L", "GH_smile_R", "Extra"])
    bpy.ops.wm.save_as_mainfile(filepath=str(out / "ghost.blend"))
    profiles = out / "profiles"
    profiles.mkdir()
    studio = {
        "name": "studio_ghost",
        "shape_keys": {
            "orbicularis_oculi_palpebral_{side}": [{"key": "GH_lidClose_{side}"}],
            "zygomaticus_major_{side}": [{"key": "GH_smile_{side}", "gain": 0.6}],
        },
    }
    (profiles / "ghost.json").write_text(json.dumps(studio), encoding="utf-8")
    overrides = out / "ghost_overrides.json"
    overrides.write_text(json.dumps({"zygomaticus_major_L": {"shape_key": "Extra", "gain": 0.8}}))
    bad = out / "bad_overrides.json"
    bad.write_text('{\n  "zygomaticus_major_L": {"shape_key": 3}\n}\n', encoding="utf-8")
    return {"out": out, "profiles": profiles, "overrides": overrides, "bad": bad}


def test_inspect_a_rig_with_no_face_exits_3_and_says_what_it_looked_for(files, run_cli):
    proc = run_cli("inspect", files["out"] / "prop.blend")
    assert proc.returncode == 3, proc.stderr
    assert "nothing to drive on character 'Prop'" in proc.stderr
    for looked in (
        "arkit52 keys",
        "reallusion_cc keys",
        "vrm keys",
        "facs keys",
        "rigify_face bones",
    ):
        assert looked in proc.stderr


def test_studio_profile_on_the_path_and_override_file(files, run_cli):
    env = {"MICROFACE_PROFILE_PATH": str(files["profiles"])}
    proc = run_cli(
        "inspect",
        files["out"] / "ghost.blend",
        "--json",
        "--overrides",
        files["overrides"],
        env_extra=env,
    )
    assert proc.returncode == 0, proc.stderr
    (char,) = json.loads(proc.stdout)["characters"]
    assert char["convention"] == "studio_ghost"
    assert char["mapped"]["zygomaticus_major_L"] == ["Ghost:Extra ×0.8"]
    assert char["mapped"]["zygomaticus_major_R"] == ["Ghost:GH_smile_R ×0.6"]
    assert char["overridden"] == ["zygomaticus_major_L"]
    # Without the path the profile is unknown: a usage error naming the known ones.
    proc = run_cli("inspect", files["out"] / "ghost.blend", "--profile", "studio_ghost")
    assert proc.returncode == 2 and "unknown rig profile 'studio_ghost'" in proc.stderr
    assert "arkit52" in proc.stderr


def test_a_broken_override_file_is_a_usage_error_with_its_place(files, run_cli):
    proc = run_cli("inspect", files["out"] / "ghost.blend", "--overrides", files["bad"])
    assert proc.returncode == 2
    assert f"{files['bad']}:2:40: /zygomaticus_major_L/shape_key: expected string" in proc.stderr


def test_bake_tells_which_cues_land_on_nothing(files, tmp_path, run_cli):
    # A face with blinks and a jaw but no smile key, a smile cued by a marker.
    bpy.ops.wm.read_factory_settings(use_empty=True)
    add_mesh("FaceRig", ["eyeBlinkLeft", "eyeBlinkRight", "jawOpen"])
    scene = bpy.context.scene
    scene.render.fps, scene.frame_start, scene.frame_end = 24, 1, 96
    scene.timeline_markers.new("mf:smile 0.7 duchenne", frame=49)
    shot = tmp_path / "shot.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(shot))
    proc = run_cli("bake", shot, "-o", tmp_path / "out.blend", "--report", tmp_path / "r.json")
    assert proc.returncode == 0, proc.stderr
    notice = "notice: cue not landed: smile (duchenne) at 2.0 s: nothing on FaceRig drives"
    assert notice in proc.stderr
    (char,) = json.loads((tmp_path / "r.json").read_text())["shots"][0]["characters"]
    assert char["unlanded_cues"] == [
        "smile (duchenne) at 2.0 s: nothing on FaceRig drives zygomaticus major"
    ]
