"""The command line on the real bpy: ``microface_addon.cli.main(argv)`` in this process, its
output captured at the file-descriptor level (so Blender's own C-level prints would show up in
stdout too), plus what only a subprocess proves: ``python -m microface_addon``'s exit codes and a
stdout that carries nothing but MicroFace's output from interpreter start to exit.  The
``blender -c microface`` callback is invoked in-process (the bpy module cannot be given ``-c``).

Fixture files are built in code (the sample head through the ``sample`` subcommand itself).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import bpy
import pytest

import microface_addon
from microface_addon import compat
from microface_addon.bake import has_layer
from microface_addon.cli import dispatch as cli
from microface_addon.rig.scene.character import characters_of

ROOT = Path(__file__).resolve().parents[1]
FRAMES = "1:48"  # short shots keep the suite fast; the range itself is checked in the report


class Result(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def run_module(*args, timeout: float = 180) -> subprocess.CompletedProcess:
    """``python -m microface_addon ARGS`` in a fresh interpreter, as users run it."""
    env = {k: v for k, v in os.environ.items() if k != "MICROFACE_PRESET_PATH"}
    return subprocess.run(
        [sys.executable, "-m", "microface_addon", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture
def run_cli(capfd, monkeypatch):
    """``run_cli(*args)``: the command in this process; exit code and captured stdout/stderr."""
    monkeypatch.delenv("MICROFACE_PRESET_PATH", raising=False)

    def run(*args) -> Result:
        capfd.readouterr()
        code = cli.main([str(a) for a in args])
        out, err = capfd.readouterr()
        return Result(code, out, err)

    return run


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_error(proc: Result | subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    """Exit ``code``, exactly one stderr line ``microface: error: …`` containing ``fragments``."""
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("microface: error: "), lines[0]
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])
    assert "Traceback" not in proc.stderr
    return lines[0]


def save_cube_file(path: Path) -> None:
    """A file whose only object is a plain cube: nothing MicroFace could drive."""
    import bmesh

    bpy.ops.wm.read_factory_settings(use_empty=True)
    me = bpy.data.meshes.new("CubeMesh")
    bm = bmesh.new()
    bmesh.ops.create_cube(bm, size=1.0)
    bm.to_mesh(me)
    bm.free()
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Cube", me))
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True)


def layer_keys_in_open_file() -> int:
    """Keys actually stored in MicroFace's layer actions of the open file."""
    return sum(
        len(fc.keyframe_points)
        for act in bpy.data.actions
        if act.name.startswith("MicroFace|")
        for fc in compat.iter_fcurves(act)
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli_inputs")
    head = d / "head.blend"
    assert cli.main(["sample", str(head)]) == 0
    assert head.is_file()
    cube = d / "cube.blend"
    save_cube_file(cube)
    broken = d / "broken_preset.json"
    broken.write_text('{\n  "name": "broken",\n  "intensity": 7\n}\n', encoding="utf-8")
    return {"head": head, "cube": cube, "broken": broken}


# --- help and argument errors ---------------------------------------------------------------


def test_help_on_every_command(run_cli):
    top = run_cli("--help")
    assert top.returncode == 0
    for name in ("bake", "sample", "inspect"):
        assert name in top.stdout
        sub = run_cli(name, "--help")
        assert sub.returncode == 0, sub.stderr
        assert sub.stdout.startswith(f"usage: microface {name}")
    bake_help = run_cli("bake", "--help").stdout
    for option in ("--output", "--output-dir", "--preset", "--seed", "--frames", "--objects"):
        assert option in bake_help
    for option in ("--intensity", "--profile", "--report", "--debug"):
        assert option in bake_help


@pytest.mark.parametrize(
    "args, fragment",
    [
        ([], "no command given"),
        (["bake", "{head}", "-o", "{tmp}/o.blend", "--frames", "10"], "invalid frame range"),
        (["bake", "{head}", "-o", "{tmp}/o.blend", "--frames", "9:3"], "END after START"),
        (["bake", "{head}", "-o", "{tmp}/o.blend", "--output-dir", "{tmp}"], "not allowed"),
        (["bake", "{head}", "{cube}", "-o", "{tmp}/o.blend"], "--output-dir"),
        (["bake", "{head}"], "--output"),
        (["bake", "{head}", "-o", "{head}"], "refusing to overwrite"),
        (["bake", "{head}", "-o", "{tmp}/missing/o.blend"], "does not exist"),
        (["bake", "{head}", "--output-dir", "{tmp}/missing/out"], "does not exist"),
        (["bake", "{head}", "-o", "{tmp}/o.blend", "--objects", "Nobody"], "'Nobody'"),
        (["bake", "{head}", "-o", "{tmp}/o.blend", "--profile", "nope"], "unknown rig profile"),
        (["bake", "{head}", "-o", "{tmp}/o.blend", "--intensity", "3"], "outside 0–2"),
        (["inspect", "{head}", "--object", "Nobody"], "'Nobody'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(files, tmp_path, args, fragment, run_cli):
    subst = {"head": files["head"], "cube": files["cube"], "tmp": tmp_path}
    proc = run_cli(*(a.format(**subst) for a in args))
    assert_error(proc, 2, fragment)
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temp file


def test_missing_input_file_exits_2_naming_it(tmp_path, run_cli):
    missing = tmp_path / "no_such_shot.blend"
    assert_error(run_cli("bake", missing, "-o", tmp_path / "o.blend"), 2, str(missing))
    assert_error(run_cli("inspect", missing), 2, str(missing))
    assert list(tmp_path.iterdir()) == []


# --- preset and rig errors ------------------------------------------------------------------


def test_missing_preset_path_exits_2_naming_the_file(files, tmp_path, run_cli):
    preset = tmp_path / "nowhere" / "take.json"
    out = tmp_path / "out.blend"
    line = assert_error(run_cli("bake", files["head"], "-o", out, "--preset", preset), 2)
    assert str(preset) in line and "invalid preset" in line
    assert list(tmp_path.iterdir()) == []


def test_invalid_preset_exits_2_naming_file_line_and_field(files, tmp_path, run_cli):
    out = tmp_path / "out.blend"
    proc = run_cli("bake", files["head"], "-o", out, "--preset", files["broken"])
    # intensity 7 is on line 3 of the preset file
    assert_error(proc, 2, f"{files['broken']}:3", "/intensity")
    assert list(tmp_path.iterdir()) == []


def test_unknown_preset_name_exits_2_listing_known_ones(files, tmp_path, run_cli):
    proc = run_cli("bake", files["head"], "-o", tmp_path / "o.blend", "--preset", "nope")
    assert_error(proc, 2, "no preset named 'nope'", "neutral_idle")


def test_rig_with_nothing_to_map_exits_3(files, tmp_path, run_cli):
    before = sha256(files["cube"])
    proc = run_cli("bake", files["cube"], "-o", tmp_path / "o.blend")
    assert_error(proc, 3, "no character", str(files["cube"]))
    # Naming the cube explicitly reaches rig detection, which finds nothing to drive.
    proc = run_cli("bake", files["cube"], "-o", tmp_path / "o.blend", "--objects", "Cube")
    assert_error(proc, 3, "nothing to drive", "'Cube'")
    assert_error(run_cli("inspect", files["cube"], "--object", "Cube"), 3, "nothing to drive")
    assert list(tmp_path.iterdir()) == []
    assert sha256(files["cube"]) == before


def test_debug_adds_the_traceback(files, tmp_path, run_cli):
    proc = run_cli(
        "bake", files["cube"], "-o", tmp_path / "o.blend", "--objects", "Cube", "--debug"
    )
    assert proc.returncode == 3
    assert "Traceback" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("microface: error: ")


# --- a successful bake ----------------------------------------------------------------------


def test_bake_writes_output_and_report_and_leaves_input_untouched(files, tmp_path, run_cli):
    head = files["head"]
    before = sha256(head)
    out, report_path = tmp_path / "shot_out.blend", tmp_path / "report.json"
    proc = run_cli(
        "bake", head, "-o", out, "--seed", 7, "--frames", FRAMES, "--report", report_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert sha256(head) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "shot_out.blend"]
    assert "head.blend -> shot_out.blend" in proc.stdout and "seed 7" in proc.stdout

    report = json.loads(report_path.read_text())
    assert report["command"] == "bake" and report["blender"] == bpy.app.version_string
    assert report["total_time_s"] > 0
    (shot,) = report["shots"]
    assert shot["input"] == str(head) and shot["output"] == str(out)
    assert shot["preset"] == "neutral_idle" and shot["seed"] == 7
    assert shot["frame_range"] == [1, 48] and shot["fps"] == pytest.approx(24.0)
    assert all(shot["timings_s"][k] >= 0 for k in ("open", "layer", "save", "total"))
    (char,) = shot["characters"]
    assert char["convention"] == "arkit52"
    assert "orbicularis_oculi_palpebral_L" in char["mapped"]
    assert isinstance(char["unmapped"], dict)
    assert set(char["mapped"]).isdisjoint(char["unmapped"])

    # The report matches what is really in the output file, and the input has no layer.
    bpy.ops.wm.open_mainfile(filepath=str(out))
    members = characters_of(list(bpy.context.scene.objects))
    assert len(members) == 1 and has_layer(members[0])
    assert layer_keys_in_open_file() == char["keys_written"] > 0
    bpy.ops.wm.open_mainfile(filepath=str(head))
    assert not has_layer(characters_of(list(bpy.context.scene.objects))[0])
    assert layer_keys_in_open_file() == 0


def test_batch_writes_one_output_per_shot_and_one_report(files, tmp_path, run_cli):
    shots = tmp_path / "shots"
    shots.mkdir()
    a, b = shots / "sh010.blend", shots / "sh020.blend"
    a.write_bytes(files["head"].read_bytes())
    b.write_bytes(files["head"].read_bytes())
    out_dir = tmp_path / "out"  # created by the bake
    report_path = tmp_path / "batch.json"
    proc = run_cli(
        "bake", a, b, "--output-dir", out_dir, "--frames", FRAMES, "--report", report_path
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "sh010_microface.blend",
        "sh020_microface.blend",
    ]
    report = json.loads(report_path.read_text())
    assert [s["input"] for s in report["shots"]] == [str(a), str(b)]
    assert [Path(s["output"]).name for s in report["shots"]] == [
        "sh010_microface.blend",
        "sh020_microface.blend",
    ]
    # Same rig, preset and seed: the same character bakes identically in both shots.
    k = [s["characters"][0]["keys_written"] for s in report["shots"]]
    assert k[0] == k[1] > 0


def test_inspect_reports_the_same_mapping_the_bake_uses(files, tmp_path, run_cli):
    text = run_cli("inspect", files["head"])
    assert text.returncode == 0, text.stderr
    assert "convention: arkit52" in text.stdout and "unmapped:" in text.stdout
    js = run_cli("inspect", files["head"], "--json")
    assert js.returncode == 0, js.stderr
    doc = json.loads(js.stdout)  # stdout carries only the JSON (Blender's chatter is kept off)
    (char,) = doc["characters"]
    report_path = tmp_path / "r.json"
    baked = run_cli(
        "bake",
        files["head"],
        "-o",
        tmp_path / "o.blend",
        "--frames",
        FRAMES,
        "--report",
        report_path,
    )
    assert baked.returncode == 0, baked.stderr
    (bchar,) = json.loads(report_path.read_text())["shots"][0]["characters"]
    assert char["mapped"] == bchar["mapped"] and char["unmapped"] == bchar["unmapped"]


def test_sample_writes_the_head_and_says_so(tmp_path, run_cli):
    proc = run_cli("sample", tmp_path / "head.blend")
    assert proc.returncode == 0, proc.stderr
    assert "wrote sample head" in proc.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["head.blend"]


# --- as users run it: a fresh interpreter ---------------------------------------------------


def test_python_m_exit_codes_and_a_stdout_with_nothing_but_microface_output(files, tmp_path):
    """What only a fresh interpreter shows: ``sys.exit(main())`` makes the code the process's
    exit status, and nothing else (bpy starting, files loading) writes to stdout."""
    ok = run_module("inspect", files["head"], "--json")
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)  # the whole of stdout is the JSON document
    assert doc["file"] == str(files["head"])
    assert doc["characters"][0]["convention"] == "arkit52"
    failed = run_module("bake", files["cube"], "-o", tmp_path / "o.blend", "--objects", "Cube")
    assert_error(failed, 3, "nothing to drive", "'Cube'")
    assert failed.stdout == ""
    assert list(tmp_path.iterdir()) == []


# --- atomic output --------------------------------------------------------------------------


def test_failing_shot_in_a_batch_leaves_no_output_and_no_temp(files, tmp_path, run_cli):
    out_dir = tmp_path / "out"  # the bake would create it
    report_path = tmp_path / "batch.json"
    # The head bakes and is saved (to a temporary file) before the cube fails.
    proc = run_cli(
        "bake",
        files["head"],
        files["cube"],
        "--output-dir",
        out_dir,
        "--frames",
        FRAMES,
        "--report",
        report_path,
    )
    assert_error(proc, 3, str(files["cube"]))
    assert "head.blend -> head_microface.blend" in proc.stdout  # it really got that far
    assert list(tmp_path.iterdir()) == []  # no output, temp file, report or created folder


def test_unwritable_report_leaves_no_output_and_no_temp(files, tmp_path, run_cli):
    # /proc refuses new files even to root; the output's temporary file was already saved.
    out = tmp_path / "o.blend"
    proc = run_cli("bake", files["head"], "-o", out, "--frames", FRAMES, "--report", "/proc/r.json")
    assert_error(proc, 4, "cannot write /proc/r.json", "nothing was written")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_exits_4(files, run_cli):
    proc = run_cli("bake", files["head"], "-o", "/proc/microface_out.blend", "--frames", FRAMES)
    assert_error(proc, 4, "cannot write /proc/microface_out.blend", "nothing was written")


def test_existing_output_is_replaced_whole(files, tmp_path, run_cli):
    out = tmp_path / "o.blend"
    out.write_bytes(b"old contents")
    proc = run_cli("bake", files["head"], "-o", out, "--frames", FRAMES)
    assert proc.returncode == 0, proc.stderr
    bpy.ops.wm.open_mainfile(filepath=str(out))  # a whole .blend now, with the layer in it
    assert has_layer(characters_of(list(bpy.context.scene.objects))[0])
    assert [p.name for p in tmp_path.iterdir()] == ["o.blend"]


# --- blender -b FILE -c microface … (the registered callback, in-process) -------------------


@pytest.fixture
def registered():
    microface_addon.register()
    try:
        yield
    finally:
        microface_addon.unregister()


def test_register_cli_command_handle_lifecycle(registered):
    assert cli._HANDLE is not None
    microface_addon.unregister()
    assert cli._HANDLE is None
    microface_addon.register()
    assert cli._HANDLE is not None


def test_blender_command_bakes_the_open_file(files, tmp_path, registered, capfd):
    head = files["head"]
    before = sha256(head)
    bpy.ops.wm.open_mainfile(filepath=str(head))
    capfd.readouterr()
    out = tmp_path / "o.blend"
    assert cli.execute(["bake", "--output", str(out), "--frames", FRAMES, "--seed", "4"]) == 0
    assert capfd.readouterr().out.startswith("head.blend -> o.blend: MicroFaceRig (arkit52)")
    assert out.is_file() and [p.name for p in tmp_path.iterdir()] == ["o.blend"]
    assert sha256(head) == before
    assert bpy.data.filepath == str(head)  # the session still points at the input

    assert cli.execute(["inspect", "--json"]) == 0
    doc = json.loads(capfd.readouterr().out)
    assert doc["file"] == str(head) and doc["characters"][0]["convention"] == "arkit52"

    assert cli.execute(["--help"]) == 0  # argparse's exit does not end Blender
    assert "usage: microface" in capfd.readouterr().out
    assert cli.execute(["bake"]) == 2
    assert "--output" in capfd.readouterr().err
    assert cli.execute(["bake", "--output", str(tmp_path / "x.blend"), "--preset", "nope"]) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["o.blend"]


def test_blender_command_with_unsaved_session_names_output_untitled(tmp_path, registered, capfd):
    from microface_addon.assets.sample_head import build_sample_head

    bpy.ops.wm.read_factory_settings(use_empty=True)  # keeps classes registered by hand
    build_sample_head()
    assert cli.execute(["bake", "--output-dir", str(tmp_path), "--frames", FRAMES]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["untitled_microface.blend"]


def test_blender_command_survives_a_command_that_disables_the_addon(tmp_path, capfd):
    """``sample`` starts from factory settings, which disables enabled add-ons: the running
    command must not be unregistered under Blender's feet, and is freed once it has returned."""
    import addon_utils  # on sys.path only once bpy is imported

    bpy.ops.wm.read_factory_settings(use_empty=True)
    addon_utils.enable(microface_addon.__name__, default_set=True)
    try:
        handle = cli._HANDLE
        assert handle is not None
        out = tmp_path / "sample.blend"
        assert cli.execute(["sample", str(out)]) == 0
        assert out.is_file() and [p.name for p in tmp_path.iterdir()] == ["sample.blend"]
        assert cli._HANDLE is handle
    finally:
        if microface_addon.__name__ in bpy.context.preferences.addons:
            addon_utils.disable(microface_addon.__name__, default_set=True)
        cli.unregister_command()
    assert cli._HANDLE is None


def test_an_old_format_preset_bakes_with_a_notice_in_stderr_and_report(files, tmp_path, run_cli):
    old = tmp_path / "old_style.json"
    old.write_text(
        json.dumps(
            {"format_version": 0, "name": "old_style", "gain": 0.8, "inherits": "calm_listener"}
        ),
        encoding="utf-8",
    )
    out, rep = tmp_path / "o.blend", tmp_path / "r.json"
    proc = run_cli(
        "bake", files["head"], "-o", out, "--preset", old, "--frames", "1:48", "--report", rep
    )
    assert proc.returncode == 0, proc.stderr
    assert "notice:" in proc.stderr and "'inherits' to 'extends'" in proc.stderr
    shot = json.loads(rep.read_text())["shots"][0]
    assert any("older preset format" in n for n in shot["preset_notices"])
