"""Speech breathing: a quick inhale before speaking, a long controlled exhale through it.

Why it replaces the tidal rhythm while talking: speech is produced on the exhale, so speakers
re-time their breathing around what they say — a fast inhale (0.3–0.8 s, deeper before a longer
stretch of speech) just before an utterance, then a slow, controlled fall of lung volume for as
long as the voice runs, to slightly below the resting level (Hixon et al. 1973; Winkworth et al.
1995; Fuchs et al. 2013).  Short pauses hold the volume; a long stretch of speech that runs low
takes a quick top-up inhale at a phrase break or short pause; once the character falls silent
for longer, the chest recoils to rest, sometimes with a sigh (Vlemincx et al. 2013), and the
tidal rhythm of the breath layer takes over again.

The result (``SpeechBreath``) is a lung-volume track and a weight (1: speech breathing, 0: tidal
breathing) that the breath layer blends over its own rhythm before any breath hold, so
``mf:breath held`` still wins — inside an utterance the chest holds while the voice goes on (see
``docs/dialogue.md``).  Volume is in the breath channel's units: 0 end-expiratory rest … 1 a full
tidal inhale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..primitives.ramps import cosine_ramp
from .params import BreathingParams

FULL, TOP_UP, SIGH = "inhale", "top_up", "sigh"
# The voicing indicator is smoothed over this long, s, so the exhale's speed eases in and out
# with the voice instead of stepping.
VOICING_SMOOTH_S = 0.05
# An inhale needs at least this long to be drawn, s (shorter gaps only hold the volume).
MIN_INHALE_S = 0.12
# A top-up keeps this share of its silence free at each end (the voice stops, then restarts).
TOP_UP_MARGIN = 0.25

Span = tuple[float, float]


@dataclass(frozen=True)
class Inhale:
    start_s: float
    end_s: float
    depth: float  # volume added
    kind: str  # FULL, TOP_UP or SIGH


@dataclass
class SpeechBreath:
    """Lung volume and blend weight over the solve grid, and the breaths drawn."""

    volume: np.ndarray
    weight: np.ndarray
    inhales: list[Inhale] = field(default_factory=list)

    def report(self) -> dict:
        return {
            kind: [round(i.start_s, 3) for i in self.inhales if i.kind == kind]
            for kind in (FULL, TOP_UP, SIGH)
        }


def voiced_seconds(t: np.ndarray, utterances: Sequence[Span], breaks: Sequence[Span]) -> np.ndarray:
    """Seconds of voice spent by each time in ``t`` (utterances minus their phrase breaks)."""
    from scipy.ndimage import uniform_filter1d  # lazy: registering the add-on must not load scipy

    dt = t[1] - t[0]
    on = np.zeros(t.size)
    for s, e in utterances:
        on[np.searchsorted(t, s) : np.searchsorted(t, e)] = 1.0
    for s, e in breaks:
        on[np.searchsorted(t, s) : np.searchsorted(t, e)] = 0.0
    width = max(int(round(VOICING_SMOOTH_S / dt)), 1)
    on = uniform_filter1d(on, width, mode="constant")
    return np.concatenate(([0.0], np.cumsum(on[:-1]) * dt))


def _depth(voice_s: float, p: BreathingParams) -> float:
    """Deeper before a longer stretch of speech (Winkworth et al. 1995)."""
    return float(np.clip(p.depth + p.depth_per_s * voice_s, *p.depth_range))


def _duration(depth: float, p: BreathingParams) -> float:
    lo, hi = p.depth_range
    x = 0.0 if hi <= lo else (depth - lo) / (hi - lo)
    return p.inhale_s[0] + (p.inhale_s[1] - p.inhale_s[0]) * float(np.clip(x, 0.0, 1.0))


def _gaps(utterances: Sequence[Span], breaks: Sequence[Span]) -> list[tuple[float, float, bool]]:
    """Every silence inside speech: ``(start_s, end_s, is_pause)`` (phrase breaks are not)."""
    gaps = [(a[1], b[0], True) for a, b in zip(utterances[:-1], utterances[1:], strict=True)]
    gaps += [(s, e, False) for s, e in breaks]
    return sorted(gaps)


def plan_inhales(
    utterances: Sequence[Span],
    breaks: Sequence[Span],
    voice: np.ndarray,
    t: np.ndarray,
    p: BreathingParams,
) -> list[Inhale]:
    """Where the character breathes in: before the first utterance and after every pause long
    enough for it (full inhales), and at a phrase break or short pause once the voice has run on
    ``top_up_after_s`` since the last one (top-ups).  Depths follow the speech each must carry."""
    if not utterances:
        return []
    spent = lambda s: float(np.interp(s, t, voice))  # noqa: E731
    # Candidate moments to breathe: (gap start, gap end, full?)
    points: list[tuple[float, float, bool]] = [(-np.inf, utterances[0][0], True)]
    for s, e, pause in _gaps(utterances, breaks):
        points.append((s, e, pause and e - s >= p.min_pause_s))
    chosen: list[tuple[float, float, str]] = []
    last = None
    for s, e, full in points:
        if full:
            chosen.append((s, e, FULL))
            last = e
        elif last is not None and spent(s) - spent(last) >= p.top_up_after_s:
            if e - s >= p.top_up_min_gap_s:
                chosen.append((s, e, TOP_UP))
                last = e
    out: list[Inhale] = []
    ends = [c[1] for c in chosen[1:]] + [utterances[-1][1]]
    for (s, e, kind), nxt in zip(chosen, ends, strict=True):
        need = spent(nxt) - spent(e)
        depth = _depth(need, p)
        # A top-up squeezes into a brief silence: its margins shrink with the gap.
        margin = p.lead_s if kind == FULL else min(p.lead_s, TOP_UP_MARGIN * (e - s))
        stop = e - margin
        dur = _duration(depth, p)
        room = stop - (s + margin) if np.isfinite(s) else dur
        if room < MIN_INHALE_S:
            continue
        if dur > room:  # a quick breath in a short gap takes in less
            depth *= room / dur
            dur = room
        out.append(Inhale(stop - dur, stop, depth, kind))
    return out


def _episodes(utterances: Sequence[Span], release_pause_s: float) -> list[Span]:
    """Stretches of speech whose silences are all shorter than ``release_pause_s``."""
    out: list[list[float]] = []
    for s, e in utterances:
        if out and s - out[-1][1] < release_pause_s:
            out[-1][1] = e
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def speech_breath(
    t: np.ndarray,
    utterances: Sequence[Span],
    breaks: Sequence[Span],
    p: BreathingParams,
    rng: np.random.Generator,
    gain: float = 1.0,
) -> SpeechBreath | None:
    """The speech-breathing volume and weight for the character's own ``utterances`` (in time
    order, with their phrase ``breaks``); None without utterances or with ``gain`` 0."""
    if not utterances or gain <= 0.0 or t.size < 2:
        return None
    utterances = sorted(utterances)
    voice = voiced_seconds(t, utterances, breaks)
    inhales = plan_inhales(utterances, breaks, voice, t, p)
    episodes = _episodes(utterances, p.release_pause_s)
    sighs = _sighs(episodes, float(t[-1]), p, rng)
    volume = _volume(t, voice, inhales, sighs, p)
    weight = _weight(t, inhales, sighs, episodes, p)
    return SpeechBreath(
        volume, np.clip(gain, 0.0, 1.0) * weight, sorted(inhales + sighs, key=lambda i: i.start_s)
    )


def _sighs(episodes: Sequence[Span], end_s: float, p: BreathingParams, rng) -> list[Inhale]:
    """A sigh after some episodes followed by a long silence."""
    out = []
    starts = [s for s, _ in episodes[1:]] + [end_s + p.sigh_pause_s]
    draws = rng.random(len(episodes))
    for (_, e), nxt, u in zip(episodes, starts, draws, strict=True):
        if nxt - e >= p.sigh_pause_s and u < p.sigh_probability:
            s0 = e + p.sigh_delay_s
            out.append(Inhale(s0, s0 + p.sigh_inhale_s, p.sigh_depth, SIGH))
    return out


def _volume(
    t: np.ndarray,
    voice: np.ndarray,
    inhales: Sequence[Inhale],
    sighs: Sequence[Inhale],
    p: BreathingParams,
) -> np.ndarray:
    """Lung volume: each inhale ramps up from where the volume is; the voice then spends it down
    to ``end_level`` by its last word before the next inhale, and in the silence after that word
    the chest recoils towards rest (``recoil_s``).  A sigh rides on that recoil."""
    v = np.zeros_like(t)
    level = 0.0  # rest before the first breath
    events = sorted(inhales, key=lambda i: i.start_s)
    bounds = [i.start_s for i in events[1:]] + [np.inf]
    for inh, nxt in zip(events, bounds, strict=True):
        i0, i1 = np.searchsorted(t, [inh.start_s, inh.end_s])
        top = level + inh.depth
        x = (t[i0:i1] - inh.start_s) / (inh.end_s - inh.start_s)
        v[i0:i1] = level + inh.depth * cosine_ramp(x)
        i2 = int(np.searchsorted(t, nxt)) if np.isfinite(nxt) else t.size
        if i2 <= i1:
            level = float(v[i1 - 1]) if i1 > 0 else top
            continue
        used = voice[i1:i2] - voice[i1]
        total = float(used[-1])
        frac = used / total if total > 0 else np.zeros_like(used)
        v[i1:i2] = top - (top - p.end_level) * frac
        # The last word of this breath: from there the chest recoils towards rest.
        j = i1 + (int(np.argmax(used >= total * (1.0 - 1e-9))) if total > 0 else 0)
        v[j:i2] = v[j] * np.exp(-(t[j:i2] - t[j]) / p.recoil_s)
        level = float(v[i2 - 1])
    for s in sighs:
        i0, i1, i2 = np.searchsorted(t, [s.start_s, s.end_s, s.end_s + p.sigh_exhale_s])
        base = float(v[i0]) if i0 < t.size else 0.0
        x = (t[i0:i1] - s.start_s) / (s.end_s - s.start_s)
        v[i0:i1] = base + (p.sigh_depth - base) * cosine_ramp(x)
        v[i1:i2] = p.sigh_depth * (1.0 - cosine_ramp((t[i1:i2] - s.end_s) / p.sigh_exhale_s))
        i3 = int(np.searchsorted(t, _next_start(inhales, s.end_s)))
        v[i2:i3] = 0.0
    return v


def _next_start(inhales: Sequence[Inhale], after_s: float) -> float:
    return min((i.start_s for i in inhales if i.start_s > after_s), default=np.inf)


def _weight(
    t: np.ndarray,
    inhales: Sequence[Inhale],
    sighs: Sequence[Inhale],
    episodes: Sequence[Span],
    p: BreathingParams,
) -> np.ndarray:
    """1 from a hand-over before each episode's first inhale until the hand-back after it (after
    its sigh, if any), eased over ``handover_s``; 0 in long silences."""
    w = np.zeros_like(t)
    h = max(p.handover_s, 1e-6)
    for s, e in episodes:
        # The episode's first inhale ends ``lead_s`` before its first word.
        first = min(
            (i.start_s for i in inhales if s - p.lead_s - 1e-6 <= i.end_s <= s + 1e-9), default=s
        )
        after = [x for x in sighs if e <= x.start_s <= e + p.sigh_delay_s + 1e-9]
        last = max([e] + [x.end_s + p.sigh_exhale_s for x in after])
        # Outside [first - h, last + settle + h] the episode's weight is 0: work inside only.
        a, b = np.searchsorted(t, [first - h, last + p.settle_s + h])
        tt = t[a:b]
        up = cosine_ramp((tt - (first - h)) / h)
        down = 1.0 - cosine_ramp((tt - (last + p.settle_s)) / h)
        np.maximum(w[a:b], np.minimum(up, down), out=w[a:b])
    return w
