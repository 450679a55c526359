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
