"""Measure a preset against physiology: solve it without Blender and compare statistics with bands.

Why: a TD changing twenty numbers cannot see whether blinks still close in 60–110 ms or breaths
still take 40 % of the cycle to inhale; ``validate`` solves ten minutes, measures the *curves*
the way a physiologist would (``stats.py``), and prints each statistic with its 95 % confidence
interval against the published band: PASS (interval inside), FAIL (interval outside) or
INCONCLUSIVE (it straddles an edge, or too few events stand behind it), with how many more
minutes would decide (``confidence.py``).

Honest by construction: no statistic is judged on fewer than ``MIN_EVENTS`` events.  When one
has too few, ``validate`` pools more runs of the same preset (independent streams: the same
seed, other character ids) until it has enough or a budget is spent — breath statistics with
cheap breath-only solves (exact: the breath layer reads nothing from the others), everything
else with full solves.

Bands come from the project's physiology targets (``STATISTICS``, sources in
``docs/science.md``) and depend on what the preset is doing: the blink-rate band for ``rest``
differs from ``reading``, the breath band for ``calm`` from ``shallow_quick``.  A preset that
deliberately departs from the resting bands (``anxious`` blinks faster) says so in its
``targets`` section, with a source.  Stylised presets (``stylization`` > 0) are measured and
reported but never fail.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np

from ..jsondoc import read_json
from ..performance import Performance
from ..preset.library import DEFAULTS_NAME, builtin_preset_dir
from ..preset.settings import Settings, layer_sections
from ..sections import from_section
from ..solver.primitives.saccades import MainSequence
from ..timeline.grammar import BREATH_TRACK, STATE_TRACK, preset_timeline
from ..timeline.intents import resolve
from ..timeline.track import Timeline
from . import stats
from .confidence import (  # the statuses and the event floor are re-exported: judged here
    FAIL,
    INCONCLUSIVE,
    Blocks,
    Count,
    Estimate,
    Slope,
    Tally,
    Values,
    poisson_interval,
    verdict,
)
from .confidence import (
    MIN_EVENTS as MIN_EVENTS,
)
from .confidence import (
    PASS as PASS,
)

DEFAULT_MINUTES = 10.0
# Extra simulated minutes ``validate`` may spend per preset on full solves to give a statistic
# enough events; breath-only solves cost about a tenth as much and get this factor more.
DEFAULT_POOL_MINUTES = 30.0
BREATH_POOL_FACTOR = 6.0
# Least time (s) a state or breathing mode must fill before its band is checked.
MIN_CONTEXT_S = 60.0
DOUBLE_PAUSE_S = 0.15  # lid open for less than this between two blinks: a double blink
CHARACTER_ID = "validate"
# Stretch of curve behind one block estimate (spectral slope, range, correlation), seconds: long
# enough to resolve 0.02 Hz with a few bins.
SLOPE_BLOCK_S = 120.0
BLOCK_S = 60.0
MIN_PITCH_SD_DEG = 1.0  # a block judged for lid-pitch coupling has the eyes moving this much
RANGE_RATE_HZ = 10.0  # the head-range bootstrap resamples the curve at this rate
BREATHS_PER_BLOCK = 10  # successive breaths are correlated: resample them ten at a time
HOLD_MIN_S = 1.0  # expressions held at least this long …
HOLD_MIN_LEVEL = 0.2  # … at least this high (a visible hold) are checked for frozen stretches
FROZEN_STEP = 1e-3  # per-frame change below this …
FROZEN_FPS = 24.0  # … at this frame rate …
FROZEN_S = 0.5  # … for this long: a frozen plateau (science-targets)

OUT, INFO = "out", "info"
# Which solve re-measures a statistic when ``validate`` pools: breath-only or everything.
BREATH_ONLY, FULL = "breath", "full"


@dataclass(frozen=True)
class Band:
    lo: float
    hi: float
    source: str

    def contains(self, x: float) -> bool:
        return self.lo <= x <= self.hi

    def __str__(self) -> str:
        lo = "" if self.lo == -math.inf else f"{self.lo:g}"
        hi = "" if self.hi == math.inf else f"{self.hi:g}"
        if not lo:
            return f"≤ {hi}"
        if not hi:
            return f"≥ {lo}"
        return f"{lo}–{hi}"


@dataclass(frozen=True)
class Statistic:
    unit: str
    description: str
    # Published band by context (a state, a breath mode, or "" for any); missing: reported only.
    bands: Mapping[str, tuple[float, float, str]] = field(default_factory=dict)
    # The values the statistic can take at all (a share 0-1): a band edge there is not an edge
    # a preset can sit too close to.
    bounds: tuple[float, float] = (-math.inf, math.inf)

    def natural(self, edge: float) -> bool:
        return edge in self.bounds


BENTIVOGLIO = "Bentivoglio et al. 1997"
STATISTICS: dict[str, Statistic] = {
    # --- blinks (orbicularis_oculi_palpebral_L) ---
    "blink_rate_per_min": Statistic(
        "/min",
        "Spontaneous blink rate, blinks per minute, in each behavioural state.",
        {
            "rest": (12, 22, BENTIVOGLIO),
            "speaking": (20, 32, BENTIVOGLIO + " (conversation)"),
            "listening": (15, 21, "Takashima et al. 2008 (friendliest listener)"),
            "reading": (2, 8, BENTIVOGLIO + " (reading)"),
        },
    ),
    "blink_ibi_cv": Statistic(
        "",
        "Coefficient of variation of inter-blink intervals.",
        {"": (0.55, 1.0, "Ponder & Kennedy 1927; Doughty 2001")},
    ),
    "blink_ibi_skewness": Statistic(
        "",
        "Skewness of inter-blink intervals (right-skewed > 0).",
        {"": (0.5, math.inf, "Ponder & Kennedy 1927; Doughty 2001")},
    ),
    "blink_closing_ms": Statistic(
        "ms",
        "Median closing phase of full blinks, milliseconds.",
        {"": (55, 110, "Sforza et al. 2008; VanderWerf et al. 2003")},
    ),
    "blink_opening_closing_ratio": Statistic(
        "",
        "Median opening / closing duration of full blinks.",
        {"": (1.5, 3.0, "Sforza et al. 2008; VanderWerf et al. 2003")},
    ),
    "blink_duration_ms": Statistic(
        "ms",
        "Median duration of full blinks, milliseconds.",
        {"": (200, 450, "animation practice; VanderWerf et al. 2003")},
    ),
    "blink_partial_share": Statistic(
        "",
        "Share of blinks that close less than 90 % of a full blink, 0-1.",
        {"": (0.10, 0.50, "incomplete blinks at rest (science-targets)")},
        bounds=(0.0, 1.0),
    ),
    "blink_partial_amplitude": Statistic(
        "",
        "Median closure of partial blinks relative to a full blink, 0-1.",
        {"": (0.3, 0.8, "incomplete blinks at rest (science-targets)")},
    ),
    "blink_double_share": Statistic(
        "",
        "Share of blinks starting less than 0.15 s after the previous one ended (double blinks)"
        " in each state, 0-1; judged at rest (at high rates independent blinks come as close).",
        {"rest": (0.01, 0.10, "double/multiple blinks at rest (science-targets)")},
        bounds=(0.0, 1.0),
    ),
    # --- eye movements (gaze in the world: eye-in-head + head) ---
    "saccade_duration_ratio": Statistic(
        "",
        "Median saccade duration / the published main sequence (reference_main_sequence),"
        " saccades 2-30 deg.",
        {"": (0.8, 1.2, "Carpenter 1988; Baloh et al. 1975")},
    ),
    "saccade_amplitude_median_deg": Statistic(
        "deg",
        "Median amplitude of saccades of 1 deg and more outside reading, degrees.",
        {"": (3, 8, "Lee, Badler & Badler 2002; Bahill et al. 1975")},
    ),
    "saccade_under_15deg_share": Statistic(
        "",
        "Share of saccades (1 deg and more, outside reading) under 15 deg, 0-1.",
        {"": (0.85, 0.95, "Bahill et al. 1975")},
        bounds=(0.0, 1.0),
    ),
    "fixation_mean_s": Statistic(
        "s", "Mean interval between saccades of 1 deg and more outside reading, seconds."
    ),
    "microsaccade_rate_per_s": Statistic(
        "/s",
        "Saccades under 1 deg per second of fixation, outside reading.",
        {"": (0.5, 3.0, "Martinez-Conde et al. 2004")},
    ),
    "microsaccade_amplitude_p95_deg": Statistic(
        "deg",
        "95th percentile of microsaccade amplitude, degrees.",
        {"": (0.0, 1.0, "Martinez-Conde et al. 2004")},
    ),
    "gaze_evoked_blink_share": Statistic(
        "",
        "Share of gaze shifts over 30 deg with a blink starting within 0.2 s, 0-1.",
        {"": (0.8, 1.0, "Evinger et al. 1994")},
        bounds=(0.0, 1.0),
    ),
    "lid_pitch_correlation": Statistic(
        "",
        "Correlation of the upper-lid offset with eye pitch (lid follows the eye), 0-1.",
        {"": (0.8, 1.0, "lid-eye coupling (science-targets)")},
        bounds=(-1.0, 1.0),
    ),
    # --- breath ---
    "breath_rate_per_min": Statistic(
        "/min",
        "Breaths per minute in each breathing mode.",
        {
            "calm": (10, 18, "resting adults 12-20 /min (science-targets)"),
            "shallow_quick": (20, 30, "anxious shallow breathing (science-targets)"),
            "deep": (6, 10, "deep breathing (science-targets)"),
        },
    ),
    "breath_inhale_share": Statistic(
        "",
        "Median inhale time / breath cycle in each breathing mode, 0-1.",
        {
            "calm": (0.33, 0.45, "inhale:exhale 1:1.5-2 at rest (science-targets)"),
            "speech": (0.0, 0.2, "speech breathing (science-targets)"),
        },
    ),
    "sigh_rate_per_hour": Statistic(
        "/h",
        "Sighs per hour (breaths of about twice the usual depth).",
        {"calm": (4, 20, "Vlemincx et al. 2013")},
    ),
    "breath_depth_cv": Statistic(
        "",
        "Breath-to-breath coefficient of variation of the tidal depth (sighs included).",
        {"calm": (0.12, 0.40, "Tobin et al. 1988; Benchetrit 2000 (science-targets)")},
    ),
    "breath_end_exhale_sd": Statistic(
        "",
        "SD of the end-exhale level from breath to breath / the median depth.",
        {"calm": (0.05, math.inf, "Tobin et al. 1988; Benchetrit 2000 (science-targets)")},
    ),
    # --- head ---
    "head_sway_slope": Statistic(
        "",
        "Log-log slope of the head's own pitch or yaw spectrum (without the gaze head share)"
        " from 0.02 to 0.3 Hz, octaves weighted equally: falling with frequency, 1/f-like.",
        {"": (-math.inf, -0.5, "1/f-like postural sway below 0.3 Hz (science-targets)")},
    ),
    "head_sway_range_deg": Statistic(
        "deg",
        "95 % range of head pitch without the gaze head share, degrees.",
        {"rest": (0.5, 4.0, "sway amplitude 0.5-2 deg at rest (science-targets)")},
    ),
    "head_breath_coherence": Statistic(
        "",
        "Coherence of head pitch with the breath at the breathing frequency, 0-1 (reported:"
        " with calm breathing the sway near the same frequency dilutes it).",
    ),
    # --- expressions (cascade), measured around each intent on the timeline ---
    "smile_onset_s": Statistic(
        "s",
        "Median onset of smiles (AU12: movement start to apex), seconds.",
        {"": (0.25, 1.0, "Schmidt et al. 2006")},
    ),
    "au6_lag_ms": Statistic(
        "ms",
        "Median delay of the AU6 apex after the AU12 apex in Duchenne smiles, ms.",
        {"": (0.0, 250.0, "Ekman; Schmidt et al. 2006")},
    ),
    "cascade_order_share": Statistic(
        "",
        "Share of Duchenne smiles whose apexes come in order AU12, nasolabial, AU6, 0-1.",
        {"": (0.8, 1.0, "zygomatic pull before nasolabial before AU6 (science-targets)")},
        bounds=(0.0, 1.0),
    ),
    "au6_au12_ratio": Statistic(
        "", "Median peak AU6 / peak AU12 over smiles (eyes taking part in the smile)."
    ),
    "reaction_latency_s": Statistic(
        "s",
        "Median cue-to-onset delay of intents (first 2 % of the main muscle), seconds.",
        {"": (0.3, 0.4, "Dimberg 1982/2000 (facial EMG onset 0.3-0.4 s)")},
    ),
    "corrugator_release_share": Statistic(
        "",
        "Corrugator level at the end of a frown's hold / its peak (contract-then-release).",
        {"": (0.3, 0.7, "corrugator contract-then-release (seed)")},
    ),
    "smile_rise_cv": Statistic(
        "",
        "Coefficient of variation of the smiles' rise times (10 to 90 % of each one's peak).",
        {"": (0.10, math.inf, "Schmidt et al. 2006; Cohn & Schmidt 2004 (science-targets)")},
    ),
    "smile_lr_ratio_sd": Statistic(
        "",
        "SD over smiles of the left/right peak ratio of the lip-corner puller (per-event"
        " asymmetry).",
        {"": (0.02, math.inf, "asymmetry differs per event (Schmidt et al. 2006)")},
    ),
    "hold_frozen_share": Statistic(
        "",
        "Share of expressions held 1 s or more at 0.2 or more whose main muscle freezes"
        " (changes less than 1e-3 per 24-fps frame) for 0.5 s or more inside the hold.",
        {"": (0.0, 0.10, "held expressions fluctuate (science-targets)")},
        bounds=(0.0, 1.0),
    ),
}


@dataclass(frozen=True)
class Row:
    statistic: str
    context: str  # state or breath mode the number belongs to ("" = whole run)
    measured: float
    n: int  # events (or blocks) behind the number (blinks, saccades, breaths…)
    band: Band | None
    status: str
    note: str = ""
    ci: tuple[float, float] = (math.nan, math.nan)  # 95 % confidence interval
    method: str = ""  # how the interval was computed
    minutes: float = math.nan  # simulated minutes behind the number (pooled runs included)
    more_minutes: float | None = None  # for INCONCLUSIVE: extra minutes likely to decide it

    @property
    def unit(self) -> str:
        return STATISTICS[self.statistic].unit

    def as_dict(self) -> dict[str, Any]:
        return {
            "statistic": self.statistic,
            "context": self.context,
            "measured": _round(self.measured),
            "ci": [_round(self.ci[0]), _round(self.ci[1])],
            "ci_method": self.method,
            "unit": self.unit,
            "n": self.n,
            "minutes": _round(self.minutes),
            "band": None if self.band is None else [_num(self.band.lo), _num(self.band.hi)],
            "band_source": None if self.band is None else self.band.source,
            "status": self.status,
            "more_minutes": None if self.more_minutes is None else round(self.more_minutes, 1),
            "note": self.note,
        }


def _num(x: float) -> float | None:
    return None if math.isinf(x) else x


def _round(x: float) -> float | None:
    return None if not math.isfinite(x) else round(x, 4)


@dataclass
class PresetReport:
    name: str
    source: str
    stylised: bool
    minutes: float
    seed: int
    rows: list[Row]
    notices: tuple[str, ...] = ()
    signature: dict[str, float] = field(default_factory=dict)
    pooled_minutes: dict[str, float] = field(default_factory=dict)  # per solve kind, total

    @property
    def failures(self) -> list[Row]:
        return [r for r in self.rows if r.status == FAIL]

    @property
    def inconclusive(self) -> list[Row]:
        return [r for r in self.rows if r.status == INCONCLUSIVE]

    @property
    def ok(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {
            "preset": self.name,
            "source": self.source,
            "stylised": self.stylised,
            "minutes": self.minutes,
            "pooled_minutes": dict(self.pooled_minutes),
            "seed": self.seed,
            "ok": self.ok,
            "rows": [r.as_dict() for r in self.rows],
            "notices": list(self.notices),
            "signature": {k: round(v, 5) for k, v in self.signature.items()},
        }


# --- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One measured statistic before it is judged: its data (events, values or blocks, which
    know how to pool with another run's and give a confidence interval), its context, and which
    solve can re-measure it."""

    statistic: str
    data: Count | Tally | Values | Blocks | Slope | Point
    context: str = ""
    note: str = ""
    group: str = FULL
    family: str = ""  # the ``measure`` family that produces it (``FAMILIES``)
    minutes: float = 0.0  # simulated minutes behind it (set when measured, grown when pooled)

    @property
    def key(self) -> tuple[str, str]:
        return (self.statistic, self.context)

    def pooled(self, other: Measure) -> Measure:
        data = self.data.pooled(other.data)
        return replace(self, data=data, minutes=self.minutes + other.minutes)

    def estimate(self) -> Estimate:
        return self.data.estimate(f"{self.statistic}/{self.context}")


@dataclass
class Point:
    """A number reported without a band (no interval needed); pooled as the runs' mean."""

    values: list[float]
    n: int
    min_n = 1

    def pooled(self, other: Point) -> Point:
        return Point(self.values + other.values, self.n + other.n)

    def estimate(self, key: str = "") -> Estimate:
        value = float(np.mean(self.values)) if self.values else math.nan
        return Estimate(value, math.nan, math.nan, self.n, "")


def _spans(timeline: Timeline, track: str, initial: str, duration_s: float):
    """``{value: [(start, end), …]}`` of a timeline track over the run."""
    out: dict[str, list[tuple[float, float]]] = {}
    for a, b, v in timeline.segments(track, initial, duration_s):
        out.setdefault(v, []).append((a, b))
    return out


def _total(spans: Sequence[tuple[float, float]]) -> float:
    return float(sum(b - a for a, b in spans))


def _inside(times: np.ndarray, spans: Sequence[tuple[float, float]]) -> np.ndarray:
    t = np.asarray(times, dtype=np.float64)
    m = np.zeros(t.shape, dtype=bool)
    for a, b in spans:
        m |= (t >= a) & (t < b)
    return m


def _channel(perf: Performance, name: str) -> np.ndarray:
    v = perf.channels.get(name)
    return np.zeros(perf.n_samples) if v is None else v


def measure_blinks(perf: Performance, states: Mapping[str, list]) -> list[Measure]:
    rate = perf.rate_hz
    b = stats.detect_blinks(_channel(perf, "orbicularis_oculi_palpebral_L"), rate)
    out = []
    for state, spans in sorted(states.items()):
        if _total(spans) >= MIN_CONTEXT_S:
            inside = _inside(b.onsets_s, spans)
            both = inside[1:] & inside[:-1]
            count = Count(int(np.count_nonzero(inside)), _total(spans), 60.0, b.ibi_s[both])
            out.append(Measure("blink_rate_per_min", count, state))
            # Pause from the end of one blink to the start of the next: a double blink's second
            # closure starts as the lid has just reopened.
            pause = b.onsets_s[1:] - (b.onsets_s[:-1] + b.duration_s[:-1])
            pause_here = pause[both]
            doubles = Tally(int(np.sum(pause_here < DOUBLE_PAUSE_S)), int(pause_here.size))
            out.append(Measure("blink_double_share", doubles, state))
    if b.count < 2:
        return out
    ibi = b.ibi_s
    full_level = float(np.percentile(b.amplitude, 95))
    full = b.amplitude >= 0.9 * full_level
    partial = ~full
    out += [
        Measure("blink_ibi_cv", Values(ibi, "cv")),
        Measure("blink_ibi_skewness", Values(ibi, "skewness")),
        Measure("blink_partial_share", Tally(int(partial.sum()), b.count)),
    ]
    if full.sum() >= 2:
        out += [
            Measure("blink_closing_ms", Values(b.closing_s[full], scale=1000.0)),
            Measure("blink_opening_closing_ratio", Values(b.opening_s[full] / b.closing_s[full])),
            Measure("blink_duration_ms", Values(b.duration_s[full], scale=1000.0)),
        ]
    if partial.sum():
        rel = b.amplitude[partial] / full_level
        out.append(Measure("blink_partial_amplitude", Values(rel)))
    return out


@cache
def reference_main_sequence() -> MainSequence:
    """The published saccade main sequence (about 2.2 ms/deg × amplitude + 21 ms, Carpenter 1988)
    that measured saccades are judged against: the shipped defaults' ``gaze.main_sequence``, so
    the number is written once (``presets/defaults.json``, sources in ``docs/science.md``)."""
    defaults, _ = read_json(builtin_preset_dir() / f"{DEFAULTS_NAME}.json")
    return from_section(MainSequence, defaults["gaze"]["main_sequence"])


def measure_gaze(perf: Performance, states: Mapping[str, list]) -> list[Measure]:
    rate = perf.rate_hz
    yaw = _channel(perf, "eye_yaw_L") + _channel(perf, "head_yaw")
    pitch = _channel(perf, "eye_pitch_L") + _channel(perf, "head_pitch")
    sac = stats.detect_saccades(yaw, pitch, rate)
    spans = [s for state, ss in states.items() if state != "reading" for s in ss]
    span_s = _total(spans)
    out: list[Measure] = []
    if span_s < MIN_CONTEXT_S:
        return out
    inside = _inside(sac.onsets_s, spans)
    amp = sac.amplitude_deg
    big = inside & (amp >= 1.0)
    micro = inside & (amp < 1.0)
    mid = big & (amp >= 2.0) & (amp <= 30.0)
    if mid.sum() >= 2:
        predicted = reference_main_sequence().duration_s(amp[mid])
        out.append(Measure("saccade_duration_ratio", Values(sac.duration_s[mid] / predicted)))
    out += [
        Measure("saccade_amplitude_median_deg", Values(amp[big])),
        Measure("saccade_under_15deg_share", Tally(int(np.sum(amp[big] < 15.0)), int(big.sum()))),
        Measure("fixation_mean_s", Point([span_s / max(int(big.sum()), 1)], int(big.sum()))),
    ]
    fixation_s = span_s - float(np.sum(sac.duration_s[inside]))
    micro_iv = np.diff(sac.onsets_s[micro])
    out.append(
        Measure("microsaccade_rate_per_s", Count(int(micro.sum()), fixation_s, 1.0, micro_iv))
    )
    if micro.sum() >= 2:
        out.append(Measure("microsaccade_amplitude_p95_deg", Values(amp[micro], "p95")))
    large = amp > 30.0
    if large.any():
        b = stats.detect_blinks(_channel(perf, "orbicularis_oculi_palpebral_L"), rate)
        share = stats.coincidence_share(sac.onsets_s[large], b.onsets_s, 0.2)
        k = int(round(share * int(large.sum())))
        out.append(Measure("gaze_evoked_blink_share", Tally(k, int(large.sum()))))
    lid = _channel(perf, "upper_lid_gaze_L")
    ep = _channel(perf, "eye_pitch_L")
    if np.std(lid) > 0 and np.std(ep) > 0:
        # + lid offset = lid lowered, which goes with looking down (pitch −)
        corr = lambda a, b: -float(np.corrcoef(a, b)[0, 1])  # noqa: E731
        blocks = _blockwise(corr, (lid, ep), rate, BLOCK_S)
        # A minute the eyes hardly move up or down says nothing about the lid following them.
        n = int(BLOCK_S * rate)
        moving = [np.std(ep[i * n : (i + 1) * n]) >= MIN_PITCH_SD_DEG for i in range(blocks.n)]
        blocks = replace(blocks, per_block=blocks.per_block[np.array(moving, dtype=bool)])
        out.append(Measure("lid_pitch_correlation", replace(blocks, fisher=True)))
    return out


def _blockwise(fn, curves: Sequence[np.ndarray], rate_hz: float, block_s: float) -> Blocks:
    """``fn`` of the curves on every whole block of ``block_s`` seconds, and on all of them."""
    n = int(block_s * rate_hz)
    k = curves[0].size // n
    per = [fn(*(c[i * n : (i + 1) * n] for c in curves)) for i in range(k)]
    return Blocks(np.asarray(per, dtype=np.float64), [fn(*curves)])


def measure_breath(perf: Performance, modes: Mapping[str, list]) -> list[Measure]:
    """Rate, inhale share, sighs and breath-to-breath variability per breathing mode."""
    rate = perf.rate_hz
    curve = _channel(perf, "breath")
    cyc = stats.detect_breath_cycles(curve, rate)
    out = []
    for mode, spans in sorted(modes.items()):
        if mode == "held" or _total(spans) < MIN_CONTEXT_S:
            continue
        keep = _inside(cyc.start_s, spans) & _inside(cyc.end_s, [(a, b + 1e-9) for a, b in spans])
        if keep.sum() < 2:
            continue
        sub = stats.BreathCycles(
            cyc.start_s[keep], cyc.peak_s[keep], cyc.end_s[keep], cyc.depth[keep]
        )
        troughs = curve[np.round(sub.start_s * rate).astype(np.int64)]
        out += [
            Measure("breath_rate_per_min", Values(sub.duration_s, "per_min"), mode),
            Measure("breath_inhale_share", Values(sub.inhale_share), mode),
            Measure("breath_depth_cv", Values(sub.depth, "cv", BREATHS_PER_BLOCK), mode),
            Measure(
                "breath_end_exhale_sd",
                Values(troughs / float(np.median(sub.depth)), "sd", BREATHS_PER_BLOCK),
                mode,
            ),
        ]
        if mode == "calm":
            sighs = stats.detect_sighs(sub)
            count = Count(int(sighs.size), _total(spans), 3600.0, np.diff(sighs))
            out.append(Measure("sigh_rate_per_hour", count, mode))
    return [replace(m, group=BREATH_ONLY) for m in out]


def measure_head(perf: Performance, states: Mapping[str, list], breath_on: bool) -> list[Measure]:
    rate = perf.rate_hz
    # The head's own motion: without the gaze layer's head share (listening tilts live in roll
    # and nods in pitch, so yaw shows the postural spectrum in every state).
    own = {
        "pitch": _channel(perf, "head_pitch") - _channel(perf, "gaze_head_share_pitch"),
        "yaw": _channel(perf, "head_yaw") - _channel(perf, "gaze_head_share_yaw"),
    }
    if all(np.std(x) == 0 for x in own.values()):
        return []
    out = []
    if perf.duration_s >= SLOPE_BLOCK_S:
        for axis, x in own.items():
            out.append(Measure("head_sway_slope", _sway_slope(x, rate), axis))
    rest = states.get("rest", [])
    if _total(rest) >= MIN_CONTEXT_S:
        step = max(int(round(rate / RANGE_RATE_HZ)), 1)
        pitch = own["pitch"][_inside(perf.t, rest)][::step]
        block = int(BLOCK_S * rate / step)
        values = Values(pitch, "range95", block, per_block=True)
        out.append(Measure("head_sway_range_deg", values, "rest"))
    breath = _channel(perf, "breath")
    if breath_on and np.std(breath) > 0:
        from scipy.signal import coherence

        cyc = stats.detect_breath_cycles(breath, rate)
        if cyc.count >= 5:
            f_b = 1.0 / float(np.median(cyc.duration_s))
            nper = min(int(60 * rate), breath.size)
            fc, coh = coherence(own["pitch"], breath, fs=rate, nperseg=nper)
            band = (fc >= 0.8 * f_b) & (fc <= 1.2 * f_b)
            if band.any():
                peak = Point([float(coh[band].max())], cyc.count)
                out.append(Measure("head_breath_coherence", peak))
    return out


def _sway_slope(x: np.ndarray, rate_hz: float) -> Slope:
    """The sway statistic: the Welch spectrum's log-log slope over 0.02-0.3 Hz, three bins per
    octave, with the fit's standard error."""
    f, psd = stats.power_spectrum(x, rate_hz, segment_s=SLOPE_BLOCK_S)
    slope, se, dof = stats.loglog_fit(f, psd, 0.02, 0.3, bins_per_octave=3)
    return Slope([slope], [se], [dof])


def _window(starts: Sequence[float], i: int, duration_s: float, rate: float) -> slice:
    """From cue ``i`` to the next cue (at most 8 s)."""
    start = starts[i]
    end = min(starts[i + 1] if i + 1 < len(starts) else duration_s, start + 8.0)
    return slice(int(start * rate), int(end * rate) + 1)


def longest_still_s(curve: np.ndarray, rate_hz: float, fps: float = FROZEN_FPS) -> float:
    """Longest stretch (s) over which ``curve``, keyed at ``fps``, changes by less than
    ``FROZEN_STEP`` per frame: a frozen plateau, as a viewer scrubbing the keys would see it."""
    if curve.size < 2:
        return 0.0
    t = np.arange(curve.size) / rate_hz
    keys = np.interp(np.arange(0.0, t[-1], 1.0 / fps), t, curve)
    still = np.abs(np.diff(keys)) < FROZEN_STEP
    starts, ends = stats.true_runs(still)
    return float((ends - starts).max() / fps) if starts.size else 0.0


def _main_curve(perf: Performance, drive: Mapping[str, float]) -> np.ndarray | None:
    """The left (or midline) curve of the muscle an intent drives most."""
    if not drive:
        return None
    main = max(drive, key=drive.get)
    for name in (f"{main}_L", main):
        if name in perf.channels:
            return perf.channels[name]
    return None


@dataclass
class _Expressions:
    """Per-instance measurements of the expressions on a timeline, one list per statistic."""

    onset: list[float] = field(default_factory=list)
    rise: list[float] = field(default_factory=list)
    lr_ratio: list[float] = field(default_factory=list)
    lag_ms: list[float] = field(default_factory=list)
    ordered: list[bool] = field(default_factory=list)
    au6_ratio: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    release: list[float] = field(default_factory=list)
    frozen: list[bool] = field(default_factory=list)

    def measures(self) -> list[Measure]:
        pairs = (
            ("smile_onset_s", Values(np.array(self.onset))),
            ("smile_rise_cv", Values(np.array(self.rise), "cv")),
            ("smile_lr_ratio_sd", Values(np.array(self.lr_ratio), "sd")),
            ("au6_lag_ms", Values(np.array(self.lag_ms))),
            ("cascade_order_share", Tally(int(sum(self.ordered)), len(self.ordered))),
            ("au6_au12_ratio", Values(np.array(self.au6_ratio))),
            ("reaction_latency_s", Values(np.array(self.latency))),
            ("corrugator_release_share", Values(np.array(self.release))),
            ("hold_frozen_share", Tally(int(sum(self.frozen)), len(self.frozen))),
        )
        return [Measure(stat, data) for stat, data in pairs if data.n]


def _smile(perf: Performance, w: slice, variant: str, found: _Expressions) -> None:
    rate = perf.rate_hz
    x12 = _channel(perf, "zygomaticus_major_L")[w]
    au6 = _channel(perf, "orbicularis_oculi_orbital_L")[w]
    found.onset.append(stats.onset_duration_s(x12, rate))
    peak = float(x12.max())
    found.rise.append(
        stats.first_crossing_s(x12, rate, 0.9 * peak)
        - stats.first_crossing_s(x12, rate, 0.1 * peak)
    )
    right = float(_channel(perf, "zygomaticus_major_R")[w].max())
    if right > 0:
        found.lr_ratio.append(peak / right)
    found.au6_ratio.append(float(au6.max() / peak))
    if variant == "duchenne" and au6.max() > 0.05:
        a12 = stats.apex_time_s(x12, rate)
        a6 = stats.apex_time_s(au6, rate)
        an = stats.apex_time_s(_channel(perf, "levator_labii_L")[w], rate)
        found.lag_ms.append(1000.0 * (a6 - a12))
        found.ordered.append(a12 <= an <= a6)


def measure_expressions(perf: Performance, timeline: Timeline, settings: Settings) -> list[Measure]:
    """Per instance: onset, rise and asymmetry of smiles, the Duchenne order, cue-to-movement
    latency, the corrugator's release and frozen holds; pooled into one statistic each."""
    rate = perf.rate_hz
    sec = settings.section("cascade")
    latency_s = float(sec["reaction_latency_s"])
    # Cues whose response fits in the run (a short run ignores the later ones).
    starts = sorted(i.start_s for i in timeline.intents if i.start_s < perf.duration_s - 2.0)
    spans = [s for s in resolve(timeline.intents, sec["intents"], latency_s) if s.drive]
    found = _Expressions()
    for span in spans:
        cue = span.onset_s - latency_s
        if cue >= perf.duration_s - 2.0:
            continue
        nearest = int(np.argmin(np.abs(np.asarray(starts) - cue)))
        w = _window(starts, nearest, perf.duration_s, rate)
        main = _main_curve(perf, span.drive)
        if main is None or main[w].max() <= 0.02:
            continue
        x = main[w] - main[w.start]
        if x.max() > 0.02:
            found.latency.append(stats.first_crossing_s(x, rate, 0.02 * x.max()))
        hold = slice(int((span.onset_s + span.attack_s) * rate), int(span.release_start_s * rate))
        visible = hold.stop <= main.size and np.median(main[hold]) >= HOLD_MIN_LEVEL
        if span.hold_s >= HOLD_MIN_S and visible:
            found.frozen.append(longest_still_s(main[hold], rate) >= FROZEN_S)
        if span.kind == "smile" and _channel(perf, "zygomaticus_major_L")[w].max() > 0.05:
            _smile(perf, w, span.variant, found)
        corr = _channel(perf, "corrugator_L")
        if span.kind == "frown" and corr[w].max() > 0.05 and hold.stop <= corr.size:
            # The level it settles at: the median of the hold's last half second (it wanders).
            settled = float(np.median(corr[max(hold.stop - int(rate / 2), hold.start) : hold.stop]))
            found.release.append(settled / float(corr[w].max()))
    return found.measures()


# --- a performance's signature: what makes presets look different ---------------------------

# Statistic → (channel expression, noise floor).  Relative differences are taken against at
# least the floor, so two barely-moving channels (0.001 vs 0.002) never count as "different".
SIGNATURE_FLOORS = {
    "blink_rate_per_min": 2.0,
    "blink_duration_ms": 20.0,
    "blink_partial_share": 0.05,
    "saccade_rate_per_min": 2.0,
    "saccade_amplitude_median_deg": 0.5,
    "fixation_on_target_share": 0.05,
    "breath_rate_per_min": 1.0,
    "breath_depth": 0.05,
    "head_pitch_mean_deg": 1.0,
    "head_roll_mean_deg": 1.0,
    "head_motion_rms_deg": 0.2,
    "smile_mean": 0.02,
    "eye_smile_mean": 0.02,
    "brow_mean": 0.02,
    "jaw_tension_mean": 0.02,
    "tension_mean": 0.02,
    "twitch_rate_per_min": 1.0,
}


def signature(perf: Performance) -> dict[str, float]:
    """A handful of numbers a viewer would notice, for comparing presets with each other."""
    rate = perf.rate_hz
    ch = lambda name: _channel(perf, name)  # noqa: E731
    minutes = perf.duration_s / 60.0
    b = stats.detect_blinks(ch("orbicularis_oculi_palpebral_L"), rate)
    full = b.amplitude >= 0.9 * (np.percentile(b.amplitude, 95) if b.count else 1.0)
    yaw, pitch = ch("eye_yaw_L") + ch("head_yaw"), ch("eye_pitch_L") + ch("head_pitch")
    sac = stats.detect_saccades(yaw, pitch, rate)
    big = sac.amplitude_deg >= 1.0
    cyc = stats.detect_breath_cycles(ch("breath"), rate)
    on_target = np.hypot(ch("eye_yaw_L") + ch("gaze_head_share_yaw"), ch("eye_pitch_L")) < 3.0
    own_pitch = ch("head_pitch") - ch("gaze_head_share_pitch")
    own_yaw = ch("head_yaw") - ch("gaze_head_share_yaw")
    motion = np.sqrt(np.var(own_pitch) + np.var(own_yaw) + np.var(ch("head_roll")))
    twitch = sum(
        stats.detect_pulses(ch(f"{m}_L"), rate, 0.02).count
        for m in ("frontalis_lateral", "nasalis", "depressor_anguli_oris")
    )
    return {
        "blink_rate_per_min": b.rate_per_min(perf.duration_s),
        "blink_duration_ms": 1000 * float(np.median(b.duration_s[full])) if full.any() else 0.0,
        "blink_partial_share": float(np.mean(~full)) if b.count else 0.0,
        "saccade_rate_per_min": float(big.sum()) / minutes,
        "saccade_amplitude_median_deg": (
            float(np.median(sac.amplitude_deg[big])) if big.any() else 0.0
        ),
        "fixation_on_target_share": float(np.mean(on_target)),
        "breath_rate_per_min": cyc.rate_per_min if cyc.count else 0.0,
        "breath_depth": float(np.median(cyc.depth)) if cyc.count else 0.0,
        "head_pitch_mean_deg": float(np.mean(own_pitch)),
        "head_roll_mean_deg": float(np.mean(ch("head_roll"))),
        "head_motion_rms_deg": float(motion),
        "smile_mean": float(np.mean(ch("zygomaticus_major_L") + ch("zygomaticus_major_R")) / 2),
        "eye_smile_mean": float(
            np.mean(ch("orbicularis_oculi_orbital_L") + ch("orbicularis_oculi_orbital_R")) / 2
        ),
        "brow_mean": float(np.mean(ch("corrugator_L") + ch("frontalis_medial_L"))),
        "jaw_tension_mean": float(np.mean(ch("jaw_clench") + ch("orbicularis_oris_L"))),
        "tension_mean": float(np.mean(ch("tension"))),
        "twitch_rate_per_min": twitch / minutes,
    }


def signature_differences(a: Mapping[str, float], b: Mapping[str, float]) -> dict[str, float]:
    """Relative difference per signature statistic (|a − b| / max(|a|, |b|, floor))."""
    out = {}
    for k, floor in SIGNATURE_FLOORS.items():
        x, y = float(a.get(k, 0.0)), float(b.get(k, 0.0))
        out[k] = abs(x - y) / max(abs(x), abs(y), floor)
    return out


# --- judging -------------------------------------------------------------------------------


def band_for(stat: str, context: str, settings: Settings) -> Band | None:
    """The preset's own target for ``stat`` if it sets one, else the published band."""
    target = settings.data.get("targets", {}).get(stat)
    if target:
        lo, hi = target["band"]
        return Band(float(lo), float(hi), f"preset: {target.get('source', settings.name)}")
    bands = STATISTICS[stat].bands
    found = bands.get(context) or bands.get("")
    if found is None:
        return None
    lo, hi, src = found
    return Band(float(lo), float(hi), src)


def judge(m: Measure, settings: Settings, stylised: bool, minutes: float) -> Row:
    """The row for measure ``m`` from ``minutes`` of simulation: its estimate and interval, and
    PASS / FAIL / INCONCLUSIVE against its band (INFO without one; a stylised preset's FAIL is
    reported as OUT)."""
    band = band_for(m.statistic, m.context, settings)
    est = m.estimate()
    note, more = m.note, None
    if band is None:
        status = INFO
    else:
        v = verdict(est, band.lo, band.hi, minutes)
        status, more = v.status, v.more_minutes
        note = "; ".join(x for x in (m.note, v.note) if x)
        if stylised and status == FAIL:
            status = OUT
    return Row(
        m.statistic,
        m.context,
        est.value,
        est.n,
        band,
        status,
        note,
        (est.lo, est.hi),
        est.method,
        float(minutes),
        more,
    )


# What each family of statistics needs measured (and which layer must be on).
FAMILIES = ("blinks", "gaze", "breath", "head", "expressions")


def measure(
    perf: Performance,
    settings: Settings,
    timeline: Timeline,
    families: Sequence[str] = FAMILIES,
) -> list[Measure]:
    """The statistics of ``families`` the enabled layers make measurable on one run."""
    duration = perf.duration_s
    states = _spans(timeline, STATE_TRACK, settings.state, duration)
    out: list[Measure] = []
    if "blinks" in families and settings.layer_enabled("blink"):
        out += [replace(m, family="blinks") for m in measure_blinks(perf, states)]
    if "gaze" in families and settings.layer_enabled("gaze"):
        out += [replace(m, family="gaze") for m in measure_gaze(perf, states)]
    if "breath" in families and settings.layer_enabled("breath"):
        modes = _spans(timeline, BREATH_TRACK, settings.section("breath")["mode"], duration)
        out += [replace(m, family="breath") for m in measure_breath(perf, modes)]
    if "head" in families and settings.layer_enabled("head"):
        measured = measure_head(perf, states, settings.layer_enabled("breath"))
        out += [replace(m, family="head") for m in measured]
    if "expressions" in families and settings.layer_enabled("cascade") and timeline.intents:
        out += [
            replace(m, family="expressions") for m in measure_expressions(perf, timeline, settings)
        ]
    return out


def _short(m: Measure, settings: Settings) -> bool:
    """A banded statistic with fewer events than it needs to be judged."""
    if band_for(m.statistic, m.context, settings) is None:
        return False
    return m.data.n < m.data.min_n


def _reachable(m: Measure, budget: float) -> bool:
    """Could pooling up to ``budget`` minutes give ``m`` enough events?  Judged optimistically,
    from the upper end of the Poisson interval of the events seen so far (one sigh in ten
    minutes may well be the start of thirty in two hours)."""
    return m.minutes * m.data.min_n / poisson_interval(m.data.n)[1] <= budget


def _pool(
    measures: list[Measure],
    settings: Settings,
    timeline: Timeline,
    minutes: float,
    seed: int,
    pool_minutes: float,
) -> tuple[list[Measure], dict[str, float]]:
    """Pool more runs of the same preset (other character ids: independent streams) for the
    statistics with too few events, while the budget reaches far enough: only their families
    are measured again, and only they are pooled.  Returns the measures and the minutes spent
    per solve kind."""
    from ..solver.compose import solve

    by_key = {m.key: m for m in measures}
    used = {BREATH_ONLY: minutes, FULL: minutes}
    budgets = {
        FULL: minutes + pool_minutes,
        BREATH_ONLY: minutes + BREATH_POOL_FACTOR * pool_minutes,
    }
    only_breath = {n: {"enabled": False} for n in layer_sections() if n != "breath"}
    for group, budget in budgets.items():
        run = 1
        while used[group] + minutes <= budget + 1e-9:
            wanted = [
                m
                for m in by_key.values()
                if m.group == group and _short(m, settings) and _reachable(m, budget)
            ]
            if not wanted:
                break
            s = settings.with_overrides(only_breath) if group == BREATH_ONLY else settings
            perf = solve(s, minutes * 60.0, seed, f"{CHARACTER_ID}/{group}/{run}", timeline)
            keys = {m.key for m in wanted}
            for m in measure(perf, s, timeline, sorted({m.family for m in wanted})):
                if m.key in keys:
                    by_key[m.key] = by_key[m.key].pooled(replace(m, minutes=minutes))
            used[group] += minutes
            run += 1
    return list(by_key.values()), used


def validate_settings(
    settings: Settings,
    minutes: float = DEFAULT_MINUTES,
    seed: int = 0,
    timeline: Timeline | None = None,
    pool_minutes: float = DEFAULT_POOL_MINUTES,
) -> tuple[PresetReport, Performance]:
    """Solve ``minutes`` of ``settings``, pool more runs where a statistic has too few events
    (up to ``pool_minutes`` more of full solves, ``BREATH_POOL_FACTOR`` times that of breath-only
    ones), and judge every applicable statistic on its confidence interval."""
    from ..solver.compose import solve

    timeline = preset_timeline(settings) if timeline is None else timeline
    perf = solve(settings, float(minutes) * 60.0, seed, CHARACTER_ID, timeline)
    measured = [replace(m, minutes=float(minutes)) for m in measure(perf, settings, timeline)]
    measures, used = _pool(measured, settings, timeline, float(minutes), seed, pool_minutes)
    stylised = settings.stylization > 0.0
    rows = [judge(m, settings, stylised, m.minutes) for m in measures]
    report = PresetReport(
        settings.name,
        settings.source,
        stylised,
        float(minutes),
        int(seed),
        rows,
        settings.notices,
        signature(perf),
        used,
    )
    return report, perf


def _fmt(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x:.3g}"


def format_table(reports: Iterable[PresetReport]) -> str:
    """Plain-text table: one block per preset, one line per statistic with its 95 % interval."""
    lines = []
    head = (
        f"{'statistic':<29} {'context':<13} {'measured':>9} {'95% interval':>19} {'unit':<4} "
        f"{'band':<11} {'n':>6} {'min':>4}  status"
    )
    for r in reports:
        kind = "stylised: reported, not failed" if r.stylised else "physiological"
        verdict_ = "ok" if r.ok else f"{len(r.failures)} outside band"
        if r.inconclusive:
            verdict_ += f", {len(r.inconclusive)} inconclusive"
        lines += [f"== {r.name}  ({kind}; {verdict_})  {r.source}", head]
        for n in r.notices:
            lines.append(f"   notice: {n}")
        for row in r.rows:
            ci = "" if not math.isfinite(row.ci[0]) else f"{_fmt(row.ci[0])}–{_fmt(row.ci[1])}"
            band = "—" if row.band is None else str(row.band)
            note = f"  {row.note}" if row.note else ""
            src = f"  [{row.band.source}]" if row.status in (FAIL, OUT) and row.band else ""
            lines.append(
                f"{row.statistic:<29} {row.context or '·':<13} {_fmt(row.measured):>9} {ci:>19} "
                f"{row.unit:<4} {band:<11} {row.n:>6} {row.minutes:>4.0f}  {row.status}{src}{note}"
            )
        lines.append("")
    return "\n".join(lines)
