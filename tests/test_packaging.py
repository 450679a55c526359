"""Extension packaging, checked with Blender's own tools (the bootstrap contract: test_bootstrap.py).

Blender's extension CLI (``blender_ext.py``, shipped inside the bpy wheel) validates and builds; the
built zip is installed into the running Blender version in a subprocess with an isolated user
directory, because ``BLENDER_USER_RESOURCES`` must be set before bpy starts.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import bpy
import numpy as np
import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
MANIFEST_PATH = ROOT / "blender_manifest.toml"
BUILD_SCRIPT = ROOT / "tools" / "build_extension.py"
SCRIPTS_DIR = Path(bpy.__file__).resolve().parents[2]  # <bpy>/<ver>/scripts
BLENDER_EXT = SCRIPTS_DIR / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
TAGS_FILE = SCRIPTS_DIR / "modules" / "_bpy_internal" / "extensions" / "tags.py"
PLATFORMS = {"linux-x64", "windows-x64", "macos-arm64"}
pytestmark = pytest.mark.slow  # builds the extension zip and installs it in a fresh Blender
PYTHONS = {(3, 11), (3, 13)}  # Blender 4.2-5.0 embed 3.11, Blender 5.1+ embed 3.13
PY = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


build_extension = _load_module("microface_build_extension", BUILD_SCRIPT)
blender_ext = _load_module("microface_blender_ext", BLENDER_EXT)


def _manifest() -> dict:
    with MANIFEST_PATH.open("rb") as fh:
        return tomllib.load(fh)


def _wheel_names() -> list[str]:
    return [w.removeprefix("./wheels/") for w in _manifest()["wheels"]]


def _validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BLENDER_EXT), "validate", f"--valid-tags={TAGS_FILE}", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- manifest -------------------------------------------------------------------------------------


def test_blender_validator_accepts_the_staged_source_and_rejects_a_broken_copy(tmp_path):
    src = build_extension.stage(tmp_path / "microface")
    assert (src / "__init__.py").is_file() and (src / "presets" / "defaults.json").is_file()
    ok = _validate(src)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    # The same validator must notice a wrong tag and a permission Blender does not know.
    broken = (src / "blender_manifest.toml").read_text(encoding="utf-8")
    bad_tag = broken.replace('"Rigging"', '"Riging"')
    assert bad_tag != broken
    (src / "blender_manifest.toml").write_text(bad_tag, encoding="utf-8")
    assert _validate(src).returncode != 0
    bad_perm = broken.replace("[permissions]\n", '[permissions]\nwheels = "scipy"\n')
    (src / "blender_manifest.toml").write_text(bad_perm, encoding="utf-8")
    assert _validate(src).returncode != 0


def test_manifest_identity_matches_the_package():
    import microface_addon

    manifest = _manifest()
    with (ROOT / "pyproject.toml").open("rb") as fh:
        pyproject = tomllib.load(fh)
    assert manifest["id"] == "microface"
    assert manifest["version"] == microface_addon.__version__ == pyproject["project"]["version"]
    assert manifest["blender_version_min"] == "4.2.0"
    assert len(manifest["tagline"]) < 64 and manifest["tagline"][-1].isalnum()
    assert set(manifest["platforms"]) == PLATFORMS


def test_manifest_wheels_cover_every_platform_and_python_for_every_distribution():
    covered: dict[str, set] = {}
    versions: dict[str, set] = {}
    for name in _wheel_names():
        wheel = build_extension.WheelFile.from_filename(name)
        # Blender's own readings of the wheel name, not ours.
        platform_tag = name[: -len(".whl")].split("-")[-1]
        if platform_tag == "any":
            plats = PLATFORMS
        else:
            plats = set(blender_ext.blender_platforms_from_wheel_platform(platform_tag))
        pythons = blender_ext.python_versions_from_wheel(name[: -len(".whl")])
        assert not isinstance(pythons, str), pythons
        pys = PYTHONS if pythons in ({(3,)}, set()) else {v for v in pythons if v in PYTHONS}
        assert plats <= PLATFORMS, f"{name} targets a platform we do not declare: {plats}"
        assert pys, f"{name} is for no Python we ship for: {pythons}"
        covered.setdefault(wheel.distribution, set()).update((p, v) for p in plats for v in pys)
        versions.setdefault(wheel.distribution, set()).add(wheel.version)

    assert "numpy" not in covered, "Blender ships numpy; bundling it would shadow Blender's"
    assert {"scipy", "jsonschema", "rpds-py"} <= set(covered)
    everywhere = {(p, v) for p in PLATFORMS for v in PYTHONS}
    for dist, pairs in covered.items():
        assert pairs == everywhere, f"{dist} misses {sorted(everywhere - pairs)}"
        assert len(versions[dist]) == 1, f"{dist} bundled in several versions {versions[dist]}"


@pytest.fixture(scope="module")
def linux_wheels() -> dict[str, Path]:
    """The linux-x64 wheels from the shared cache (downloaded once per machine)."""
    manifest = build_extension.read_manifest()
    wheels = build_extension.wheels_for_platforms(
        build_extension.manifest_wheels(manifest), ["linux-x64"], manifest["platforms"]
    )
    cache = Path(os.environ.get("MICROFACE_WHEEL_CACHE", build_extension.DEFAULT_WHEEL_CACHE))
    return build_extension.ensure_wheels(wheels, cache.expanduser())


@pytest.mark.parametrize("python", sorted(PYTHONS))
def test_bundled_wheels_bring_every_runtime_dependency_except_blenders_numpy(linux_wheels, python):
    tag = f"cp{python[0]}{python[1]}"
    chosen = {
        n: p for n, p in linux_wheels.items() if f"-{tag}-" in n or n.endswith("-none-any.whl")
    }
    bundled = {}
    requires = []
    for path in chosen.values():
        with zipfile.ZipFile(path) as zf:
            meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
            text = zf.read(meta).decode()
        name = canonicalize_name(re.search(r"^Name: (.+)$", text, re.M).group(1).strip())
        bundled[name] = re.search(r"^Version: (.+)$", text, re.M).group(1).strip()
        requires += [Requirement(r) for r in re.findall(r"^Requires-Dist: (.+)$", text, re.M)]
    env = {"python_version": f"{python[0]}.{python[1]}", "extra": ""}
    numpy_reqs = []
    for req in requires:
        if req.marker is not None and not Marker(str(req.marker)).evaluate(env):
            continue
        dep = canonicalize_name(req.name)
        if dep == "numpy":
            numpy_reqs.append(req)
            continue
        assert dep in bundled, f"{req} is needed on Python {env['python_version']} but not bundled"
        assert req.specifier.contains(bundled[dep], prereleases=True), f"{req} vs {bundled[dep]}"
    assert numpy_reqs, "scipy should declare its numpy range"
    if python == sys.version_info[:2]:  # this venv's numpy is the one this Blender line ships
        for req in numpy_reqs:
            assert req.specifier.contains(np.__version__), f"{req} rejects numpy {np.__version__}"


# --- built zip ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def linux_zip(tmp_path_factory, linux_wheels) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--platform", "linux-x64", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    zips = sorted(out.glob("*.zip"))
    assert [z.name for z in zips] == ["microface-0.1.0-linux_x64.zip"]
    assert str(zips[0]) in proc.stdout
    return zips[0]


def test_linux_zip_holds_the_addon_presets_and_only_linux_wheels(linux_zip):
    with zipfile.ZipFile(linux_zip) as zf:
        names = zf.namelist()
        manifest = tomllib.loads(zf.read("blender_manifest.toml").decode())
    assert "__init__.py" in names and "core/preset/settings.py" in names
    assert {"presets/defaults.json", "presets/microface-preset.schema.json"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [
        n for n in names if n.split("/")[0] in {"tests", "docs", "tools", "microface_addon"}
    ]
    wheels = sorted(n.removeprefix("wheels/") for n in names if n.startswith("wheels/"))
    expected = sorted(n for n in _wheel_names() if "linux" in n or n.endswith("-none-any.whl"))
    assert wheels == expected
    assert manifest["build"]["generated"]["platforms"] == ["linux-x64"]
    assert _validate(linux_zip).returncode == 0


INSTALL_PROBE = r'''
"""Install the zip into this Blender (isolated user dir) and report facts as JSON."""
import importlib.abc, importlib.machinery, json, os, sys

zip_path, out_path = sys.argv[1], sys.argv[2]
user_dir = os.path.realpath(os.environ["BLENDER_USER_RESOURCES"])
BUNDLED = ["scipy", "jsonschema", "jsonschema_specifications", "referencing", "rpds", "attr",
           "attrs", "typing_extensions"]

import bpy, addon_utils

# Modules Blender itself already loaded from the venv cannot be re-checked; hide the rest of the
# venv's copies so they can only come from the extension's wheels.
preloaded = sorted(m for m in BUNDLED if m in sys.modules)
hidden = [m for m in BUNDLED if m not in preloaded]


def ext_site_dirs():
    return [p for p in sys.path
            if os.path.realpath(p).startswith(user_dir + os.sep) and p.rstrip("/").endswith("site-packages")]


class ExtensionWheelsOnly(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if path is not None or fullname not in hidden:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, ext_site_dirs())
        if spec is None:
            raise ModuleNotFoundError(f"{fullname} not in extension site-packages {ext_site_dirs()}",
                                      name=fullname)
        return spec


sys.meta_path.insert(0, ExtensionWheelsOnly())
module = "bl_ext.user_default.microface"
facts = {"python": "%d.%d" % sys.version_info[:2], "preloaded": preloaded, "hidden": hidden}


def operator_exists():
    try:
        bpy.ops.microface.layer_micro_motion.get_rna_type()
        return True
    except (KeyError, AttributeError):
        return False


try:
    facts["install"] = sorted(bpy.ops.extensions.package_install_files(
        filepath=zip_path, repo="user_default", enable_on_install=True))
except Exception as exc:
    facts["install_error"] = str(exc)
facts["enabled"] = module in bpy.context.preferences.addons
# Enabling must not import the heavy wheels: they load when a bake or a validation needs them.
facts["heavy_after_enable"] = sorted(
    m for m in sys.modules if m.split(".")[0] in ("scipy", "jsonschema", "referencing", "rpds"))
facts["loaded"] = bool(addon_utils.check(module)[1])
facts["module_file"] = getattr(sys.modules.get(module), "__file__", None)
facts["operator"] = operator_exists()
facts["site_dirs"] = ext_site_dirs()
facts["site_listing"] = sorted(os.listdir(facts["site_dirs"][0])) if facts["site_dirs"] else []
try:
    import numpy, scipy, scipy.signal
    b, a = scipy.signal.butter(2, 0.1)
    y = scipy.signal.filtfilt(b, a, numpy.full(200, 3.0))
    facts["scipy"] = {"version": scipy.__version__, "file": scipy.__file__, "dc": float(y[100])}
    facts["numpy_file"] = numpy.__file__
except Exception as exc:
    facts["scipy_error"] = repr(exc)
try:
    import jsonschema
    errors = [e.message for e in jsonschema.Draft202012Validator(
        {"type": "object", "required": ["blink"]}).iter_errors({})]
    facts["jsonschema"] = {"file": jsonschema.__file__, "errors": errors}
except Exception as exc:
    facts["jsonschema_error"] = repr(exc)
if facts["loaded"]:
    addon_utils.disable(module, default_set=True)
    facts["operator_after_disable"] = operator_exists()
with open(out_path, "w") as fh:
    json.dump(facts, fh, indent=1)
'''


@pytest.fixture(scope="module")
def installed(linux_zip, tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("install")
    probe = tmp / "probe.py"
    probe.write_text(INSTALL_PROBE, encoding="utf-8")
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(tmp / "user")}
    proc = subprocess.run(
        [sys.executable, str(probe), str(linux_zip), str(tmp / "facts.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    facts = json.loads((tmp / "facts.json").read_text())
    facts["log"] = proc.stdout + proc.stderr
    return facts


def test_zip_installs_and_registers_as_an_extension(installed):
    assert "install_error" not in installed, installed["install_error"] + installed["log"]
    assert installed["install"] == ["FINISHED"]
    assert installed["enabled"] and installed["loaded"], installed["log"]
    assert installed["module_file"].endswith(
        os.path.join("user_default", "microface", "__init__.py")
    )


def test_installed_extension_exposes_the_bake_operator_until_disabled(installed):
    assert installed["operator"], "bpy.ops.microface.layer_micro_motion missing after enabling"
    assert installed["operator_after_disable"] is False


def test_enabling_the_installed_extension_imports_no_scipy_or_jsonschema(installed):
    assert installed["enabled"], installed["log"]
    assert installed["heavy_after_enable"] == []


def test_scipy_and_jsonschema_import_from_the_extensions_wheels(installed):
    assert "scipy" in installed, installed.get("scipy_error", "") + installed["log"]
    (site,) = installed["site_dirs"]
    assert f"python{PY}" in site
    pinned = {
        build_extension.WheelFile.from_filename(n).distribution: n.split("-")[1]
        for n in _wheel_names()
    }
    assert installed["scipy"]["file"].startswith(site)
    assert installed["scipy"]["version"] == pinned["scipy"]
    assert installed["scipy"]["dc"] == pytest.approx(3.0, abs=1e-9)  # a low-pass keeps DC
    assert installed["jsonschema"]["file"].startswith(site)
    assert installed["jsonschema"]["errors"] == ["'blink' is a required property"]
    # numpy is Blender's (here: the venv's), never unpacked from the extension.
    assert not installed["numpy_file"].startswith(site)
    assert not [n for n in installed["site_listing"] if n.lower().startswith("numpy")]
    assert f"scipy-{pinned['scipy']}.dist-info" in installed["site_listing"]
