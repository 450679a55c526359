"""The README's test command (``bash tools/bootstrap.sh test``) and ``.ci/run``: which runs happen
and how their exit codes become the command's.

The contract under test is the shell script's own logic, not Blender, so it runs against prepared
venvs (``MICROFACE_VENV_ROOT``) whose ``bin/python`` is a small script standing in for pytest: it
records how it was called and exits as the test tells it to.  That pytest really exits 5 when it
collects nothing is checked against the real pytest at the end.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOTSTRAP = ROOT / "tools" / "bootstrap.sh"
CI_RUN = ROOT / ".ci" / "run"
LEGS = {"4.2": "311", "5.2": "313", "5.0": "311"}
BAKE_50 = [
    "tests/test_bake.py",
    "tests/test_breath_head_bake.py",
    "tests/test_cascade_bake.py",
    "tests/test_golden_curves.py",
    "tests/test_dialogue_bake.py",
    "tests/test_sparse_bake.py",
    "tests/test_reduce.py",
]

# Stands in for a venv's python.  `python - VERSION` is the venv probe (complete: exit 0);
# `python -m pytest … -m PART PATHS` prints a few lines (the first and last with a pause between,
# so interleaved output would show) and exits with the code in ../rc-PART (default 0).
FAKE_PYTHON = r"""#!/usr/bin/env bash
venv=$(cd "$(dirname "$0")/.." && pwd)
if [[ $1 == - ]]; then cat >/dev/null; exit 0; fi
if [[ $1 == -m && $2 == pytest ]]; then
    shift 2
    part=""
    args=("$@")
    for ((i = 0; i < ${#args[@]}; i++)); do
        [[ ${args[i]} == -m ]] && part=${args[i + 1]}
    done
    printf '%s\n' "$*" >>"$venv/calls.log"
    rc=$(cat "$venv/rc-$part" 2>/dev/null || echo 0)
    name=$(basename "$venv")
    echo "begin $name $part"
    sleep 0.05
    case $rc in
    0) echo "3 passed, 2 deselected in 0.01s" ;;
    5) echo "2 deselected in 0.01s" ;;
    *) echo "1 failed, 2 passed in 0.01s" ;;
    esac
    echo "end $name $part"
    exit "$rc"
fi
echo "fake python: unexpected call: $*" >&2
exit 99
"""


@pytest.fixture
def venvs(tmp_path):
    """Prepared venvs for 4.2, 5.2 and 5.0; ``venvs.exit(leg, part, rc)`` scripts pytest."""
    root = tmp_path / "venvs"
    for leg, py in LEGS.items():
        bin_dir = root / f"venv-bpy{leg}-py{py}" / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "python").write_text(FAKE_PYTHON, encoding="utf-8")
        (bin_dir / "python").chmod(0o755)

    class Venvs:
        path = root

        def exit(self, leg: str, part: str, rc: int) -> None:
            (root / f"venv-bpy{leg}-py{LEGS[leg]}" / f"rc-{part}").write_text(str(rc))

        def calls(self, leg: str) -> dict[str, list[str]]:
            """``{part: paths}`` of every pytest run in that venv."""
            log = root / f"venv-bpy{leg}-py{LEGS[leg]}" / "calls.log"
            out = {}
            for line in log.read_text().splitlines() if log.exists() else []:
                args = line.split()
                assert args[:3] == ["-q", "-p", "no:cacheprovider"], line
                assert args[3] == "-m", line
                out[args[4]] = args[5:]
            return out

    return Venvs()


def run(cmd: list[str], venv_root: Path, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MICROFACE_")}
    environ.update(MICROFACE_VENV_ROOT=str(venv_root), **env)
    return subprocess.run(cmd, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)


def bootstrap_test(venvs, **env) -> subprocess.CompletedProcess:
    return run(["bash", str(BOOTSTRAP), "test"], venvs.path, **env)


def summary(proc) -> dict[str, str]:
    """``{"4.2": "PASS  …", "5.2": "FAIL  …"}`` from the summary at the end of the output."""
    tail = proc.stdout.rpartition("[microface] === summary")[2]
    return dict(re.findall(r"^\[microface\] bpy (\d+\.\d+) \(Python [\d.]+\): (.+)$", tail, re.M))


def test_all_legs_pass_and_each_runs_its_pure_and_blender_tests(venvs):
    proc = bootstrap_test(venvs)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = summary(proc)
    assert set(result) == {"4.2", "5.2", "5.0"}, proc.stdout
    assert all(line.startswith("PASS  pytest ok (") for line in result.values()), result
    for leg in ("4.2", "5.2"):
        assert venvs.calls(leg) == {"blender": ["tests"], "pure": ["tests"]}
    # 5.0 runs the Blender tests of the bake and golden-curve files only.
    assert venvs.calls("5.0") == {"blender": BAKE_50}
    # Each run's output is printed in one piece even though runs overlap.
    for name in ("venv-bpy4.2-py311", "venv-bpy5.2-py313"):
        for part in ("pure", "blender"):
            block = re.search(
                rf"^begin {re.escape(name)} {part}\n(.*?)^end {re.escape(name)} {part}$",
                proc.stdout,
                re.M | re.S,
            )
            assert block and block.group(1) == "3 passed, 2 deselected in 0.01s\n", proc.stdout


def test_no_tests_collected_fails_every_leg(venvs):
    for leg in LEGS:
        for part in ("pure", "blender"):
            venvs.exit(leg, part, 5)
    proc = bootstrap_test(venvs)
    assert proc.returncode != 0
    result = summary(proc)
    assert set(result) == {"4.2", "5.2", "5.0"}, proc.stdout
    for line in result.values():
        assert line.startswith("FAIL  pytest FAILED: exit 5, no tests collected"), line


def test_a_leg_with_only_blender_tests_passes(venvs):
    venvs.exit("4.2", "pure", 5)  # e.g. test paths without any pure test
    proc = bootstrap_test(venvs, MICROFACE_SKIP_50="1")
    assert proc.returncode == 0, proc.stdout
    assert summary(proc)["4.2"] == (
        "PASS  pytest ok (blender: 3 passed, 2 deselected in 0.01s; pure: none collected)"
    )


@pytest.mark.parametrize("part", ["pure", "blender"])
def test_one_failing_leg_fails_the_command_and_the_others_still_run(venvs, part):
    venvs.exit("4.2", part, 1)
    proc = bootstrap_test(venvs)
    assert proc.returncode != 0
    result = summary(proc)
    assert result["4.2"].startswith("FAIL  pytest FAILED (") and (
        f"{part}: exit 1 (1 failed, 2 passed" in result["4.2"]
    ), result
    assert result["5.2"].startswith("PASS") and result["5.0"].startswith("PASS"), result
    assert venvs.calls("5.2") == {"blender": ["tests"], "pure": ["tests"]}
    assert venvs.calls("5.0") == {"blender": BAKE_50}


def test_one_at_a_time_gives_the_same_verdict(venvs):
    venvs.exit("5.2", "blender", 2)
    proc = bootstrap_test(venvs, MICROFACE_TEST_JOBS="1")
    assert proc.returncode != 0
    result = summary(proc)
    assert result["5.2"].startswith("FAIL") and "blender: exit 2" in result["5.2"]
    assert result["4.2"].startswith("PASS") and result["5.0"].startswith("PASS")


def test_a_leg_whose_venv_cannot_be_set_up_fails_and_the_others_run(venvs, tmp_path):
    (venvs.path / "venv-bpy5.2-py313" / "bin" / "python").unlink()  # incomplete venv
    proc = bootstrap_test(venvs, MICROFACE_PYTHON313=str(tmp_path / "no-such-python"))
    assert proc.returncode != 0
    result = summary(proc)
    assert result["5.2"].startswith("FAIL  setup: Python 3.13 not found"), result
    assert result["4.2"].startswith("PASS") and result["5.0"].startswith("PASS"), result


def test_explicit_test_paths_run_on_4_2_and_5_2_only(venvs, tmp_path):
    proc = bootstrap_test(venvs, MICROFACE_TEST_PATHS=f"{tmp_path}/a.py {tmp_path}/b.py")
    assert proc.returncode == 0, proc.stdout
    assert set(summary(proc)) == {"4.2", "5.2"}
    for leg in ("4.2", "5.2"):
        assert venvs.calls(leg)["blender"] == [f"{tmp_path}/a.py", f"{tmp_path}/b.py"]
    assert venvs.calls("5.0") == {}


# --- .ci/run is the README's command --------------------------------------------------------


def readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after = readme.split("**Run the whole test suite**", 1)[1]
    block = re.search(r"```bash\n(.*?)```", after, re.S).group(1)
    (command,) = [ln.strip() for ln in block.splitlines() if ln.strip()]
    return command


def test_ci_entry_point_runs_exactly_the_readme_test_command(venvs):
    assert readme_test_command() == "bash tools/bootstrap.sh test"
    lines = [ln.strip() for ln in CI_RUN.read_text(encoding="utf-8").splitlines()]
    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines
    assert lines[-1] == f"exec {readme_test_command()}"
    assert os.access(CI_RUN, os.X_OK)
    # It fails loudly when the command fails, and passes when it passes (from any directory).
    venvs.exit("5.0", "blender", 5)
    failing = run([str(CI_RUN)], venvs.path)
    assert failing.returncode != 0
    assert "bpy 5.0 (Python 3.11): FAIL  pytest FAILED: exit 5" in failing.stdout
    venvs.exit("5.0", "blender", 0)
    passing = run([str(CI_RUN)], venvs.path)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert len(summary(passing)) == 3


# --- the fake's premise: pytest's own exit codes --------------------------------------------


def test_real_pytest_exits_5_when_it_collects_or_selects_nothing(tmp_path):
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # pytest itself, no plugins

    def pytest_in(folder: Path, *args: str) -> int:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, str(folder)],
            cwd=folder,
            env=env,
            capture_output=True,
            timeout=120,
        ).returncode

    empty = tmp_path / "empty"
    empty.mkdir()
    assert pytest_in(empty) == 5
    one = tmp_path / "one"
    one.mkdir()
    (one / "test_one.py").write_text("def test_one():\n    assert True\n")
    assert pytest_in(one, "-m", "pure") == 5  # everything deselected
    assert pytest_in(one) == 0
