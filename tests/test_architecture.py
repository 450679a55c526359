"""The package's import graph keeps one direction: data flows core → rig → bake → apply → front-ends.

Why a test: an upward import (the rig reaching into the bake, the bake into the panel) or a cycle
does not fail anything today; it fails the next refactor, when a module can no longer be loaded,
tested or moved on its own.  The graph is read from the source with ``ast``, so it sees every
import, at module level and inside functions (a lazy import is still a dependency), with
relative imports resolved to the module they load.  Nothing is imported to build it: this runs
without ``bpy``.

Stages, in the order data flows (a module may import its own stage or an earlier one)::

    core < rig.convention < compat < rig.scene < bake < apply < assets < ui | cli < package root

``compat`` (Blender-version differences) sits just below ``rig.scene``: the scene readers and
everything after may use it, the pure stages may not.  ``ui`` and ``cli`` are sibling
front-ends: each calls ``apply``, neither imports the other.  The package root
(``microface_addon/__init__.py``: ``register()``) and ``__main__`` wire the front-ends in.

One exception, by construction rather than by list: a literal constant assigned at the top of
the package root (``__version__``) is package metadata, not code.  Python runs the root before
any submodule, so reading it loads nothing and depends on no stage; such an import is an edge to
``<metadata>``, which every stage may read.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "microface_addon"
PACKAGE_DIR = ROOT / PACKAGE

# (module prefix relative to the package, stage name, rank).  The longest matching prefix wins;
# "" is the package root.  Equal ranks are siblings: they may not import each other.
STAGES = (
    ("core", "core", 0),
    ("rig", "rig.convention", 1),  # the rig package's own __init__ (a docstring)
    ("rig.convention", "rig.convention", 1),
    ("compat", "compat", 2),
    ("rig.scene", "rig.scene", 3),
    ("bake", "bake", 4),
    ("apply", "apply", 5),
    ("assets", "assets", 6),
    ("ui", "ui", 7),
    ("cli", "cli", 7),
    ("", "package root", 8),
    ("__main__", "package root", 8),
)
# Stages that must load without Blender.
PURE_STAGES = {"core", "rig.convention"}
BLENDER_MODULES = {"bpy", "bpy_extras", "mathutils", "bmesh", "bl_math", "gpu", "idprop", "aud"}


@dataclass(frozen=True)
class Edge:
    source: str  # importing module, dotted, relative to the package ("" = the root)
    target: str  # imported module or package, same form; or an external top-level name
    line: int
    internal: bool
    absolute: bool = False  # an internal import spelled ``microface_addon.…``

    def where(self) -> str:
        return f"{_path_of(self.source)}:{self.line}"

    def __str__(self) -> str:
        return f"{_label(self.source)} → {_label(self.target)} ({self.where()})"


def _label(module: str) -> str:
    return module or f"{PACKAGE} (root)"


def _modules() -> dict[str, Path]:
    """Every module of the package: dotted name relative to the package → file."""
    out = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_DIR).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()
METADATA = "<metadata>"


def _root_constants() -> set[str]:
    """Names bound to a literal at the top level of the package root (``__version__``)."""
    tree = ast.parse((PACKAGE_DIR / "__init__.py").read_text(encoding="utf-8"))
    out = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            out |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return out


ROOT_CONSTANTS = _root_constants()


def _path_of(module: str) -> str:
    if module == METADATA:
        return f"{PACKAGE}/__init__.py constants"
    return str(MODULES[module].relative_to(ROOT)) if module in MODULES else module


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


def _resolve(module: str, node: ast.ImportFrom) -> list[tuple[str, bool]]:
    """(target module, internal) for each name a ``from … import …`` loads."""
    if node.level == 0:
        name = node.module or ""
        if name != PACKAGE and not name.startswith(PACKAGE + "."):
            return [(name.split(".")[0], False)]
        base = name[len(PACKAGE) + 1 :] if name != PACKAGE else ""
    else:
        package = module if _is_package(module) else module.rpartition(".")[0]
        parts = package.split(".") if package else []
        up = node.level - 1
        if up > len(parts):
            raise AssertionError(
                f"{_path_of(module)}:{node.lineno}: relative import above the package"
            )
        base = _join(*(parts[: len(parts) - up] if up else parts), node.module or "")
    targets = []
    for alias in node.names:
        sub = _join(base, alias.name)
        if base == "" and alias.name in ROOT_CONSTANTS:
            targets.append((METADATA, True))
            continue
        # ``from . import layer`` loads the submodule; ``from .layer import X`` loads ``layer``.
        targets.append((sub if sub in MODULES else base, True))
    return targets


def import_graph() -> list[Edge]:
    """Every import statement of the package, anywhere in each file, as edges."""
    edges = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.name
                    if name == PACKAGE or name.startswith(PACKAGE + "."):
                        target = name[len(PACKAGE) + 1 :] if name != PACKAGE else ""
                        edges.append(Edge(module, target, node.lineno, True, absolute=True))
                    else:
                        edges.append(Edge(module, name.split(".")[0], node.lineno, False))
            elif isinstance(node, ast.ImportFrom):
                for target, internal in _resolve(module, node):
                    absolute = internal and node.level == 0
                    edges.append(Edge(module, target, node.lineno, internal, absolute))
    return edges


EDGES = import_graph()
INTERNAL = [e for e in EDGES if e.internal and e.target != e.source]


def stage_of(module: str) -> tuple[str, int]:
    if module == METADATA:
        return "metadata", -1
    best = None
    for prefix, name, rank in STAGES:
        if module == prefix or (prefix and module.startswith(prefix + ".")):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, name, rank)
    assert best is not None, f"{module}: no stage; add it to STAGES in {Path(__file__).name}"
    return best[1], best[2]


def cycles(edges: list[Edge]) -> list[list[Edge]]:
    """One concrete cycle (as its edges) per strongly connected component of the graph."""
    graph: dict[str, dict[str, Edge]] = {}
    for e in edges:
        graph.setdefault(e.source, {}).setdefault(e.target, e)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan; the package is small enough for recursion
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    out = []
    for comp in components:
        members = set(comp)
        # Shortest way back to the component's first module: breadth-first inside it.
        start = comp[0]
        previous: dict[str, Edge] = {}
        frontier = [start]
        while frontier and start not in previous:
            nxt = []
            for v in frontier:
                for w, e in sorted(graph.get(v, {}).items()):
                    if w in members and w not in previous:
                        previous[w] = e
                        nxt.append(w)
            frontier = nxt
        path, v = [], start
        while True:
            e = previous[v]
            path.append(e)
            v = e.source
            if v == start:
                break
        out.append(list(reversed(path)))
    return out


def _describe(cycle: list[Edge]) -> str:
    chain = " → ".join([_label(cycle[0].source)] + [_label(e.target) for e in cycle])
    return chain + "\n" + "\n".join(f"    {e.where()}: imports {_label(e.target)}" for e in cycle)


def upward_imports(edges: list[Edge]) -> list[str]:
    """Edges against the data flow: into a later stage, or across to a sibling stage."""
    out = []
    for e in edges:
        (src, src_rank), (dst, dst_rank) = stage_of(e.source), stage_of(e.target)
        if dst_rank > src_rank or (dst_rank == src_rank and dst != src):
            out.append(f"{e}: {src} may not import {dst}")
    return out


# --- the rules ------------------------------------------------------------------------------


def test_every_module_has_a_stage():
    for module in MODULES:
        stage_of(module)


def test_no_import_cycles():
    found = cycles(INTERNAL)
    assert not found, (
        "import cycles (break each by moving what is shared to an earlier stage):\n"
        + ("\n".join(_describe(c) for c in found))
    )


def test_no_cycles_inside_core():
    """Core is restructured on its own; a cycle among its modules is reported on its own too."""
    core = [e for e in INTERNAL if stage_of(e.source)[0] == stage_of(e.target)[0] == "core"]
    found = cycles(core)
    assert not found, "import cycles inside core:\n" + "\n".join(_describe(c) for c in found)


def test_imports_follow_the_data_flow():
    bad = upward_imports(INTERNAL)
    assert not bad, "imports against the data flow:\n" + "\n".join(bad)


def test_pure_stages_never_import_blender():
    bad = [
        f"{e.where()}: {_label(e.source)} imports {e.target}"
        for e in EDGES
        if not e.internal and e.target in BLENDER_MODULES and stage_of(e.source)[0] in PURE_STAGES
    ]
    assert not bad, "core and rig.convention must load without Blender:\n" + "\n".join(bad)


def test_imports_inside_the_package_are_relative():
    """Blender loads the extension as ``bl_ext.<repo>.microface``: an absolute
    ``microface_addon.…`` import would load a second copy (or nothing)."""
    bad = [f"{e.where()}: imports {PACKAGE}.{e.target}" for e in EDGES if e.absolute]
    assert not bad, "absolute imports of the package:\n" + "\n".join(bad)


# --- the checker checks itself ----------------------------------------------------------------


def test_checker_resolves_relative_and_function_level_imports():
    """The graph sees a lazy (function-level) import and resolves ``from .. import x`` to the
    submodule ``x``: the facts every other rule here rests on."""
    targets = {(e.source, e.target) for e in INTERNAL}
    assert ("bake.keys", "compat") in targets  # from .. import compat
    assert ("bake.transaction", "bake.layer") in targets  # from . import layer as L
    lazy = [e for e in INTERNAL if e.source == "cli.sample" and e.target == "assets.sample_head"]
    assert lazy, "cli.sample imports the sample head inside a function"
    assert ("cli.dispatch", METADATA) in targets  # from .. import __version__
    assert ("", "cli") in targets  # register() imports the front-ends


def test_checker_names_the_offending_edges():
    fake = [
        Edge("rig.scene.look_at", "bake.layer", 23, True),
        Edge("bake.layer", "rig.scene.look_at", 5, True),
        Edge("core.channels", "rig.convention.names", 9, True),
    ]
    (cycle,) = cycles(fake[:2])
    text = _describe(cycle)
    assert "bake.layer → rig.scene.look_at → bake.layer" in text, text
    assert "look_at.py:23: imports bake.layer" in text, text
    assert "layer.py:5: imports rig.scene.look_at" in text, text
    bad = upward_imports(fake)
    assert len(bad) == 2 and "rig.scene may not import bake" in bad[0], bad
    assert "core may not import rig.convention" in bad[1], bad
