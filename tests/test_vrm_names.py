"""The VRM 0.x case: keys named ``target_0…`` after Blender's glTF importer (the names sit in the
primitives' extras it does not read) — detected and explained, and ``vrm-names`` puts the names
back from the file's own JSON.  The avatar is a tiny VRM-style glTF written here, imported by
Blender's own importer in a child process (as ``test_rig_shared_assets`` does)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from conftest import import_gltf, run_cli_in_process

from microface_addon.rig.convention import vrm

ROOT = Path(__file__).resolve().parents[1]
# No preset or profile folder of the machine running the tests.
UNSET = ("MICROFACE_PRESET_PATH", "MICROFACE_PROFILE_PATH")


def run_cli(*args):
    return run_cli_in_process(*args, unset=UNSET)


NAMES = ["Fcl_EYE_Close_L", "Fcl_EYE_Close_R", "Fcl_MTH_Fun", "Fcl_MTH_A", "Fcl_BRW_Angry"]


def vrm0_glb(names: list[str]) -> bytes:
    """A one-mesh binary glTF whose morph targets are named only in the first primitive's
    ``extras.targetNames`` — where VRM 0.x puts them."""
    quad = [(0, 0, 0), (0.1, 0, 0), (0.1, 0, 0.1), (0, 0, 0.1), (0.05, 0, 0.15)]
    tris = [0, 1, 2, 0, 2, 3, 3, 2, 4]
    blob, views, accessors = b"", [], []

    def add(data: bytes, **accessor) -> int:
        nonlocal blob
        views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": len(data)})
        blob += data + b"\0" * (-len(data) % 4)
        accessors.append({"bufferView": len(views) - 1, **accessor})
        return len(accessors) - 1

    def vec3(points) -> int:
        data = b"".join(struct.pack("<3f", *p) for p in points)
        lo = [min(p[i] for p in points) for i in range(3)]
        hi = [max(p[i] for p in points) for i in range(3)]
        return add(data, componentType=5126, count=len(points), type="VEC3", min=lo, max=hi)

    position = vec3(quad)
    indices = add(
        struct.pack(f"<{len(tris)}H", *tris), componentType=5123, count=len(tris), type="SCALAR"
    )
    targets = []
    for i in range(len(names)):
        delta = [(0.0, 0.0, 0.01 if v == i else 0.0) for v in range(len(quad))]
        targets.append({"POSITION": vec3(delta)})
    doc = {
        "asset": {"version": "2.0", "generator": "MicroFace test (VRM 0.x layout)"},
        "extensionsUsed": ["VRM"],
        "extensions": {"VRM": {"specVersion": "0.0"}},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"name": "Face", "mesh": 0}],
        "meshes": [
            {
                "name": "Face.baked",
                "primitives": [
                    {
                        "attributes": {"POSITION": position},
                        "indices": indices,
                        "targets": targets,
                        "extras": {"targetNames": names},
                    }
                ],
            }
        ],
        "buffers": [{"byteLength": len(blob)}],
        "bufferViews": views,
        "accessors": accessors,
    }
    text = json.dumps(doc).encode("utf-8")
    text += b" " * (-len(text) % 4)
    chunks = struct.pack("<II", len(text), 0x4E4F534A) + text
    chunks += struct.pack("<II", len(blob), 0x004E4942) + blob
    return b"glTF" + struct.pack("<II", 2, 12 + len(chunks)) + chunks


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("vrm")
    (out / "avatar.glb").write_bytes(vrm0_glb(NAMES))
    (out / "avatar.vrm").write_bytes(vrm0_glb(NAMES))
    import_gltf(out / "avatar.glb", out / "avatar.blend")
    return out


@pytest.mark.pure
def test_names_are_read_from_the_primitives_extras():
    doc = json.loads(vrm0_glb(NAMES)[20 : 20 + struct.unpack_from("<I", vrm0_glb(NAMES), 12)[0]])
    assert vrm.morph_target_names(doc) == {"Face.baked": NAMES}
    keys = ["Basis", "target_0", "target_1", "target_2", "target_3", "target_4"]
    assert vrm.has_unnamed_targets(keys[1:]) and not vrm.has_unnamed_targets(NAMES)
    restored = vrm.restored_names("Face.baked.001", keys, vrm.morph_target_names(doc))
    assert restored == dict(zip(keys[1:], NAMES, strict=True))


@pytest.mark.blender  # Blender imports the file (a child process)
def test_the_importer_loses_the_names_and_detection_says_why_and_what_to_do(imported):
    proc = run_cli("inspect", imported / "avatar.blend")
    assert proc.returncode == 3, proc.stderr
    err = proc.stderr
    assert "shape keys named target_0…target_4" in err
    assert "VRM 0.x" in err and "VRM Add-on for Blender" in err and "vrm-names" in err


@pytest.mark.blender  # Blender imports the file (a child process)
def test_vrm_names_restores_them_and_the_avatar_is_recognised(imported):
    named = imported / "named.blend"
    proc = run_cli(
        "vrm-names", imported / "avatar.blend", "--from", imported / "avatar.vrm", "-o", named
    )
    assert proc.returncode == 0, proc.stderr
    assert "Face: 5 shape keys named from avatar.vrm" in proc.stdout
    proc = run_cli("inspect", named, "--json")
    assert proc.returncode == 0, proc.stderr
    (char,) = json.loads(proc.stdout)["characters"]
    assert char["convention"] == "vrm"
    assert char["mapped"]["orbicularis_oculi_palpebral_L"] == ["Face:Fcl_EYE_Close_L ×1"]
    # The input was not touched.
    again = run_cli("inspect", imported / "avatar.blend")
    assert again.returncode == 3


@pytest.mark.blender  # Blender imports the file (a child process)
def test_vrm_names_refuses_what_it_cannot_use(imported, tmp_path):
    plain = tmp_path / "plain.gltf"
    plain.write_text(json.dumps({"asset": {"version": "2.0"}, "meshes": []}))
    proc = run_cli(
        "vrm-names", imported / "avatar.blend", "--from", plain, "-o", tmp_path / "x.blend"
    )
    assert proc.returncode == 2 and "names its morph targets" in proc.stderr
    broken = tmp_path / "broken.vrm"
    broken.write_bytes(b"glTF\x02\x00\x00\x00")
    proc = run_cli(
        "vrm-names", imported / "avatar.blend", "--from", broken, "-o", tmp_path / "x.blend"
    )
    assert proc.returncode == 2 and "not a glTF/VRM file" in proc.stderr
    assert not (tmp_path / "x.blend").exists()
