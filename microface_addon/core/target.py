"""The primary gaze target over time, and the geometry that turns it into per-eye angles.

Why its own module: the target is *data* (where the camera or the other character is, sampled by
the bpy side or typed by a user), the gaze layer is *behaviour*.  The timeline carries a
``LookAt`` track; without one the target is straight ahead at a default distance.

Frame: the head's rest frame, origin midway between the two eyes' rest positions ("cyclopean
eye"), vectors as ``(left, up, forward)`` (right-handed: left × up = forward).  An angle pair
(yaw, pitch) is the rotation whose vector is yaw about up plus pitch about the character's right
— the convention the bake uses to turn eye and head bones (docs/channels.md) — so a direction
computed here is exactly where a baked eye bone points.  Yaw + is towards the character's left,
pitch + is up, roll + tilts the top towards the left shoulder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEFT = np.array([1.0, 0.0, 0.0])
UP = np.array([0.0, 1.0, 0.0])
FORWARD = np.array([0.0, 0.0, 1.0])


def norm3(v: np.ndarray) -> np.ndarray:
    """Length of 3-vectors along the last axis, bit-reproducible.

    ``np.linalg.norm``/``einsum`` reductions take SIMD paths that depend on memory alignment, so
    the same input can round differently (~1e-14) from call to call; explicit per-component
    arithmetic keeps the solver bit-identical for the same seed.
    """
    v = np.asarray(v, dtype=np.float64)
    return np.sqrt(v[..., 0] * v[..., 0] + v[..., 1] * v[..., 1] + v[..., 2] * v[..., 2])


def rotation_vectors(yaw_deg, pitch_deg, roll_deg=0.0) -> np.ndarray:
    """Rotation vectors (radians, ``(..., 3)``) for yaw about up, pitch about the character's
    right and roll about backward, as one rotation (the bake's convention)."""
    y, p, r = np.broadcast_arrays(
        *(np.radians(np.asarray(v, dtype=np.float64)) for v in (yaw_deg, pitch_deg, roll_deg))
    )
    return y[..., None] * UP - p[..., None] * LEFT - r[..., None] * FORWARD


def rotate(v: np.ndarray, rotvec: np.ndarray) -> np.ndarray:
    """Rotate vectors ``v`` by rotation vectors ``rotvec`` (Rodrigues' formula), broadcasting.

    Written per component (no ``np.cross``/``broadcast_arrays`` copies): the head layer calls this
    on every sample several times, and this form is ~3× faster.
    """
    v = np.asarray(v, dtype=np.float64)
    r = np.asarray(rotvec, dtype=np.float64)
    angle = norm3(r)
    moving = angle > 1e-15
    k = r * (np.where(moving, 1.0 / np.where(moving, angle, 1.0), 0.0))[..., None]
    c, s = np.cos(angle)[..., None], np.sin(angle)[..., None]
    kx, ky, kz = k[..., 0], k[..., 1], k[..., 2]
    vx, vy, vz = v[..., 0], v[..., 1], v[..., 2]
    cross = np.stack([ky * vz - kz * vy, kz * vx - kx * vz, kx * vy - ky * vx], axis=-1)
    dot = (kx * vx + ky * vy + kz * vz)[..., None]
    return v * c + cross * s + k * dot * (1.0 - c)


def direction_vectors(yaw_deg, pitch_deg) -> np.ndarray:
    """Unit gaze directions ``(..., 3)`` for eye (or target) yaw/pitch in degrees."""
    return rotate(FORWARD, rotation_vectors(yaw_deg, pitch_deg))


def angles_of(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Yaw and pitch (degrees) that turn forward onto ``vectors`` (any length, not backwards)."""
    v = np.asarray(vectors, dtype=np.float64)
    d = v / np.maximum(norm3(v), 1e-300)[..., None]
    # FORWARD × d with FORWARD = (0, 0, 1): (−d_y, d_x, 0)
    axis = np.stack([-d[..., 1], d[..., 0], np.zeros_like(d[..., 0])], axis=-1)
    sin = norm3(axis)
    theta = np.arctan2(sin, d[..., 2])
    k = np.where(sin > 1e-12, theta / np.where(sin > 1e-12, sin, 1.0), 1.0)
    return np.degrees(axis[..., 1] * k), np.degrees(-axis[..., 0] * k)


def eye_in_head(
    yaw_deg: np.ndarray, pitch_deg: np.ndarray, head_yaw_deg: np.ndarray, head_pitch_deg
) -> tuple[np.ndarray, np.ndarray]:
    """Eye angles that keep a gaze direction (given in the head's rest frame) while the head
    is turned by ``head_yaw/pitch``: the eye points along head⁻¹ · gaze."""
    gaze = direction_vectors(yaw_deg, pitch_deg)
    return angles_of(rotate(gaze, -rotation_vectors(head_yaw_deg, head_pitch_deg)))


def gaze_in_world(
    eye_yaw_deg,
    eye_pitch_deg,
    head_yaw_deg=0.0,
    head_pitch_deg=0.0,
    head_roll_deg=0.0,
    chest_pitch_deg=0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Where an eye looks in the torso's rest frame: chest · head · eye (measured from channel
    curves, so ``validate`` and the tests see gaze the way a viewer does)."""
    d = direction_vectors(eye_yaw_deg, eye_pitch_deg)
    d = rotate(d, rotation_vectors(head_yaw_deg, head_pitch_deg, head_roll_deg))
    d = rotate(d, rotation_vectors(0.0, chest_pitch_deg))
    return angles_of(d)


def per_eye_angles(
    yaw_deg: np.ndarray, pitch_deg: np.ndarray, distance_m: np.ndarray, ipd_m: float
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Yaw/pitch of each eye fixating the point at ``distance_m`` along the cyclopean direction.

    The left eye sits ``ipd_m / 2`` towards the character's left, so for a near target it turns
    right (negative yaw) and the right eye turns left: that difference is the vergence.
    """
    point = direction_vectors(yaw_deg, pitch_deg) * np.asarray(distance_m, float)[..., None]
    out = {}
    for eye, side in (("L", 1.0), ("R", -1.0)):
        rel = point - np.array([side * ipd_m / 2.0, 0.0, 0.0])
        out[eye] = angles_of(rel)
    return out


def eye_in_head_angles(
    yaw_deg: np.ndarray,
    pitch_deg: np.ndarray,
    distance_m: np.ndarray,
    ipd_m: float,
    head_yaw_deg: np.ndarray,
    head_pitch_deg: np.ndarray,
    pivot_lup: np.ndarray | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-eye eye-in-head angles that fixate the point at ``distance_m`` along the cyclopean
    gaze direction (head-rest frame) while the head is turned by ``head_yaw/pitch``.

    With ``pivot_lup`` (the centre the head turns about, relative to the cyclopean eye) the eyes
    also *move* with the head, and each eye aims from where it actually is: for a target a metre
    away a 15° head turn about the neck shifts the eyes by centimetres, i.e. about a degree.
    """
    point = direction_vectors(yaw_deg, pitch_deg) * np.asarray(distance_m, float)[..., None]
    turn = rotation_vectors(head_yaw_deg, head_pitch_deg)
    out = {}
    for eye, side in (("L", 1.0), ("R", -1.0)):
        rest = np.array([side * ipd_m / 2.0, 0.0, 0.0])
        if pivot_lup is None:
            position = rest
        else:
            pivot = np.asarray(pivot_lup, dtype=np.float64)
            position = pivot + rotate(rest - pivot, turn)
        out[eye] = angles_of(rotate(point - position, -turn))
    return out


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
