"""Bake: the only place that writes animation data (NLA layer ``MicroFace``, bulk F-curves).

Why one package: non-destructiveness, atomicity and speed are properties of how keys are written,
so they are owned in one place and every caller (panel, CLI, tests) gets them for free.
"""

from .layer import LAYER_NAME, muted
from .transaction import BakeResult, Transaction, has_layer, remove, transaction

__all__ = ["LAYER_NAME", "BakeResult", "Transaction", "has_layer", "muted", "remove", "transaction"]
