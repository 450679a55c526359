"""Enabling MicroFace is light: no SciPy and no jsonschema until a bake or a validation needs them.

Why a test in a fresh process: Blender enables add-ons on every start, for users who may not bake
that day, and importing SciPy alone took ~1.9 s of the 2.4–3.5 s the add-on used to cost.  A
module imported anywhere on the registration path (a panel reading the layer registry, an
operator module importing the solver) would bring it back silently; only a clean interpreter
that enables the add-on the way Blender does — as ``bl_ext.<repo>.microface`` from an extensions
repository — shows what registration really imports.  The same probe then bakes, to prove the
imports still happen when they are needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import extension_repo

pytestmark = pytest.mark.blender

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("scipy", "jsonschema", "referencing", "rpds", "jsonschema_specifications")

PROBE = r"""
import json, sys, time
import bpy
import addon_utils

repo_dir, out_path, heavy = sys.argv[1], sys.argv[2], tuple(sys.argv[3].split(","))


def loaded():
    return sorted(m for m in sys.modules if m.split(".")[0] in heavy)


facts = {"before": loaded()}
prefs = bpy.context.preferences
prefs.extensions.repos.new(name="mfstart", module="mfstart", custom_directory=repo_dir, source="USER")
name = "bl_ext.mfstart.microface"
t0 = time.perf_counter()
addon_utils.enable(name, default_set=True)
facts["enable_s"] = time.perf_counter() - t0
facts["enabled"] = name in prefs.addons and bool(addon_utils.check(name)[1])
facts["after_enable"] = loaded()
# What the panel shows without baking: the preset menu, the cue list, the layer sliders.
ui = sys.modules[name + ".ui"]
facts["preset_items"] = len(sys.modules[name + ".ui.preferences"].preset_items())
facts["after_menus"] = loaded()
scene = bpy.context.scene
scene.frame_start, scene.frame_end = 1, 24
parts = sys.modules.get(name + ".assets.sample_head") or __import__(
    name + ".assets.sample_head", fromlist=["build_sample_head"])
head = parts.build_sample_head(scene)["head"]
with bpy.context.temp_override(selected_objects=[head], active_object=head):
    facts["bake"] = sorted(bpy.ops.microface.layer_micro_motion())
facts["after_bake"] = loaded()
addon_utils.disable(name, default_set=True)
with open(out_path, "w") as fh:
    json.dump(facts, fh)
"""


def test_enabling_the_extension_imports_neither_scipy_nor_jsonschema(tmp_path):
    repo = extension_repo(tmp_path)
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    out = tmp_path / "facts.json"
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(tmp_path / "user")}
    proc = subprocess.run(
        [sys.executable, str(probe), str(repo), str(out), ",".join(HEAVY)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    facts = json.loads(out.read_text())
    assert facts["before"] == [], "Blender itself loaded them: the probe cannot tell"
    assert facts["enabled"]
    assert facts["after_enable"] == [], "registration imported " + ", ".join(facts["after_enable"])
    assert facts["preset_items"] > 0 and facts["after_menus"] == []
    # A bake needs both, and gets them.
    assert facts["bake"] == ["FINISHED"]
    assert {"scipy", "jsonschema"} <= {m.split(".")[0] for m in facts["after_bake"]}
