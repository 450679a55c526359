"""Muscle dynamics: neural drive → activation → visible tissue motion, at the internal rate.

Why two stages: a muscle's activation follows its drive with a lag that is shorter when it
contracts than when it lets go (calcium release is faster than re-uptake; Zajac 1989), and the
skin, fat and neighbouring tissue then follow the muscle like a damped mass on a spring, so a
face never snaps to a pose.  Both stages are discretised *exactly* for the internal step
(zero-order hold), so a curve depends only on time in seconds, never on the frame rate.

Every function works on arrays shaped ``(..., n_samples)`` at ``rate_hz`` and filters along the
last axis; linear stages run as one ``scipy.signal.lfilter`` call over all rows at once.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .lazy_scipy import cont2discrete, lfilter

# Activation below this, with no drive, is rest: the idle stretch until the next drive is skipped.
_REST = 1e-12
# A mode switch needs the drive to cross the activation by more than float noise, so a
# converged hold does not flip modes on rounding alone.
_SWITCH_TOL = 1e-12
_FIRST_CHUNK = 32


def pole(tau_s: float, rate_hz: float) -> float:
    """Exact per-sample decay factor ``exp(-dt / tau)`` of a first-order lag (0 for no lag)."""
    return float(np.exp(-1.0 / (tau_s * rate_hz))) if tau_s > 0 else 0.0


def lowpass(x: np.ndarray, tau_s: float, rate_hz: float) -> np.ndarray:
    """First-order lag with time constant ``tau_s`` (unit gain), along the last axis.

    ``y[n] = p·y[n-1] + (1-p)·x[n]`` with ``p = exp(-dt/tau)``: the exact response to an input
    held constant over each step.
    """
    p = pole(tau_s, rate_hz)
    if p == 0.0:
        return np.array(x, dtype=np.float64, copy=True)
    return lfilter([1.0 - p], [1.0, -p], x, axis=-1)


def delay(x: np.ndarray, delay_s: float, rate_hz: float) -> np.ndarray:
    """``x`` shifted later by ``delay_s`` (rounded to the internal step), zeros before."""
    k = int(round(delay_s * rate_hz))
    if k <= 0:
        return np.array(x, dtype=np.float64, copy=True)
    out = np.zeros_like(x, dtype=np.float64)
    if k < x.shape[-1]:
        out[..., k:] = x[..., :-k]
    return out


def delayed_lag(x: np.ndarray, delay_s: float, tau_s: float, gain: float, rate_hz: float):
    """``gain`` × ``lowpass(delay(x))`` in one filter pass (the delay as leading zero taps)."""
    k = max(int(round(delay_s * rate_hz)), 0)
    p = pole(tau_s, rate_hz)
    b = np.zeros(k + 1)
    b[k] = gain * (1.0 - p)
    return lfilter(b, [1.0, -p], x, axis=-1)


def adapt(u: np.ndarray, depth: float, tau_s: float, rate_hz: float) -> np.ndarray:
    """Drive that fades to ``1 - depth`` of a sustained level over ``tau_s`` (never below 0).

    Why: a held corrugator contraction partly lets go on its own — the brow knits, then softens —
    which is the linear adaptation ``u - depth · lag(u)``.
    """
    if depth <= 0:
        return u
    return np.maximum(u - depth * lowpass(u, tau_s, rate_hz), 0.0)


def _asymmetric_row(u: np.ndarray, p_rise: float, p_fall: float, out: np.ndarray) -> None:
    """One row of ``asymmetric_activation`` (``u`` ≥ 0), written into ``out``.

    A run in the rising mode cannot end while the drive keeps rising or holds (the activation
    stays below a non-decreasing drive), nor a falling run while the drive keeps falling: those
    stretches are filtered in one call without checks.  Only where the drive turns against the
    mode is the switch searched, in chunks that double while no switch shows up.
    """
    n = u.size
    out[:] = 0.0
    du = np.diff(u)
    ups = np.flatnonzero(du > 0) + 1  # samples where the drive increased
    downs = np.flatnonzero(du < 0) + 1  # samples where it decreased
    i = 0 if u[0] != 0.0 else (int(ups[0]) if ups.size else n)
    a, chunk = 0.0, _FIRST_CHUNK
    while i < n:
        if a < _REST and u[i] == 0.0:  # at rest with no drive: jump to where drive returns
            k = np.searchsorted(ups, i, side="right")
            i, a = (int(ups[k]) if k < ups.size else n), 0.0
            continue
        rising = u[i] > a
        p = p_rise if rising else p_fall
        against = downs if rising else ups
        k = np.searchsorted(against, i, side="right")
        safe_end = int(against[k]) if k < against.size else n
        check = safe_end - i < 2
        j = min(n, i + chunk) if check else safe_end
        if not check and not rising and u[i] == 0.0 and p > 0.0:
            # No drive ahead: a pure decay, stopped once it is below rest (the jump above
            # then skips the idle stretch instead of filtering zeros).
            j = min(j, i + int(np.ceil(np.log(_REST / a) / np.log(p))) + 1)
        seg = lfilter([1.0 - p], [1.0, -p], u[i:j], zi=[p * a])[0]
        k = j - i
        if check:
            prev = np.empty_like(seg)
            prev[0] = a
            prev[1:] = seg[:-1]
            flip = (u[i:j] < prev - _SWITCH_TOL) if rising else (u[i:j] > prev + _SWITCH_TOL)
            if flip.any():
                k = int(np.argmax(flip))  # flip[0] is False by construction
            chunk = chunk * 2 if k == j - i else _FIRST_CHUNK
        out[i : i + k] = seg[:k]
        a = float(seg[k - 1])
        i += k


def asymmetric_activation(
    drive: np.ndarray, tau_rise_s: float, tau_fall_s: float, rate_hz: float
) -> np.ndarray:
    """Activation following ``drive`` with lag ``tau_rise_s`` while below it, ``tau_fall_s`` above.

    The model ``da/dt = (u - a) / tau(u > a)`` is nonlinear only through that switch; between
    switches (the activation's own peaks and troughs, about two per intent) it is an exact
    first-order linear filter.  So each row is solved run by run with ``lfilter`` carrying the
    state across: the Python loop runs over mode switches and idle gaps, never over samples.
    """
    u = np.asarray(drive, dtype=np.float64)
    out = np.empty_like(u)
    pr, pf = pole(tau_rise_s, rate_hz), pole(tau_fall_s, rate_hz)
    flat_u = u.reshape(-1, u.shape[-1])
    flat_o = out.reshape(-1, u.shape[-1])
    for r in range(flat_u.shape[0]):
        _asymmetric_row(flat_u[r], pr, pf, flat_o[r])
    return out


@lru_cache(maxsize=64)
def tissue_coefficients(natural_hz: float, damping: float, rate_hz: float):
    """ZOH-exact discrete coefficients ``(b, a)`` of a unit-gain damped second-order response."""
    w = 2.0 * np.pi * natural_hz
    num, den = [w * w], [1.0, 2.0 * damping * w, w * w]
    b, a, _ = cont2discrete((num, den), 1.0 / rate_hz, method="zoh")
    return np.ravel(b), np.ravel(a)


def tissue_response(
    activation: np.ndarray, natural_hz: float, damping: float, rate_hz: float
) -> np.ndarray:
    """Visible motion of tissue pulled by ``activation``: a damped spring (unit static gain).

    ``damping`` < 1 lets the tissue overshoot slightly (about 1.5 % at 0.8); ≥ 1 never does.
    """
    b, a = tissue_coefficients(natural_hz, damping, rate_hz)
    return lfilter(b, a, activation, axis=-1)
