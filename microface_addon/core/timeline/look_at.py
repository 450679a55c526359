"""The primary gaze target over time (a timeline track).

Why data on the timeline: where the camera or the other character is comes from the scene (sampled
by ``rig/scene/look_at.py``) or from a user's typed direction; the gaze layer turns it into eye
angles.  Angles and distances are in the head's rest frame (``core/geometry.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import angles_of, direction_vectors, norm3


@dataclass(frozen=True, eq=False)
class LookAt:
    """A primary gaze target track: at ``times_s`` the target is seen at ``yaw_deg``/``pitch_deg``
    and ``distance_m`` from the cyclopean eye, in the head's rest frame.

    A single sample is a fixed target.  ``ipd_m`` (distance between the eyes' centres, from the rig)
    overrides the preset's interocular distance when given.  ``source`` names where it came from
    (e.g. ``"Camera"``) for reports.
    """

    times_s: np.ndarray
    yaw_deg: np.ndarray
    pitch_deg: np.ndarray
    distance_m: np.ndarray
    ipd_m: float | None = None
    source: str = ""
    # Where the head turns about, relative to the cyclopean eye, (left, up, forward) metres.
    pivot_lup: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        arrays = {}
        for name in ("times_s", "yaw_deg", "pitch_deg", "distance_m"):
            a = np.atleast_1d(np.asarray(getattr(self, name), dtype=np.float64)).copy()
            if a.ndim != 1 or not np.all(np.isfinite(a)):
                raise ValueError(f"look-at {name} must be a 1-D array of finite numbers")
            a.setflags(write=False)
            arrays[name] = a
        n = arrays["times_s"].size
        if n == 0 or any(a.size != n for a in arrays.values()):
            raise ValueError(
                "look-at track: times, yaw, pitch and distance need the same length ≥ 1"
            )
        if np.any(np.diff(arrays["times_s"]) <= 0):
            raise ValueError("look-at track: times must be strictly increasing")
        if np.any(arrays["distance_m"] <= 0):
            raise ValueError("look-at track: distances must be positive")
        if self.ipd_m is not None and not 0.0 < float(self.ipd_m) < 1.0:
            raise ValueError(f"look-at ipd_m must be in metres (0–1), got {self.ipd_m!r}")
        for name, a in arrays.items():
            object.__setattr__(self, name, a)

    @classmethod
    def fixed(
        cls, yaw_deg: float, pitch_deg: float, distance_m: float, source: str = "fixed"
    ) -> LookAt:
        """A target that stays put (a fixed direction)."""
        return cls(np.zeros(1), [yaw_deg], [pitch_deg], [distance_m], source=source)

    @classmethod
    def from_points(
        cls,
        times_s: np.ndarray,
        points_lup: np.ndarray,
        ipd_m: float | None = None,
        source: str = "",
        pivot_lup: tuple[float, float, float] | None = None,
    ) -> LookAt:
        """Build from target positions ``(left, up, forward)`` in metres relative to the
        cyclopean eye in the head's rest frame, one row per time."""
        pts = np.asarray(points_lup, dtype=np.float64).reshape(-1, 3)
        yaw, pitch = angles_of(pts)
        return cls(times_s, yaw, pitch, norm3(pts), ipd_m, source, pivot_lup)

    def sample(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Yaw, pitch (°) and distance (m) at times ``t`` (held before the first / after the last).

        Interpolates the target *position*, not its angles, so a target passing overhead or
        behind does not swing through a wrapped angle.
        """
        t = np.asarray(t, dtype=np.float64)
        pts = direction_vectors(self.yaw_deg, self.pitch_deg) * self.distance_m[:, None]
        if self.times_s.size == 1:
            at = np.broadcast_to(pts[0], t.shape + (3,))
        else:
            at = np.stack([np.interp(t, self.times_s, pts[:, i]) for i in range(3)], axis=-1)
        yaw, pitch = angles_of(at)
        return yaw, pitch, np.maximum(norm3(at), 1e-3)


def switching(
    tracks: dict[str, LookAt],
    schedule: list[tuple[float, str]],
    duration_s: float,
    shift_s,
    rate_hz: float = 240.0,
) -> LookAt:
    """One target track that follows ``schedule`` — ``(time_s, name)``: from ``time_s`` on, look at
    ``tracks[name]`` — moving from one target to the next like a gaze shift.

    Why a glide and not a jump: the gaze layer adds the target's direction straight to the eyes,
    so a jump would move them in one sample.  Each switch takes ``shift_s(amplitude_deg)``
    seconds (the saccade main sequence) along a minimum-jerk path between the two targets'
    positions; the head then follows the new direction as it follows any target.  The first
    entry of ``schedule`` is where the gaze starts.
    """
    if not schedule:
        raise ValueError("switching look-at: empty schedule")
    times = {0.0, float(duration_s)}
    for tr in tracks.values():
        times |= {float(x) for x in tr.times_s if 0.0 <= x <= duration_s}
    moves = []
    for (_, a), (t1, b) in zip(schedule[:-1], schedule[1:], strict=True):
        if a == b:
            continue
        ya, pa, _ = tracks[a].sample(np.array([t1]))
        yb, pb, _ = tracks[b].sample(np.array([t1]))
        amp = float(np.hypot(yb[0] - ya[0], pb[0] - pa[0]))
        d = max(float(shift_s(amp)), 1.0 / rate_hz)
        moves.append((float(t1), d, a, b))
        times |= set((t1 + np.arange(int(np.ceil(d * rate_hz)) + 2) / rate_hz).tolist())
    t = np.array(sorted(x for x in times if 0.0 <= x <= duration_s))

    def points(name: str) -> np.ndarray:
        yaw, pitch, dist = tracks[name].sample(t)
        return direction_vectors(yaw, pitch) * dist[:, None]

    cache = {name: points(name) for name in {n for _, n in schedule}}
    out = cache[schedule[0][1]].copy()
    for t1, d, a, b in moves:
        x = np.clip((t - t1) / d, 0.0, 1.0)
        w = (10.0 - 15.0 * x + 6.0 * x * x) * x**3  # minimum jerk
        after = t >= t1
        out[after] = (1.0 - w[after, None]) * cache[a][after] + w[after, None] * cache[b][after]
    first = tracks[schedule[0][1]]
    sources = " → ".join(dict.fromkeys(tracks[n].source or n for _, n in schedule))
    return LookAt.from_points(t, out, first.ipd_m, sources, first.pivot_lup)
