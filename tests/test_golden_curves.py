"""The curves MicroFace produces are pinned bit for bit (``tools/golden_curves.py``).

Why: refactors and speed-ups must change the shape of the code, never the motion.  The reference
(``tests/data/golden_*.json``) was produced from the code before the change; each entry is a short
hash of one curve, so a failure names exactly which curves of which bake moved.  A change that
*means* to alter motion regenerates the reference in the same commit and says why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import golden_curves  # noqa: E402

DATA = ROOT / "tests" / "data"


def _compare(reference_file: str, key: str, current: dict[str, dict[str, str]]) -> None:
    reference = json.loads((DATA / reference_file).read_text(encoding="utf-8"))
    assert key in reference, (
        f"no reference for {key} in {reference_file}; generate it from a trusted commit with "
        f"tools/golden_curves.py"
    )
    expected = reference[key]
    assert sorted(current) == sorted(expected), "the set of golden runs changed"
    moved = []
    for run, curves in expected.items():
        got = current[run]
        missing = sorted(set(curves) - set(got))
        extra = sorted(set(got) - set(curves))
        changed = sorted(c for c in set(curves) & set(got) if curves[c] != got[c])
        if missing or extra or changed:
            moved.append(f"{run}: changed {changed[:6]} missing {missing[:4]} extra {extra[:4]}")
    assert not moved, "curves differ from the reference:\n" + "\n".join(moved)


@pytest.mark.pure
def test_solver_curves_match_reference():
    _compare(
        "golden_solve.json", golden_curves._version_key_solve(), golden_curves.solve_fingerprints()
    )


@pytest.mark.blender
def test_every_frame_bakes_match_the_dense_reference():
    """``--every-frame`` is the classic dense bake bit for bit: the reference predates the
    sparse keys."""
    pytest.importorskip("bpy")
    _compare(
        "golden_bake.json", golden_curves._version_key_bake(), golden_curves.bake_fingerprints()
    )


@pytest.mark.blender
def test_sparse_bakes_match_reference():
    pytest.importorskip("bpy")
    _compare(
        "golden_bake_sparse.json",
        golden_curves._version_key_bake(),
        golden_curves.bake_fingerprints(sparse=True),
    )
