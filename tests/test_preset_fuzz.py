"""Fuzzing the preset loader: malformed presets never crash it and are never reported valid.

Two generators: mutations of the shipped presets (a value replaced by any JSON, a key removed, an
unknown key added — the mistakes a TD makes) and arbitrary JSON documents.  For each: schema
validation agrees with the reference validator (problems iff invalid), and ``load_preset`` on the
written file either returns valid settings or raises ``PresetError`` — never anything else.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microface_addon.core.preset import library
from microface_addon.core.preset.migrations import upgrade
from microface_addon.core.preset.settings import (
    PresetError,
    load_preset,
    load_schema,
    validate_document,
)

pytestmark = pytest.mark.slow  # 1,600 generated documents

REFERENCE = jsonschema.Draft202012Validator(load_schema())
SHIPPED = [
    json.loads(f.read_text(encoding="utf-8"))
    for f in sorted(library.builtin_preset_dir().glob("*.json"))
    if library.is_preset_file(f)
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=12),
    st.sampled_from(["calm_listener", "../x.json", "/abs.json", "held", "rest", "duchenne"]),
)
json_values = st.recursive(
    scalars,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=12,
)


def paths(doc, prefix=()):
    """Every (path, value) in a document."""
    yield prefix, doc
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from paths(v, (*prefix, i))


def set_at(doc, path, value):
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@st.composite
def mutated_presets(draw):
    doc = json.loads(json.dumps(draw(st.sampled_from(SHIPPED))))
    for _ in range(draw(st.integers(1, 3))):
        all_paths = [p for p, _ in paths(doc) if p]
        kind = draw(st.sampled_from(["replace", "delete", "unknown"]))
        if not all_paths or not isinstance(doc, dict):
            break
        path = draw(st.sampled_from(all_paths))
        if kind == "replace":
            set_at(doc, path, draw(json_values))
        elif kind == "delete":
            parent = doc
            for key in path[:-1]:
                parent = parent[key]
            del parent[path[-1]]
        else:
            dicts = [p for p, v in paths(doc) if isinstance(v, dict)]
            where = draw(st.sampled_from(dicts))
            target = doc
            for key in where:
                target = target[key]
            target[draw(st.text(min_size=1, max_size=8))] = draw(json_values)
    return doc


def check(doc):
    problems = validate_document(doc, "fuzz.json", json.dumps(doc, indent=1))
    valid = REFERENCE.is_valid(doc)
    assert (problems == []) == valid, problems
    for pr in problems:
        assert pr.pointer == "" or pr.pointer.startswith("/")
        assert pr.message
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "fuzz.json"
        path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        try:
            s = load_preset(path, extra_dirs=[])
        except PresetError as err:
            assert err.problems
            return
    # Loaded: the file (after any format upgrade) was valid, and so is the merged result.
    upgraded, _ = upgrade(doc)
    assert REFERENCE.is_valid(upgraded)
    assert validate_document(dict(s.data), "merged") == []


FUZZ = settings(
    max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@FUZZ
@given(mutated_presets())
def test_mutated_presets_never_crash_or_pass_invalid(doc):
    check(doc)


@FUZZ
@given(st.one_of(json_values, st.dictionaries(st.text(max_size=10), json_values, max_size=6)))
def test_arbitrary_json_never_crashes_or_passes_invalid(doc):
    check(doc)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(data):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "junk.json"
        path.write_bytes(data)
        try:
            load_preset(path, extra_dirs=[])
        except PresetError as err:
            assert err.problems
