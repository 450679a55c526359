"""The muscle cascade: intents drive muscles, and muscles pull each other in physiological order.

Why a graph: an expression is a response that ripples through the face, not a pose.  A felt
smile starts at the lip corners (zygomaticus major), the nasolabial fold deepens a beat later
(levator labii) and the cheeks rise and the eye corners crinkle last (orbicularis oculi, pars
orbitalis).  The preset holds that ordering as data (``cascade.graph``): muscles are nodes with
their own dynamics, edges carry a delay, a gain and a time constant, and an edge may only carry
some variants (the eye only joins *felt* smiles).

Per muscle: drive (intents + edges + tension) → asymmetric activation → damped tissue response
(see ``activation.py``).  Intents whose variants open different edges are solved as separate
groups and their activations summed, so a polite smile never leaks into the eyes through an
edge it does not open.  Sources for every default are in ``docs/science.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from ...channels import CHANNELS, SIDES, SOFT_KNEE_FRACTION, soft_limit
from ...jsondoc import PresetError, Problem, positions_of_file, problem_at
from ...sections import Range, from_section
from ...timeline.intents import IntentSpan, envelope, resolve
from ..primitives.activation import (
    adapt,
    asymmetric_activation,
    delayed_lag,
    lowpass,
    tissue_response,
)
from .instances import (
    EventAsymmetry,
    GridWobble,
    Instance,
    InstanceSpread,
    LivingHold,
    draw_instances,
    node_wobble,
    tension_scale,
)

NAME = "cascade"
LABEL = "Expressions"


# --------------------------------------------------------------------------------------------
# Muscles and the graph


@cache
def muscles() -> dict[str, tuple[str, ...]]:
    """Muscle name (without side) → its canonical channels (``_L``/``_R`` or a midline one).

    A muscle is an activation channel resting at 0 (lid-follow and other couplings are not).
    """
    out: dict[str, tuple[str, ...]] = {}
    for name, ch in CHANNELS.items():
        if ch.kind != "activation" or ch.lo != 0.0:
            continue
        base, _, side = name.rpartition("_")
        if side in SIDES and all(f"{base}_{s}" in CHANNELS for s in SIDES):
            out[base] = tuple(f"{base}_{s}" for s in SIDES)
        else:
            out[name] = (name,)
    return out


def muscle_channels() -> tuple[str, ...]:
    """Every muscle's canonical channels (what intents, edges and micro-events may drive)."""
    return tuple(ch for chans in muscles().values() for ch in chans)


WRITES = (*muscle_channels(), "tension")


@dataclass(frozen=True)
class Adaptation:
    """A drive held steady fades by ``depth`` with time constant ``tau_s`` (``adapt``)."""

    depth: float = 0.0
    tau_s: float = 1.0


@dataclass(frozen=True)
class ReleasePause:
    """Release hesitation: the fall pauses at ``at_fraction`` of the drive for ``pause_s``."""

    at_fraction: float = 0.0
    pause_s: Range = (0.0, 0.0)


@dataclass(frozen=True)
class NodeDynamics:
    """One muscle's dynamics: ``cascade.dynamics`` with ``cascade.graph.nodes.<muscle>`` on top."""

    tau_rise_s: float
    tau_fall_s: float
    tissue_hz: float
    tissue_damping: float
    adaptation: Adaptation = Adaptation()
    release_pause: ReleasePause = ReleasePause()


@dataclass(frozen=True)
class Edge:
    index: int
    src: str
    dst: str
    delay_s: float
    gain: float
    tau_s: float
    variants: tuple[str, ...] = ()  # empty: carries every intent


@dataclass(frozen=True)
class CascadeGraph:
    nodes: Mapping[str, NodeDynamics]  # every muscle, defaults filled in
    edges: tuple[Edge, ...]
    order: tuple[str, ...]  # muscles in topological order (sources before their targets)

    def out_edges(self, muscle: str) -> list[Edge]:
        return [e for e in self.edges if e.src == muscle]


def _problems(file: str, found: list[tuple[list, str]]) -> list[Problem]:
    pos = positions_of_file(file) if found and file else {}
    return [problem_at(file, [NAME, *path], msg, pos, at_key=True) for path, msg in found]


def _find_cycle(edges: Sequence[Edge]) -> list[Edge] | None:
    """Edges of one directed cycle (in order), or None.  Depth-first, deterministic order."""
    adj: dict[str, list[Edge]] = defaultdict(list)
    for e in edges:
        adj[e.src].append(e)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    path: list[Edge] = []

    def visit(node: str) -> list[Edge] | None:
        state[node] = 1
        for e in adj[node]:
            seen = state.get(e.dst, 0)
            if seen == 1:
                first = next((i for i, pe in enumerate(path) if pe.src == e.dst), len(path))
                return [*path[first:], e]
            if seen == 0:
                path.append(e)
                found = visit(e.dst)
                if found:
                    return found
                path.pop()
        state[node] = 2
        return None

    for root in sorted(adj):
        if not state.get(root):
            found = visit(root)
            if found:
                return found
    return None


def muscle_problem(name: object) -> str | None:
    """What is wrong with ``name`` as a muscle (without side), or None when it is one."""
    known = muscles()
    if name in known:
        return None
    return f"unknown muscle {name!r} (muscles: {', '.join(sorted(known))})"


def _edge_problems(graph: Mapping) -> tuple[list[tuple[list, str]], list[Edge]]:
    """Problems of the graph's nodes and edges one by one, and the edges fit to search for
    cycles (index, source and target only)."""
    found = []
    for m in graph.get("nodes", {}):
        if msg := muscle_problem(m):
            found.append((["graph", "nodes", m], msg))
    edges = []
    for i, e in enumerate(graph.get("edges", [])):
        here = [(["graph", "edges", i, end], muscle_problem(e.get(end))) for end in ("from", "to")]
        here += [
            (["graph", "edges", i, key], f"{key} must not be negative")
            for key in ("delay_s", "tau_s")
            if float(e.get(key, 0.0)) < 0
        ]
        here = [(path, msg) for path, msg in here if msg]
        if not here and e["from"] == e["to"]:
            here.append((["graph", "edges", i], f"edge {e['from']} → itself is a cycle"))
        found += here
        if not here:
            edges.append(Edge(i, e["from"], e["to"], 0.0, 0.0, 0.0))
    return found, edges


def _cycle_problem(edges: Sequence[Edge]) -> list[tuple[list, str]]:
    cycle = _find_cycle(edges)
    if not cycle:
        return []
    # Name the edge listed last (usually the one just added), the loop read from its target.
    k = max(range(len(cycle)), key=lambda i: cycle[i].index)
    loop = cycle[k + 1 :] + cycle[: k + 1]
    names = " → ".join([loop[0].src, *(e.dst for e in loop)])
    last = cycle[k]
    return [
        (["graph", "edges", last.index], f"edge {last.src} → {last.dst} closes a cycle: {names}")
    ]


def _drive_problems(section: Mapping) -> list[tuple[list, str]]:
    """Unknown muscles in the intents' and the tension's drive, unknown default variants."""
    found: list[tuple[list, str | None]] = []
    for kind, spec in section.get("intents", {}).items():
        found += [(["intents", kind, "drive", m], muscle_problem(m)) for m in spec.get("drive", {})]
        for v, vspec in spec.get("variants", {}).items():
            path = ["intents", kind, "variants", v, "drive"]
            found += [([*path, m], muscle_problem(m)) for m in vspec.get("drive", {})]
        dv = spec.get("default_variant", "")
        if dv and dv not in spec.get("variants", {}) and kind != "suppress":
            found.append((["intents", kind, "default_variant"], f"{kind} has no variant {dv!r}"))
    tension = section.get("tension", {}).get("drive", {})
    found += [(["tension", "drive", m], muscle_problem(m)) for m in tension]
    return [(path, msg) for path, msg in found if msg]


def check(section: Mapping) -> list[tuple[list, str]]:
    """Everything wrong with the cascade section beyond the schema: unknown muscles, negative
    delays or time constants, cycles — as (path inside the section, message).  The registry
    runs it when a preset loads."""
    found, edges = _edge_problems(section.get("graph", {}))
    return found + _cycle_problem(edges) + _drive_problems(section)


def graph_problems(section: Mapping, file: str = "") -> list[Problem]:
    """``check`` as problems naming ``file``, the JSON pointer and (when the file can be read)
    the line/column."""
    return _problems(file, check(section))


def build_graph(section: Mapping, file: str = "") -> CascadeGraph:
    """The validated graph; raises ``PresetError`` naming each bad edge or entry."""
    problems = graph_problems(section, file)
    if problems:
        raise PresetError(problems)
    dyn = section["dynamics"]
    graph = section["graph"]
    nodes = {}
    for m in muscles():
        nodes[m] = from_section(NodeDynamics, {**dyn, **graph.get("nodes", {}).get(m, {})})
    edges = tuple(
        Edge(
            i,
            e["from"],
            e["to"],
            float(e["delay_s"]),
            float(e["gain"]),
            float(e.get("tau_s", 0.0)),
            tuple(e.get("variants", ())),
        )
        for i, e in enumerate(graph.get("edges", []))
    )
    # Kahn's algorithm; ties broken by name so the order is deterministic.
    indeg = dict.fromkeys(nodes, 0)
    for e in edges:
        indeg[e.dst] += 1
    ready = sorted(m for m, d in indeg.items() if d == 0)
    order = []
    while ready:
        m = ready.pop(0)
        order.append(m)
        for e in edges:
            if e.src == m:
                indeg[e.dst] -= 1
                if indeg[e.dst] == 0:
                    ready.append(e.dst)
                    ready.sort()
    return CascadeGraph(nodes, edges, tuple(order))


# --------------------------------------------------------------------------------------------
# Asymmetry


@dataclass(frozen=True)
class Asymmetry:
    """Per-seed left/right differences, applied to every muscle and intent of the character."""

    gain_L: float
    gain_R: float
    onset_R_s: float  # right side's drive starts this much later than the left (may be < 0)

    @classmethod
    def draw(cls, sec: Mapping, rng: np.random.Generator) -> Asymmetry:
        diff = rng.normal(float(sec["left_gain_bias"]), float(sec["gain_sd"]))
        onset = rng.normal(0.0, float(sec["onset_sd_s"]))
        return cls(1.0 + diff / 2.0, 1.0 - diff / 2.0, float(onset))

    def side_gains(self, side_bias: float, event_diff: float = 0.0) -> tuple[float, float]:
        """(left, right) gains for an intent leaning ``side_bias`` (+1 left only … -1 right only),
        with an event's own left-minus-right difference ``event_diff`` on top of the bias."""
        return (
            (self.gain_L + event_diff / 2.0) * (1.0 - max(-side_bias, 0.0)),
            (self.gain_R - event_diff / 2.0) * (1.0 - max(side_bias, 0.0)),
        )


# --------------------------------------------------------------------------------------------
# Solving

# Windows of activity closer than this are solved as one (fewer, longer array passes).
_MERGE_GAP_S = 10.0
# Tension below this drives nothing (it would move a muscle by less than a billionth).
_TENSION_FLOOR = 1e-9
# A drive below this does not wobble: its wobble would move the muscle by less than a billionth.
_WOBBLE_FLOOR = 1e-8
# Decay time constants allowed after the last drive of a window before it is cut:
# e^-30 ≈ 1e-13 of the peak, far below anything a rig can show.
_TAIL_TIME_CONSTANTS = 30.0


def tail_s(graph: CascadeGraph) -> float:
    """How long the cascade keeps moving after its last drive (slowest decay + longest delays)."""
    taus = [n.tau_fall_s for n in graph.nodes.values()]
    taus += [
        1.0 / (2.0 * np.pi * n.tissue_hz * min(n.tissue_damping, 1.0)) for n in graph.nodes.values()
    ]
    taus += [e.tau_s for e in graph.edges]
    return _TAIL_TIME_CONSTANTS * max(taus) + sum(e.delay_s for e in graph.edges)


def _span_extent(span: IntentSpan, pause_s: float, onset_R_s: float) -> tuple[float, float]:
    return span.onset_s - abs(onset_R_s), span.end_s + pause_s + abs(onset_R_s)


def _windows(
    intervals: list[tuple[float, float]], tail: float, rate_hz: float, n: int
) -> list[slice]:
    """Merged sample windows covering each interval plus the decay tail after it."""
    out: list[list[int]] = []
    gap = int(_MERGE_GAP_S * rate_hz)
    for t0, t1 in sorted(intervals):
        i0 = max(int(np.floor(t0 * rate_hz)) - 1, 0)
        i1 = min(int(np.ceil((t1 + tail) * rate_hz)) + 2, n)
        if i1 <= i0:
            continue
        if out and i0 <= out[-1][1] + gap:
            out[-1][1] = max(out[-1][1], i1)
        else:
            out.append([i0, i1])
    return [slice(a, b) for a, b in out]


def _active_runs(x: np.ndarray, rate_hz: float) -> list[tuple[float, float]]:
    """(start_s, end_s) of the runs where ``x`` is non-zero."""
    nz = np.concatenate(([0], (x != 0).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(nz))
    return [(a / rate_hz, (b - 1) / rate_hz) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _add_span_drive(
    drives: dict[str, np.ndarray],
    clean: dict[str, np.ndarray],
    inst: Instance,
    pause_u: float,
    graph: CascadeGraph,
    asym: Asymmetry,
    t: np.ndarray,
    rate_hz: float,
    alive: np.ndarray,
    hold: LivingHold,
) -> None:
    """Add one intent instance's drive (per muscle, per side) to ``drives`` over the times ``t``.

    Each side of each muscle gets the character's gain and onset asymmetry plus this event's own,
    and lives: the drive is multiplied by ``1 + w(t)`` (``instances.Wobble``), scaled by ``alive``
    (the tension's enlargement of the wobble over ``t``).  ``clean`` gets the same drive without
    the wobble: what the graph passes on to the muscles it recruits (each of which wanders on its
    own, see ``_propagate``).
    """
    span = inst.span
    chans = muscles()
    onset_R = asym.onset_R_s + inst.onset_R_s
    for m, gain in span.drive.items():
        node = graph.nodes[m]
        lo, hi = node.release_pause.pause_s
        pause = lo + pause_u * (hi - lo) if node.release_pause.at_fraction > 0 else 0.0
        a0, a1 = _span_extent(span, pause, onset_R)
        i0 = max(int(np.floor((a0 - t[0]) * rate_hz)), 0)
        i1 = min(int(np.ceil((a1 - t[0]) * rate_hz)) + 2, t.size)
        if i1 <= i0:
            continue
        tt = t[i0:i1]
        rows = drives.setdefault(m, np.zeros((len(chans[m]), t.size)))
        still = clean.setdefault(m, np.zeros((len(chans[m]), t.size)))
        args = (span.attack_s, span.hold_s, span.release_s, node.release_pause.at_fraction, pause)
        amp = span.intensity * gain
        g_left, g_right = asym.side_gains(span.side, inst.gain_diff.get(m, 0.0))
        sides = ((g_left, span.onset_s), (g_right, span.onset_s + onset_R))
        if rows.shape[0] == 1:
            sides = ((1.0, span.onset_s),)
        for r, (g, onset) in enumerate(sides):
            x = amp * g * envelope(tt, onset, *args)
            size = hold.relative_size(amp * g) * alive[i0:i1]
            still[r, i0:i1] += x
            rows[r, i0:i1] += x * (1.0 + size * inst.wobble[(m, r)](tt))


def _activation(u: np.ndarray, node: NodeDynamics, rate_hz: float) -> np.ndarray:
    """A muscle's activation for drive ``u``: adaptation, smooth saturation, rise/fall lag."""
    u = adapt(u, node.adaptation.depth, node.adaptation.tau_s, rate_hz)
    if u.max() > 1.0 - SOFT_KNEE_FRACTION:  # summed drives saturate smoothly at 1
        u = soft_limit(u, 0.0, 1.0)
    return asymmetric_activation(u, node.tau_rise_s, node.tau_fall_s, rate_hz)


def _living(
    a: np.ndarray, live_u: np.ndarray, clean_u: np.ndarray, node: NodeDynamics, rate_hz: float
) -> np.ndarray:
    """The activation ``a`` of the clean drive, alive: × (1 + the drive's relative wobble,
    lagged like activation).

    Why not the activation of the living drive itself: the wobble is a small multiplicative
    fluctuation, so the activation's rise/fall lag treats it as the linear lag it is between
    switches — and solving the nonlinear lag on a drive that turns up and down a few times a
    second would cost a filter call per turn instead of about two per intent.
    """
    rel = np.divide(live_u - clean_u, clean_u, out=np.zeros_like(clean_u), where=clean_u > 0.0)
    return a * (1.0 + lowpass(rel, node.tau_rise_s, rate_hz))


def _propagate(
    graph: CascadeGraph,
    drives: dict[str, np.ndarray],
    clean: dict[str, np.ndarray],
    open_edges: frozenset[int],
    rate_hz: float,
    live,
) -> dict[str, np.ndarray]:
    """Activations of every driven muscle, following edges in topological order.

    ``drives`` is each muscle's living drive, ``clean`` the same without the wobble.  An edge
    carries the source's clean activation, and the target brings it alive with its own wobble
    (``live(muscle, drive)``): every muscle wanders once, on its own, instead of adding its
    sources' wander to its own down the chain.
    """
    chans = muscles()
    acts: dict[str, np.ndarray] = {}
    for m in graph.order:
        u = clean.get(m)
        if u is None:
            continue
        node = graph.nodes[m]
        source = _activation(u, node, rate_hz)
        acts[m] = _living(source, drives[m], u, node, rate_hz)
        for e in graph.out_edges(m):
            if e.variants and e.index not in open_edges:
                continue
            c = delayed_lag(source, e.delay_s, e.tau_s, e.gain, rate_hz)
            n_dst = len(chans[e.dst])
            if c.shape[0] != n_dst:
                c = np.repeat(c, 2, axis=0) if n_dst == 2 else c.mean(axis=0, keepdims=True)
            for target, x in ((drives, live(e.dst, c)), (clean, c)):
                if e.dst in target:
                    target[e.dst] += x
                else:
                    target[e.dst] = x
    return acts


def _open_edges(graph: CascadeGraph, span: IntentSpan) -> frozenset[int]:
    return frozenset(e.index for e in graph.edges if e.variants and span.variant in e.variants)


def tension_of(spans: Sequence[IntentSpan], tau_s: float, t: np.ndarray, rate_hz: float):
    """Tension the intents add (suppress, concern…): their envelopes × tension gain, lagged."""
    out = np.zeros_like(t)
    for s in spans:
        if s.tension == 0.0:
            continue
        i0 = max(int(np.floor(s.onset_s * rate_hz)), 0)
        i1 = min(int(np.ceil(s.end_s * rate_hz)) + 2, t.size)
        if i1 > i0:
            env = envelope(t[i0:i1], s.onset_s, s.attack_s, s.hold_s, s.release_s)
            out[i0:i1] += s.tension * s.intensity * env
    return lowpass(out, tau_s, rate_hz)


@dataclass
class _Drive:
    """Everything that drives the muscles in one solve (the layer's working set)."""

    graph: CascadeGraph
    asym: Asymmetry
    instances: Sequence[Instance]  # one per intent, as performed (``instances.py``)
    pause_u: np.ndarray  # per span: where in its node's release-pause range it pauses
    tension: np.ndarray | None  # the tension that drives muscles (None: the preset drives none)
    tension_drive: Mapping[str, float]
    t: np.ndarray
    rate_hz: float
    max_pause_s: float
    hold: LivingHold
    alive: np.ndarray  # how much tension enlarges every wobble, per sample
    base_seed: int  # the character-wide wobbles derive from it (``node_wobble``)
    _node: dict[tuple[str, int], GridWobble] = field(default_factory=dict)

    @property
    def spans(self) -> list[IntentSpan]:
        return [inst.span for inst in self.instances]

    def extent(self, i: int) -> tuple[float, float]:
        inst = self.instances[i]
        return _span_extent(inst.span, self.max_pause_s, self.asym.onset_R_s + inst.onset_R_s)

    def live(self, muscle: str, w: slice, x: np.ndarray) -> np.ndarray:
        """Drive ``x`` (rows per side over window ``w``) alive with the muscle's own
        character-wide wobble, sized for its level (``LivingHold.relative_size``)."""
        out = np.array(x, dtype=np.float64, copy=True)
        for r in range(x.shape[0]):
            key = (muscle, r)
            if key not in self._node:
                wobble = node_wobble(self.base_seed, muscle, r, self.hold)
                self._node[key] = GridWobble(wobble, self.t)
            # Only where the drive is not negligible (a decay's long tail wobbles for nothing).
            on = np.flatnonzero(np.abs(x[r]) > _WOBBLE_FLOOR)
            if on.size == 0:
                continue
            sl = slice(int(on[0]), int(on[-1]) + 1)
            grid = slice(w.start + sl.start, w.start + sl.stop)
            size = self.hold.relative_size(x[r, sl]) * self.alive[grid]
            out[r, sl] = x[r, sl] * (1.0 + size * self._node[key].values(grid))
        return out


def _driving_tension(ctx, sec: Mapping, spans: Sequence[IntentSpan]) -> np.ndarray | None:
    """Add the intents' own tension to the shared state; return the tension that drives muscles.

    Layers before this one (breath holding) show their own tension in the face; reading the
    shared total would show it twice, so by default only the intents' tension drives here.
    """
    own = tension_of(spans, float(sec["tension"]["tau_s"]), ctx.t, ctx.rate_hz)
    if np.any(own):
        ctx.add("tension", own)
    if not sec["tension"].get("drive", {}):
        return None
    shared = bool(sec["tension"].get("include_other_layers", False))
    tension = ctx.channels.get("tension") if shared else own
    if tension is None:  # shared, and nothing has written any
        return None
    # Tension this small moves nothing; treating it as 0 bounds the windows.
    return np.where(tension > _TENSION_FLOOR, tension, 0.0)


def _window_drives(
    d: _Drive, members: Sequence[int], w: slice, with_tension: bool
) -> tuple[dict, dict]:
    """Living and clean drive per muscle (rows per side) over window ``w`` from the spans in
    ``members``, plus the tension drive when ``with_tension``."""
    tw = d.t[w]
    drives: dict[str, np.ndarray] = {}
    clean: dict[str, np.ndarray] = {}
    for i in members:
        a0, a1 = d.extent(i)
        if a1 >= tw[0] and a0 <= tw[-1]:
            inst, pause = d.instances[i], float(d.pause_u[i])
            args = (d.graph, d.asym, tw, d.rate_hz, d.alive[w], d.hold)
            _add_span_drive(drives, clean, inst, pause, *args)
    if with_tension and np.any(d.tension[w]):
        chans = muscles()
        for m, g in d.tension_drive.items():
            x = g * d.tension[w]
            rows = drives.setdefault(m, np.zeros((len(chans[m]), tw.size)))
            rows += d.live(m, w, np.broadcast_to(x, rows.shape))  # a held clench lives too
            still = clean.setdefault(m, np.zeros((len(chans[m]), tw.size)))
            still += x
    return drives, clean


def _activations(d: _Drive) -> tuple[dict[str, np.ndarray], dict[str, list[tuple[int, int]]]]:
    """Summed activation per muscle over the whole grid, and the sample runs where each moved.

    Intents are grouped by the variant edges they open (a polite smile never leaks into the eyes
    through an edge only a felt one opens); each group is solved in windows of activity.
    """
    groups: dict[frozenset[int], list[int]] = defaultdict(list)
    for i, span in enumerate(d.spans):
        if span.drive:
            groups[_open_edges(d.graph, span)].append(i)
    if d.tension is not None and np.any(d.tension):
        groups.setdefault(frozenset(), [])
    tail = tail_s(d.graph)
    acts: dict[str, np.ndarray] = {}  # summed activation per muscle, full length
    active: dict[str, list[tuple[int, int]]] = defaultdict(list)  # where each one moved
    for key in sorted(groups, key=sorted):
        members = groups[key]
        intervals = [d.extent(i) for i in members]
        base = not key and d.tension is not None  # the group the tension drives with
        if base:
            intervals += _active_runs(d.tension, d.rate_hz)
        for w in _windows(intervals, tail, d.rate_hz, d.t.size):
            drives, clean = _window_drives(d, members, w, base)
            live = lambda m, x, w=w: d.live(m, w, x)  # noqa: E731
            for m, a in _propagate(d.graph, drives, clean, key, d.rate_hz, live).items():
                nz = np.flatnonzero(np.any(a != 0.0, axis=0))
                if nz.size == 0:
                    continue
                acts.setdefault(m, np.zeros((a.shape[0], d.t.size)))[:, w] += a
                active[m].append((w.start + int(nz[0]), w.start + int(nz[-1]) + 1))
    return acts, active


def _tissue(
    act: np.ndarray, runs: Sequence[tuple[int, int]], node: NodeDynamics, rate_hz: float
) -> np.ndarray:
    """Tissue follows a muscle only where it moved (+ its own settling time), from rest."""
    n = act.shape[1]
    settle = _TAIL_TIME_CONSTANTS / (2.0 * np.pi * node.tissue_hz * min(node.tissue_damping, 1.0))
    merged: list[list[int]] = []
    for i0, i1 in sorted(runs):
        i1 = min(i1 + int(np.ceil(settle * rate_hz)), n)
        if merged and i0 <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], i1)
        else:
            merged.append([i0, i1])
    out = np.zeros_like(act)
    for i0, i1 in merged:
        out[:, i0:i1] = tissue_response(act[:, i0:i1], node.tissue_hz, node.tissue_damping, rate_hz)
    return out


def apply(ctx) -> None:
    """Cascade layer: intents (+ tension) → muscle channels; publishes ``intent_spans``.

    Each intent becomes an instance of its own (``instances.py``: latency, attack, peak, release,
    asymmetry and living wobble drawn per instance).  Work happens only in windows of activity
    (each edge-group's intents and tension, plus the decay tail), and the tissue response only
    where a muscle actually moved: before such a window everything is at rest, so it starts from
    zero state and idle stretches cost nothing.
    """
    sec = ctx.settings.section(NAME)
    graph = build_graph(sec, ctx.settings.source)
    rng = ctx.rng(NAME)
    asym = Asymmetry.draw(sec["asymmetry"], rng)
    cues = resolve(ctx.timeline.intents, sec["intents"], float(sec["reaction_latency_s"]))
    pause_u = rng.random(len(cues))  # one draw per span whether used or not: stable streams
    base_seed = int(rng.integers(0, 2**63 - 1))
    hold = from_section(LivingHold, sec["living"])
    rows = {m: len(chans) for m, chans in muscles().items()}
    instances = draw_instances(
        cues,
        base_seed,
        from_section(InstanceSpread, sec["instances"]),
        hold,
        from_section(EventAsymmetry, sec["asymmetry"]),
        rows,
    )
    spans = [inst.span for inst in instances]
    ctx.events["intent_spans"] = spans
    ctx.events["cascade_asymmetry"] = asym
    ctx.events["cascade_instances"] = [inst.as_event() for inst in instances]
    tension = _driving_tension(ctx, sec, spans)
    max_pause = max((n.release_pause.pause_s[1] for n in graph.nodes.values()), default=0.0)
    drive = _Drive(
        graph,
        asym,
        instances,
        pause_u,
        tension,
        sec["tension"].get("drive", {}),
        ctx.t,
        ctx.rate_hz,
        max_pause,
        hold,
        tension_scale(hold, ctx.get("tension")),
        base_seed,
    )
    acts, active = _activations(drive)
    gain = ctx.settings.layer_gain(NAME)
    chans = muscles()
    for m in sorted(acts):
        out = _tissue(acts[m], active[m], graph.nodes[m], ctx.rate_hz)
        for name, row in zip(chans[m], out, strict=True):
            ctx.add(name, gain * row)
