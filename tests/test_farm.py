"""``farm-bundle``: an Open Job Description job bundle in AWS Deadline Cloud's layout, checked by the
reference implementation (``openjd check``, from the ``openjd-cli`` package) and run locally with
``openjd run`` — which must write the same outputs, with the same curves, as ``bake --shots``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_shots import FRAMES, assert_same_curves, layer_curves, run_cli

OPENJD = Path(sys.executable).parent / "openjd"


def openjd(*args, timeout: float = 600) -> subprocess.CompletedProcess:
    assert OPENJD.is_file(), "openjd-cli is a test requirement (tools/requirements-bpy*.txt)"
    return subprocess.run(
        [str(OPENJD), *map(str, args)], capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def head(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("farm_src") / "head.blend"
    assert run_cli("sample", path).returncode == 0
    return path


def two_shot_list(head: Path, folder: Path, output_dir: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("sh010", "sh020"):
        shutil.copy(head, folder / f"{name}.blend")
    doc = {
        "defaults": {"output-dir": output_dir, "frames": FRAMES},
        "shots": [
            {"input": "sh010.blend", "seed": 2, "timeout": 300},
            {"input": "sh020.blend", "preset": "anxious", "timeout": 300},
        ],
    }
    path = folder / "shots.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def test_bundle_passes_openjd_check_and_openjd_run_bakes_what_bake_shots_bakes(head, tmp_path):
    shots = two_shot_list(head, tmp_path / "show", "farm_out")
    bundle = tmp_path / "bundle"
    made = run_cli("farm-bundle", shots, "--output", bundle)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == f"wrote {bundle}: 2 shots in 2 tasks"
    assert sorted(p.name for p in bundle.iterdir()) == [
        "asset_references.yaml",
        "parameter_values.yaml",
        "template.yaml",
    ]
    check = openjd("check", bundle / "template.yaml")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "passes validation" in check.stdout

    template = yaml.safe_load((bundle / "template.yaml").read_text())
    assert template["specificationVersion"] == "jobtemplate-2023-09"
    (step,) = template["steps"]
    (task_param,) = step["parameterSpace"]["taskParameterDefinitions"]
    assert task_param["range"] == ["sh010", "sh020"]  # one task per shot
    assert step["script"]["actions"]["onRun"]["timeout"] == 300 + 120
    values = yaml.safe_load((bundle / "parameter_values.yaml").read_text())
    assert set(values) == {"parameterValues"}
    params = {v["name"]: v["value"] for v in values["parameterValues"]}
    assert set(params) == {p["name"] for p in template["parameterDefinitions"]}
    assert params["ShotList"] == str(shots)
    assets = yaml.safe_load((bundle / "asset_references.yaml").read_text())["assetReferences"]
    assert assets["inputs"]["filenames"] == [str(shots.parent / f"sh0{n}0.blend") for n in (1, 2)]
    assert assets["outputs"]["directories"] == [str(shots.parent / "farm_out")]

    # The farm, locally: every task of the step, with the bundle's parameter values.
    ran = openjd("run", bundle / "template.yaml", "-p", json.dumps(params))
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "Session ended successfully" in ran.stdout
    farm_out = shots.parent / "farm_out"
    assert sorted(p.name for p in farm_out.glob("*.blend")) == [
        "sh010_microface.blend",
        "sh020_microface.blend",
    ]

    # The same shots through bake --shots (another output folder): the same curves.
    local = two_shot_list(head, tmp_path / "local", "local_out")
    proc = run_cli("bake", "--shots", local, "--jobs", 2)
    assert proc.returncode == 0, proc.stderr
    for name in ("sh010", "sh020"):
        assert_same_curves(
            layer_curves(farm_out / f"{name}_microface.blend"),
            layer_curves(local.parent / "local_out" / f"{name}_microface.blend"),
        )

    # A farm re-run of the job skips the shots it already baked.
    again = openjd("run", bundle / "template.yaml", "-p", json.dumps(params))
    assert again.returncode == 0
    assert again.stdout.count("1 shot: 0 ok, 0 failed, 1 skipped") == 2, again.stdout[-3000:]


def test_chunks_put_several_shots_in_one_task(head, tmp_path):
    shots = two_shot_list(head, tmp_path / "show", "out")
    bundle = tmp_path / "bundle"
    made = run_cli("farm-bundle", shots, "--output", bundle, "--chunk", 2, "--name", "Night 12",
                   "--command", "blender -b -c microface")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().endswith("2 shots in 1 task")
    template = yaml.safe_load((bundle / "template.yaml").read_text())
    assert template["name"] == "Night 12"
    (task_param,) = template["steps"][0]["parameterSpace"]["taskParameterDefinitions"]
    assert task_param["range"] == ["sh010,sh020"]
    assert template["steps"][0]["script"]["actions"]["onRun"]["timeout"] == 600 + 120
    defaults = {p["name"]: p.get("default") for p in template["parameterDefinitions"]}
    assert defaults["MicroFaceCommand"] == "blender -b -c microface"
    assert openjd("check", bundle / "template.yaml").returncode == 0


def test_bad_list_writes_no_bundle(head, tmp_path):
    shots = two_shot_list(head, tmp_path / "show", "out")
    shots.write_text(shots.read_text().replace('"seed": 2', '"seed": "two"'))
    proc = run_cli("farm-bundle", shots, "--output", tmp_path / "bundle")
    assert proc.returncode == 2
    assert f"{shots}:" in proc.stderr and "/shots/0/seed: expected integer" in proc.stderr
    assert not (tmp_path / "bundle").exists()
