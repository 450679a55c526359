"""``bake --shots`` as users run it: ``python -m microface_addon`` in a subprocess (real bpy, real
worker processes), outputs opened with bpy and their curves compared key for key.

Shots are short (48 frames) to keep the suite fast; what is asserted is what a TD relies on: a
corrupt shot fails alone and leaves nothing behind, re-runs skip what is up to date, the curves
do not depend on ``--jobs``, and a shot list bakes what the same one-shot commands bake.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import bpy
import numpy as np
import pytest
from test_cli import layer_keys_in_open_file
from test_cli import run_module as run_cli

from microface_addon import compat
from microface_addon.cli.common import TEMP_MARK, TEMP_PREFIX

ROOT = Path(__file__).resolve().parents[1]
FRAMES = "1:48"
NUMPY1 = int(np.__version__.split(".")[0]) < 2


def layer_curves(path: Path) -> dict[str, np.ndarray]:
    """Every key (frame, value) of every F-curve of MicroFace's layer actions in ``path``."""
    bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    out = {}
    for action in bpy.data.actions:
        if not action.name.startswith("MicroFace|"):
            continue
        for fc in compat.iter_fcurves(action):
            co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
            fc.keyframe_points.foreach_get("co", co)
            out[f"{action.name}|{fc.data_path}[{fc.array_index}]"] = co
    return out


def assert_same_curves(a: dict, b: dict) -> None:
    """Bit-identical keys; on numpy 1.x within one float32 step (the documented gaze defect of
    two identical solves on numpy 1.x, see conftest.assert_same_curve)."""
    assert a.keys() == b.keys() and a
    for key in a:
        if NUMPY1:
            np.testing.assert_array_max_ulp(a[key], b[key], maxulp=1)
        else:
            assert a[key].tobytes() == b[key].tobytes(), key


def leftovers(folder: Path) -> list[str]:
    """Temporary files a bake may have left in ``folder`` (today's names and older ones)."""
    return sorted(
        p.name
        for p in folder.rglob("*")
        if (p.name.startswith(TEMP_PREFIX) and TEMP_MARK in p.name) or "microface-tmp" in p.name
    )


@pytest.fixture(scope="module")
def head(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("shots_src") / "head.blend"
    proc = run_cli("sample", path)
    assert proc.returncode == 0, proc.stderr
    return path


@pytest.fixture
def three_shots(head, tmp_path):
    """sh010 and sh020 (the sample head), sh030 a corrupt .blend (the head cut short)."""
    shots = tmp_path / "in"
    shots.mkdir()
    shutil.copy(head, shots / "sh010.blend")
    shutil.copy(head, shots / "sh020.blend")
    (shots / "sh030.blend").write_bytes(head.read_bytes()[:6000])
    doc = {
        "defaults": {"output-dir": "baked", "frames": FRAMES},
        "shots": [
            {"input": "in/sh010.blend", "seed": 3},
            {"input": "in/sh020.blend", "preset": "calm_listener", "disable": ["head"]},
            {"input": "in/sh030.blend"},
        ],
    }
    path = tmp_path / "shots.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def test_corrupt_shot_fails_alone_reruns_skip_and_curves_do_not_depend_on_jobs(three_shots):
    folder = three_shots.parent
    baked = folder / "baked"
    report_path = folder / "night.json"

    proc = run_cli("bake", "--shots", three_shots, "--jobs", 2, "--report", report_path)
    assert proc.returncode == 1, proc.stderr
    assert sorted(p.name for p in baked.iterdir()) == [
        "sh010_microface.blend",
        "sh010_microface.blend.microface.json",
        "sh020_microface.blend",
        "sh020_microface.blend.microface.json",
    ]
    assert leftovers(folder) == []
    report = json.loads(report_path.read_text())
    assert report["command"] == "bake --shots" and report["jobs"] == 2
    assert report["counts"] == {"ok": 2, "failed": 1, "skipped": 0}
    by_name = {s["name"]: s for s in report["shots"]}
    assert list(by_name) == ["sh010", "sh020", "sh030"]  # list order, whatever finished first
    bad = by_name["sh030"]
    # Bad input (exit 2), the one-shot bake's own message: the file is damaged.
    assert bad["status"] == "failed" and bad["exit_code"] == 2
    assert bad["error"].startswith(f"input {folder / 'in' / 'sh030.blend'} is damaged")
    # stderr says which shot failed and why; stdout's table lists all three.
    assert f"sh030 failed: {bad['error']}" in proc.stderr
    table = proc.stdout.splitlines()
    assert table[0].split() == ["shot", "status", "chars", "keys", "time", "error"]
    assert table[-1] == "3 shots: 2 ok, 1 failed, 0 skipped"

    first = {}
    for name, seed, preset in (("sh010", 3, "neutral_idle"), ("sh020", 0, "calm_listener")):
        shot = by_name[name]
        assert shot["status"] == "ok" and shot["error"] is None
        assert shot["seed"] == seed and shot["preset"] == preset
        assert shot["frame_range"] == [1, 48]
        assert len(shot["settings_hash"]) == 64
        assert shot["timings_s"]["total"] > 0 and shot["wall_s"] >= shot["timings_s"]["total"]
        assert [c["character"] for c in shot["characters"]] == ["MicroFaceRig"]
        first[name] = layer_curves(baked / f"{name}_microface.blend")
        assert (
            layer_keys_in_open_file() == shot["keys"] > 0
        )  # the report's count is what the file holds
    assert by_name["sh010"]["worker_pid"] != by_name["sh020"]["worker_pid"]
    assert by_name["sh010"]["settings_hash"] != by_name["sh020"]["settings_hash"]
    # sh020 has the head layer off: no neck/head rotation keys, unlike sh010.
    assert any("head" in k for k in first["sh010"]) and not any(
        '"head"' in k for k in first["sh020"]
    )

    # A re-run skips the two up-to-date shots (the corrupt one fails again).
    before = {p.name: p.stat().st_mtime_ns for p in baked.iterdir()}
    again = run_cli("bake", "--shots", three_shots, "--jobs", 2, "--report", report_path)
    assert again.returncode == 1, again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in baked.iterdir()} == before
    rerun = {s["name"]: s for s in json.loads(report_path.read_text())["shots"]}
    assert [rerun[n]["status"] for n in ("sh010", "sh020", "sh030")] == [
        "skipped",
        "skipped",
        "failed",
    ]
    assert rerun["sh010"]["keys"] == by_name["sh010"]["keys"]  # read from the stamp
    assert rerun["sh010"]["settings_hash"] == by_name["sh010"]["settings_hash"]

    # --force --jobs 1 bakes them again in one worker, with the same curves.
    forced = run_cli(
        "bake", "--shots", three_shots, "--force", "--jobs", 1, "--only", "sh010,sh020"
    )
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.splitlines()[-1] == "2 shots: 2 ok, 0 failed, 0 skipped"
    for name in ("sh010", "sh020"):
        out = baked / f"{name}_microface.blend"
        assert out.stat().st_mtime_ns > before[out.name]
        assert_same_curves(layer_curves(out), first[name])


def test_a_shot_bakes_what_the_same_one_shot_command_bakes(head, tmp_path):
    """The list's options mean what the flags mean: same curves as ``bake IN -o OUT …``."""
    cues = tmp_path / "cues.json"
    cues.write_text(json.dumps([{"at_s": 0.5, "intent": "smile", "intensity": 0.7}]))
    doc = {
        "shots": [
            {
                "name": "take",
                "input": str(head),
                "output": "take.blend",
                "seed": 11,
                "frames": FRAMES,
                "intents": "cues.json",
                "intensity": [0.9, {"blink": 0.5}],
                "stillness": 0.25,
            }
        ]
    }
    (tmp_path / "shots.json").write_text(json.dumps(doc))
    listed = run_cli("bake", "--shots", tmp_path / "shots.json", "--jobs", 0)
    assert listed.returncode == 0, listed.stderr
    single = run_cli(
        "bake", head, "-o", tmp_path / "single.blend", "--seed", 11, "--frames", FRAMES,
        "--intents", cues, "--intensity", 0.9, "--intensity", "blink=0.5", "--stillness", 0.25,
    )  # fmt: skip
    assert single.returncode == 0, single.stderr
    assert_same_curves(
        layer_curves(tmp_path / "take.blend"), layer_curves(tmp_path / "single.blend")
    )


def test_a_shot_past_its_timeout_fails_alone_and_leaves_nothing(head, tmp_path):
    shutil.copy(head, tmp_path / "long.blend")
    shutil.copy(head, tmp_path / "short.blend")
    doc = {
        "defaults": {"output-dir": "out"},
        "shots": [
            # ~2 hours at 24 fps: far more than the 1 s it is given
            {"input": "long.blend", "frames": "1:180000", "timeout": 1},
            {"input": "short.blend", "frames": FRAMES},
        ],
    }
    (tmp_path / "shots.json").write_text(json.dumps(doc))
    proc = run_cli(
        "bake", "--shots", tmp_path / "shots.json", "--jobs", 1, "--report", tmp_path / "r.json"
    )
    assert proc.returncode == 1, proc.stderr
    shots = {s["name"]: s for s in json.loads((tmp_path / "r.json").read_text())["shots"]}
    assert shots["long"]["status"] == "failed"
    assert shots["long"]["error"] == "timed out after 1 s (worker stopped)"
    assert shots["short"]["status"] == "ok"
    assert shots["short"]["worker_pid"] != shots["long"]["worker_pid"]  # a fresh worker
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "short_microface.blend",
        "short_microface.blend.microface.json",
    ]
    assert leftovers(tmp_path) == []


def test_changed_settings_or_newer_inputs_are_baked_again(head, tmp_path):
    shutil.copy(head, tmp_path / "a.blend")
    cues = tmp_path / "cues.json"
    cues.write_text("[]")
    doc = {"defaults": {"output-dir": "out", "frames": FRAMES},
           "shots": [{"input": "a.blend", "intents": "cues.json"}]}  # fmt: skip
    shots = tmp_path / "shots.json"
    shots.write_text(json.dumps(doc))

    def reason() -> str:
        proc = run_cli("bake", "--shots", shots, "--verbose")
        assert proc.returncode == 0, proc.stderr
        lines = [ln for ln in proc.stderr.splitlines() if "a: to bake" in ln or "skipped" in ln]
        assert len(lines) == 1, proc.stderr
        return lines[0]

    assert "no output yet" in reason()
    assert "skipped: up to date" in reason()
    doc["shots"][0]["seed"] = 5
    shots.write_text(json.dumps(doc))
    assert "settings changed" in reason()
    cues.write_text('[{"at_s": 0.5, "intent": "smile", "intensity": 0.5}]')
    assert "settings changed" in reason()  # the intents' content is in the hash
    os.utime(tmp_path / "a.blend")  # the input re-saved after the bake
    assert "a.blend is newer than the output" in reason()
    (tmp_path / "out" / "a_microface.blend.microface.json").unlink()
    assert "output has no stamp" in reason()
    assert "skipped: up to date" in reason()


def test_bad_list_or_flags_exit_2_before_anything_runs(head, tmp_path):
    shutil.copy(head, tmp_path / "a.blend")
    text = '{\n  "defaults": {"output-dir": "out", "preset": "no_such_preset"},\n  "shots": [{"input": "a.blend"}]\n}\n'
    (tmp_path / "shots.json").write_text(text)
    proc = run_cli("bake", "--shots", tmp_path / "shots.json")
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"microface: error: {tmp_path / 'shots.json'}:2:")
    assert "/defaults/preset: invalid preset" in line and "no preset named 'no_such_preset'" in line
    assert not (tmp_path / "out").exists()

    (tmp_path / "shots.json").write_text(text.replace("no_such_preset", "calm_listener"))
    for flags, words in (
        (["--seed", "3"], "--seed is a per-shot option"),
        ([head], "not both"),
        (["--jobs", "-1"], "--jobs -1 is below 0"),
        (["--jobs", "0", "--timeout", "5"], "--timeout needs worker processes"),
        (["--only", "zz"], "no shot named 'zz'"),
    ):
        proc = run_cli("bake", "--shots", tmp_path / "shots.json", *flags)
        assert proc.returncode == 2 and words in proc.stderr, (flags, proc.stderr)
    proc = run_cli("bake", head, "-o", tmp_path / "x.blend", "--jobs", "2")
    assert proc.returncode == 2 and "--jobs goes with --shots" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.blend", "shots.json"]


def test_progress_one_line_per_shot_in_a_log_a_live_line_on_a_terminal(head, tmp_path):
    for n in ("a", "b"):
        shutil.copy(head, tmp_path / f"{n}.blend")
    doc = {"defaults": {"output-dir": "out", "frames": FRAMES},
           "shots": [{"input": "a.blend"}, {"input": "b.blend"}]}  # fmt: skip
    shots = tmp_path / "shots.json"
    shots.write_text(json.dumps(doc))

    log = run_cli("bake", "--shots", shots, "--force")
    assert log.returncode == 0, log.stderr
    lines = log.stderr.splitlines()
    assert len(lines) == 2 and "\r" not in log.stderr, log.stderr
    assert lines[0].startswith("microface: [1/2] ") and lines[1].startswith("microface: [2/2] ")
    assert all(" ok: 1 character, " in ln and " keys, " in ln for ln in lines)

    quiet = run_cli("bake", "--shots", shots, "--force", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""

    tty, screen = on_a_terminal("bake", "--shots", shots, "--force")
    assert tty.returncode == 0
    assert "\r\x1b[K" in screen and "[2/2] 2 ok, 0 failed, 0 skipped" in screen
    assert "baking " in screen  # which shots are running
    assert "microface: [1/2] a ok" not in screen  # no per-shot lines on a terminal
    # Baked in this process, a shot's steps join the batch's count on the same line.
    tty, screen = on_a_terminal("bake", "--shots", shots, "--force", "--jobs", 0)
    assert tty.returncode == 0
    assert "[0/2] 0 ok, 0 failed, 0 skipped; baking a" in screen
    assert "a.blend: solving MicroFaceRig (1/2)" in screen
    assert "b.blend: baking MicroFaceRig (2/2)" in screen
    assert screen.endswith("\r\x1b[K")  # the line is cleared at the end


def on_a_terminal(*args) -> tuple[subprocess.CompletedProcess, str]:
    """``python -m microface_addon ARGS`` with stderr on a terminal: (the run, what it drew)."""
    primary, secondary = pty.openpty()
    try:
        run = subprocess.run(
            [sys.executable, "-m", "microface_addon", *map(str, args)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=secondary,
            timeout=300,
        )
    finally:
        os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(primary, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(primary)
    return run, b"".join(chunks).decode()


def test_blender_command_bakes_a_shot_list_on_workers(head, tmp_path, capfd):
    """``blender -b -c microface bake --shots …``: the callback, called here from the bpy module
    (which has no Blender binary, so its workers are ``python -m microface_addon``)."""
    from microface_addon.cli import dispatch

    shutil.copy(head, tmp_path / "a.blend")
    doc = {"shots": [{"input": "a.blend", "output": "a_out.blend", "frames": FRAMES}]}
    (tmp_path / "shots.json").write_text(json.dumps(doc))
    code = dispatch.execute(["bake", "--shots", str(tmp_path / "shots.json"), "--jobs", "1"])
    out, err = capfd.readouterr()
    assert code == 0, err
    assert out.splitlines()[-1] == "1 shot: 1 ok, 0 failed, 0 skipped"
    assert (tmp_path / "a_out.blend").is_file()
    assert layer_curves(tmp_path / "a_out.blend")


def test_a_missing_audio_file_is_placed_at_its_option(tmp_path):
    """Found when the shots are resolved (before any opens), pointed at the option."""
    from test_shotlist import position, write

    from microface_addon.cli import shotlist

    shots_dir = tmp_path
    write(shots_dir / "in" / "sh010.blend", "not read here")
    text = json.dumps(
        {"shots": [{"input": "in/sh010.blend", "output": "o.blend", "audio": "gone.wav"}]},
        indent=1,
    )
    path = write(shots_dir / "shots.json", text)
    shot_list = shotlist.load_shot_list(path)
    with pytest.raises(shotlist.ShotListError) as err:
        shotlist.resolve_all(shot_list, shot_list.shots)
    (line,) = [str(p) for p in err.value.problems]
    row, col = position(text, '"gone.wav"')
    assert f"shots.json:{row}:{col}" in line and "/shots/0/audio" in line
    assert "audio file not found" in line and "gone.wav" in line
