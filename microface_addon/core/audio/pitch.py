"""F0 (voice pitch) per frame with the YIN method (de Cheveigné & Kawahara 2002).

Why YIN: it is the autocorrelation idea with the two fixes that make it reliable on speech —
the squared-difference function (no bias towards short lags) and its cumulative-mean
normalisation (no octave errors at lag 0) — and it needs no model, only numpy: each frame's
difference function comes from FFT cross-correlations, all frames at once.  A frame is voiced
when the normalised difference dips below ``threshold`` somewhere in the allowed lag range; its
period is the bottom of that first dip, refined by a parabola through its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# YIN's absolute threshold on the cumulative-mean-normalised difference (the paper's 0.1–0.15).
YIN_THRESHOLD = 0.15
# Integration window, s: two periods of the lowest F0 we look for.
WINDOW_S = 0.030
# Frames per FFT batch (bounds memory for long dialogue tracks).
BATCH = 512


@dataclass(frozen=True)
class PitchTrack:
    """F0 per frame (Hz, NaN where unvoiced) at ``times_s``, and YIN's aperiodicity (0 = a
    perfectly periodic frame … 1 = noise)."""

    times_s: np.ndarray
    f0_hz: np.ndarray
    aperiodicity: np.ndarray

    @property
    def voiced(self) -> np.ndarray:
        return np.isfinite(self.f0_hz)


def _cmnd(frames: np.ndarray, window: int, max_lag: int) -> np.ndarray:
    """Cumulative-mean-normalised difference d'(τ), τ = 0 … max_lag, for each frame row."""
    from scipy.fft import (  # lazy: registering the add-on must not load scipy
        irfft,
        next_fast_len,
        rfft,
    )

    # A circular correlation of this length has no wrap-around at lags 0 … max_lag: every
    # product it needs, head[j]·frame[j + τ], stays inside one period (j + τ < the frame's length).
    n_fft = next_fast_len(frames.shape[1], real=True)
    head = frames[:, :window]
    spec_full = rfft(frames, n_fft, axis=1)
    spec_head = rfft(head, n_fft, axis=1)
    r = irfft(np.conj(spec_head) * spec_full, n_fft, axis=1)[:, : max_lag + 1]
    sq = np.concatenate([np.zeros((frames.shape[0], 1)), np.cumsum(frames**2, axis=1)], axis=1)
    lags = np.arange(max_lag + 1)
    e0 = sq[:, window][:, None]  # energy of the first window
    e_tau = sq[:, lags + window] - sq[:, lags]  # energy of the window shifted by τ
    d = np.maximum(e0 + e_tau - 2.0 * r, 0.0)
    out = np.ones_like(d)
    csum = np.cumsum(d[:, 1:], axis=1)
    out[:, 1:] = d[:, 1:] * lags[1:] / np.maximum(csum, 1e-12)
    return out


def yin(
    samples: np.ndarray,
    rate_hz: float,
    times_s: np.ndarray,
    f0_range_hz: tuple[float, float],
    threshold: float = YIN_THRESHOLD,
) -> PitchTrack:
    """F0 at each time in ``times_s`` (frame centres) within ``f0_range_hz``."""
    x = np.asarray(samples, dtype=np.float64)
    lo_hz, hi_hz = f0_range_hz
    min_lag = max(int(np.floor(rate_hz / hi_hz)), 2)
    max_lag = int(np.ceil(rate_hz / lo_hz))
    window = int(round(WINDOW_S * rate_hz))
    span = window + max_lag + 1
    pad = np.concatenate([np.zeros(span), x, np.zeros(span)])
    starts = np.round(np.asarray(times_s) * rate_hz).astype(np.int64) - window // 2 + span
    f0 = np.full(starts.size, np.nan)
    aper = np.ones(starts.size)
    idx = np.arange(span)
    for b0 in range(0, starts.size, BATCH):
        s = starts[b0 : b0 + BATCH]
        frames = pad[s[:, None] + idx[None, :]]
        d = _cmnd(frames, window, max_lag)
        band = d[:, min_lag : max_lag + 1]
        below = band < threshold
        has = below.any(axis=1)
        first = np.argmax(below, axis=1)
        # Walk from the first lag under the threshold down to the bottom of its dip.
        rising = np.diff(band, axis=1) >= 0.0
        cols = np.arange(rising.shape[1])[None, :]
        after = rising & (cols >= first[:, None])
        bottom = np.where(after.any(axis=1), np.argmax(after, axis=1), first)
        best = np.where(has, bottom, np.argmin(band, axis=1))
        rows = np.arange(band.shape[0])
        k = np.clip(best, 1, band.shape[1] - 2)
        a, c, e = band[rows, k - 1], band[rows, k], band[rows, k + 1]
        denom = a - 2.0 * c + e
        shift = np.where(np.abs(denom) > 1e-12, 0.5 * (a - e) / np.where(denom == 0, 1, denom), 0)
        lag = min_lag + k + np.clip(shift, -1.0, 1.0)
        lag = np.where((best == k), lag, min_lag + best)
        aper[b0 : b0 + s.size] = band[rows, best]
        f0[b0 : b0 + s.size] = np.where(has, rate_hz / lag, np.nan)
    return PitchTrack(np.asarray(times_s, dtype=np.float64), f0, aper)
