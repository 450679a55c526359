"""Saccade kinematics: how long a gaze shift takes and how the eye travels through it.

Why a separate module: *where* the eyes go (``gaze.py``) is behaviour and changes with the state;
*how* they get there is brainstem mechanics that every saccade shares — big or micro, eye or
eye-plus-head.  Measured saccades lie on the "main sequence": duration grows linearly with
amplitude (≈ 2.2 ms/° + 21 ms) while peak velocity saturates (~500–700 °/s for large shifts),
and the velocity profile is a smooth bump that accelerates faster than it decelerates.

A beta-shaped velocity profile gives all three at once: with the duration fixed by the main
sequence, peak velocity = (peak/mean ratio of the profile) × amplitude / duration, which rises
steeply for small saccades and levels off towards ``ratio / slope`` for large ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class VelocityProfile:
    accel_shape: float  # beta-profile exponent of the accelerating flank (≥ 1)
    decel_shape: float  # beta-profile exponent of the decelerating flank (> accel for skew)


@dataclass(frozen=True)
class MainSequence:
    """Duration–amplitude law and velocity-profile shape of saccades (the preset's
    ``gaze.main_sequence``; ``core/sections.py`` builds it)."""

    duration_slope_ms_per_deg: float  # duration added per degree of amplitude
    duration_intercept_ms: float  # duration of a vanishingly small saccade
    velocity_profile: VelocityProfile

    @property
    def slope_s_per_deg(self) -> float:
        return self.duration_slope_ms_per_deg / 1000.0

    @property
    def intercept_s(self) -> float:
        return self.duration_intercept_ms / 1000.0

    @property
    def _shapes(self) -> tuple[float, float]:
        return self.velocity_profile.accel_shape, self.velocity_profile.decel_shape

    def duration_s(self, amplitude_deg: np.ndarray | float) -> np.ndarray:
        """Saccade duration (s) for amplitude(s) in degrees."""
        return self.intercept_s + self.slope_s_per_deg * np.abs(np.asarray(amplitude_deg, float))

    def progress(self, u: np.ndarray) -> np.ndarray:
        """Fraction of the amplitude covered at normalised time ``u`` (0 … 1), C1-smooth."""
        from scipy.special import betainc  # lazy: solver/__init__.py

        return betainc(*self._shapes, np.clip(u, 0.0, 1.0))

    @property
    def peak_to_mean_velocity(self) -> float:
        """Peak velocity / mean velocity of the profile (≈ 1.6–2 in measured saccades)."""
        a, b = self._shapes
        mode = (a - 1.0) / (a + b - 2.0) if a > 1.0 else 0.0
        u = np.array([min(max(mode, 1e-9), 1 - 1e-9)])
        du = 1e-6
        return float((self.progress(u + du) - self.progress(u - du))[0] / (2 * du))

    @property
    def peak_fraction(self) -> float:
        """Where in the saccade (0 … 1) the velocity peaks: < 0.5 means fast-accel, slow-decel."""
        a, b = self._shapes
        return (a - 1.0) / (a + b - 2.0)

    def peak_velocity_deg_s(self, amplitude_deg: np.ndarray | float) -> np.ndarray:
        """Peak angular velocity (°/s): saturates at ``peak_to_mean / slope`` for large saccades."""
        a = np.abs(np.asarray(amplitude_deg, float))
        return self.peak_to_mean_velocity * a / self.duration_s(a)


def step_trajectory(
    t: np.ndarray,
    onsets_s: np.ndarray,
    durations_s: np.ndarray,
    deltas: np.ndarray,
    progress: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Sum of smooth steps: step ``k`` moves by ``deltas[k]`` between ``onsets_s[k]`` and its end.

    ``deltas`` has shape ``(K, C)`` (C components, e.g. yaw and pitch); returns ``(len(t), C)``.
    Steps may overlap (head movements do); each contributes ``delta · progress(u)`` inside its
    window and its full ``delta`` after it.  Loops over steps, never over samples.
    """
    t = np.asarray(t, dtype=np.float64)
    deltas = np.asarray(deltas, dtype=np.float64)
    if deltas.ndim == 1:
        deltas = deltas[:, None]
    n, c = t.size, deltas.shape[1]
    onsets = np.asarray(onsets_s, dtype=np.float64)
    ends = onsets + np.asarray(durations_s, dtype=np.float64)
    i_start = np.searchsorted(t, onsets, side="left")
    i_end = np.searchsorted(t, ends, side="left")  # first sample at or after the end
    impulses = np.zeros((n + 1, c))
    np.add.at(impulses, i_end, deltas)
    out = np.cumsum(impulses, axis=0)[:n]
    # ``progress`` is pointwise: one call over every window's samples (not one per step), then
    # each window is added in step order, as before.
    windows = [(k, i_start[k], min(i_end[k], n)) for k in range(onsets.size)]
    windows = [(k, i0, i1) for k, i0, i1 in windows if i1 > i0]
    if not windows:
        return out
    u = np.concatenate([(t[i0:i1] - onsets[k]) / (ends[k] - onsets[k]) for k, i0, i1 in windows])
    shaped = progress(u)
    at = 0
    for k, i0, i1 in windows:
        out[i0:i1] += deltas[k] * shaped[at : at + i1 - i0, None]
        at += i1 - i0
    return out


def minimum_jerk(u: np.ndarray) -> np.ndarray:
    """Symmetric smooth 0→1 step (Flash & Hogan minimum-jerk), used for head movements."""
    u = np.clip(u, 0.0, 1.0)
    return u**3 * (10.0 - 15.0 * u + 6.0 * u**2)
