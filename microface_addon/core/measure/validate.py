"""Measure a preset against physiology: solve it without Blender and compare statistics with bands.

Why: a TD changing twenty numbers cannot see whether blinks still close in 60–110 ms or breaths
still take 40 % of the cycle to inhale; ``validate`` solves ten minutes, measures the *curves*
the way a physiologist would (``stats.py``), and prints measured vs published band, pass/fail.

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
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from ..jsondoc import read_json
from ..performance import Performance
from ..preset.library import DEFAULTS_NAME, builtin_preset_dir
from ..preset.settings import Settings
from ..sections import from_section
from ..solver.primitives.saccades import MainSequence
from ..timeline.grammar import BREATH_TRACK, STATE_TRACK, preset_timeline
from ..timeline.track import Timeline
from . import stats

DEFAULT_MINUTES = 10.0
# Least time (s) a state or breathing mode must fill before its band is checked: below this
# the statistic is too noisy to judge (a 30-s stretch holds ~8 blinks).
MIN_CONTEXT_S = 60.0
DOUBLE_PAUSE_S = 0.15  # lid open for less than this between two blinks: a double blink
MIN_EVENTS = 20  # fewer events than this: report "n/a" instead of judging a rate or shape
CHARACTER_ID = "validate"

PASS, FAIL, OUT, NA, INFO = "pass", "FAIL", "out", "n/a", "info"


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
    ),
    "lid_pitch_correlation": Statistic(
        "",
        "Correlation of the upper-lid offset with eye pitch (lid follows the eye), 0-1.",
        {"": (0.8, 1.0, "lid-eye coupling (science-targets)")},
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
        "Sighs per hour (breaths of about twice the usual depth); judged from 30 minutes.",
        {"calm": (4, 20, "Vlemincx et al. 2013")},
    ),
    # --- head ---
    "head_sway_peak_hz": Statistic(
        "Hz",
        "Frequency of the spectral peak of head yaw (without the gaze head share), hertz.",
        {"": (0.2, 0.6, "postural sway (science-targets)")},
    ),
    "head_sway_slope": Statistic(
        "",
        "Log-log slope of that head-yaw spectrum from 0.5 to 5 Hz (falling: < 0).",
        {"": (-math.inf, 0.0, "1/f-like postural sway (science-targets)")},
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
}


@dataclass(frozen=True)
class Row:
    statistic: str
    context: str  # state or breath mode the number belongs to ("" = whole run)
    measured: float
    n: int  # events behind the number (blinks, saccades, breaths…)
    band: Band | None
    status: str
    note: str = ""

    @property
    def unit(self) -> str:
        return STATISTICS[self.statistic].unit

    def as_dict(self) -> dict[str, Any]:
        return {
            "statistic": self.statistic,
            "context": self.context,
            "measured": None if math.isnan(self.measured) else round(self.measured, 4),
            "unit": self.unit,
            "n": self.n,
            "band": None if self.band is None else [_num(self.band.lo), _num(self.band.hi)],
            "band_source": None if self.band is None else self.band.source,
            "status": self.status,
            "note": self.note,
        }


def _num(x: float) -> float | None:
    return None if math.isinf(x) else x


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

    @property
    def failures(self) -> list[Row]:
        return [r for r in self.rows if r.status == FAIL]

    @property
    def ok(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {
            "preset": self.name,
            "source": self.source,
            "stylised": self.stylised,
            "minutes": self.minutes,
            "seed": self.seed,
            "ok": self.ok,
            "rows": [r.as_dict() for r in self.rows],
            "notices": list(self.notices),
            "signature": {k: round(v, 5) for k, v in self.signature.items()},
        }


# --- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One measured number before it is judged: value, event count, context."""

    statistic: str
    value: float
    n: int
    context: str = ""
    note: str = ""


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
            n = int(np.count_nonzero(inside))
            out.append(
                Measure("blink_rate_per_min", stats.rate_in_spans(b.onsets_s, spans), n, state)
            )
            # Pause from the end of one blink to the start of the next: a double blink's second
            # closure starts as the lid has just reopened.
            pause = b.onsets_s[1:] - (b.onsets_s[:-1] + b.duration_s[:-1])
            pause_here = pause[inside[1:] & inside[:-1]]
            if pause_here.size >= MIN_EVENTS:
                share = float(np.mean(pause_here < DOUBLE_PAUSE_S))
                out.append(Measure("blink_double_share", share, pause_here.size, state))
    if b.count < MIN_EVENTS:
        return out + [Measure("blink_ibi_cv", math.nan, b.count, note="too few blinks")]
    ibi = b.ibi_s
    full_level = float(np.percentile(b.amplitude, 95))
    full = b.amplitude >= 0.9 * full_level
    partial = ~full
    out += [
        Measure("blink_ibi_cv", stats.coefficient_of_variation(ibi), ibi.size),
        Measure("blink_ibi_skewness", stats.skewness(ibi), ibi.size),
        Measure("blink_partial_share", float(np.mean(partial)), b.count),
    ]
    if full.sum() >= MIN_EVENTS // 2:
        out += [
            Measure(
                "blink_closing_ms", 1000 * float(np.median(b.closing_s[full])), int(full.sum())
            ),
            Measure(
                "blink_opening_closing_ratio",
                float(np.median(b.opening_s[full] / b.closing_s[full])),
                int(full.sum()),
            ),
            Measure(
                "blink_duration_ms", 1000 * float(np.median(b.duration_s[full])), int(full.sum())
            ),
        ]
    if partial.sum():
        rel = b.amplitude[partial] / full_level
        out.append(Measure("blink_partial_amplitude", float(np.median(rel)), int(partial.sum())))
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
    if mid.sum() >= MIN_EVENTS // 2:
        predicted = reference_main_sequence().duration_s(amp[mid])
        ratio = float(np.median(sac.duration_s[mid] / predicted))
        out.append(Measure("saccade_duration_ratio", ratio, int(mid.sum())))
    if big.sum() >= MIN_EVENTS:
        out += [
            Measure("saccade_amplitude_median_deg", float(np.median(amp[big])), int(big.sum())),
            Measure("saccade_under_15deg_share", float(np.mean(amp[big] < 15.0)), int(big.sum())),
        ]
    else:
        out.append(
            Measure("saccade_amplitude_median_deg", math.nan, int(big.sum()), note="few saccades")
        )
    out.append(Measure("fixation_mean_s", span_s / max(int(big.sum()), 1), int(big.sum())))
    fixation_s = span_s - float(np.sum(sac.duration_s[inside]))
    out.append(Measure("microsaccade_rate_per_s", micro.sum() / fixation_s, int(micro.sum())))
    if micro.sum() >= MIN_EVENTS:
        p95 = float(np.percentile(amp[micro], 95))
        out.append(Measure("microsaccade_amplitude_p95_deg", p95, int(micro.sum())))
    large = amp > 30.0
    if large.sum() >= 5:
        b = stats.detect_blinks(_channel(perf, "orbicularis_oculi_palpebral_L"), rate)
        share = stats.coincidence_share(sac.onsets_s[large], b.onsets_s, 0.2)
        out.append(Measure("gaze_evoked_blink_share", share, int(large.sum())))
    lid = _channel(perf, "upper_lid_gaze_L")
    ep = _channel(perf, "eye_pitch_L")
    if np.std(lid) > 0 and np.std(ep) > 0:
        # + lid offset = lid lowered, which goes with looking down (pitch −)
        r = -float(np.corrcoef(lid, ep)[0, 1])
        out.append(Measure("lid_pitch_correlation", r, perf.n_samples))
    return out


def measure_breath(perf: Performance, modes: Mapping[str, list], minutes: float) -> list[Measure]:
    rate = perf.rate_hz
    cyc = stats.detect_breath_cycles(_channel(perf, "breath"), rate)
    out = []
    for mode, spans in sorted(modes.items()):
        if mode == "held" or _total(spans) < MIN_CONTEXT_S:
            continue
        keep = _inside(cyc.start_s, spans) & _inside(cyc.end_s, [(a, b + 1e-9) for a, b in spans])
        n = int(keep.sum())
        if n < 5:
            continue
        dur = cyc.duration_s[keep]
        share = cyc.inhale_share[keep]
        out += [
            Measure("breath_rate_per_min", 60.0 / float(np.mean(dur)), n, mode),
            Measure("breath_inhale_share", float(np.median(share)), n, mode),
        ]
        if mode == "calm":
            sub = stats.BreathCycles(
                cyc.start_s[keep], cyc.peak_s[keep], cyc.end_s[keep], cyc.depth[keep]
            )
            sighs = stats.detect_sighs(sub).size
            hours = _total(spans) / 3600.0
            note = "" if minutes >= 30 else "judged from 30 minutes on"
            out.append(Measure("sigh_rate_per_hour", sighs / hours, sighs, mode, note))
    return out


def measure_head(perf: Performance, states: Mapping[str, list], breath_on: bool) -> list[Measure]:
    rate = perf.rate_hz
    # Yaw without the gaze layer's head share is sway (+ a constant posture): listening tilts
    # live in roll and nods in pitch, so yaw shows the postural spectrum in every state.
    yaw = _channel(perf, "head_yaw") - _channel(perf, "gaze_head_share_yaw")
    pitch = _channel(perf, "head_pitch") - _channel(perf, "gaze_head_share_pitch")
    if np.std(yaw) == 0 and np.std(pitch) == 0:
        return []
    f, psd = stats.power_spectrum(yaw, rate)
    out = [
        Measure("head_sway_peak_hz", stats.spectral_peak_hz(f, psd), 1),
        Measure("head_sway_slope", stats.loglog_slope(f, psd, 0.5, 5.0), 1),
    ]
    rest = states.get("rest", [])
    if _total(rest) >= MIN_CONTEXT_S:
        m = _inside(perf.t, rest)
        lo, hi = np.percentile(pitch[m], [2.5, 97.5])
        out.append(Measure("head_sway_range_deg", float(hi - lo), int(m.sum()), "rest"))
    breath = _channel(perf, "breath")
    if breath_on and np.std(breath) > 0:
        from scipy.signal import coherence

        cyc = stats.detect_breath_cycles(breath, rate)
        if cyc.count >= 5:
            f_b = 1.0 / float(np.median(cyc.duration_s))
            nper = min(int(60 * rate), breath.size)
            fc, coh = coherence(pitch, breath, fs=rate, nperseg=nper)
            band = (fc >= 0.8 * f_b) & (fc <= 1.2 * f_b)
            if band.any():
                out.append(Measure("head_breath_coherence", float(coh[band].max()), cyc.count))
    return out


def _window(intents: Sequence, i: int, duration_s: float, rate: float) -> slice:
    start = intents[i].start_s
    end = min(intents[i + 1].start_s if i + 1 < len(intents) else duration_s, start + 8.0)
    return slice(int(start * rate), int(end * rate) + 1)


def measure_expressions(perf: Performance, timeline: Timeline, settings: Settings) -> list[Measure]:
    rate = perf.rate_hz
    # Cues whose response fits in the run (a short run ignores the later ones).
    intents = sorted(
        (i for i in timeline.intents if i.start_s < perf.duration_s - 2.0), key=lambda x: x.start_s
    )
    kinds = settings.section("cascade")["intents"]
    au12, au6 = _channel(perf, "zygomaticus_major_L"), _channel(perf, "orbicularis_oculi_orbital_L")
    nasolabial = _channel(perf, "levator_labii_L")
    corr = _channel(perf, "corrugator_L")
    onsets, lags, order, ratios, latency, release = [], [], [], [], [], []
    for i, it in enumerate(intents):
        w = _window(intents, i, perf.duration_s, rate)
        t0 = w.start / rate
        drive = kinds.get(it.kind, {}).get("drive", {})
        main = max(drive, key=drive.get) if drive else ""
        main_curve = _channel(perf, f"{main}_L") if f"{main}_L" in perf.channels else None
        if main_curve is None and main in perf.channels:
            main_curve = perf.channels[main]
        if main_curve is not None and main_curve[w].max() > 0.02:
            x = main_curve[w] - main_curve[w.start]
            if x.max() > 0.02:
                latency.append(stats.first_crossing_s(x, rate, 0.02 * x.max()))
        if it.kind == "smile" and au12[w].max() > 0.05:
            x12 = au12[w]
            onsets.append(stats.onset_duration_s(x12, rate))
            ratios.append(float(au6[w].max() / x12.max()))
            variant = it.variant or kinds["smile"].get("default_variant", "")
            if variant == "duchenne" and au6[w].max() > 0.05:
                a12 = stats.apex_time_s(x12, rate)
                a6 = stats.apex_time_s(au6[w], rate)
                an = stats.apex_time_s(nasolabial[w], rate)
                lags.append(1000.0 * (a6 - a12))
                order.append(float(a12 <= an <= a6))
        if it.kind == "frown" and corr[w].max() > 0.05:
            kind = kinds["frown"]
            hold_end = (it.attack_s or kind["attack_s"]) + (it.hold_s or kind["hold_s"])
            j = int(
                round((t0 + settings.section("cascade")["reaction_latency_s"] + hold_end) * rate)
            )
            if j < corr.size:
                release.append(float(corr[j] / corr[w].max()))
    out = []
    for stat, values in (
        ("smile_onset_s", onsets),
        ("au6_lag_ms", lags),
        ("cascade_order_share", order),
        ("au6_au12_ratio", ratios),
        ("reaction_latency_s", latency),
        ("corrugator_release_share", release),
    ):
        if values:
            agg = (
                float(np.mean(values))
                if stat == "cascade_order_share"
                else float(np.median(values))
            )
            out.append(Measure(stat, agg, len(values)))
    return out


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
    band = band_for(m.statistic, m.context, settings)
    if math.isnan(m.value):
        status = NA
    elif band is None:
        status = INFO
    elif m.statistic == "sigh_rate_per_hour" and minutes < 30:
        status = INFO
    elif band.contains(m.value):
        status = PASS
    else:
        status = OUT if stylised else FAIL
    return Row(m.statistic, m.context, m.value, m.n, band, status, m.note)


def validate_settings(
    settings: Settings,
    minutes: float = DEFAULT_MINUTES,
    seed: int = 0,
    timeline: Timeline | None = None,
) -> tuple[PresetReport, Performance]:
    """Solve ``minutes`` of ``settings`` and judge every applicable statistic."""
    from ..solver.compose import solve

    timeline = preset_timeline(settings) if timeline is None else timeline
    duration = float(minutes) * 60.0
    perf = solve(settings, duration, seed, CHARACTER_ID, timeline)
    states = _spans(timeline, STATE_TRACK, settings.state, duration)
    measures: list[Measure] = []
    if settings.layer_enabled("blink"):
        measures += measure_blinks(perf, states)
    if settings.layer_enabled("gaze"):
        measures += measure_gaze(perf, states)
    if settings.layer_enabled("breath"):
        modes = _spans(timeline, BREATH_TRACK, settings.section("breath")["mode"], duration)
        measures += measure_breath(perf, modes, minutes)
    if settings.layer_enabled("head"):
        measures += measure_head(perf, states, settings.layer_enabled("breath"))
    if settings.layer_enabled("cascade") and timeline.intents:
        measures += measure_expressions(perf, timeline, settings)
    stylised = settings.stylization > 0.0
    rows = [judge(m, settings, stylised, minutes) for m in measures]
    report = PresetReport(
        settings.name,
        settings.source,
        stylised,
        float(minutes),
        int(seed),
        rows,
        settings.notices,
        signature(perf),
    )
    return report, perf


def format_table(reports: Iterable[PresetReport]) -> str:
    """Plain-text table: one block per preset, one line per statistic."""
    lines = []
    head = f"{'statistic':<31} {'context':<13} {'measured':>10} {'unit':<4} {'band':<11} {'n':>6}  status"
    for r in reports:
        kind = "stylised: reported, not failed" if r.stylised else "physiological"
        verdict = "ok" if r.ok else f"{len(r.failures)} outside band"
        lines += [f"== {r.name}  ({kind}; {verdict})  {r.source}", head]
        for n in r.notices:
            lines.append(f"   notice: {n}")
        for row in r.rows:
            val = "—" if math.isnan(row.measured) else f"{row.measured:.3g}"
            band = "—" if row.band is None else str(row.band)
            note = f"  {row.note}" if row.note else ""
            src = f"  [{row.band.source}]" if row.status in (FAIL, OUT) and row.band else ""
            lines.append(
                f"{row.statistic:<31} {row.context or '·':<13} {val:>10} {row.unit:<4} "
                f"{band:<11} {row.n:>6}  {row.status}{src}{note}"
            )
        lines.append("")
    return "\n".join(lines)
