#!/usr/bin/env python3
"""Build the MicroFace extension zips (one per platform) with Blender's own extension builder.

Usage::

    python tools/build_extension.py [--platform linux-x64 ...] [--out dist/] [--wheels-cache DIR]
                                    [--blender-ext PATH]

Why a staging step: Blender wants the add-on's ``__init__.py`` at the root of the zip, while the
repository keeps the package in ``microface_addon/`` next to the shared ``presets/`` folder (which the
code finds at ``<extension root>/presets``). We copy exactly those two trees plus the manifest and the
wheels into a clean folder, so nothing else (tests, docs, caches) can leak into a release.

Why Blender's builder and not our own zip: ``blender_ext.py`` (shipped inside the ``bpy`` wheel, so no
Blender binary is needed) applies the same manifest validation, tag list and per-platform wheel
filtering as Blender and extensions.blender.org do. Runs with any Python >= 3.11 that has ``bpy``
installed, e.g. either project venv.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST_PATH = REPO_ROOT / "blender_manifest.toml"
ADDON_DIR = REPO_ROOT / "microface_addon"
PRESETS_DIR = REPO_ROOT / "presets"
DEFAULT_WHEEL_CACHE = Path("~/.cache/microface/wheels").expanduser()
WHEEL_CACHE_ENV = "MICROFACE_WHEEL_CACHE"

# Never shipped: caches, tests and docs, editor/OS litter, Blender backup files.
EXCLUDED_NAMES = ("__pycache__", "tests", "docs", ".*", "*.pyc", "*.pyo", "*.blend1", "*.orig")

# Wheel platform tag prefix/suffix -> Blender platform id. Deliberately only the three we ship.
_WHEEL_PLATFORM_RULES = (
    (("manylinux", "linux"), ("_x86_64",), "linux-x64"),
    (("win",), ("_amd64",), "windows-x64"),
    (("macosx",), ("_arm64", "_universal2"), "macos-arm64"),
)


@dataclass(frozen=True)
class WheelFile:
    """One wheel named in the manifest, parsed from its file name (PEP 427)."""

    filename: str
    distribution: str
    version: str
    python_tags: tuple[str, ...]
    abi_tags: tuple[str, ...]
    platform_tags: tuple[str, ...]

    @classmethod
    def from_filename(cls, filename: str) -> WheelFile:
        if not filename.endswith(".whl"):
            raise ValueError(f"not a wheel file name: {filename!r}")
        parts = filename[: -len(".whl")].split("-")
        if len(parts) not in (5, 6):
            raise ValueError(f"wheel file name does not follow PEP 427: {filename!r}")
        dist, version, *_build, py, abi, plat = parts
        return cls(
            filename,
            dist.lower().replace("_", "-"),
            version,
            tuple(py.split(".")),
            tuple(abi.split(".")),
            tuple(plat.split(".")),
        )

    @property
    def is_pure(self) -> bool:
        return self.platform_tags == ("any",)

    def blender_platforms(self, known: Iterable[str]) -> set[str]:
        """Blender platform ids this wheel can be installed on (``known`` for pure wheels)."""
        if self.is_pure:
            return set(known)
        found = set()
        for tag in self.platform_tags:
            for prefixes, suffixes, blender in _WHEEL_PLATFORM_RULES:
                if tag.startswith(prefixes) and tag.endswith(suffixes):
                    found.add(blender)
        return found

    def python_versions(self) -> set[str]:
        """``{"3.11"}`` for a cp311 wheel; empty for ``py3`` (any Python 3)."""
        return {f"{t[2]}.{t[3:]}" for t in self.python_tags if t.startswith("cp") and len(t) > 3}


def read_manifest(path: Path = MANIFEST_PATH) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def manifest_wheels(manifest: dict) -> list[WheelFile]:
    wheels = []
    for entry in manifest.get("wheels", []):
        if not entry.startswith("./wheels/"):
            raise ValueError(f"manifest wheel path must start with ./wheels/: {entry!r}")
        wheels.append(WheelFile.from_filename(entry[len("./wheels/") :]))
    return wheels


def wheels_for_platforms(
    wheels: Sequence[WheelFile], platforms: Sequence[str], all_platforms: Sequence[str]
) -> list[WheelFile]:
    return [w for w in wheels if w.blender_platforms(all_platforms) & set(platforms)]


def _wheel_is_complete(path: Path) -> bool:
    """A truncated download has no central directory; reading the name list catches that cheaply."""
    try:
        with zipfile.ZipFile(path) as zf:
            return bool(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def pip_download_command(wheels: Sequence[WheelFile], cache: Path, python: str) -> list[str]:
    """One ``pip download`` for wheels sharing python/abi/platform tags (pure wheels: no tags)."""
    first = wheels[0]
    cmd = [python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    cmd += ["--only-binary=:all:", "--no-deps", "--dest", str(cache)]
    if not first.is_pure:
        for plat in first.platform_tags:
            cmd += ["--platform", plat]
        (pyver,) = first.python_versions() or {None}
        if pyver is None:
            raise ValueError(f"cannot tell the Python version of {first.filename}")
        cmd += ["--python-version", pyver, "--implementation", "cp"]
        for abi in first.abi_tags:
            cmd += ["--abi", abi]
    cmd += [f"{w.distribution}=={w.version}" for w in wheels]
    return cmd


def ensure_wheels(
    wheels: Sequence[WheelFile], cache: Path, python: str = sys.executable
) -> dict[str, Path]:
    """Make sure every wheel is in ``cache`` (downloading only the missing ones); return their paths."""
    cache.mkdir(parents=True, exist_ok=True)
    missing = [w for w in wheels if not _wheel_is_complete(cache / w.filename)]
    groups: dict[tuple, list[WheelFile]] = {}
    for w in missing:
        (cache / w.filename).unlink(missing_ok=True)
        key = (w.python_tags, w.abi_tags, w.platform_tags)
        groups.setdefault(key, []).append(w)
    for group in groups.values():
        names = ", ".join(w.filename for w in group)
        print(f"downloading {names}", flush=True)
        proc = subprocess.run(
            pip_download_command(group, cache, python), capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise RuntimeError(f"pip download failed for {names}:\n{proc.stderr.strip()}")
    absent = [w.filename for w in wheels if not _wheel_is_complete(cache / w.filename)]
    if absent:
        raise RuntimeError(
            "pip did not produce these exact files (check the names in blender_manifest.toml): "
            + ", ".join(absent)
        )
    return {w.filename: cache / w.filename for w in wheels}


def find_blender_ext(explicit: Path | None = None) -> Path:
    """Locate ``blender_ext.py`` inside the ``bpy`` package of the running interpreter."""
    if explicit is not None:
        if not explicit.is_file():
            raise FileNotFoundError(f"--blender-ext {explicit} does not exist")
        return explicit
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"bpy is not installed for {sys.executable}; run this with a project venv's python "
            "or pass --blender-ext PATH"
        )
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
        if found:
            return found[-1]
    raise FileNotFoundError(f"blender_ext.py not found inside {spec.submodule_search_locations}")


def valid_tags_file(blender_ext: Path) -> Path | None:
    """Blender's own tag list (what ``blender --command extension`` validates against)."""
    scripts = blender_ext.parents[3]
    tags = scripts / "modules" / "_bpy_internal" / "extensions" / "tags.py"
    return tags if tags.is_file() else None


def _manifest_for_subset(text: str, platforms: Sequence[str], wheels: Sequence[WheelFile]) -> str:
    """The manifest text with ``platforms`` and ``wheels`` narrowed to a subset of platforms."""
    plat = "platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]"
    whl = "wheels = [\n" + "".join(f'  "./wheels/{w.filename}",\n' for w in wheels) + "]"
    text, n_plat = re.subn(r"^platforms\s*=\s*\[[^\]]*\]", plat, text, flags=re.MULTILINE)
    text, n_whl = re.subn(r"^wheels\s*=\s*\[[^\]]*\]", whl, text, flags=re.MULTILINE)
    if (n_plat, n_whl) != (1, 1):
        raise ValueError("could not find the platforms/wheels arrays in the manifest")
    return text


def stage(
    stage_dir: Path,
    platforms: Sequence[str] | None = None,
    wheel_paths: dict[str, Path] | None = None,
    manifest_path: Path = MANIFEST_PATH,
) -> Path:
    """Lay out the extension source in ``stage_dir``: add-on package at the root, presets, manifest.

    ``platforms`` narrows the manifest to those platforms (default: all); ``wheel_paths`` (file name ->
    cached path) are copied into ``wheels/``. Without it the stage has no wheels, which is enough for
    ``blender_ext.py validate`` (it checks the manifest, not the files).
    """
    manifest = read_manifest(manifest_path)
    all_platforms = list(manifest["platforms"])
    platforms = list(platforms or all_platforms)
    unknown = sorted(set(platforms) - set(all_platforms))
    if unknown:
        raise ValueError(f"platforms not in the manifest: {unknown} (manifest has {all_platforms})")
    wheels = wheels_for_platforms(manifest_wheels(manifest), platforms, all_platforms)

    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    ignore = shutil.ignore_patterns(*EXCLUDED_NAMES)
    shutil.copytree(ADDON_DIR, stage_dir, ignore=ignore)
    shutil.copytree(PRESETS_DIR, stage_dir / "presets", ignore=ignore)

    text = manifest_path.read_text(encoding="utf-8")
    if platforms != all_platforms:
        text = _manifest_for_subset(text, platforms, wheels)
    (stage_dir / "blender_manifest.toml").write_text(text, encoding="utf-8")

    if wheel_paths is not None:
        (stage_dir / "wheels").mkdir()
        for w in wheels:
            shutil.copy2(wheel_paths[w.filename], stage_dir / "wheels" / w.filename)
    return stage_dir


def blender_ext_command(blender_ext: Path, subcommand: str, *args: str) -> list[str]:
    cmd = [sys.executable, str(blender_ext), subcommand]
    tags = valid_tags_file(blender_ext)
    if tags is not None:
        cmd.append(f"--valid-tags={tags}")
    return [*cmd, *args]


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd[1:3])} failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"
        )


def build(
    out_dir: Path,
    platforms: Sequence[str] | None = None,
    cache: Path = DEFAULT_WHEEL_CACHE,
    blender_ext: Path | None = None,
) -> list[Path]:
    """Download the wheels, stage, validate, build one zip per platform, validate the zips."""
    blender_ext = find_blender_ext(blender_ext)
    manifest = read_manifest()
    all_platforms = list(manifest["platforms"])
    platforms = list(platforms or all_platforms)
    needed = wheels_for_platforms(manifest_wheels(manifest), platforms, all_platforms)
    wheel_paths = ensure_wheels(needed, cache)

    out_dir.mkdir(parents=True, exist_ok=True)
    zips = [
        out_dir / f"{manifest['id']}-{manifest['version']}-{p.replace('-', '_')}.zip"
        for p in platforms
    ]
    for z in zips:
        z.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="microface-stage-") as tmp:
        src = stage(Path(tmp) / manifest["id"], platforms, wheel_paths)
        _run(blender_ext_command(blender_ext, "validate", str(src)))
        _run(
            blender_ext_command(
                blender_ext,
                "build",
                "--split-platforms",
                f"--source-dir={src}",
                f"--output-dir={out_dir}",
            )
        )
    for z in zips:
        if not z.is_file():
            raise RuntimeError(f"Blender's builder did not produce {z}")
        _run(blender_ext_command(blender_ext, "validate", str(z)))
    return zips


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--platform",
        action="append",
        dest="platforms",
        metavar="PLATFORM",
        help="Blender platform id (repeatable; default: every platform in the manifest)",
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "dist", help="output folder")
    parser.add_argument(
        "--wheels-cache",
        type=Path,
        default=Path(os.environ.get(WHEEL_CACHE_ENV, DEFAULT_WHEEL_CACHE)).expanduser(),
        help=f"where downloaded wheels are kept and reused (default ${WHEEL_CACHE_ENV} or "
        f"{DEFAULT_WHEEL_CACHE})",
    )
    parser.add_argument("--blender-ext", type=Path, help="path to Blender's blender_ext.py")
    args = parser.parse_args(argv)
    try:
        zips = build(args.out.resolve(), args.platforms, args.wheels_cache, args.blender_ext)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"build_extension: error: {exc}", file=sys.stderr)
        return 1
    for z in zips:
        print(f"{z}  ({z.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
