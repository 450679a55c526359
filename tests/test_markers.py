"""The ``pure`` / ``blender`` markers (``tests/conftest.py``): how test modules are classified, and
the pure run (``-m pure``) really having no Blender, so a mis-marked test fails there."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import conftest
from conftest import ROOT, TESTS, classify_test_module


def write(folder: Path, name: str, code: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return path.resolve()


def test_classification_follows_imports_into_the_addon(tmp_path):
    direct = write(tmp_path, "test_direct.py", "import numpy\nfrom mathutils import Vector\n")
    via_addon = write(tmp_path, "test_via.py", "from microface_addon.apply import BakeOptions\n")
    via_helper = write(tmp_path, "test_helper.py", "from rig_builders import add_mesh\n")
    lazy = write(tmp_path, "test_lazy.py", "def test_x():\n    import bmesh\n")
    pure = write(
        tmp_path,
        "test_pure.py",
        "from microface_addon.core import solve\nfrom microface_addon.cli import main\n"
        "from conftest import assert_same_curve\n",
    )
    assert classify_test_module(direct) == ("imports mathutils", "imports mathutils")
    at_import, anywhere = classify_test_module(via_addon)
    assert at_import == anywhere == "microface_addon.apply imports bpy"
    assert classify_test_module(via_helper)[0] == "rig_builders imports bmesh"
    assert classify_test_module(lazy) == (None, "imports bmesh")  # runs without bpy until called
    # The add-on imports bpy inside functions on purpose: the core and the CLI stay pure.
    assert classify_test_module(pure) == (None, None)


def test_the_suite_is_split_as_documented():
    kinds = {p.name: classify_test_module(p.resolve())[1] is None for p in TESTS.glob("test_*.py")}
    assert kinds["test_gaze.py"] and kinds["test_validate.py"] and kinds["test_bootstrap.py"]
    assert not kinds["test_bake.py"] and not kinds["test_cli.py"]
    assert not kinds["test_rotations.py"]  # mathutils comes with Blender


def test_this_test_carries_the_pure_marker(request):
    assert [m.name for m in request.node.iter_markers() if m.name in conftest.MARKERS] == ["pure"]


def test_the_pure_run_blocks_blender_so_a_mismarked_test_fails(tmp_path):
    write(
        tmp_path,
        "test_sample.py",
        """
        import importlib
        import pytest

        def test_plain_numbers():
            assert sum([1, 2]) == 3

        @pytest.mark.pure
        def test_says_pure_but_needs_blender():
            importlib.import_module("bpy")  # not visible to the static classification
        """,
    )
    write(tmp_path, "test_blender_module.py", "import bpy\n\ndef test_x():\n    assert bpy\n")
    write(
        tmp_path,
        "test_blender_via_addon.py",
        "from microface_addon.bake import has_layer\n\ndef test_x():\n    assert has_layer\n",
    )
    write(tmp_path, "test_lazy.py", "def test_x():\n    import mathutils\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(ROOT)])
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-m", "pure"]
        + ["-q", "-rf", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    # Modules that import Blender are not even collected; the lazy one is deselected.
    assert re.search(r"^1 failed, 1 passed, 1 deselected in ", out, re.M), out
    assert "FAILED test_sample.py::test_says_pure_but_needs_blender" in out
    assert "bpy is blocked in the pure run (-m pure)" in out
