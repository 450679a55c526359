"""Head-frame geometry: directions, angles and rotations shared by gaze, head and look-at.

Why one module: the gaze layer, the head layer (VOR) and the look-at target (``timeline/look_at.py``)
must agree exactly on what an angle pair means, or a baked eye would not point where the target is.

Frame: the head's rest frame, origin midway between the two eyes' rest positions ("cyclopean
eye"), vectors as ``(left, up, forward)`` (right-handed: left × up = forward).  An angle pair
(yaw, pitch) is the rotation whose vector is yaw about up plus pitch about the character's right
— the convention the bake uses to turn eye and head bones (docs/channels.md) — so a direction
computed here is exactly where a baked eye bone points.  Yaw + is towards the character's left,
pitch + is up, roll + tilts the top towards the left shoulder.
"""

from __future__ import annotations

import numpy as np

LEFT = np.array([1.0, 0.0, 0.0])
UP = np.array([0.0, 1.0, 0.0])
FORWARD = np.array([0.0, 0.0, 1.0])


# Samples per block of the per-sample rotation chains (``in_blocks``): ~20 temporaries of this
# many doubles stay in the CPU's cache.
BLOCK_SAMPLES = 1 << 14

# Three arrays (left, up, forward components) that broadcast together: the per-component form the
# per-sample paths use, so no ``(n, 3)`` array is built, broadcast against ``(n, 1)`` or read strided.
Components = tuple[np.ndarray, np.ndarray, np.ndarray]


def norm3(v: np.ndarray) -> np.ndarray:
    """Length of 3-vectors along the last axis, bit-reproducible.

    ``np.linalg.norm``/``einsum`` reductions take SIMD paths that depend on memory alignment, so
    the same input can round differently (~1e-14) from call to call; explicit per-component
    arithmetic keeps the solver bit-identical for the same seed.
    """
    v = np.asarray(v, dtype=np.float64)
    return _length(v[..., 0], v[..., 1], v[..., 2])


def _length(x, y, z) -> np.ndarray:
    return np.sqrt(x * x + y * y + z * z)


def rotation_components(yaw_deg, pitch_deg, roll_deg=0.0) -> Components:
    """``rotation_vectors`` as its three components."""
    y, p, r = np.broadcast_arrays(
        *(np.radians(np.asarray(v, dtype=np.float64)) for v in (yaw_deg, pitch_deg, roll_deg))
    )
    return tuple(y * UP[j] - p * LEFT[j] - r * FORWARD[j] for j in range(3))


def rotation_vectors(yaw_deg, pitch_deg, roll_deg=0.0) -> np.ndarray:
    """Rotation vectors (radians, ``(..., 3)``) for yaw about up, pitch about the character's
    right and roll about backward, as one rotation (the bake's convention)."""
    return np.stack(rotation_components(yaw_deg, pitch_deg, roll_deg), axis=-1)


class Rotation:
    """Rotations (given by the components of their rotation vectors) prepared once — unit axis,
    cosine, sine — to turn several sets of vectors by the same rotations.

    Why: the VOR turns both eyes by the same head and chest rotations, and the eye-in-head
    conversion both eyes by the same head turn; preparing each rotation once and applying it per
    component (1-D arithmetic instead of ``(n, 3)`` broadcasts) is several times faster and gives
    the same numbers: every element sees the same operations, in the same order, as the
    ``(n, 3)`` form of Rodrigues' formula.
    """

    def __init__(self, rx, ry, rz):
        angle = _length(rx, ry, rz)
        moving = angle > 1e-15
        inv = np.where(moving, 1.0 / np.where(moving, angle, 1.0), 0.0)
        self.k = (rx * inv, ry * inv, rz * inv)
        self.c = np.cos(angle)
        self.s = np.sin(angle)
        self.one_minus_c = 1.0 - self.c

    @classmethod
    def of(cls, rotvec: np.ndarray) -> Rotation:
        """From rotation vectors ``(..., 3)``."""
        r = np.asarray(rotvec, dtype=np.float64)
        return cls(r[..., 0], r[..., 1], r[..., 2])

    def apply_components(self, vx, vy, vz) -> Components:
        """The vectors with components ``vx, vy, vz`` turned by the rotations (Rodrigues)."""
        kx, ky, kz = self.k
        c, s, one_minus_c = self.c, self.s, self.one_minus_c
        dot = kx * vx + ky * vy + kz * vz
        return (
            vx * c + (ky * vz - kz * vy) * s + kx * dot * one_minus_c,
            vy * c + (kz * vx - kx * vz) * s + ky * dot * one_minus_c,
            vz * c + (kx * vy - ky * vx) * s + kz * dot * one_minus_c,
        )

    def apply(self, v: np.ndarray) -> np.ndarray:
        """Vectors ``(..., 3)`` (broadcasting against the rotations) turned by them."""
        v = np.asarray(v, dtype=np.float64)
        return np.stack(self.apply_components(v[..., 0], v[..., 1], v[..., 2]), axis=-1)

    def inverse(self) -> Rotation:
        """The opposite rotations (those of the negated rotation vectors), without recomputing."""
        out = Rotation.__new__(Rotation)
        out.k = tuple(-k for k in self.k)
        out.c, out.s, out.one_minus_c = self.c, self.s, self.one_minus_c
        return out


def rotate(v: np.ndarray, rotvec: np.ndarray) -> np.ndarray:
    """Rotate vectors ``v`` by rotation vectors ``rotvec`` (Rodrigues' formula), broadcasting."""
    return Rotation.of(rotvec).apply(v)


def direction_components(yaw_deg, pitch_deg) -> Components:
    """``direction_vectors`` as its three components."""
    return Rotation(*rotation_components(yaw_deg, pitch_deg)).apply_components(*FORWARD)


def direction_vectors(yaw_deg, pitch_deg) -> np.ndarray:
    """Unit gaze directions ``(..., 3)`` for eye (or target) yaw/pitch in degrees."""
    return np.stack(direction_components(yaw_deg, pitch_deg), axis=-1)


def angles_of(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Yaw and pitch (degrees) that turn forward onto ``vectors`` (any length, not backwards)."""
    v = np.asarray(vectors, dtype=np.float64)
    return angles_of_components(v[..., 0], v[..., 1], v[..., 2])


def angles_of_components(x, y, z) -> tuple[np.ndarray, np.ndarray]:
    """``angles_of`` the vectors with components ``x, y, z``."""
    length = np.maximum(_length(x, y, z), 1e-300)
    dx, dy, dz = x / length, y / length, z / length
    # FORWARD × d with FORWARD = (0, 0, 1): (−d_y, d_x, 0); its length needs no third term.
    ax, ay = -dy, dx
    sin = np.sqrt(ax * ax + ay * ay)
    theta = np.arctan2(sin, dz)
    k = np.where(sin > 1e-12, theta / np.where(sin > 1e-12, sin, 1.0), 1.0)
    return np.degrees(ay * k), np.degrees(-ax * k)


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
    args = (yaw_deg, pitch_deg, distance_m, ipd_m, head_yaw_deg, head_pitch_deg, pivot_lup)
    return in_blocks(_eye_in_head_block, np.size(yaw_deg), *args)


def _eye_in_head_block(
    yaw_deg, pitch_deg, distance_m, ipd_m, head_yaw_deg, head_pitch_deg, pivot_lup
):
    distance = np.asarray(distance_m, float)
    point = tuple(d * distance for d in direction_components(yaw_deg, pitch_deg))
    turn = Rotation(*rotation_components(head_yaw_deg, head_pitch_deg))  # the same for both eyes
    back = turn.inverse()
    out = {}
    for eye, side in (("L", 1.0), ("R", -1.0)):
        rest = np.array([side * ipd_m / 2.0, 0.0, 0.0])
        if pivot_lup is None:
            position = rest
        else:
            pivot = np.asarray(pivot_lup, dtype=np.float64)
            position = pivot + turn.apply(rest - pivot)
        eye_to_point = (point[j] - position[..., j] for j in range(3))
        out[eye] = angles_of_components(*back.apply_components(*eye_to_point))
    return out


def in_blocks(fn, n: int, *args):
    """``fn(*args)`` computed block by block of ``BLOCK_SAMPLES`` samples, results joined.

    Why: the rotation chains (eye-in-head, VOR) are pointwise in time but build a score of
    temporaries per call; over a whole shot each is megabytes and every operation streams from
    main memory, so the time per sample grew with the shot's length.  Blocks keep the
    temporaries in cache.  Arguments that are arrays of ``n`` samples (first axis) are sliced;
    the others (scalars, constant vectors) are passed whole.  ``fn`` returns arrays of samples,
    or tuples/dicts of them; being pointwise, each element is computed exactly as in one call.
    """
    if n <= BLOCK_SAMPLES:
        return fn(*args)

    def part(a, i):
        per_sample = isinstance(a, np.ndarray) and a.ndim >= 1 and a.shape[0] == n
        return a[i : i + BLOCK_SAMPLES] if per_sample else a

    parts = [fn(*(part(a, i) for a in args)) for i in range(0, n, BLOCK_SAMPLES)]
    return _joined(parts)


def _joined(parts: list):
    first = parts[0]
    if isinstance(first, dict):
        return {k: _joined([p[k] for p in parts]) for k in first}
    if isinstance(first, tuple):
        return tuple(_joined([p[j] for p in parts]) for j in range(len(first)))
    return np.concatenate(parts)
