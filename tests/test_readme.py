"""Every command in the README runs as written, on the sample head.

Why: a README example that fails is the first thing a new user meets (``--look-at Camera`` did,
on a head whose camera is ``MicroFaceCamera``).  The commands are read from the README itself —
the ``python -m microface_addon`` lines and the ``blender -b … -c microface`` line of its bash
blocks, with the JSON files its json blocks show — and run in order in a scratch folder, with the
repository on ``PYTHONPATH`` as "from the repository root" says.  ``blender -c`` is run through
the command Blender registers (``cli.dispatch.execute``) with the file open, as Blender would.
The remaining shell lines are covered elsewhere: ``tools/bootstrap.sh`` and ``tools/build_extension.py``
by ``tests/test_packaging.py``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.blender

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
COVERED_ELSEWHERE = ("bash tools/bootstrap.sh", "tools/build_extension.py", "-m pytest")


def _blocks(kind: str) -> list[tuple[int, str]]:
    """(line number, text) of each fenced block of ``kind`` in the README."""
    text = README.read_text(encoding="utf-8")
    return [
        (text[: m.start()].count("\n"), m.group(1))
        for m in re.finditer(rf"```{kind}\n(.*?)```", text, flags=re.S)
    ]


def _commands() -> list[list[str]]:
    out = []
    for _line, block in _blocks("bash"):
        for command in block.replace("\\\n", " ").splitlines():
            words = shlex.split(command, comments=True)
            if words:
                out.append(words)
    return out


def _json_files() -> dict[str, str]:
    """The JSON blocks, named by the last `file.json` mentioned before each."""
    text = README.read_text(encoding="utf-8")
    files = {}
    for line, block in _blocks("json"):
        before = "\n".join(text.splitlines()[:line])
        names = re.findall(r"`([\w.-]+\.json)`", before)
        json.loads(block)  # a README example must be valid JSON
        files[names[-1]] = block
    return files


def test_every_readme_command_is_run_here_or_elsewhere():
    for words in _commands():
        line = " ".join(words)
        assert (
            words[:3] == ["python", "-m", "microface_addon"]
            or words[0] == "blender"
            or any(c in line for c in COVERED_ELSEWHERE)
        ), f"README command nobody runs: {line}"
    assert {"cues.json", "studio_map.json"} <= set(_json_files())


BLENDER_C = r"""
import sys, os
import bpy
os.chdir(sys.argv[1])  # relative paths as the shell gives them
bpy.ops.wm.open_mainfile(filepath=os.path.abspath(sys.argv[2]))
import microface_addon
from microface_addon.cli import dispatch
microface_addon.register()
code = dispatch.execute(sys.argv[3:])
microface_addon.unregister()
sys.exit(code)
"""


def test_the_readme_commands_run_as_written(tmp_path):
    for name, text in _json_files().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ran = 0
    for words in _commands():
        if words[:3] == ["python", "-m", "microface_addon"]:
            argv = [sys.executable, *words[1:]]
        elif words[0] == "blender":
            # blender -b FILE -c microface ARGS… → the registered command, FILE open
            assert words[1] == "-b" and words[3:5] == ["-c", "microface"], words
            probe = tmp_path / "blender_c.py"
            probe.write_text(BLENDER_C, encoding="utf-8")
            argv = [sys.executable, str(probe), str(tmp_path), words[2], *words[5:]]
        else:
            continue
        proc = subprocess.run(
            argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
        )
        assert proc.returncode == 0, f"{' '.join(words)}\n{proc.stdout}\n{proc.stderr}"
        ran += 1
    assert ran >= 10
    for made in (
        "shot_mf.blend",
        "report.json",
        "shot_cues.blend",
        "shot_dense.blend",
        "baked/shot_microface.blend",
        "baked/take2_microface.blend",
        "batch.json",
    ):
        assert (tmp_path / made).is_file(), made
    report = json.loads((tmp_path / "report.json").read_text())
    (shot,) = report["shots"]
    assert shot["options"]["look_at"] == "MicroFaceCamera"
    assert any("MicroFaceCamera" in n for n in shot["characters"][0]["notes"])
