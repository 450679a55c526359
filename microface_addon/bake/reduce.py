"""Error-bounded key reduction: the fewest Bézier keys whose curve stays within a tolerance of
every baked frame.

Why: a key on every frame (44 curves × 1,442 linear keys for one minute at 24 fps) cannot be
edited by hand — reshaping one blink means moving a dozen keys — and it multiplies the .blend's
size.  An animator's curve has keys where the motion turns and smooth handles in between.

How (pure numpy, all curves at once, never a Python loop over frames or keys):

- Each key gets the slope of the samples there (``sample_slopes``), so a segment between two
  keys is the cubic Hermite through them.  Written as a Bézier with its handles one third of the
  way to each neighbour *in frames*, Blender's evaluation of the segment is exactly that cubic
  (its time parameter is then linear in the frame).  Both handles of a key lie on one line, so
  the key is written ALIGNED: dragging a handle keeps the curve smooth.
- Keys are refined top-down: every segment whose cubic misses a sample by more than the
  tolerance gets a key at its worst sample; all failing segments of all curves are split in one
  vectorised step, and only the new halves are checked again.  The result is within tolerance at
  every frame by construction.  A merge pass then drops keys whose two neighbours span the
  samples between them within tolerance.
- Event extremes are kept exactly: every turning point of the samples whose swing on both sides
  exceeds ``EXTREME_SWING`` tolerances (a blink's closure, a saccade's far end, a cue's peak) is a
  key at its exact frame and value with flat handles.  Where Blender's own AUTO_CLAMPED handles
  for that key evaluate within tolerance too, the key is written AUTO_CLAMPED, so moving it keeps
  the peak flat without touching a handle.
- A curve that never leaves its tolerance band around one value is flat: one key.
- Tolerances may differ per frame (``reduce_curves``): a strip stacked on others may miss by
  what the strips below it left of the budget on that frame.

``evaluate`` computes what Blender computes for the keys and handles written (``tests/
test_reduce.py`` checks it against ``FCurve.evaluate`` on 4.2, 5.0 and 5.2), so the choices above
are checked against the curve Blender will actually play.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A turning point whose swing on both sides is at least this many tolerances is an event extreme
# (kept at its exact frame and value).  Smaller wiggles are within a few tolerances of the curve
# anyway and would only add keys.
EXTREME_SWING = 4.0
# Blender's automatic handles (``BKE_nurb_handle_calc`` with F-curve smoothing "None"): the handle
# reaches 2 / 5.1228 of the way to the neighbour key in frames, and a side is at most 5× the other.
_AUTO_HANDLE = 2.0 / 5.1228
_AUTO_SIDE_RATIO = 5.0
# Rounds of the merge pass: each drops every other redundant key; later rounds find ~1 % more.
MERGE_ROUNDS = 1
# Long segments are first split looking at about this many of their samples (``_refine``):
# the first rounds, over whole curves, then cost almost nothing.
COARSE_SAMPLES = 16
# Newton steps finding the curve parameter of a frame on a segment with automatic handles: the
# frame is nearly linear in it: three steps from the linear guess leave ~1e-6 of a tolerance.
NEWTON_STEPS = 3


@dataclass(frozen=True)
class SparseKeys:
    """The keys of one reduced curve, as offsets into its samples.

    ``index`` are sample offsets (frame = first frame + index), strictly increasing, first and
    last sample always included; ``slopes`` are value per frame at each key (the handles' line);
    ``auto`` marks keys written with AUTO_CLAMPED handles (Blender computes them), the others are
    ALIGNED at one third of each neighbouring interval; ``fit`` is the curve Blender evaluates
    from them on every sample.
    """

    index: np.ndarray
    values: np.ndarray
    slopes: np.ndarray
    auto: np.ndarray
    fit: np.ndarray | None = None  # what Blender evaluates on every sample (reduce_curves)

    def __len__(self) -> int:
        return int(self.index.size)

    def handles(self) -> tuple[np.ndarray, np.ndarray]:
        """(left, right) handle offsets (dx, dy) per key, shape (n, 2), relative to the key."""
        return handle_offsets(self.index.astype(np.float64), self.values, self.slopes, self.auto)


def handle_offsets(x, y, slopes, auto) -> tuple[np.ndarray, np.ndarray]:
    """Left and right handle offsets of keys at ``x`` (frames) — ALIGNED one third of the way to
    each neighbour along the slope, or where Blender puts flat AUTO_CLAMPED handles."""
    x = np.asarray(x, np.float64)
    n = x.size
    dx_left = np.empty(n)
    dx_right = np.empty(n)
    if n > 1:
        gaps = np.diff(x)
        dx_left[1:], dx_left[0] = gaps, gaps[0]
        dx_right[:-1], dx_right[-1] = gaps, gaps[-1]
    else:
        dx_left[:] = dx_right[:] = 1.0
    left_len = dx_left / 3.0
    right_len = dx_right / 3.0
    auto = np.asarray(auto, bool)
    if auto.any():
        a_left = np.minimum(dx_left, _AUTO_SIDE_RATIO * dx_right) * _AUTO_HANDLE
        a_right = np.minimum(dx_right, _AUTO_SIDE_RATIO * dx_left) * _AUTO_HANDLE
        left_len = np.where(auto, a_left, left_len)
        right_len = np.where(auto, a_right, right_len)
    m = np.where(auto, 0.0, np.asarray(slopes, np.float64))
    left = np.stack([-left_len, -left_len * m], axis=-1)
    right = np.stack([right_len, right_len * m], axis=-1)
    return left, right


def sample_slopes(y: np.ndarray) -> np.ndarray:
    """Slope (value per frame) of each row of samples where a key may sit: the harmonic mean of
    the differences to the previous and next sample, zero where they differ in sign (the
    monotone "PCHIP" tangent; one-sided at the ends).

    Why not the central difference: at 24 fps a saccade or a blink's closure is one or two
    frames, and a key at its corner given the mean of a flat side and a steep side overshoots
    on the flat one; the harmonic mean follows the flat side there and equals the central
    difference on smooth stretches.
    """
    y = np.asarray(y, np.float64)
    m = np.zeros_like(y)
    if y.shape[-1] < 2:
        return m
    d = np.diff(y, axis=-1)
    before, after = d[..., :-1], d[..., 1:]
    same = before * after > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        m[..., 1:-1] = np.where(same, 2.0 * before * after / (before + after), 0.0)
    m[..., 0] = d[..., 0]
    m[..., -1] = d[..., -1]
    return m


def _turning_points(y: np.ndarray) -> np.ndarray:
    """Offsets where the samples change direction (the middle of a flat top), with both ends."""
    d = np.diff(y)
    nz = np.flatnonzero(d)
    if nz.size < 2:
        return np.array([0, y.size - 1])
    sign = np.sign(d[nz])
    turns = np.flatnonzero(sign[1:] != sign[:-1])  # between moves nz[t] and nz[t + 1]
    middle = (nz[turns] + 1 + nz[turns + 1]) // 2
    return np.concatenate(([0], middle, [y.size - 1]))


def event_extremes(y: np.ndarray, tol: float) -> np.ndarray:
    """Offsets of the extremes of ``y`` that rise and fall (or fall and rise) by at least
    ``EXTREME_SWING × tol`` on both sides — a blink's closure, not a wiggle of noise on its way.

    Turning points come alternating (max, min, max …); a neighbouring pair closer than the
    swing is a wiggle and is dropped as a pair (so the rest still alternates), smallest first,
    in vectorised rounds, until every remaining pair differs by the swing.
    """
    h = EXTREME_SWING * tol
    pts = _turning_points(np.asarray(y, np.float64))
    while pts.size > 2:
        gap = np.abs(np.diff(y[pts]))
        k = np.arange(1, gap.size - 1)  # pair (k, k + 1), both interior
        pick = k[(gap[k] < h) & (gap[k] <= gap[k - 1]) & (gap[k] < gap[k + 1])]
        if pick.size:
            drop = np.concatenate([pick, pick + 1])
        elif gap[0] < h:
            drop = np.array([1])  # a wiggle next to the start is no extreme
        elif gap[-1] < h:
            drop = np.array([pts.size - 2])
        elif gap[1:-1].size and gap[1:-1].min() < h:  # a pair of equal gaps: drop the first
            j = 1 + int(np.argmin(gap[1:-1]))
            drop = np.array([j, j + 1]) if j + 1 < pts.size - 1 else np.array([j])
        else:
            break
        pts = np.delete(pts, drop)
    return pts[1:-1]


def _segment_errors(y, slopes, band, a, b, stride=None):
    """For segments (key ``a`` → key ``b``, flat offsets into the raveled curves) with samples
    between: how far the Hermite's error leaves the tolerance ``band`` (below, above: how far
    the fit may be under and over each sample) at worst (≤ 0: within it everywhere), and where.

    Returns (which segments had samples, their worst excess, the flat offset of the worst).
    With ``stride`` (per segment) only every stride-th sample is looked at, to place a split
    cheaply.  The cubic is expanded per segment (value, slope, two coefficients) and evaluated
    per sample in Horner form.
    """
    inner = b - a - 1
    keep = inner > 0
    a, b, inner = a[keep], b[keep], inner[keep]
    if a.size == 0:
        return keep, np.empty(0), np.empty(0, np.int64)
    step = np.ones(a.size, np.int64) if stride is None else np.maximum(stride[keep], 1)
    count = (inner - 1) // step + 1  # samples looked at per segment
    first = np.cumsum(count) - count
    seg = np.repeat(np.arange(a.size), count)
    k = (np.arange(seg.size) - first[seg]) * step[seg] + 1  # offset inside the segment
    d = (b - a).astype(np.float64)
    ya, yb = y[a], y[b]
    ma, mb = slopes[a] * d, slopes[b] * d  # slopes per segment length
    c2 = 3.0 * (yb - ya) - 2.0 * ma - mb
    c3 = 2.0 * (ya - yb) + ma + mb
    u = k / d[seg]
    fit = c3[seg]
    fit *= u
    fit += c2[seg]
    fit *= u
    fit += ma[seg]
    fit *= u
    fit += ya[seg]
    at = a[seg] + k
    fit -= y[at]  # the error
    err = np.maximum(fit - band[1][at], -fit - band[0][at])
    worst = np.maximum.reduceat(err, first)
    hit = np.flatnonzero(err == worst[seg])
    _, pick = np.unique(seg[hit], return_index=True)
    return keep, worst, at[hit[pick]]


def reduce_curves(y: np.ndarray, tol, *, merge: bool = True) -> list[SparseKeys]:
    """The sparse keys of each row of ``y`` (curves × samples, one sample per frame) so that the
    Bézier curve Blender evaluates through them is within ``tol`` of every sample.

    ``tol`` is one tolerance per curve, or one per sample (curves × samples), or a pair
    (below, above) of those: how far the curve may pass under and over each sample (a strip
    stacked on others may miss by what the strips below left of the budget on that frame, on
    either side).
    """
    y = np.atleast_2d(np.asarray(y, np.float64))
    n_curves, n = y.shape
    pair = tol if isinstance(tol, tuple) else (tol, tol)
    below, above = (_per_sample(t, n_curves, n) for t in pair)
    slopes = sample_slopes(y)
    keys = np.zeros((n_curves, n), bool)
    keys[:, 0] = keys[:, -1] = True
    # A flat curve: one key at a value inside every sample's band, if there is one.
    lowest, highest = (y - below).max(axis=1), (y + above).min(axis=1)
    flat = lowest <= highest
    mid = 0.5 * (lowest + highest)
    extreme = np.zeros((n_curves, n), bool)
    least = 0.5 * (below + above).min(axis=1)
    for row in np.flatnonzero(~flat):  # one vectorised call per curve
        extreme[row, event_extremes(y[row], least[row])] = True
    keys |= extreme
    slopes[extreme] = 0.0
    keys[flat, 1:] = False
    band = (below.ravel(), above.ravel())
    curves = _Flat(y.ravel(), slopes.ravel(), keys.ravel(), band, n)
    moving = np.flatnonzero(~flat)
    _refine(curves, moving)
    if merge:
        _merge(curves, moving, extreme.ravel())
    keys = curves.keys.reshape(n_curves, n)
    out = []
    for row in range(n_curves):
        idx = np.flatnonzero(keys[row])
        if flat[row]:
            fit = np.full(n, mid[row])
            out.append(SparseKeys(idx, mid[row : row + 1], np.zeros(1), np.zeros(1, bool), fit))
            continue
        k = SparseKeys(idx, y[row, idx], slopes[row, idx], np.zeros(idx.size, bool))
        out.append(_with_auto_handles(k, y[row], (below[row], above[row]), extreme[row]))
    return out


def _per_sample(tol, n_curves: int, n: int) -> np.ndarray:
    tol = np.asarray(tol, np.float64)
    tol = tol[:, None] if tol.ndim == 1 else tol
    return np.ascontiguousarray(np.broadcast_to(tol, (n_curves, n)))


@dataclass
class _Flat:
    """All curves raveled into one array (offset = row × n + sample), so segments of every
    curve are handled in one vectorised step."""

    y: np.ndarray
    slopes: np.ndarray
    keys: np.ndarray
    band: tuple[np.ndarray, np.ndarray]  # (below, above) per flat offset
    n: int

    def segments(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(start, end) flat offsets of consecutive keys within each of ``rows``."""
        mask = np.zeros(self.keys.size // self.n, bool)
        mask[rows] = True
        at = np.flatnonzero(self.keys & np.repeat(mask, self.n))
        same = (at[1:] // self.n) == (at[:-1] // self.n)
        return at[:-1][same], at[1:][same]


def _refine(f: _Flat, rows: np.ndarray) -> None:
    """Split every segment whose Hermite misses a sample by more than the tolerance, at its
    worst sample, until none does (a key on every frame passes trivially).

    Long segments are first split looking at about ``COARSE_SAMPLES`` of their samples (where
    the worst sample is matters little; that the segment fails does), then every segment is
    checked on every sample.
    """
    a, b = f.segments(rows)
    while a.size:
        stride = (b - a) // COARSE_SAMPLES
        long_ = stride > 1
        a, b, stride = a[long_], b[long_], stride[long_]
        keep, worst, at = _segment_errors(f.y, f.slopes, f.band, a, b, stride)
        a, b = a[keep], b[keep]
        bad = worst > 0.0
        a, b, at = a[bad], b[bad], at[bad]
        f.keys[at] = True
        a, b = np.concatenate([a, at]), np.concatenate([at, b])
    a, b = f.segments(rows)
    while a.size:
        keep, worst, at = _segment_errors(f.y, f.slopes, f.band, a, b)
        a, b = a[keep], b[keep]
        bad = worst > 0.0
        a, b, at = a[bad], b[bad], at[bad]
        f.keys[at] = True
        a, b = np.concatenate([a, at]), np.concatenate([at, b])


def _merge(f: _Flat, rows: np.ndarray, fixed: np.ndarray) -> None:
    """Drop keys whose neighbours alone keep the samples between them within tolerance.

    Every other removable key is tried at once (the two neighbours of a key must stay put while
    it is tested), alternating parity until a round removes nothing.
    """
    for _ in range(MERGE_ROUNDS):
        removed = 0
        for parity in (0, 1):
            a, b = f.segments(rows)  # key → next key
            if a.size < 2:
                break
            # a key is b[j] = a[j + 1]: removable if it has a next key in its curve
            middle = np.flatnonzero(b[:-1] == a[1:])
            middle = middle[(middle % 2 == parity) & ~fixed[b[middle]]]
            if middle.size == 0:
                continue
            keep, worst, _ = _segment_errors(f.y, f.slopes, f.band, a[middle], b[middle + 1])
            drop = b[middle][keep][worst <= 0.0]
            f.keys[drop] = False
            removed += drop.size
        if removed == 0:
            break


def _with_auto_handles(k: SparseKeys, y, band, extreme) -> SparseKeys:
    """Mark event extremes AUTO_CLAMPED where Blender's flat automatic handles (which it will
    compute from the neighbouring keys) keep both adjacent segments within tolerance; and
    evaluate the curve on every sample."""
    idx, v = k.index, k.values
    x = idx.astype(np.float64)
    auto = np.zeros(len(k), bool)
    every = np.arange(y.size, dtype=np.float64)
    fit = evaluate(x, v, k.slopes, auto, every)
    inner = np.arange(1, len(k) - 1)
    to_prev, to_next = v[inner - 1] - v[inner], v[inner + 1] - v[inner]
    # Blender flattens an automatic handle only where the key is an extreme among its neighbours.
    cand = inner[extreme[idx[inner]] & (np.sign(to_prev) * np.sign(to_next) >= 0)]
    auto[cand] = True
    while cand.size:  # dropping a key's auto handles only shrinks its segments' errors
        segs = np.unique(np.concatenate([cand - 1, cand]))
        at, seg = _segment_samples(idx, segs)
        curved = _evaluate_segments(x, v, k.slopes, auto, seg, at.astype(np.float64))
        worst = np.zeros(len(k) - 1)
        err = curved - y[at]
        np.maximum.at(worst, seg, np.maximum(err - band[1][at], -err - band[0][at]))
        bad_seg = worst > 0.0
        bad = auto & (np.r_[False, bad_seg] | np.r_[bad_seg, False])
        if not bad.any():
            fit[at] = curved
            break
        auto &= ~bad
        cand = np.flatnonzero(auto)
    return SparseKeys(idx, v, k.slopes, auto, fit)


def _segment_samples(idx: np.ndarray, segs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every sample offset inside the segments ``segs`` (key s → key s + 1), and its segment."""
    a, b = idx[segs], idx[segs + 1]
    inner = b - a - 1
    seg = np.repeat(segs, inner)
    first = np.cumsum(inner) - inner
    at = np.repeat(a, inner) + np.arange(seg.size) - np.repeat(first, inner) + 1
    return at, seg


def evaluate(x, y, slopes, auto, at: np.ndarray) -> np.ndarray:
    """What Blender evaluates for Bézier keys at frames ``x`` with values ``y`` and the handles
    ``handle_offsets`` gives, at the frames ``at`` (inside the keys' span)."""
    x = np.asarray(x, np.float64)
    at = np.asarray(at, np.float64)
    seg = np.clip(np.searchsorted(x, at, side="right") - 1, 0, x.size - 2)
    return _evaluate_segments(x, np.asarray(y, np.float64), slopes, auto, seg, at)


def _evaluate_segments(x, y, slopes, auto, seg, at) -> np.ndarray:
    """Blender's value on segment ``seg`` at frame ``at``: it finds the curve parameter whose
    frame is ``at`` on the segment's cubic, then the value there.  With handles at one third the
    parameter is linear in the frame; on segments with an automatic handle Newton's method finds
    it (the frame is monotonic in the parameter)."""
    left, right = handle_offsets(x, y, slopes, auto)
    x0, x3 = x[seg], x[seg + 1]
    y0, y3 = y[seg], y[seg + 1]
    y1, y2 = y0 + right[seg, 1], y3 + left[seg + 1, 1]
    t = (at - x0) / (x3 - x0)
    curved = np.flatnonzero(auto[seg] | auto[seg + 1])
    if curved.size:
        a0, a3, s = x0[curved], x3[curved], seg[curved]
        a1, a2 = a0 + right[s, 0], a3 + left[s + 1, 0]
        tc, target = t[curved], at[curved]
        # x(t) as a polynomial (Horner) and its derivative
        b1, b2, b3 = 3.0 * (a1 - a0), 3.0 * (a2 - 2.0 * a1 + a0), a3 - 3.0 * a2 + 3.0 * a1 - a0
        for _ in range(NEWTON_STEPS):
            xt = a0 + tc * (b1 + tc * (b2 + tc * b3))
            dxt = b1 + tc * (2.0 * b2 + 3.0 * tc * b3)
            tc = np.clip(tc - (xt - target) / np.where(dxt > 0, dxt, 1.0), 0.0, 1.0)
        t[curved] = tc
    # Bernstein form in Horner's scheme: y0 + t(3(y1−y0) + t(3(y2−2y1+y0) + t(y3−3y2+3y1−y0)))
    c1 = 3.0 * (y1 - y0)
    c2 = 3.0 * (y2 - 2.0 * y1 + y0)
    c3 = y3 - 3.0 * y2 + 3.0 * y1 - y0
    return y0 + t * (c1 + t * (c2 + t * c3))
