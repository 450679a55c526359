"""The command line shows a bake's progress on a terminal, and only there.

Why both: someone waiting at a terminal for a ten-minute shot wants to see it move; a render
farm's log or a pipe must keep getting the one result line per shot and nothing else.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.blender

ROOT = Path(__file__).resolve().parents[1]
RUN = [sys.executable, "-m", "microface_addon"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("progress") / "shot.blend"
    proc = subprocess.run([*RUN, "sample", str(path)], cwd=ROOT, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return path


def _read_all(fd: int, proc: subprocess.Popen) -> bytes:
    out = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    return out


def test_a_terminal_sees_the_steps_of_the_bake(sample, tmp_path):
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*RUN, "bake", str(sample), "-o", str(tmp_path / "out.blend"), "--frames", "1:48"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    err = _read_all(master, proc).decode()
    proc.wait(timeout=300)
    os.close(master)
    assert proc.returncode == 0, err
    assert "shot.blend: solving MicroFaceRig (1/2)" in err
    assert "shot.blend: baking MicroFaceRig (2/2)" in err
    assert err.endswith("\r\x1b[K")  # the progress line is cleared at the end
    assert b"shot.blend -> out.blend" in proc.stdout.read()


def _ocio_config() -> str:
    """The OpenColorIO config the bpy module ships (studios point ``OCIO`` at theirs)."""
    import importlib.util

    origin = Path(importlib.util.find_spec("bpy").origin).parent
    return str(next(origin.glob("*/datafiles/colormanagement/config.ocio")))


def test_a_pipe_gets_no_progress(sample, tmp_path):
    """Only the result line on stdout — also where a studio sets ``OCIO``, which makes
    Blender log a line on stdout as bpy is imported."""
    proc = subprocess.run(
        [*RUN, "bake", str(sample), "-o", str(tmp_path / "out.blend"), "--frames", "1:48"],
        cwd=ROOT,
        env={**os.environ, "OCIO": _ocio_config()},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert len(proc.stdout.strip().splitlines()) == 1
