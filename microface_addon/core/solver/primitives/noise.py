"""Coloured noise for living motion: slow 1/f-like wander, band-limited tremor, postural drift.

Why these two generators:

* ``multisine`` — a sum of sinusoids at log-spaced random frequencies, random phases and
  amplitudes that follow a 1/f^β power law.  It is a *function of absolute time*: any stretch of
  it can be evaluated on its own (an expression's hold, a breath hold) and gives the same values
  whatever else the solve contains, how long it is, or how its work is split into windows.  With a
  handful of components per octave it has no visible period over the seconds a hold lasts.
* ``pink_process`` — a sum of Ornstein–Uhlenbeck processes (first-order lags of white noise) with
  log-spaced corner frequencies: the classic superposition whose spectrum falls as 1/f^β between
  the slowest and the fastest corner.  Each part starts in its stationary state (no warm-up
  transient) and the recursion is causal, so a longer solve begins with exactly the same motion.
  It suits a continuous process that runs the whole shot (postural drift).

Both are normalised to unit RMS; callers scale them.  Nothing here draws random numbers on its
own initiative: the caller passes the generator (or the normals), so each layer keeps its own
stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lazy_scipy import lfilter

# Components per octave of a ``multisine``: enough that two sinusoids never beat into a visible
# period inside a few seconds, few enough to stay cheap.
COMPONENTS_PER_OCTAVE = 2.0
# A multisine is evaluated on a grid of this many points per period of its fastest component,
# anchored at absolute multiples of the step (so any stretch gives the same values), and
# interpolated linearly in between: under 8 % error on the fastest component (far less on the
# slower ones, which carry most of the power), a fraction of the sines' cost.
POINTS_PER_PERIOD = 8


@dataclass(frozen=True)
class Multisine:
    """Frequencies (Hz), amplitudes and phases (rad) of one unit-RMS multisine."""

    freq_hz: np.ndarray
    amplitude: np.ndarray
    phase: np.ndarray

    def exact(self, t: np.ndarray) -> np.ndarray:
        """The noise at times ``t`` (seconds, absolute), every sine evaluated."""
        t = np.asarray(t, dtype=np.float64)
        if self.freq_hz.size == 0:
            return np.zeros_like(t)
        arg = 2.0 * np.pi * np.multiply.outer(t, self.freq_hz) + self.phase
        return np.sin(arg) @ self.amplitude

    def __call__(self, t: np.ndarray) -> np.ndarray:
        """The noise at times ``t`` (seconds, absolute, increasing): exact on a grid of
        ``POINTS_PER_PERIOD`` points per fastest period anchored at 0 s, linear in between."""
        t = np.asarray(t, dtype=np.float64)
        if self.freq_hz.size == 0 or t.size == 0:
            return np.zeros_like(t)
        step = 1.0 / (POINTS_PER_PERIOD * float(self.freq_hz.max()))
        if t.size < 2 or t[-1] - t[0] < 4.0 * step:
            return self.exact(t)
        k = np.arange(np.floor(t[0] / step), np.ceil(t[-1] / step) + 1.0)
        grid = k * step
        return np.interp(t, grid, self.exact(grid))


def multisine_count(band_hz: tuple[float, float]) -> int:
    """How many components a multisine over ``band_hz`` gets (``COMPONENTS_PER_OCTAVE``)."""
    lo, hi = band_hz
    return max(2, int(np.ceil(COMPONENTS_PER_OCTAVE * np.log2(hi / lo))))


def multisine(
    rng: np.random.Generator, band_hz: tuple[float, float], exponent: float, n: int | None = None
) -> Multisine:
    """A unit-RMS multisine whose power falls as 1/f^``exponent`` over ``band_hz``.

    The band is split into ``n`` equal slices of log-frequency and one frequency is drawn in each
    (stratified, so no stretch of the band is left empty); with log spacing each component stands
    for a band proportional to its frequency, so its power is f^(1 − exponent).  Draws 2·n
    numbers from ``rng`` whatever the band, so streams stay aligned.
    """
    lo, hi = (float(v) for v in band_hz)
    n = multisine_count((lo, hi)) if n is None else int(n)
    edges = np.linspace(np.log(lo), np.log(hi), n + 1)
    u = rng.random((2, n))
    freq = np.exp(edges[:-1] + u[0] * np.diff(edges))
    power = freq ** (1.0 - float(exponent))
    amplitude = np.sqrt(2.0 * power / power.sum())  # Σ a²/2 = 1: unit RMS
    return Multisine(freq, amplitude, 2.0 * np.pi * u[1])


def pink_process(
    normals: np.ndarray, rate_hz: float, band_hz: tuple[float, float], exponent: float
) -> np.ndarray:
    """Unit-variance noise whose spectrum falls as 1/f^``exponent`` inside ``band_hz``.

    ``normals`` is ``(n_samples, n_poles)`` standard normal draws (one column per OU process; the
    caller draws them so that a longer solve starts with the same rows).  The corners are spaced
    evenly in log-frequency over the band and each process carries variance ∝ f_c^(1 − exponent),
    which makes the sum fall as 1/f^exponent between the corners (flat below the slowest, 1/f²
    above the fastest).  Each process starts from its stationary distribution.
    """
    z = np.asarray(normals, dtype=np.float64)
    n, k = z.shape
    lo, hi = (float(v) for v in band_hz)
    corners = np.exp(np.linspace(np.log(lo), np.log(hi), k))
    var = corners ** (1.0 - float(exponent))
    var = var / var.sum()
    out = np.zeros(n)
    for j in range(k):
        p = float(np.exp(-2.0 * np.pi * corners[j] / rate_hz))
        sd = float(np.sqrt(var[j]))
        x0 = sd * z[0, j]  # stationary start
        drive = sd * np.sqrt(1.0 - p * p) * z[1:, j]
        tail, _ = lfilter([1.0], [1.0, -p], drive, zi=[p * x0])
        out[0] += x0
        out[1:] += tail
    return out
