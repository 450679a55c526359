"""The pure core must import and solve in a process where bpy and mathutils cannot be imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import ROOT


def test_core_imports_and_solves_with_bpy_blocked():
    code = textwrap.dedent(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("bpy", "mathutils", "bmesh", "bpy_extras"):
                    raise ImportError("blocked for this test: " + name)
                return None
        sys.meta_path.insert(0, Block())
        import microface_addon.core as core
        perf = core.solve(core.load_preset(), 5.0, seed=1, character_id="x")
        assert perf.channels, "no channels"
        assert not any(m.split(".")[0] in ("bpy", "mathutils") for m in sys.modules)
        print("ok", len(perf.channels))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")


def test_blocking_really_blocks_bpy():
    """Guard for the test above: the blocker makes a bpy import fail."""
    code = (
        "import sys\n"
        "class B:\n"
        "    def find_spec(self, n, p=None, t=None):\n"
        "        if n.split('.')[0] == 'bpy': raise ImportError('blocked')\n"
        "sys.meta_path.insert(0, B())\n"
        "import bpy\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "blocked" in out.stderr
