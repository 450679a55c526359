"""Bake: the only place that writes animation data (NLA layer ``MicroFace``, bulk F-curves).

Why one package: non-destructiveness, atomicity and speed are properties of how keys are written,
so they are owned in one place and every caller (panel, CLI, tests) gets them for free.

Takes a ``Performance`` (core) and a ``RigMap`` (rig.convention) and a frame range; returns a
``BakeResult`` and leaves a removable layer.  In the order a bake runs:

- ``transaction`` — ``transaction()`` context / ``Transaction.write(perf, rigmap, start, end,
  fps, keying=Keying())`` → ``BakeResult``: all characters land, or none; ``remove(members)``,
  ``has_layer(members)``.
- ``plan`` — ``plan(samples, rigmap, frames)`` → ``IdPlan`` per ID (shape-key datablocks,
  armatures, objects turned as a whole): every key value, composed over the user's pose,
  before anything is touched (samples per frame, or per solver layer × frame for the strips).
- ``strips`` — ``Keying`` (sparse within a tolerance, or ``every_frame``) and
  ``layer_strips``: one strip per solver layer holding what that layer adds, plus the base
  pose; ``reduce`` — the error-bounded key reduction (pure numpy).
- ``curves`` — pure numpy: ``shape_key_curves``, ``bone_rotvecs``/``object_rotvecs``,
  ``rotation_curves`` (a bone's or an object's own rotation),
  ``bone_offsets``/``bone_location_curves`` → ``PropertyCurve``; ``rotations`` — vectorised
  quaternion/Euler maths.
- ``amount`` — after the bake: ``layer_strips``, ``amount``/``set_amount`` (strip influence),
  ``muted``/``set_muted``, ``bypassed``/``set_bypass``.
- ``overrides`` — linked and library-overridden characters: ``refuse_linked`` (only linked:
  refused with the fix), ``editable_shape_keys`` (an override of a linked mesh so its Key keeps
  the layer), ``undo_override``, ``saved_where``.
- ``layer`` — the layer on one ID: ``prepare``/``attach``/``detach``/``reattach``, the record
  stored on the ID, ``static_values``, ``user_curve``; ``muted(members)`` to evaluate the scene
  without the layer; ``character_ids``.  ``keys`` — ``write_fcurve``/``write_keyed`` (bulk
  ``foreach_set``).

Data paths come from ``rig.convention.datapath``; Blender-version differences from ``compat``.
May import ``core``, ``rig`` and ``compat``; never ``apply``, ``ui`` or ``cli``.
"""

from .layer import LAYER_NAME, RecordError, muted
from .overrides import LinkedDataError, refuse_linked
from .strips import Keying
from .transaction import BakeResult, Transaction, has_layer, remove, transaction

__all__ = [
    "LAYER_NAME",
    "BakeResult",
    "Keying",
    "LinkedDataError",
    "RecordError",
    "Transaction",
    "has_layer",
    "muted",
    "refuse_linked",
    "remove",
    "transaction",
]
