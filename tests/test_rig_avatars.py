"""Real avatars in the wild (issue #11), rebuilt in code: every combination the third-party
characters showed — an eyeball moved by a bone *and* by morphs, brow bones that look like an
eye pair, unsided keys, Mixamo shoulders, heads and eyes moved by objects — detected, baked and
measured on the real ``bpy``."""

from __future__ import annotations

import pytest

from microface_addon.assets.sample_head import build_sample_head
from microface_addon.rig.convention import profiles as profiles_mod
from microface_addon.rig.scene.character import characters_of
from microface_addon.rig.scene.detect import detect


@pytest.fixture(autouse=True)
def _only_shipped_profiles(monkeypatch, tmp_path):
    monkeypatch.delenv(profiles_mod.PROFILE_PATH_ENV, raising=False)
    monkeypatch.setenv("BLENDER_USER_CONFIG", str(tmp_path / "user_config"))


def _detect(obj, **kw):
    (members,) = characters_of([obj])
    return detect(members, **kw)


# --- detection weighs evidence ------------------------------------------------------------------


def test_a_thousand_unrelated_keys_do_not_outvote_the_arkit_set(empty_scene):
    # Issue #15 item 6: this head used to come out "humanoid" with 9 channels.
    parts = build_sample_head(empty_scene)
    head = parts["head"]
    before = _detect(head)
    for i in range(1000):
        head.shape_key_add(name=f"corrective_{i:04d}", from_mix=False).value = 0.0
    rigmap = _detect(head)
    assert rigmap.convention == "arkit52" and rigmap.score == pytest.approx(1.0)
    assert rigmap.score_kind == "shape-key coverage"
    assert rigmap.mapped_channels == before.mapped_channels
    unused = rigmap.report()["unused"]
    assert len(unused) == len(before.report()["unused"]) + 1000
    assert not any("eyeBlink" in u or "mouthSmile" in u for u in unused)
