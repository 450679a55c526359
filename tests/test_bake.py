"""The bake on real Blender: layer placement, evaluation over user keys, removal, atomicity."""

from __future__ import annotations

import math

import bpy
import numpy as np
import pytest
from conftest import animation_fingerprint, build_mini_character
from mathutils import Euler, Quaternion, Vector

from microface_addon import bake, compat
from microface_addon.apply import BakeOptions, layer_micro_motion, remove_micro_motion
from microface_addon.bake import layer as layer_mod
from microface_addon.bake.strips import Keying
from microface_addon.core import Performance, load_preset, solve
from microface_addon.rig.convention import datapath
from microface_addon.rig.scene.character import characters_of
from microface_addon.rig.scene.detect import detect


def _user_action(idb, id_type, curves):
    """Key a user action on ``idb``: curves = [(data_path, index, [(frame, value), ...])]."""
    action, slot = compat.new_action(f"user|{idb.name}", id_type)
    fcs = compat.fcurve_collection(action, slot)
    for path, index, pts in curves:
        fc = fcs.new(path, index=index)
        fc.keyframe_points.add(len(pts))
        fc.keyframe_points.foreach_set("co", [c for p in pts for c in p])
        fc.update()
    ad = idb.animation_data or idb.animation_data_create()
    ad.action = action
    compat.set_action_slot(ad, slot)
    return action


def _eval(scene, frame, getter):
    scene.frame_set(frame)
    return getter()


def _synthetic(channels: dict[str, float], duration_s=10.0, rate=240.0) -> Performance:
    n = int(duration_s * rate) + 1
    return Performance(rate, duration_s, {k: np.full(n, v) for k, v in channels.items()})


def _blink_frames(scene, seed, character):
    settings = load_preset()
    fps = scene.render.fps / scene.render.fps_base
    n = scene.frame_end - scene.frame_start + 1
    perf = solve(settings, (n - 1) / fps, seed, character)
    return perf.at_frames(fps, n)["orbicularis_oculi_palpebral_L"]


def test_blinks_land_on_their_own_layer_and_close_the_eye(empty_scene):
    ob, arm = build_mini_character()
    report = layer_micro_motion(empty_scene, [ob], BakeOptions(seed=3))
    key = ob.data.shape_keys
    tracks = [t.name for t in key.animation_data.nla_tracks]
    # One track per solver layer that moves a shape key, in solve order, the base pose on top.
    assert "MicroFace Blinks" in tracks and tracks[-1] == "MicroFace Base"
    assert all(name.startswith("MicroFace ") for name in tracks)
    assert key.animation_data.action is None, "MicroFace must not take the active action slot"
    curve = _blink_frames(empty_scene, 3, arm.name)
    frame = empty_scene.frame_start + int(np.argmax(curve))
    value = _eval(empty_scene, frame, lambda: key.key_blocks["eyeBlinkLeft"].value)
    assert value > 0.9
    char = report["characters"][0]
    assert char["convention"] == "arkit52"
    assert char["keys_written"] > 0 and "KEY:" + key.name in char["ids"]


def test_user_keys_on_the_same_channel_still_evaluate_underneath(empty_scene):
    ob, arm = build_mini_character()
    key = ob.data.shape_keys
    get = lambda: key.key_blocks["eyeBlinkLeft"].value  # noqa: E731
    frames = range(1, 241)
    # The layer alone, then the same layer over a user's constant 0.2 on the same key.
    layer_micro_motion(empty_scene, [ob], BakeOptions(seed=5))
    alone = np.array([_eval(empty_scene, f, get) for f in frames])
    remove_micro_motion(empty_scene, [ob])
    user = _user_action(
        key, "KEY", [('key_blocks["eyeBlinkLeft"].value', 0, [(1, 0.2), (240, 0.2)])]
    )
    keys_before = [tuple(k.co) for fc in compat.iter_fcurves(user) for k in fc.keyframe_points]
    layer_micro_motion(empty_scene, [ob], BakeOptions(seed=5))
    both = np.array([_eval(empty_scene, f, get) for f in frames])
    assert alone.max() > 0.9  # there is a blink in the range
    # user + layer, clamped by the slider at 1; each sparse bake is within the default
    # tolerance (0.5 % of the curve's range) of the exact curve
    tol = 2 * 0.005 * np.ptp(alone) + 1e-6
    np.testing.assert_allclose(both, np.minimum(alone + 0.2, 1.0), atol=tol)
    assert [
        tuple(k.co) for fc in compat.iter_fcurves(user) for k in fc.keyframe_points
    ] == keys_before
    assert key.animation_data.action == user
    remove_micro_motion(empty_scene, [ob])
    assert key.animation_data.action_blend_type == "REPLACE"


def test_unkeyed_slider_values_survive_bake_and_remove(empty_scene):
    ob, arm = build_mini_character()
    key = ob.data.shape_keys
    key.key_blocks["eyeBlinkRight"].value = 0.3
    layer_micro_motion(empty_scene, [ob], BakeOptions(seed=1))
    settings = load_preset()
    perf = solve(settings, 239 / 24, 1, arm.name).at_frames(24, 240)
    micro = perf["orbicularis_oculi_palpebral_R"]
    quiet = int(np.argmin(micro))
    got = _eval(empty_scene, 1 + quiet, lambda: key.key_blocks["eyeBlinkRight"].value)
    assert got == pytest.approx(0.3 + micro[quiet], abs=2e-3)
    # Outside the baked range the layer adds no motion but keeps the static value.
    assert _eval(empty_scene, 400, lambda: key.key_blocks["eyeBlinkRight"].value) == pytest.approx(
        0.3, abs=1e-6
    )
    remove_micro_motion(empty_scene, [ob])
    assert key.key_blocks["eyeBlinkRight"].value == pytest.approx(0.3, abs=1e-7)


def test_remove_restores_the_exact_prior_state(empty_scene):
    ob, arm = build_mini_character()
    _user_action(
        ob.data.shape_keys,
        "KEY",
        [('key_blocks["mouthSmileLeft"].value', 0, [(1, 0.0), (50, 0.7)])],
    )
    _user_action(arm, "OBJECT", [('pose.bones["head"].rotation_quaternion', 0, [(1, 1.0)])])
    ob.data.shape_keys.key_blocks["jawOpen"].value = 0.25
    empty_scene.frame_set(1)
    before = animation_fingerprint()
    actions_before = sorted(a.name for a in bpy.data.actions)
    perf = _synthetic({"head_yaw": 8.0, "jaw_drop": 0.1, "orbicularis_oculi_palpebral_L": 0.5})
    rigmap = detect(characters_of([ob])[0])
    with bake.transaction() as tx:
        tx.write(perf, rigmap, 1, 240, 24.0)
    assert animation_fingerprint() != before
    remove_micro_motion(empty_scene, [ob])
    empty_scene.frame_set(1)
    assert animation_fingerprint() == before
    assert sorted(a.name for a in bpy.data.actions) == actions_before


def test_rebake_replaces_the_layer(empty_scene):
    ob, arm = build_mini_character()
    key = ob.data.shape_keys
    key.key_blocks["eyeBlinkRight"].value = 0.3
    layer_micro_motion(empty_scene, [ob], BakeOptions(seed=1))
    first = [t.name for t in key.animation_data.nla_tracks]
    report = layer_micro_motion(empty_scene, [ob], BakeOptions(seed=2))
    assert [t.name for t in key.animation_data.nla_tracks] == first
    # one MicroFace action per strip of each animated ID, the first bake's actions gone
    ids = report["characters"][0]["ids"]
    strips = sum(len(layer_mod.find_tracks(idb)) for idb in (key, arm))
    assert len(ids) == 2
    assert len([a for a in bpy.data.actions if a.name.startswith("MicroFace")]) == strips
    remove_micro_motion(empty_scene, [ob])
    # The static value recorded by the first bake is what comes back, not a contaminated one.
    assert key.key_blocks["eyeBlinkRight"].value == pytest.approx(0.3, abs=1e-7)
    assert key.animation_data is None


@pytest.mark.parametrize("existing_layer", [False, True])
def test_a_failure_mid_bake_leaves_everything_as_it_was(empty_scene, monkeypatch, existing_layer):
    ob, arm = build_mini_character()
    rigmap = detect(characters_of([ob])[0])
    perf = _synthetic({"head_yaw": 5.0, "orbicularis_oculi_palpebral_L": 0.4})
    if existing_layer:
        with bake.transaction() as tx:
            tx.write(perf, rigmap, 1, 240, 24.0)
    empty_scene.frame_set(1)
    before = animation_fingerprint()
    actions_before = sorted(a.name for a in bpy.data.actions)
    real_attach = layer_mod.attach
    calls = {"n": 0}

    def failing_attach(idb, prep, record):
        calls["n"] += 1
        if calls["n"] == 2:  # the second ID (after the first was already swapped in)
            raise RuntimeError("simulated failure while attaching")
        return real_attach(idb, prep, record)

    monkeypatch.setattr(layer_mod, "attach", failing_attach)
    with pytest.raises(RuntimeError, match="simulated"), bake.transaction() as tx:
        tx.write(
            _synthetic({"head_yaw": -3.0, "orbicularis_oculi_palpebral_L": 0.9}),
            rigmap,
            1,
            240,
            24.0,
        )
    assert calls["n"] == 2
    empty_scene.frame_set(1)
    assert animation_fingerprint() == before
    assert sorted(a.name for a in bpy.data.actions) == actions_before


def _expected_local_quat(arm, bone, axis_arm, degrees):
    rest = arm.data.bones[bone].matrix_local.to_3x3()
    axis = (rest.transposed() @ Vector(axis_arm)).normalized()
    return Quaternion(axis, math.radians(degrees))


def test_quaternion_bones_compose_over_user_keys(empty_scene):
    ob, arm = build_mini_character(rotation_mode="QUATERNION")
    user_q = Quaternion((1, 0, 0), math.radians(20))
    _user_action(
        arm,
        "OBJECT",
        [('pose.bones["head"].rotation_quaternion', i, [(1, user_q[i])]) for i in range(4)],
    )
    rigmap = detect(characters_of([ob])[0])
    with bake.transaction() as tx:
        tx.write(_synthetic({"head_yaw": 10.0}), rigmap, 1, 240, 24.0)
    empty_scene.frame_set(100)
    got = arm.pose.bones["head"].rotation_quaternion
    share = next(b.gain for b in rigmap.bones if b.bone == "head" and b.channel == "head_yaw")
    micro = _expected_local_quat(arm, "head", (0, 0, 1), 10.0 * share)
    # NLA COMBINE composes the layer before the user's rotation: micro @ user.
    expected = micro @ user_q
    assert got.rotation_difference(expected).angle < math.radians(0.01)
    # and the neck takes the rest of the yaw, with no user keys under it
    neck = arm.pose.bones["neck"].rotation_quaternion
    neck_share = 1.0 - share
    assert (
        neck.rotation_difference(
            _expected_local_quat(arm, "neck", (0, 0, 1), 10 * neck_share)
        ).angle
        < 1e-4
    )


def test_euler_bones_compose_over_user_keys(empty_scene):
    ob, arm = build_mini_character(rotation_mode="XYZ")
    user_e = Euler((math.radians(35), 0.0, math.radians(-25)), "XYZ")
    _user_action(
        arm,
        "OBJECT",
        [('pose.bones["head"].rotation_euler', i, [(1, user_e[i])]) for i in range(3)],
    )
    rigmap = detect(characters_of([ob])[0])
    with bake.transaction() as tx:
        tx.write(_synthetic({"head_pitch": 6.0}), rigmap, 1, 240, 24.0)
    empty_scene.frame_set(50)
    got = Euler(arm.pose.bones["head"].rotation_euler, "XYZ").to_quaternion()
    share = next(b.gain for b in rigmap.bones if b.bone == "head" and b.channel == "head_pitch")
    micro = _expected_local_quat(arm, "head", (-1, 0, 0), 6.0 * share)
    # the same composition as quaternion bones: micro about the rest axes, then the user's pose
    expected = micro @ user_e.to_quaternion()
    assert got.rotation_difference(expected).angle < math.radians(0.01)
    # The micro part pitches the head up (chin up): forward (−Y) gains +Z in armature space.
    rest = arm.data.bones["head"].matrix_local.to_3x3()
    fwd_after = rest @ micro.to_matrix() @ rest.transposed() @ Vector((0, -1, 0))
    assert fwd_after.z > 0


def test_every_frame_writes_a_linear_key_per_frame_in_one_strip(empty_scene):
    ob, arm = build_mini_character()
    rigmap = detect(characters_of([ob])[0])
    with bake.transaction() as tx:
        result = tx.write(
            _synthetic({"orbicularis_oculi_palpebral_L": 0.3}),
            rigmap,
            10,
            109,
            24.0,
            keying=Keying(every_frame=True),
        )
    assert [t.name for t in ob.data.shape_keys.animation_data.nla_tracks] == ["MicroFace"]
    track = ob.data.shape_keys.animation_data.nla_tracks["MicroFace"]
    fcs = list(compat.iter_fcurves(track.strips[0].action))
    assert [fc.data_path for fc in fcs] == ['key_blocks["eyeBlinkLeft"].value']
    # one key per frame plus a second of blend keys each side of the range (24 fps)
    assert len(fcs[0].keyframe_points) == 100 + 2 * 24 == result.keys_written
    assert fcs[0].keyframe_points[0].co[0] == 10 - 24 and fcs[0].keyframe_points[-1].co[0] == 133


@pytest.mark.parametrize("every_frame", [False, True], ids=["sparse", "every_frame"])
def test_the_layer_blends_in_and_out_at_the_range_ends(empty_scene, every_frame):
    """Clean edges: outside the baked range the layer eases back to the user's pose over a
    second instead of snapping there on the next frame (a chin-up head pitch, a held smile) —
    with sparse keys as with a key on every frame: the blend is keyed like the range."""
    ob, arm = build_mini_character()
    rigmap = detect(characters_of([ob])[0])
    smile = 0.8
    with bake.transaction() as tx:
        tx.write(
            _synthetic({"zygomaticus_major_L": smile, "head_pitch": 10.0}),
            rigmap,
            50,
            149,
            24.0,
            keying=Keying(every_frame=every_frame),
        )
    # Keys inside the blend, before and after the range, on the smile's own curve.
    tracks = ob.data.shape_keys.animation_data.nla_tracks
    frames = [
        k.co[0]
        for t in tracks
        for st in t.strips
        for fc in compat.iter_fcurves(st.action)
        if fc.data_path == 'key_blocks["mouthSmileLeft"].value'
        for k in fc.keyframe_points
    ]
    assert any(50 - 24 < f < 50 for f in frames) and any(149 < f < 149 + 24 for f in frames)
    kb = ob.data.shape_keys.key_blocks["mouthSmileLeft"]
    head = arm.pose.bones["head"]

    def evaluated(frame):
        empty_scene.frame_set(frame)
        return kb.value, head.rotation_quaternion.angle

    inside = evaluated(100)
    assert inside[0] == pytest.approx(smile, abs=1e-4) and inside[1] > 0.01
    values = [evaluated(f) for f in range(10, 190)]
    steps = np.abs(np.diff(np.array(values), axis=0)).max(axis=0)
    # The largest step per frame around the edges: a raised cosine over 24 frames moves at most
    # π/48 of the way per frame (no jump of the whole value on one frame).
    assert steps[0] < 0.07 * smile and steps[1] < 0.07 * inside[1]
    for frame in (10, 25, 174, 189):  # a second and more away: the user's own pose, exactly
        assert evaluated(frame) == pytest.approx((0.0, 0.0), abs=1e-6)
    assert evaluated(149 + 12)[0] == pytest.approx(smile / 2, abs=0.02)  # half-way out


def test_a_rig_with_nothing_to_map_is_an_error_and_changes_nothing(empty_scene):
    from microface_addon.rig.convention.rigmap import NothingToMapError

    bpy.ops.mesh.primitive_cube_add()
    cube = bpy.context.object
    before = animation_fingerprint()
    with pytest.raises(NothingToMapError, match="nothing to drive"):
        layer_micro_motion(empty_scene, [cube], BakeOptions())
    assert animation_fingerprint() == before


def test_bone_location_targets_add_over_user_keys_and_keep_unkeyed_poses(empty_scene):
    from microface_addon.rig.convention.rigmap import BoneLocationTarget

    ob, arm = build_mini_character()
    _user_action(arm, "OBJECT", [('pose.bones["jaw"].location', 2, [(1, 0.01), (240, 0.01)])])
    arm.pose.bones["eye.L"].location = (0.0, 0.003, 0.0)  # a hand-posed, unkeyed offset
    rigmap = detect(characters_of([ob])[0])
    rigmap.bones = []
    rigmap.shape_keys = []
    rigmap.bone_locations = [
        BoneLocationTarget("orbicularis_oculi_palpebral_L", arm.name, "jaw", (0.0, 0.0, 1.0), 0.02),
        BoneLocationTarget(
            "orbicularis_oculi_palpebral_L", arm.name, "eye.L", (1.0, 0.0, 0.0), 0.01
        ),
    ]
    empty_scene.frame_set(1)
    before = animation_fingerprint()
    with bake.transaction() as tx:
        tx.write(_synthetic({"orbicularis_oculi_palpebral_L": 0.5}), rigmap, 1, 240, 24.0)
    empty_scene.frame_set(30)
    jaw = arm.pose.bones["jaw"].location
    eye = arm.pose.bones["eye.L"].location
    assert jaw.z == pytest.approx(0.01 + 0.5 * 0.02, abs=1e-6)  # user key + layer
    assert tuple(eye) == pytest.approx((0.005, 0.003, 0.0), abs=1e-6)  # pose kept + layer
    remove_micro_motion(empty_scene, [ob])
    empty_scene.frame_set(1)
    assert tuple(arm.pose.bones["eye.L"].location) == pytest.approx((0.0, 0.003, 0.0), abs=1e-7)
    assert animation_fingerprint() == before


def _rename_bone(arm, old: str, new: str) -> None:
    arm.data.bones[old].name = new


@pytest.mark.parametrize("mode", ["QUATERNION", "XYZ"])
def test_names_with_quotes_and_backslashes_bake_evaluate_and_remove(empty_scene, mode):
    """Bone and shape-key names holding ``"`` or ``\\`` are escaped in every data path exactly as
    Blender escapes them: the bake writes (on 4.2 an unescaped quote made it raise), every
    layer F-curve resolves to the property it was meant for and evaluates there, a user's own
    keys on such a bone (their F-curve path built by Blender) are recognised and composed with,
    and removal restores the scene exactly."""
    ob, arm = build_mini_character(rotation_mode=mode)
    head, eye = 'he"ad', "eye\\L"
    _rename_bone(arm, "head", head)
    _rename_bone(arm, "eye.L", eye)
    key = ob.data.shape_keys
    key.key_blocks["mouthSmileLeft"].name = 'mouth"SmileLeft'
    key.key_blocks["eyeBlinkLeft"].name = "eyeBlink\\Left"
    pb = arm.pose.bones[head]
    prop = "rotation_quaternion" if mode == "QUATERNION" else "rotation_euler"
    user = Quaternion((1, 0, 0), math.radians(20))
    setattr(pb, prop, user if mode == "QUATERNION" else user.to_euler(mode))
    pb.keyframe_insert(prop, frame=1)  # Blender builds (and escapes) the user's path itself
    rigmap = detect(characters_of([ob])[0])
    assert {t.bone for t in rigmap.bones} >= {head, eye}
    assert {t.key_block for t in rigmap.shape_keys} >= {'mouth"SmileLeft', "eyeBlink\\Left"}
    empty_scene.frame_set(1)
    before = animation_fingerprint()
    channels = {"head_yaw": 10.0, "eye_yaw_L": 8.0, "zygomaticus_major_L": 0.3}
    channels["orbicularis_oculi_palpebral_L"] = 0.6
    with bake.transaction() as tx:
        tx.write(_synthetic(channels), rigmap, 1, 240, 24.0)
    empty_scene.frame_set(100)
    paths = set()
    for idb in (arm, key):
        for track in layer_mod.find_tracks(idb):
            for fc in compat.iter_fcurves(track.strips[0].action):
                paths.add(fc.data_path)
                owner, _, attr = fc.data_path.rpartition(".")
                getattr(idb.path_resolve(owner), attr)  # resolves: the bone/key exists
    # Unkeyed by the user, a shape key holds exactly what the strips add up to (COMBINE adds
    # each strip's value relative to the property's default).
    default = compat.shape_key_value_default()
    for kb_name in ('mouth"SmileLeft', "eyeBlink\\Left"):
        path = datapath.shape_key(kb_name)
        total = default + sum(
            fc.evaluate(100) - default
            for track in layer_mod.find_tracks(key)
            for fc in compat.iter_fcurves(track.strips[0].action)
            if fc.data_path == path
        )
        assert key.key_blocks[kb_name].value == pytest.approx(total, abs=1e-5), kb_name
    assert 'pose.bones["he\\"ad"].' + prop in paths
    assert 'pose.bones["eye\\\\L"].' + prop in paths
    assert {
        'key_blocks["mouth\\"SmileLeft"].value',
        'key_blocks["eyeBlink\\\\Left"].value',
    } <= paths
    # The user's keyed rotation on he"ad is under the layer: micro @ user, not micro @ user @ user.
    got = getattr(arm.pose.bones[head], prop)
    got = got if mode == "QUATERNION" else got.to_quaternion()
    share = next(b.gain for b in rigmap.bones if b.bone == head and b.channel == "head_yaw")
    expected = _expected_local_quat(arm, head, (0, 0, 1), 10.0 * share) @ user
    assert got.rotation_difference(expected).angle < math.radians(0.01)
    remove_micro_motion(empty_scene, [ob])
    empty_scene.frame_set(1)
    assert animation_fingerprint() == before


def test_a_layer_baked_before_the_strips_is_still_removed_and_replaced(empty_scene):
    """Files baked by the first MicroFace hold a version-1 record (one dense track named
    "MicroFace" and its action); Remove and a re-bake must still find and restore it."""
    import json

    ob, arm = build_mini_character()
    key = ob.data.shape_keys
    key.key_blocks["eyeBlinkRight"].value = 0.3
    empty_scene.frame_set(1)
    before = animation_fingerprint()
    layer_micro_motion(empty_scene, [ob], BakeOptions(seed=1, keying=Keying(every_frame=True)))
    for idb in (key, arm):  # as the first version wrote it
        record = json.loads(idb[layer_mod.RECORD_PROP])
        (strip,) = record.pop("strips")
        record.update(version=1, action=strip["action"])
        idb[layer_mod.RECORD_PROP] = json.dumps(record, sort_keys=True)
    layer_micro_motion(empty_scene, [ob], BakeOptions(seed=2))  # re-bake: replaced
    assert [t.name for t in key.animation_data.nla_tracks][-1] == "MicroFace Base"
    assert not [t for t in key.animation_data.nla_tracks if t.name == "MicroFace"]
    for idb in (key, arm):
        json.loads(idb[layer_mod.RECORD_PROP])["strips"]
    layer_micro_motion(empty_scene, [ob], BakeOptions(seed=1, keying=Keying(every_frame=True)))
    for idb in (key, arm):
        record = json.loads(idb[layer_mod.RECORD_PROP])
        (strip,) = record.pop("strips")
        record.update(version=1, action=strip["action"])
        idb[layer_mod.RECORD_PROP] = json.dumps(record, sort_keys=True)
    remove_micro_motion(empty_scene, [ob])  # and removed
    empty_scene.frame_set(1)
    assert animation_fingerprint() == before
    assert not [a for a in bpy.data.actions if a.name.startswith("MicroFace")]
