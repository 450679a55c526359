"""Shape keys driven by drivers: find the control that drives them, or say why not.

Why: on bone-driven faces (Faceit control rigs, Rigify/ARP setups with corrective keys) the
shape keys carry drivers; a key written under a driver is overwritten on every evaluation, so
MicroFace must move the *driving control* instead.  A driver is understood when it reads one
location/rotation channel of one bone of the character's armature (a Transform Channel variable
in the bone's local or transform space) through an average/sum/min/max or a *simple* expression
(Blender's own safe subset: arithmetic and math functions, no attribute access), shaped by the
F-curve: then the key is linear in the bone value near rest and the bone value that brings the
key to 1.0 is solved for.  Anything else is reported as skipped with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import bpy

from ..convention import datapath

_AXES = {"X": (1.0, 0.0, 0.0), "Y": (0.0, 1.0, 0.0), "Z": (0.0, 0.0, 1.0)}
_LOCAL_SPACES = {"LOCAL_SPACE", "TRANSFORM_SPACE"}
# Names a simple driver expression may use besides its variable (Blender's simple-expression set).
_MATH = {
    name: getattr(math, name)
    for name in (
        "pi",
        "sin",
        "cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "atan2",
        "sqrt",
        "exp",
        "log",
        "floor",
        "ceil",
        "radians",
        "degrees",
        "fabs",
    )
}
_MATH.update(abs=abs, min=min, max=max, round=round)
LINEARITY_TOLERANCE = 0.05


@dataclass(frozen=True)
class DrivingControl:
    """Bone channel that drives a key: moving ``bone`` by ``full`` along ``axis_local`` (metres
    for location, radians for rotation) brings the key from rest to 1.0."""

    bone: str
    kind: str  # "location" | "rotation"
    axis_local: tuple[float, float, float]
    full: float


def driven_keys(mesh: bpy.types.Object) -> dict[str, bpy.types.FCurve]:
    """Key name → its driver F-curve."""
    key = mesh.data.shape_keys
    ad = key.animation_data if key else None
    out = {}
    if ad:
        for fc in ad.drivers:
            name = datapath.shape_key_name(fc.data_path)
            if name is not None:
                out[name] = fc
    return out


def _expression(driver, var_name: str):
    if driver.type in {"AVERAGE", "SUM", "MIN", "MAX"}:
        return lambda x: x
    if driver.type != "SCRIPTED":
        return None
    if not getattr(driver, "is_simple_expression", False):
        return None
    code = compile(driver.expression, "<driver>", "eval")
    allowed = set(_MATH) | {var_name}
    if not set(code.co_names) <= allowed:
        return None

    def run(x: float) -> float:
        return float(eval(code, {"__builtins__": {}}, {**_MATH, var_name: x}))  # noqa: S307

    return run


def _shaped(fc: bpy.types.FCurve, expr):
    if len(fc.keyframe_points) == 0 and len(fc.modifiers) == 0:
        return expr
    return lambda x: float(fc.evaluate(expr(x)))


def driving_control(fc: bpy.types.FCurve, arm_obj) -> tuple[DrivingControl | None, str]:
    """The control driving this key's F-curve, or (None, reason)."""
    drv = fc.driver
    if len(drv.variables) != 1:
        return None, f"its driver has {len(drv.variables)} variables (MicroFace follows one)"
    var = drv.variables[0]
    if var.type != "TRANSFORMS":
        what = {
            "SINGLE_PROP": "a property",
            "ROTATION_DIFF": "a rotation difference",
            "LOC_DIFF": "a distance",
        }.get(var.type, var.type)
        return None, f"its driver reads {what}, not a bone transform"
    tgt = var.targets[0]
    if arm_obj is None or tgt.id != arm_obj:
        return None, "its driver reads an object outside the character's armature"
    if not tgt.bone_target or tgt.bone_target not in arm_obj.data.bones:
        return None, "its driver reads the armature object, not a bone"
    kind, _, axis = tgt.transform_type.partition("_")
    if kind not in {"LOC", "ROT"} or axis not in _AXES:
        return None, f"its driver reads {tgt.transform_type}, not a location/rotation axis"
    if tgt.transform_space not in _LOCAL_SPACES:
        return None, f"its driver reads the bone in {tgt.transform_space}"
    if kind == "ROT":
        pb = arm_obj.pose.bones[tgt.bone_target]
        if pb.rotation_mode == "AXIS_ANGLE":
            return None, "its driving bone uses axis-angle rotation"
    expr = _expression(drv, var.name)
    if expr is None:
        return None, "its driver expression is not a simple expression of its variable"
    f = _shaped(fc, expr)
    step = 1e-3 if kind == "LOC" else 1e-2
    try:
        k0 = f(0.0)
        slope = (f(step) - k0) / step
        if abs(slope) < 1e-9:
            slope = (k0 - f(-step)) / step
        if abs(slope) < 1e-9 or abs(k0) > LINEARITY_TOLERANCE:
            return None, "its driver does not respond to its bone near rest"
        full = (1.0 - k0) / slope
        if (
            abs(f(full) - 1.0) > LINEARITY_TOLERANCE
            or abs(f(full / 2) - 0.5) > 2 * LINEARITY_TOLERANCE
        ):
            return None, "its driver is not linear in its bone between rest and full"
    except (ArithmeticError, ValueError, TypeError, NameError):
        return None, "its driver expression cannot be evaluated"
    return (
        DrivingControl(
            tgt.bone_target, "location" if kind == "LOC" else "rotation", _AXES[axis], full
        ),
        "",
    )
