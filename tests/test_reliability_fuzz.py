"""Fuzzing the whole bake with hostile presets, intents files, markers and override maps.

Each example is a real command-line bake (``dispatch.main``, in this process, real ``bpy``) of
a small character with one generated input: numbers that are NaN, infinite, ``1e400``, huge or
negative; wrong types; unknown names; missing keys; a byte-order mark; text cut short.  For every
example:

- no traceback: the exit code is 0, 2 (bad input) or 3 (nothing to map), never 1 (a bug) or 4;
- a failure prints exactly one ``microface: error:`` line;
- no input changed (the shot and the generated file are byte-identical afterwards);
- no partial output: after a failure the output folder is empty (no file, no temporary);
- no non-finite key: after a success the output is a whole ``.blend`` whose MicroFace keys
  are all finite numbers.

``MICROFACE_FUZZ_CASES`` sets the examples per input kind: the nightly run uses 1000 or more; the
default (40) keeps the CI run to about a minute per kind.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import bpy
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from reliability_shots import assert_finite_layer_keys, save_mini_shot, save_variant, sha256

from microface_addon.cli import dispatch
from microface_addon.cli.blendcheck import check_blend
from microface_addon.core.channels import CHANNELS

CASES = int(os.environ.get("MICROFACE_FUZZ_CASES", "40"))
FUZZ = settings(
    max_examples=CASES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FRAMES = "1:24"
BIG = "__BIG_NUMBER__"  # replaced by the token 1e400 (no float is that large)
MINI_KEYS = ["eyeBlinkLeft", "eyeBlinkRight", "mouthSmileLeft", "jawOpen", "eyeWideLeft"]
MINI_BONES = ["root", "spine", "chest", "neck", "head", "eye.L", "eye.R", "jaw"]

hostile_numbers = st.one_of(
    st.floats(0, 1),  # plausible values too, so that fuzzed files also bake
    st.floats(0, 60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [0, -1, 1, 0.5, 1e9, -1e9, 1e15, 1e308, -1e308, 10**30, BIG, -0.0, 3600, 1e-300]
    ),
    st.integers(-(10**6), 10**6),
)
words = st.sampled_from(
    [
        "smile",
        "frown",
        "concern",
        "surprise",
        "disgust",
        "contempt",
        "suppress",
        "relax",
        "nod",
        "duchenne",
        "social",
        "reading",
        "rest",
        "listening",
        "held",
        "calm",
        "deep",
        "chin_up",
        "neutral",
        "lean_in",
        "no_such",
        "",
        "SMILE",
        "a" * 300,
    ]
)
scalars = st.one_of(st.none(), st.booleans(), hostile_numbers, words, st.text(max_size=6))
values = st.recursive(
    scalars,
    lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(words, kids, max_size=3)),
    max_leaves=6,
)


@st.composite
def json_text(draw, doc) -> bytes:
    """``doc`` as a file: NaN/Infinity/1e400 tokens as written, sometimes a BOM, sometimes cut."""
    text = json.dumps(doc, allow_nan=True, indent=draw(st.sampled_from([None, 1])))
    text = text.replace(f'"{BIG}"', "1e400")
    data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 9)) == 0 and len(data) > 2:
        data = data[: draw(st.integers(1, len(data) - 1))]
    return data


# --- generators ----------------------------------------------------------------------------------

SHIPPED_PRESETS = ["calm_listener", "joyful", "anxious", "reading_focused", "speaking"]


def _number_paths(node, path=()):
    """Every path to a number in a preset document (where a TD's typo lands)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _number_paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _number_paths(v, (*path, i))
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield path


def _defaults():
    from microface_addon.core.preset.library import builtin_preset_dir

    return json.loads((builtin_preset_dir() / "defaults.json").read_text(encoding="utf-8"))


NUMBER_PATHS = [p for p in _number_paths(_defaults()) if p[0] not in ("format_version",)]


def _set(doc, path, value):
    node = doc
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(key, str) else node
    if isinstance(path[-1], str):
        node[path[-1]] = value


@st.composite
def presets(draw) -> bytes:
    """A studio preset extending a shipped one, with a few of the defaults' numbers (or whole
    sections) replaced by hostile values."""
    doc = {"format_version": 1, "name": "fuzzed", "extends": draw(st.sampled_from(SHIPPED_PRESETS))}
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["number", "number", "number", "section", "timeline"]))
        if kind == "number":
            path = draw(st.sampled_from(NUMBER_PATHS))
            if all(isinstance(k, str) for k in path):
                _set(doc, path, draw(hostile_numbers))
        elif kind == "section":
            section = draw(st.sampled_from(["blink", "gaze", "breath", "head", "micro_events"]))
            doc[section] = {draw(words): draw(values), "intensity": draw(hostile_numbers)}
        else:
            doc["timeline"] = draw(st.lists(intent_entries(), max_size=4))
    return draw(json_text(doc))


@st.composite
def intent_entries(draw):
    entry = {}
    for key in draw(
        st.lists(
            st.sampled_from(
                [
                    "at_s",
                    "intent",
                    "state",
                    "breath",
                    "posture",
                    "intensity",
                    "variant",
                    "attack_s",
                    "hold_s",
                    "release_s",
                    "duration_s",
                    "side",
                    "source",
                    "junk",
                ]
            ),
            max_size=5,
            unique=True,
        )
    ):
        entry[key] = draw(
            hostile_numbers
            if key.endswith("_s") or key in ("intensity", "side")
            else st.one_of(words, values)
        )
    if draw(st.booleans()):
        entry.setdefault("at_s", draw(st.floats(0, 5)))
        entry.setdefault("intent", draw(st.sampled_from(["smile", "frown", "nod", "surprise"])))
    return entry


@st.composite
def intents_files(draw) -> bytes:
    entries = draw(st.lists(intent_entries(), max_size=8))
    doc = {"timeline": entries} if draw(st.booleans()) else entries
    return draw(json_text(doc))


@st.composite
def override_maps(draw) -> bytes:
    channels = sorted(n for n, c in CHANNELS.items() if c.bakeable)
    doc = {}
    for _ in range(draw(st.integers(0, 4))):
        channel = draw(st.one_of(st.sampled_from(channels), words))
        target = draw(st.sampled_from(["key", "bone", "junk", "list", "off"]))
        if target == "key":
            value = {
                "shape_key": draw(st.sampled_from([*MINI_KEYS, "nope"])),
                "gain": draw(hostile_numbers),
            }
        elif target == "bone":
            value = {
                "bone": draw(st.sampled_from([*MINI_BONES, "nope"])),
                "gain": draw(hostile_numbers),
            }
            extra = draw(st.sampled_from(["", "rotate", "toward", "distance"]))
            if extra == "rotate":
                value["rotate"] = draw(st.sampled_from(["yaw", "pitch", "roll", "spin"]))
            elif extra == "toward":
                value["toward"] = draw(st.sampled_from(MINI_BONES))
            elif extra == "distance":
                value["direction"] = ["up"]
                value["distance"] = {"m": draw(hostile_numbers)}
        elif target == "list":
            value = [{"shape_key": draw(st.sampled_from(MINI_KEYS)), "gain": draw(hostile_numbers)}]
        elif target == "off":
            value = []
        else:
            value = draw(values)
        doc[channel] = value
    if draw(st.integers(0, 4)) == 0:
        doc["skeleton"] = {
            "head": draw(st.sampled_from([*MINI_BONES, "nope"])),
            "neck": draw(st.lists(st.sampled_from(MINI_BONES), max_size=2)),
        }
    return draw(json_text(doc))


marker_tokens = st.one_of(
    words,
    st.sampled_from(["0.5", "1", "2", "-1", "nan", "inf", "-inf", "1e308", "1e400", ".5", "+0.2"]),
    st.builds(
        lambda k, v: f"{k}={v}",
        st.sampled_from(["attack", "hold", "release", "duration", "side", "junk"]),
        st.sampled_from(["0.2", "nan", "inf", "-3", "1e9", "x", ""]),
    ),
)
marker_names = st.one_of(
    st.builds(
        lambda verb, args: " ".join(["mf:" + verb, *args]),
        st.sampled_from(["smile", "frown", "state", "breath", "posture", "nod", "no_such", ""]),
        st.lists(marker_tokens, max_size=3),
    ),
    st.text(max_size=12),
)
markers = st.lists(st.tuples(marker_names, st.integers(-2000, 2000)), max_size=8)


# --- the property --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    return save_mini_shot(tmp_path_factory.mktemp("fuzz") / "mini.blend")


def bake_and_judge(shot: Path, folder: Path, option: list[str], inputs: list[Path]) -> int:
    before = {p: sha256(p) for p in [shot, *inputs]}
    out_dir = folder / "out"
    out_dir.mkdir()
    out = out_dir / "o.blend"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = dispatch.main(["bake", str(shot), "-o", str(out), "--frames", FRAMES, *option])
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    event(f"exit {code}")
    assert code in (0, 2, 3), (code, err.getvalue())
    assert "Traceback" not in err.getvalue()
    assert {p: sha256(p) for p in before} == before  # no input changed
    if code != 0:
        assert len(lines) == 1 and lines[0].startswith("microface: error: "), lines
        assert os.listdir(out_dir) == []  # no partial output, no temporary file
        return code
    assert os.listdir(out_dir) == ["o.blend"]
    check_blend(out)
    bpy.ops.wm.open_mainfile(filepath=str(out))
    assert assert_finite_layer_keys() > 0
    return code


@contextlib.contextmanager
def scratch():
    folder = Path(tempfile.mkdtemp(prefix="mf-fuzz-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bake_with_file(mini: Path, option: str, name: str, data: bytes) -> None:
    with scratch() as d:
        path = d / name
        path.write_bytes(data)
        bake_and_judge(mini, d, [option, str(path)], [path])


@FUZZ
@given(presets())
def test_fuzzed_presets(mini, data):
    bake_with_file(mini, "--preset", "fuzzed.json", data)


@FUZZ
@given(intents_files())
def test_fuzzed_intents_files(mini, data):
    bake_with_file(mini, "--intents", "cues.json", data)


@FUZZ
@given(override_maps())
def test_fuzzed_override_maps(mini, data):
    bake_with_file(mini, "--overrides", "map.json", data)


@FUZZ
@given(markers)
def test_fuzzed_markers(mini, marks):
    with scratch() as d:

        def add(scene):
            for name, frame in marks:
                scene.timeline_markers.new(name, frame=frame)

        shot = save_variant(mini, d / "marked.blend", add)
        bake_and_judge(shot, d, [], [])
