"""Seeded random streams, one per (seed, character, layer).

Why: two characters in one scene must never blink in sync, yet re-baking one character alone
must reproduce its curves bit for bit, and adding a new layer must not shift another layer's
random numbers.  So each stream is keyed by a stable hash (not Python's salted ``hash``) of the
character name and the layer name, together with the user's seed.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _words(text: str) -> list[int]:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


def stream(seed: int, character_id: str, layer: str) -> np.random.Generator:
    """An independent, reproducible generator for one layer of one character."""
    s = int(seed) & 0xFFFFFFFFFFFFFFFF
    entropy = [s & 0xFFFFFFFF, s >> 32, *_words(character_id), *_words(layer)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))
