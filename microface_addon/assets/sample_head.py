"""The bundled sample head: a stylised, rigged head with all 52 ARKit shape keys, built in code.

Why in code rather than a shipped .blend: it opens in every supported Blender (4.2 … 5.2), it
stays reviewable in diffs, and tests can rebuild it from nothing in a fresh scene.  The README's
main command, the tests and the docs all animate this head.

Conventions (world space, metres; the head mesh object sits at the origin with an identity
transform, so its vertex coordinates are world coordinates at rest):

* the character faces **-Y**, **+Z** is up, the character's **left is +X**;
* the head is ~0.23 m tall (chin z≈1.49, crown z≈1.72), eyes at z≈1.60, 64 mm apart;
* "Left" in a shape-key name means the character's left, i.e. the +X side.

Geometry is a latitude/longitude grid whose rows are horizontal slices (constant z) and whose
columns crowd towards the face, so the mouth slit is one grid row cut in two.  Eyelids are
spherical shells around each eyeball, part of the head mesh; the skin inside each shell is
pulled back into the eyeball so only the lids show.  A mouth cavity hangs off the lip edges and a
tongue sits on its floor.  Shape keys are whole-array numpy displacements (region falloffs times
a direction, or re-parameterised lid margins), written with ``foreach_set``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import bpy
import numpy as np
from mathutils import Matrix, Vector

from ..rig.convention.profiles import PROFILE_DIR, load_profile

# --- Proportions (metres, world space) -----------------------------------------------------
HEAD_CENTRE_Z = 1.60  # widest slice of the cranium; the skull is a dome above it
CRANIUM_HALF_HEIGHT = 0.122  # crown at HEAD_CENTRE_Z + this
HALF_WIDTH = 0.077  # ear to ear at eye level (without ears)
FRONT_DEPTH = 0.094  # centre to forehead
BACK_DEPTH = 0.100  # centre to occiput
NECK_BOTTOM_Z = 1.40
MOUTH_Z = 1.532  # the lip line (one grid row)
MOUTH_HALF_WIDTH = 0.023  # slit from corner to corner is twice this
EYE_X = 0.032  # half the inter-pupillary distance
EYE_Z = 1.603
EYE_RADIUS = 0.0125
LID_RADIUS = 0.0137  # eyelid shell just outside the eyeball
CARVE_RADIUS = 0.0100  # skin behind the lid opening is pulled back to this radius (inside the eye)
LID_RIM_RADIUS = EYE_RADIUS + 0.0004  # the lid margin's inner edge, just off the eyeball
JAW_PIVOT = (0.0, 0.005, 1.565)  # temporomandibular hinge, between the ears below eye level
JAW_OPEN_RAD = 0.30  # jawOpen = 1 rotates the jaw ~17°: lips part by ~3 cm

# Eyelid opening (angles on the lid sphere, radians; azimuth measured away from the nose).
LID_OPEN_HALF_AZIMUTH = 1.0  # eye corners
LID_UPPER_MARGIN = 0.42  # upper lid margin elevation at its peak (covers the iris top a little)
LID_LOWER_MARGIN = -0.30
LID_CLOSED_LINE = -0.12  # where the lids meet in a blink, just below the eye's equator
LID_AZIMUTH_EXTENT = 1.75  # shell reaches round behind the eye's equator on both sides
LID_ELEVATION_EXTENT = 1.40

# Vertex part codes.
SKIN, LID, MOUTH_BAG, TONGUE = 0, 1, 2, 3
# Material slots, in this order.
MATERIALS = (
    ("MicroFaceSkin", (0.80, 0.58, 0.47, 1.0)),
    ("MicroFaceLips", (0.68, 0.30, 0.30, 1.0)),
    ("MicroFaceMouth", (0.22, 0.04, 0.05, 1.0)),
    ("MicroFaceTongue", (0.75, 0.33, 0.38, 1.0)),
    ("MicroFaceEyeWhite", (0.92, 0.91, 0.88, 1.0)),
    ("MicroFaceIris", (0.16, 0.36, 0.55, 1.0)),
    ("MicroFacePupil", (0.01, 0.01, 0.01, 1.0)),
)
MAT_SKIN, MAT_LIPS, MAT_MOUTH, MAT_TONGUE, MAT_SCLERA, MAT_IRIS, MAT_PUPIL = range(7)

BONES = ("root", "spine", "chest", "neck", "head", "eye.L", "eye.R", "jaw")


def _smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((np.asarray(x, dtype=float) - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _bump(x: np.ndarray, z: np.ndarray, cx: float, cz: float, sx: float, sz: float) -> np.ndarray:
    """Gaussian falloff in the x–z plane (front view), 1 at (cx, cz)."""
    return np.exp(-(((x - cx) / sx) ** 2) - ((z - cz) / sz) ** 2)


def _pair(x: np.ndarray, z: np.ndarray, cx: float, cz: float, sx: float, sz: float) -> np.ndarray:
    """The same bump on both sides of the face, at ±cx."""
    return _bump(x, z, cx, cz, sx, sz) + _bump(x, z, -cx, cz, sx, sz)


@dataclass
class HeadGeometry:
    """Vertex positions, faces and per-vertex labels the shape keys and weights are computed from."""

    co: np.ndarray  # (n, 3)
    faces: list[np.ndarray]  # blocks of (m, k) vertex indices (k = 3 or 4 per block)
    face_mats: list[np.ndarray]  # material index per face, parallel to ``faces``
    part: np.ndarray  # SKIN / LID / MOUTH_BAG / TONGUE
    front: np.ndarray  # 0…1, how much a skin vertex faces forward (0 for non-skin)
    below_mouth: np.ndarray  # bool: skin under the lip line (lower lip, chin) and jaw-side parts
    lid_side: np.ndarray  # +1 left eye, -1 right eye, 0 not a lid
    lid_upper: np.ndarray  # bool: upper lid (else lower) for lid vertices
    lid_azimuth: np.ndarray  # radians away from the nose
    lid_t: np.ndarray  # 0 at the lid margin … 1 at the shell's far edge
    lid_radius: np.ndarray  # distance from the eye centre (the margin's rim row is inset)
    bag_v: np.ndarray  # 0 at the upper lip edge … 1 at the lower lip edge (mouth cavity)
    eye_centres: dict[str, tuple[float, float, float]] = field(default_factory=dict)


# --- Skin ---------------------------------------------------------------------------------

LIP_HEIGHT = 0.010  # vermilion height of each lip at the middle; 5 grid rows
LIP_HALF_WIDTH = MOUTH_HALF_WIDTH + 0.002  # the coloured lips end just past the slit's corners


def _slice_profile(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Half width, front depth, back depth and centre y of the horizontal head slice at ``z``."""
    u = np.clip((z - HEAD_CENTRE_Z) / CRANIUM_HALF_HEIGHT, -1.0, 1.0)
    dome = np.clip(1.0 - np.abs(u) ** 2.3, 0.0, 1.0) ** (1 / 2.3)  # a broad, not egg-shaped, crown
    brow = np.clip(1.0 - np.abs(u) ** 2.8, 0.0, 1.0) ** (1 / 2.8)  # a fairly upright forehead
    upper = z >= HEAD_CENTRE_Z
    low = _smoothstep(HEAD_CENTRE_Z, HEAD_CENTRE_Z - 0.10, z)  # 0 at eyes … 1 at chin
    a_head = np.where(upper, HALF_WIDTH * dome, HALF_WIDTH - 0.018 * low)
    f_head = np.where(upper, FRONT_DEPTH * brow, FRONT_DEPTH - 0.006 * low)
    k_head = np.where(upper, BACK_DEPTH * dome, BACK_DEPTH - 0.045 * _smoothstep(1.60, 1.52, z))
    a = a_head + (0.056 - a_head) * _smoothstep(1.505, 1.475, z)
    f = f_head + (0.050 - f_head) * _smoothstep(1.500, 1.470, z)
    k = k_head + (0.056 - k_head) * _smoothstep(1.52, 1.47, z)
    y0 = 0.005 + 0.010 * _smoothstep(1.54, 1.47, z)
    return a, f, k, y0


def _ring(theta: np.ndarray, a, f, k, y0) -> tuple[np.ndarray, np.ndarray]:
    """Points on a slice: a flattened (super-elliptic) face in front, an ellipse at the back."""
    s, c = np.sin(theta), np.cos(theta)
    p = 2.0 / 2.6  # super-ellipse exponent 2.6 keeps the face broad and flat across the eyes
    xf = a * np.sign(s) * np.abs(s) ** p
    yf = -f * np.abs(c) ** p
    xb, yb = a * s, -np.where(c > 0, f, k) * c
    w = _smoothstep(0.1, 0.5, c)
    return w * xf + (1 - w) * xb, y0 + w * yf + (1 - w) * yb


def _lip_height_factor(x: np.ndarray) -> np.ndarray:
    """How tall the lips are at ``x`` relative to the middle: a lens from corner to corner,
    back to 1 (no squeeze of the grid) a little beyond the corners."""
    ax = np.abs(x)
    lens = np.sqrt(np.clip(1.0 - (ax / LIP_HALF_WIDTH) ** 2, 0.0, 1.0))
    return np.where(
        ax <= LIP_HALF_WIDTH,
        np.maximum(lens, 0.3),
        0.3 + 0.7 * _smoothstep(LIP_HALF_WIDTH, LIP_HALF_WIDTH + 0.018, ax),
    )


def _lip_warp(dz: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Squeeze the rows around the lip line so the lips' outline follows grid rows (smooth lip
    edges instead of stair steps).  ``dz`` is the row's height above the lip line."""
    g = _lip_height_factor(x)
    reach = 0.022  # rows further than this from the lip line are left alone
    a = np.abs(dz)
    squeezed = np.where(
        a <= LIP_HEIGHT,
        a * g,
        LIP_HEIGHT * g + (a - LIP_HEIGHT) * (reach - LIP_HEIGHT * g) / (reach - LIP_HEIGHT),
    )
    return np.where(a < reach, np.sign(dz) * squeezed, dz)


def _features(x, y, z, lip_level, front) -> np.ndarray:
    """Forward (-Y) relief of the face: brows, nose, cheekbones, lips, chin.  Returns new y.

    ``lip_level`` is the row's height above the lip line in lip heights (+1 top of the upper
    lip, -1 bottom of the lower lip), so the lips' relief follows their outline.
    """
    fwd = np.zeros_like(x)
    # Brow ridge and glabella.
    fwd += 0.007 * _pair(x, z, EYE_X, 1.628, 0.022, 0.008)
    fwd += 0.005 * _bump(x, z, 0.0, 1.622, 0.012, 0.008)
    # Sunken orbits so the lids sit in sockets.
    fwd -= 0.004 * _pair(x, z, EYE_X, 1.600, 0.016, 0.012)
    # Nose: a ridge growing from the bridge to the tip, a round tip, nostril wings.
    ridge = np.where(
        z >= 1.566,
        np.clip((1.615 - z) / 0.049, 0.0, 1.0) ** 1.3,
        np.exp(-(((1.566 - z) / 0.0075) ** 2)),
    )
    width = 0.006 + 0.005 * np.clip((1.615 - z) / 0.049, 0.0, 1.0)
    fwd += 0.019 * ridge * np.exp(-((x / width) ** 2))
    fwd += 0.005 * _bump(x, z, 0.0, 1.567, 0.009, 0.007)
    fwd += 0.007 * _pair(x, z, 0.014, 1.562, 0.006, 0.006)
    # Cheekbones.
    fwd += 0.005 * _pair(x, z, 0.045, 1.585, 0.018, 0.015)
    # Muzzle, lips, the lip line, corners, chin.
    fwd += 0.010 * _bump(x, z, 0.0, 1.535, 0.032, 0.022)
    lips_x = np.exp(-((x / LIP_HALF_WIDTH) ** 4))
    fwd += 0.0055 * lips_x * np.exp(-(((lip_level - 0.45) / 0.55) ** 2))
    fwd += 0.0065 * lips_x * np.exp(-(((lip_level + 0.45) / 0.55) ** 2))
    fwd -= 0.0012 * lips_x * np.exp(-((lip_level / 0.12) ** 2))
    fwd -= 0.003 * _pair(x, z, 0.025, MOUTH_Z, 0.005, 0.005)
    fwd -= 0.003 * _bump(x, z, 0.0, 1.515, 0.015, 0.004)
    fwd += 0.008 * _bump(x, z, 0.0, 1.502, 0.015, 0.010)
    return y - fwd * front


def _skin(n_columns: int = 128) -> dict:
    """The head-and-neck surface: rows top→bottom (horizontal slices), columns round from the
    back, crowded at the face."""
    u = -1.0 + 2.0 * np.arange(n_columns) / n_columns
    theta = np.pi * (0.3 * u + 0.7 * u**3)  # 0 = straight ahead
    band_top = 1.644
    k_top = round((band_top - MOUTH_Z) / 0.002)
    k_bottom = round((MOUTH_Z - 1.470) / 0.002)
    band = MOUTH_Z + 0.002 * np.arange(k_top, -k_bottom - 1, -1)  # 2 mm rows across the face
    phi0 = np.arcsin((band[0] - HEAD_CENTRE_Z) / CRANIUM_HALF_HEIGHT)
    phis = np.linspace(phi0, np.pi / 2, 30)[1:][::-1]  # crown rows, excluding the pole itself
    cranium = HEAD_CENTRE_Z + CRANIUM_HALF_HEIGHT * np.sin(phis)
    neck = band[-1] - 0.005 * np.arange(1, round((band[-1] - NECK_BOTTOM_Z) / 0.005) + 1)
    zs = np.concatenate([cranium, band, neck])
    mouth_row = len(cranium) + k_top

    a, f, k, y0 = _slice_profile(zs)
    th = np.broadcast_to(theta, (len(zs), n_columns))
    x, y = _ring(th, a[:, None], f[:, None], k[:, None], y0[:, None])
    dz_row = np.broadcast_to((zs - MOUTH_Z)[:, None], x.shape)
    front = _smoothstep(0.3, 0.7, np.cos(th))
    z = MOUTH_Z + dz_row + (_lip_warp(dz_row, x) - dz_row) * front
    lip_level = np.clip(dz_row / LIP_HEIGHT, -1.5, 1.5)
    y = _features(x, y, z, lip_level, front)
    # Ears: flat lumps on the sides, between eye and mouth height, just behind the middle.
    side = _smoothstep(0.85, 0.97, np.abs(np.sin(th)))
    ear = (
        0.014 * side * np.exp(-(((z - 1.585) / 0.024) ** 2)) * np.exp(-(((y - 0.014) / 0.010) ** 2))
    )
    x = x + np.sign(x) * ear
    grid = np.stack([x, y, z], axis=-1)  # (rows, cols, 3)
    pole = np.array([[0.0, 0.005, HEAD_CENTRE_Z + CRANIUM_HALF_HEIGHT]])
    return {
        "grid": grid,
        "pole": pole,
        "front": front,
        "mouth_row": mouth_row,
        "lip_level": lip_level,
    }


def _grid_quads(index: np.ndarray, wrap: bool) -> np.ndarray:
    """Quads of a (rows, cols) index grid, wound counter-clockwise seen from outside when rows
    run top→bottom and columns run towards +X at the front."""
    if wrap:
        right = np.roll(index, -1, axis=1)
        left = index
    else:
        left, right = index[:, :-1], index[:, 1:]
    return np.stack([left[:-1], left[1:], right[1:], right[:-1]], axis=-1).reshape(-1, 4)


# --- Lids, mouth cavity, tongue -----------------------------------------------------------


def _lid_margins(azimuth: np.ndarray, half_azimuth: float = LID_OPEN_HALF_AZIMUTH):
    """Rest upper and lower margin elevations and the opening's shape factor (1 mid, 0 corners)."""
    shape = np.cos(0.5 * np.pi * np.clip(azimuth / half_azimuth, -1.0, 1.0)) ** 0.6
    return LID_UPPER_MARGIN * shape, LID_LOWER_MARGIN * shape, shape


def _lid_point(centre, side: float, azimuth, elevation, radius) -> np.ndarray:
    ce = np.cos(elevation)
    return np.stack(
        [
            centre[0] + side * radius * np.sin(azimuth) * ce,
            centre[1] - radius * np.cos(azimuth) * ce,
            centre[2] + radius * np.sin(elevation),
        ],
        axis=-1,
    )


def _lid_elevation(upper: np.ndarray, t: np.ndarray, margin_up, margin_low) -> np.ndarray:
    """Elevation of a lid vertex from its row parameter, given where the margins are."""
    far_up, far_low = LID_ELEVATION_EXTENT, -LID_ELEVATION_EXTENT
    return np.where(
        upper, margin_up + t * (far_up - margin_up), margin_low + t * (far_low - margin_low)
    )


def _lid_shell(centre, side: float, n_az: int = 40, n_rows: int = 12) -> list[dict]:
    """Upper and lower lid of one eye: grids on the lid sphere from the margin outwards, plus a
    rim row at the margin that turns in towards the eyeball so the lid edge has thickness."""
    az = np.linspace(-LID_AZIMUTH_EXTENT, LID_AZIMUTH_EXTENT, n_az + 1)
    t = np.concatenate([[0.0], (np.arange(n_rows + 1) / n_rows) ** 1.4])
    radius = np.where(np.arange(len(t)) == 0, LID_RIM_RADIUS, LID_RADIUS)
    az_g, t_g = np.meshgrid(az, t)
    r_g = np.broadcast_to(radius[:, None], az_g.shape)
    up, low, _ = _lid_margins(az_g)
    parts = []
    for is_upper in (True, False):
        upper = np.full(az_g.shape, is_upper)
        el = _lid_elevation(upper, t_g, up, low)
        parts.append(
            {
                "co": _lid_point(centre, side, az_g, el, r_g),
                "az": az_g,
                "t": t_g,
                "r": r_g,
                "upper": upper,
            }
        )
    return parts


def _carve_socket(co: np.ndarray, centre, side: float) -> np.ndarray:
    """Skin inside a lid shell, pulled in: behind the lid opening (with room for the lids'
    widest travel) deep into the eyeball, elsewhere just under the lid shell so the skin meets
    the lid in a clean line."""
    rel = co - np.asarray(centre)
    d = np.linalg.norm(rel, axis=1)
    inside = d < LID_RADIUS + 0.0004
    r = rel[inside]
    dd = d[inside]
    az = np.arctan2(side * r[:, 0], -r[:, 1])
    el = np.arcsin(np.clip(r[:, 2] / dd, -1.0, 1.0))
    up, low, _ = _lid_margins(az, LID_OPEN_HALF_AZIMUTH + 0.3)
    up_env = up * (LID_UPPER_MARGIN + 0.30) / LID_UPPER_MARGIN
    low_env = low * (LID_LOWER_MARGIN - 0.12) / LID_LOWER_MARGIN
    outside = np.maximum.reduce(
        [el - up_env, low_env - el, np.abs(az) - (LID_OPEN_HALF_AZIMUTH + 0.3), np.zeros_like(el)]
    )
    radius = CARVE_RADIUS + (LID_RADIUS - 0.0003 - CARVE_RADIUS) * _smoothstep(0.0, 0.12, outside)
    out = co.copy()
    out[inside] = np.asarray(centre) + r / dd[:, None] * radius[:, None]
    return out


def _tongue(centre, radii, n_seg: int = 20, n_ring: int = 10):
    unit, quads, tris = _uv_sphere(n_seg, n_ring)
    unit = unit[:, [0, 2, 1]] * np.array([1.0, -1.0, 1.0])  # poles along ±Y: tip points forward
    return np.asarray(centre) + unit * np.asarray(radii), quads, tris


def _uv_sphere(n_seg: int, n_ring: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit sphere, poles on ±Z: vertices (north pole, rings…, south pole), outward quads, tris."""
    lat = np.pi / 2 - np.pi * np.arange(1, n_ring) / n_ring
    lon = 2 * np.pi * np.arange(n_seg) / n_seg
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    rings = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], -1).reshape(
        -1, 3
    )
    co = np.concatenate([[[0, 0, 1]], rings, [[0, 0, -1]]])
    idx = 1 + np.arange((n_ring - 1) * n_seg).reshape(n_ring - 1, n_seg)
    nxt = np.roll(idx, -1, axis=1)
    quads = np.stack([idx[:-1], idx[1:], nxt[1:], nxt[:-1]], -1).reshape(-1, 4)
    south = len(co) - 1
    tris = np.concatenate(
        [
            np.stack([np.zeros(n_seg, int), idx[0], nxt[0]], -1),
            np.stack([np.full(n_seg, south), nxt[-1], idx[-1]], -1),
        ]
    )
    return co.astype(float), quads, tris


# --- Assembly -----------------------------------------------------------------------------


class _Builder:
    """Accumulates vertex blocks with their labels, and faces with their materials."""

    def __init__(self) -> None:
        self.n = 0
        self.blocks: list[dict] = []
        self.faces: list[np.ndarray] = []
        self.face_mats: list[np.ndarray] = []

    def add_vertices(self, co: np.ndarray, part: int, **labels) -> np.ndarray:
        co = np.asarray(co, float).reshape(-1, 3)
        idx = self.n + np.arange(len(co))
        self.blocks.append({"co": co, "part": np.full(len(co), part), **labels})
        self.n += len(co)
        return idx

    def add_faces(self, faces: np.ndarray, material) -> None:
        self.faces.append(np.asarray(faces))
        self.face_mats.append(np.broadcast_to(material, (len(faces),)).astype(int))

    def coordinates(self) -> np.ndarray:
        return np.concatenate([blk["co"] for blk in self.blocks])

    def label(self, name: str, default=0.0) -> np.ndarray:
        """One label for every vertex so far (scalars broadcast over their block)."""
        out = []
        for blk in self.blocks:
            n = len(blk["co"])
            v = np.asarray(blk.get(name, default))
            out.append(np.broadcast_to(v.reshape(-1) if v.size == n else v, (n,)))
        return np.concatenate(out)


def _carve_eye_sockets(grid: np.ndarray) -> tuple[np.ndarray, dict]:
    """Eye centres a little behind the (sunken) skin in front of them, and the skin grid with
    the skin inside each lid shell carved away."""
    flat = grid.reshape(-1, 3)
    eye_centres = {}
    for name, side in (("L", 1.0), ("R", -1.0)):
        near = np.hypot(flat[:, 0] - side * EYE_X, flat[:, 2] - EYE_Z)
        near[flat[:, 1] > 0] = np.inf
        eye_centres[name] = (side * EYE_X, float(flat[np.argmin(near), 1]) + 0.010, EYE_Z)
        flat = _carve_socket(flat, eye_centres[name], side)
    return flat.reshape(grid.shape), eye_centres


@dataclass(frozen=True)
class _Slit:
    """The mouth slit: the lip-line grid row cut in two between the corners."""

    edge: np.ndarray  # (m, 3) positions along the slit
    upper: np.ndarray  # (m,) vertex indices of the upper lip's edge
    lower: np.ndarray  # (m,) their lower-lip twins
    corners: tuple[int, int]  # left, right corner vertex


def _add_skin(b: _Builder, skin: dict, grid: np.ndarray) -> _Slit:
    """The skin grid with its pole, the mouth slit cut into the lip line, lips coloured."""
    front, mouth_row = skin["front"], skin["mouth_row"]
    rows, cols = grid.shape[:2]
    below_rows = np.broadcast_to((np.arange(rows) > mouth_row)[:, None], (rows, cols))
    index = b.add_vertices(grid, SKIN, front=front, below=below_rows, lip_level=skin["lip_level"])
    index = index.reshape(rows, cols)
    pole = b.add_vertices(skin["pole"], SKIN)[0]

    # Mouth slit: the lip-line vertices between the corners get a lower-lip twin.
    slit = np.flatnonzero(
        (np.abs(grid[mouth_row, :, 0]) < MOUTH_HALF_WIDTH) & (grid[mouth_row, :, 1] < 0)
    )
    twins = b.add_vertices(grid[mouth_row, slit], SKIN, front=front[mouth_row, slit], below=True)
    lower_index = index.copy()
    lower_index[mouth_row, slit] = twins
    skin_quads = np.concatenate(
        [
            _grid_quads(index[: mouth_row + 1], wrap=True),
            _grid_quads(lower_index[mouth_row:], wrap=True),
        ]
    )
    # Lips: the faces within one lip height of the lip line (the grid rows are squeezed to the
    # lips' outline there), between the corners, on the face.
    centre = b.coordinates()[skin_quads].mean(axis=1)
    level = b.label("lip_level")[skin_quads].mean(axis=1)
    lip = (np.abs(level) < 1.0) & (np.abs(centre[:, 0]) < LIP_HALF_WIDTH) & (centre[:, 1] < -0.05)
    b.add_faces(skin_quads, np.where(lip, MAT_LIPS, MAT_SKIN))
    b.add_faces(np.stack([np.full(cols, pole), index[0], np.roll(index[0], -1)], -1), MAT_SKIN)
    corners = (index[mouth_row, slit[0] - 1], index[mouth_row, slit[-1] + 1])
    return _Slit(grid[mouth_row, slit], index[mouth_row, slit], twins, corners)


def _add_mouth_cavity(b: _Builder, slit: _Slit) -> None:
    """A pocket hanging off the two lip edges; upper half moves with the head, lower half with
    the jaw."""
    n_v = 14
    lip_edge = slit.edge
    taper = np.maximum(np.sqrt(np.clip(1 - (lip_edge[:, 0] / MOUTH_HALF_WIDTH) ** 2, 0, 1)), 0.3)
    v = np.arange(1, n_v) / n_v
    depth, height = 0.032, 0.011
    bag = np.repeat(lip_edge[:, None, :], len(v), axis=1)
    bag[..., 0] *= 1.0 - 0.1 * np.sin(np.pi * v)[None, :]
    bag[..., 1] += depth * 0.5 * (1 - np.cos(2 * np.pi * v))[None, :] * taper[:, None]
    bag[..., 2] += height * np.sin(2 * np.pi * v)[None, :] * taper[:, None]
    v_grid = np.broadcast_to(v, bag.shape[:2])
    bag_index = b.add_vertices(bag, MOUTH_BAG, bag_v=v_grid, below=v_grid > 0.5).reshape(
        bag.shape[:2]
    )
    pocket = np.concatenate([slit.upper[:, None], bag_index, slit.lower[:, None]], axis=1)
    b.add_faces(
        np.stack([pocket[:-1, :-1], pocket[1:, :-1], pocket[1:, 1:], pocket[:-1, 1:]], -1).reshape(
            -1, 4
        ),
        MAT_MOUTH,
    )
    left_corner, right_corner = slit.corners
    fan_l = np.stack([np.full(n_v, left_corner), pocket[0, 1:], pocket[0, :-1]], -1)
    fan_r = np.stack([np.full(n_v, right_corner), pocket[-1, :-1], pocket[-1, 1:]], -1)
    b.add_faces(np.concatenate([fan_l, fan_r]), MAT_MOUTH)


def _add_tongue(b: _Builder, slit: _Slit) -> None:
    """The tongue on the cavity floor."""
    lip_y = float(slit.edge[:, 1].min())
    t_co, t_quads, t_tris = _tongue((0.0, lip_y + 0.027, MOUTH_Z - 0.0078), (0.015, 0.020, 0.0048))
    t_idx = b.add_vertices(t_co, TONGUE, below=True)
    b.add_faces(t_quads + t_idx[0], MAT_TONGUE)
    b.add_faces(t_tris + t_idx[0], MAT_TONGUE)


def _add_eyelids(b: _Builder, eye_centres: dict) -> None:
    for name, side in (("L", 1.0), ("R", -1.0)):
        for shell in _lid_shell(eye_centres[name], side):
            shape = shell["co"].shape[:2]
            idx = b.add_vertices(
                shell["co"],
                LID,
                lid_side=side,
                lid_upper=shell["upper"],
                lid_azimuth=shell["az"],
                lid_t=shell["t"],
                lid_radius=shell["r"],
            ).reshape(shape)
            q = _grid_quads(idx, wrap=False)
            # Rows run margin→far edge (up for the upper lid, down for the lower) and the azimuth
            # runs away from the nose (towards -X on the right eye): flip where that mirrors.
            if shell["upper"][0, 0] == (side > 0):
                q = q[:, ::-1]
            b.add_faces(q, MAT_SKIN)


def build_geometry() -> HeadGeometry:
    """Every vertex, face and label of the head mesh, in numpy (no Blender needed)."""
    skin = _skin()
    grid, eye_centres = _carve_eye_sockets(skin["grid"])
    b = _Builder()
    slit = _add_skin(b, skin, grid)
    _add_mouth_cavity(b, slit)
    _add_tongue(b, slit)
    _add_eyelids(b, eye_centres)
    return HeadGeometry(
        co=b.coordinates(),
        faces=b.faces,
        face_mats=b.face_mats,
        part=b.label("part"),
        front=b.label("front"),
        below_mouth=b.label("below", False).astype(bool),
        lid_side=b.label("lid_side"),
        lid_upper=b.label("lid_upper", False).astype(bool),
        lid_azimuth=b.label("lid_azimuth"),
        lid_t=b.label("lid_t"),
        lid_radius=b.label("lid_radius"),
        bag_v=b.label("bag_v"),
        eye_centres=eye_centres,
    )


# --- Skinning weights ----------------------------------------------------------------------


def skin_weights(geo: HeadGeometry) -> dict[str, np.ndarray]:
    """Smooth ``head`` / ``jaw`` / ``neck`` weights summing to 1 per vertex.

    The jaw takes everything under the lip line (the lower lip fully, across the slit), fading
    out towards the cheeks, behind the jaw angle and down the neck; the neck takes the lower neck.
    """
    x, y, z = geo.co.T
    skin = geo.part == SKIN
    ax = np.abs(x)
    line = MOUTH_Z + 0.5 * np.maximum(ax - MOUTH_HALF_WIDTH, 0.0)
    band = 0.003 + 0.4 * np.maximum(ax - 0.020, 0.0)
    in_slit = _smoothstep(MOUTH_HALF_WIDTH + 0.008, MOUTH_HALF_WIDTH - 0.004, ax)
    z_eff = z - band * geo.below_mouth * in_slit
    jaw = _smoothstep(0.0, 1.0, (line - z_eff) / band) * _smoothstep(0.025, -0.005, y)
    jaw = jaw * _smoothstep(1.455, 1.485, z)  # the throat below the chin stays with the neck
    jaw = np.where(skin, jaw, 0.0)
    jaw = np.where(geo.part == MOUTH_BAG, _smoothstep(0.3, 0.7, geo.bag_v), jaw)
    jaw = np.where(geo.part == TONGUE, 1.0, jaw)
    neck = np.where(skin, _smoothstep(1.500, 1.445, z), 0.0)
    total = jaw + neck
    scale = np.where(total > 1.0, 1.0 / np.maximum(total, 1e-9), 1.0)
    jaw, neck = jaw * scale, neck * scale
    return {"head": 1.0 - jaw - neck, "jaw": jaw, "neck": neck}


# --- Shape keys ----------------------------------------------------------------------------


def _lid_delta(geo: HeadGeometry, side: float, d_upper: float, d_lower: float, slide: float = 0.0):
    """Move one eye's lid margins by ``d_upper``/``d_lower`` radians (scaled by the opening's
    shape, so the corners stay put) and slide the margins ``slide`` radians away from the nose."""
    sel = geo.lid_side == side
    az, t, upper, r = geo.lid_azimuth[sel], geo.lid_t[sel], geo.lid_upper[sel], geo.lid_radius[sel]
    up, low, shape = _lid_margins(az)
    el0 = _lid_elevation(upper, t, up, low)
    el1 = _lid_elevation(upper, t, up + d_upper * shape, low + d_lower * shape)
    az1 = az + slide * (1.0 - t) ** 2 * np.cos(0.5 * np.pi * az / LID_AZIMUTH_EXTENT)
    centre = geo.eye_centres["L" if side > 0 else "R"]
    out = np.zeros_like(geo.co)
    out[sel] = _lid_point(centre, side, az1, el1, r) - _lid_point(centre, side, az, el0, r)
    return out


def _jaw_rotation(co: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Displacement of rotating each point about the hinge's +X axis by its own angle (rad);
    positive angles swing the chin down and back."""
    p = co - np.asarray(JAW_PIVOT)
    c, s = np.cos(angle), np.sin(angle)
    out = np.zeros_like(co)
    out[:, 1] = p[:, 1] * c - p[:, 2] * s - p[:, 1]
    out[:, 2] = p[:, 1] * s + p[:, 2] * c - p[:, 2]
    return out


def _move(w, dx=0.0, dy=0.0, dz=0.0) -> np.ndarray:
    """Displacement (n, 3): every vertex moves by its weight ``w`` times (dx, dy, dz) metres."""
    return np.asarray(w, float)[:, None] * np.array([dx, dy, dz])


@dataclass(frozen=True)
class _FaceRegions:
    """Per-vertex weights (0…1) of the parts of the face the shape keys move."""

    x: np.ndarray
    z: np.ndarray
    front: np.ndarray  # how much a skin vertex faces forward
    below: np.ndarray  # bool: under the lip line
    tongue: np.ndarray  # bool
    jaw: np.ndarray  # the armature's jaw weights, so the jaw key and the jaw bone agree
    lips_x: np.ndarray  # across the mouth, fading out past the corners
    near_lower_edge: np.ndarray  # the mouth cavity along the lower lip's inner edge
    upper_lip: np.ndarray
    lower_lip: np.ndarray
    mouth_area: np.ndarray

    @property
    def lips(self) -> np.ndarray:
        return self.upper_lip + self.lower_lip

    def bump(self, cx: float, cz: float, sx: float, sz: float) -> np.ndarray:
        """A smooth patch on the front of the face centred at (cx, cz)."""
        return self.front * _bump(self.x, self.z, cx, cz, sx, sz)

    def corner(self, side: float, sx: float = 0.010, sz: float = 0.010) -> np.ndarray:
        """The mouth corner on ``side`` (+1 left, -1 right)."""
        return self.bump(side * 0.024, MOUTH_Z, sx, sz)

    def half(self, side: float, mask: np.ndarray) -> np.ndarray:
        """``mask`` (a lip) on one side of the mouth only."""
        return mask * np.exp(-(((self.x - side * 0.012) / 0.013) ** 2))


def _face_regions(geo: HeadGeometry) -> _FaceRegions:
    x, _, z = geo.co.T
    front, below = geo.front, geo.below_mouth
    bag = geo.part == MOUTH_BAG
    tongue = geo.part == TONGUE
    lips_x = np.exp(-((x / 0.022) ** 4))
    near_upper_edge = bag * np.exp(-((geo.bag_v / 0.2) ** 2)) * lips_x
    near_lower_edge = bag * np.exp(-(((1.0 - geo.bag_v) / 0.2) ** 2)) * lips_x
    upper_lip = front * lips_x * np.exp(-(((z - MOUTH_Z - 0.005) / 0.007) ** 2)) * ~below
    lower_lip = front * lips_x * np.exp(-(((z - MOUTH_Z + 0.005) / 0.007) ** 2)) * below
    return _FaceRegions(
        x=x,
        z=z,
        front=front,
        below=below,
        tongue=tongue,
        jaw=skin_weights(geo)["jaw"],
        lips_x=lips_x,
        near_lower_edge=near_lower_edge,
        upper_lip=upper_lip + near_upper_edge,
        lower_lip=lower_lip + near_lower_edge,
        mouth_area=front * _bump(x, z, 0.0, MOUTH_Z, 0.030, 0.016) + bag + 0.5 * tongue,
    )


def _eye_keys(geo: HeadGeometry, f: _FaceRegions, s: float) -> dict[str, np.ndarray]:
    """One eye's lid keys (``s`` +1 left, -1 right); the eyeballs turn with the eye bones."""
    return {
        "eyeBlink": _lid_delta(
            geo, s, LID_CLOSED_LINE - LID_UPPER_MARGIN, LID_CLOSED_LINE - LID_LOWER_MARGIN
        ),
        "eyeWide": _lid_delta(geo, s, 0.24, -0.06),
        "eyeSquint": _lid_delta(geo, s, -0.06, 0.22)
        + _move(f.bump(s * 0.034, 1.584, 0.014, 0.007), dy=-0.0005, dz=0.0015),
        "eyeLookUp": _lid_delta(geo, s, 0.25, 0.12),
        "eyeLookDown": _lid_delta(geo, s, -0.26, -0.06),
        "eyeLookIn": _lid_delta(geo, s, 0.0, 0.0, slide=-0.28),
        "eyeLookOut": _lid_delta(geo, s, 0.0, 0.0, slide=0.28),
    }


def _side_keys(f: _FaceRegions, s: float) -> dict[str, np.ndarray]:
    """Brow, cheek, nose, mouth-corner and half-lip keys of one side."""
    brow = f.bump(s * 0.027, 1.628, 0.020, 0.011)
    brow = brow * (1.0 + 0.5 * np.exp(-(((f.x - s * 0.014) / 0.010) ** 2)))
    upper, lower = f.half(s, f.upper_lip), f.half(s, f.lower_lip)
    return {
        "browDown": _move(brow, dx=-s * 0.0015, dy=-0.0015, dz=-0.005),
        "browOuterUp": _move(f.bump(s * 0.047, 1.628, 0.014, 0.011), dz=0.006),
        "cheekSquint": _move(f.bump(s * 0.040, 1.580, 0.018, 0.012), dy=-0.001, dz=0.004),
        "noseSneer": _move(
            f.bump(s * 0.012, 1.574, 0.009, 0.011), dx=s * 0.0008, dy=-0.0008, dz=0.004
        ),
        "mouthSmile": _move(f.corner(s, 0.012, 0.012), dx=s * 0.004, dy=0.002, dz=0.006),
        "mouthFrown": _move(f.corner(s, 0.011, 0.012), dx=s * 0.001, dz=-0.005),
        "mouthDimple": _move(f.corner(s), dx=s * 0.003, dy=0.004),
        "mouthStretch": _move(f.corner(s, 0.016, 0.012), dx=s * 0.006, dy=0.001, dz=-0.003),
        "mouthPress": _move(upper, dy=0.001, dz=-0.0035) + _move(lower, dy=0.001, dz=0.0035),
        "mouthUpperUp": _move(upper, dy=-0.001, dz=0.005),
        "mouthLowerDown": _move(lower, dy=-0.001, dz=-0.005),
    }


def _jaw_keys(geo: HeadGeometry, f: _FaceRegions) -> dict[str, np.ndarray]:
    """The jaw keys use the armature's jaw weights, so shape key and bone agree; mouthClose
    cancels jawOpen on the lips (jawOpen + mouthClose at equal values = lips sealed)."""
    x, z = f.x, f.z
    seal = (
        f.front * f.lips_x * np.exp(-(((z - MOUTH_Z + 0.006) / 0.010) ** 2)) * f.below
        + f.near_lower_edge
    ) * f.jaw
    return {
        "jawOpen": _jaw_rotation(geo.co, JAW_OPEN_RAD * f.jaw),
        "jawForward": _move(f.jaw, dy=-0.007),
        "jawLeft": _move(f.jaw, dx=0.007),
        "jawRight": _move(f.jaw, dx=-0.007),
        "mouthClose": -_jaw_rotation(geo.co, np.full_like(x, JAW_OPEN_RAD)) * seal[:, None],
    }


def _mouth_keys(f: _FaceRegions) -> dict[str, np.ndarray]:
    """Keys of the whole mouth, the lips as a pair, and the tongue."""
    x, z, lips, upper, lower = f.x, f.z, f.lips, f.upper_lip, f.lower_lip
    chin = f.front * np.exp(-((x / 0.025) ** 2)) * np.exp(-(((z - 1.516) / 0.014) ** 2)) * f.below
    return {
        "mouthFunnel": _move(lips, dy=-0.004)
        + _move(upper, dz=0.002)
        + _move(lower, dz=-0.002)
        + _move(lips * x / 0.02, dx=-0.003),
        "mouthPucker": _move(lips, dy=-0.007) + _move(f.mouth_area * x / 0.02, dx=-0.005),
        "mouthLeft": _move(f.mouth_area, dx=0.007),
        "mouthRight": _move(f.mouth_area, dx=-0.007),
        "mouthRollLower": _move(lower, dy=0.005, dz=0.002),
        "mouthRollUpper": _move(upper, dy=0.005, dz=-0.002),
        "mouthShrugLower": _move(chin + f.near_lower_edge, dy=-0.002, dz=0.004),
        "mouthShrugUpper": _move(upper, dy=-0.002, dz=0.004),
        "tongueOut": _move(f.tongue, dy=-0.026, dz=-0.003) + _move(lower, dz=-0.002),
    }


def shape_key_deltas(geo: HeadGeometry) -> dict[str, np.ndarray]:
    """Displacement (n, 3) of every vertex for each ARKit-52 shape key at full strength."""
    f = _face_regions(geo)
    d: dict[str, np.ndarray] = {}
    for suffix, s in (("Left", 1.0), ("Right", -1.0)):
        for name, delta in (*_eye_keys(geo, f, s).items(), *_side_keys(f, s).items()):
            d[name + suffix] = delta
    d["browInnerUp"] = _move(f.front * _pair(f.x, f.z, 0.016, 1.630, 0.012, 0.013), dz=0.006)
    puff = f.front * _pair(f.x, f.z, 0.042, 1.548, 0.020, 0.018)
    d["cheekPuff"] = _move(puff * np.sign(f.x), dx=0.009) + _move(puff, dy=-0.003)
    d.update(_jaw_keys(geo, f))
    d.update(_mouth_keys(f))
    return d


# --- Blender objects -----------------------------------------------------------------------


def _vocabulary() -> tuple[str, ...]:
    return load_profile(PROFILE_DIR / "arkit52.json").vocabulary


def _material(name: str, rgba: tuple[float, float, float, float]) -> bpy.types.Material:
    """A material that reads in Workbench (viewport colour) and EEVEE/Cycles (Principled base)."""
    mat = bpy.data.materials.new(name)
    mat.diffuse_color = rgba
    mat.roughness = 0.6
    if mat.node_tree is None:  # 4.x creates materials without nodes; 5.x always has them
        mat.use_nodes = True
    for node in mat.node_tree.nodes:
        if node.type == "BSDF_PRINCIPLED":
            node.inputs["Base Color"].default_value = rgba
            node.inputs["Roughness"].default_value = 0.6
    return mat


def _mesh_from_arrays(name: str, co: np.ndarray, faces: list[np.ndarray], mats: list[np.ndarray]):
    me = bpy.data.meshes.new(name)
    me.vertices.add(len(co))
    me.vertices.foreach_set("co", co.astype(np.float32).ravel())
    sizes = np.concatenate([np.full(len(f), f.shape[1]) for f in faces])
    loops = np.concatenate([f.ravel() for f in faces]).astype(np.int32)
    me.loops.add(len(loops))
    me.loops.foreach_set("vertex_index", loops)
    me.polygons.add(len(sizes))
    me.polygons.foreach_set(
        "loop_start", np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int32)
    )
    me.polygons.foreach_set("material_index", np.concatenate(mats).astype(np.int32))
    me.update(calc_edges=True)
    me.polygons.foreach_set("use_smooth", np.ones(len(sizes), dtype=bool))
    return me


def _set_weights(ob: bpy.types.Object, name: str, weights: np.ndarray) -> None:
    """Assign per-vertex weights to a new vertex group, one ``add`` call per weight level."""
    vg = ob.vertex_groups.new(name=name)
    levels = np.round(np.clip(weights, 0.0, 1.0) * 255).astype(int)
    for level in np.unique(levels[levels > 0]):
        vg.add(np.flatnonzero(levels == level).tolist(), float(level) / 255.0, "REPLACE")


def _make_rig(scene: bpy.types.Scene, name: str, eye_centres: dict) -> bpy.types.Object:
    arm = bpy.data.armatures.new(name)
    rig = bpy.data.objects.new(name, arm)
    scene.collection.objects.link(rig)
    view_layer = scene.view_layers[0]
    el, er = eye_centres["L"], eye_centres["R"]
    chin = (0.0, -0.085, 1.505)
    layout = {  # bone: (head, tail, parent) in armature = world space
        "root": ((0, 0, 0), (0, 0.15, 0), None),
        "spine": ((0, 0.02, 1.00), (0, 0.03, 1.25), "root"),
        "chest": ((0, 0.03, 1.25), (0, 0.02, 1.44), "spine"),
        "neck": ((0, 0.02, 1.44), (0, 0.012, 1.535), "chest"),
        "head": ((0, 0.012, 1.535), (0, 0.012, 1.735), "neck"),
        "eye.L": (el, (el[0], el[1] - 0.025, el[2]), "head"),
        "eye.R": (er, (er[0], er[1] - 0.025, er[2]), "head"),
        "jaw": (JAW_PIVOT, chin, "head"),
    }
    # Edit bones exist only in edit mode, which is entered through an operator: point its
    # context at the target scene (it need not be the window's scene).
    with bpy.context.temp_override(
        scene=scene, view_layer=view_layer, active_object=rig, object=rig
    ):
        previous = view_layer.objects.active
        view_layer.objects.active = rig
        bpy.ops.object.mode_set(mode="EDIT")
        for bone_name in BONES:
            head, tail, parent = layout[bone_name]
            eb = arm.edit_bones.new(bone_name)
            eb.head, eb.tail, eb.roll = head, tail, 0.0
            if parent:
                eb.parent = arm.edit_bones[parent]
        bpy.ops.object.mode_set(mode="OBJECT")
        view_layer.objects.active = previous if previous is not None else rig
    return rig


def _make_eye(
    scene, name: str, rig: bpy.types.Object, bone_name: str, centre, mats
) -> bpy.types.Object:
    unit, quads, tris = _uv_sphere(32, 24)
    unit = np.stack([unit[:, 0], -unit[:, 2], unit[:, 1]], axis=1)  # north pole looks along -Y
    forward = -unit[:, 1]
    cornea = 1.0 + 0.04 * _smoothstep(np.cos(0.55), 1.0, forward)
    co = unit * (EYE_RADIUS * cornea)[:, None]

    def material(f):
        c = -unit[f].mean(axis=1)[:, 1] / np.linalg.norm(unit[f].mean(axis=1), axis=1)
        return np.where(
            c > np.cos(np.radians(15.5)), 2, np.where(c > np.cos(np.radians(30.5)), 1, 0)
        )

    me = _mesh_from_arrays(name + "Mesh", co, [quads, tris], [material(quads), material(tris)])
    for m in mats:
        me.materials.append(m)
    eye = bpy.data.objects.new(name, me)
    scene.collection.objects.link(eye)
    bone = rig.data.bones[bone_name]
    eye.parent = rig
    eye.parent_type = "BONE"
    eye.parent_bone = bone_name
    # Bone parenting hangs a child off the bone's tail; undo that at rest so the eye's own
    # transform is simply its centre, and a bone rotation turns it about the bone's head.
    rest = rig.matrix_world @ bone.matrix_local @ Matrix.Translation((0.0, bone.length, 0.0))
    eye.matrix_parent_inverse = rest.inverted()
    eye.matrix_basis = Matrix.Translation(Vector(centre))
    return eye


def build_sample_head(scene=None, name: str = "MicroFaceHead") -> dict[str, bpy.types.Object]:
    """Build the sample head into ``scene`` (default: the context scene).

    Returns ``{"armature", "head", "eye_L", "eye_R"}``.  The armature object is called
    ``<prefix>Rig`` and the eyes ``<prefix>Eye.L/.R``, where ``<prefix>`` is ``name`` without a
    trailing "Head" (so the defaults are ``MicroFaceRig``, ``MicroFaceEye.L``, ``MicroFaceEye.R``).
    Every shape key's value is 0.
    """
    scene = scene if scene is not None else bpy.context.scene
    prefix = name[: -len("Head")] if name.endswith("Head") and len(name) > len("Head") else name
    geo = build_geometry()
    rig = _make_rig(scene, prefix + "Rig", geo.eye_centres)

    mats = [_material(n, rgba) for n, rgba in MATERIALS]
    me = _mesh_from_arrays(name + "Mesh", geo.co, geo.faces, geo.face_mats)
    for m in mats[:MAT_SCLERA]:
        me.materials.append(m)
    head = bpy.data.objects.new(name, me)
    scene.collection.objects.link(head)
    head.parent = rig
    for group, w in skin_weights(geo).items():
        _set_weights(head, group, w)
    mod = head.modifiers.new("Armature", "ARMATURE")
    mod.object = rig

    head.shape_key_add(name="Basis", from_mix=False)
    deltas = shape_key_deltas(geo)
    for key_name in _vocabulary():
        kb = head.shape_key_add(name=key_name, from_mix=False)
        kb.data.foreach_set("co", (geo.co + deltas[key_name]).astype(np.float32).ravel())
        kb.slider_min, kb.slider_max = 0.0, 1.0
        kb.value = 0.0  # Blender 5.0+ creates new keys at 1.0

    eye_mats = mats[MAT_SCLERA:]
    eye_l = _make_eye(scene, prefix + "Eye.L", rig, "eye.L", geo.eye_centres["L"], eye_mats)
    eye_r = _make_eye(scene, prefix + "Eye.R", rig, "eye.R", geo.eye_centres["R"], eye_mats)
    for view_layer in scene.view_layers:  # so callers read valid world matrices right away
        view_layer.update()
    return {"armature": rig, "head": head, "eye_L": eye_l, "eye_R": eye_r}


def _aim(obj: bpy.types.Object, location, target) -> None:
    """Place ``obj`` at ``location`` looking (its -Z) at ``target`` with +Y up."""
    obj.location = location
    obj.rotation_euler = (Vector(target) - Vector(location)).to_track_quat("-Z", "Y").to_euler()


def add_camera_and_light(scene: bpy.types.Scene) -> bpy.types.Object:
    """A portrait camera on the face (85 mm, slightly off-axis), a key light and a dim world."""
    cam = bpy.data.objects.new("MicroFaceCamera", bpy.data.cameras.new("MicroFaceCamera"))
    cam.data.lens = 85.0
    cam.data.clip_start = 0.05
    scene.collection.objects.link(cam)
    _aim(cam, (0.11, -0.68, 1.635), (0.0, -0.03, 1.592))
    scene.camera = cam
    light = bpy.data.objects.new(
        "MicroFaceKeyLight", bpy.data.lights.new("MicroFaceKeyLight", "SUN")
    )
    light.data.energy = 3.0
    scene.collection.objects.link(light)
    _aim(light, (0.6, -1.0, 2.3), (0.0, 0.0, 1.6))
    if scene.world is None:
        scene.world = bpy.data.worlds.new("MicroFaceWorld")
    scene.world.color = (0.05, 0.05, 0.06)
    scene.display.shading.light = "STUDIO"
    scene.display.shading.color_type = "MATERIAL"
    scene.render.resolution_x = scene.render.resolution_y = 1024
    return cam


def new_sample_file() -> bpy.types.Scene:
    """Make the sample head the open file (24 fps, frames 1–240, camera and light); its scene.

    Starts from a fresh empty scene: this replaces the open file in the session."""
    # read_homefile (not read_factory_settings): a clean file that keeps enabled add-ons, so
    # `blender -c microface sample` does not unregister the command that is running it.
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    scene = bpy.context.scene
    build_sample_head(scene)
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = 1, 240
    scene.frame_set(1)
    add_camera_and_light(scene)
    return scene


def save_sample_head(path) -> None:
    """Write the sample head as a self-contained .blend at ``path`` (``new_sample_file``).

    Writes atomically: a temporary file in the same folder, then ``os.replace`` (the command
    line's ``sample`` also checks the file whole before it replaces anything).
    """
    path = Path(path)
    new_sample_file()
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.blend")
    try:
        bpy.ops.wm.save_as_mainfile(
            filepath=str(tmp), check_existing=False, copy=True, compress=True
        )
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
