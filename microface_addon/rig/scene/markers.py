"""Scene timeline markers named ``mf:…`` → a ``Timeline`` in seconds from the bake's first frame.

Why markers: animators already place markers on the timeline to note beats ("she smiles here");
naming one ``mf:smile 0.6 duchenne`` is the cheapest way to cue MicroFace.  The grammar and its
errors live in the pure core (``core/timeline/grammar.py``); this module only reads Blender's markers
and converts frames to seconds with the scene's frame rate.
"""

from __future__ import annotations

import bpy

from ...core.timeline.grammar import Vocabulary, timeline_from_markers
from ...core.timeline.track import Timeline


def marker_source(name: str, frame: int) -> str:
    """How a marker is named in messages: by its name and frame, so it can be found and fixed."""
    return f"marker {name!r} at frame {frame}"


def scene_marker_timeline(
    scene: bpy.types.Scene, start_frame: int, fps: float, vocab: Vocabulary | None = None
) -> Timeline:
    """Intents and state changes from the scene's ``mf:`` markers.

    A marker at ``start_frame`` is at 0 s; markers before it get negative times (an expression
    already under way when the bake starts).  Raises ``MarkerError`` naming every malformed
    marker by name and frame; markers not starting with ``mf:`` are the user's own and ignored.
    """
    markers = sorted(scene.timeline_markers, key=lambda m: (m.frame, m.name))
    return timeline_from_markers(
        ((m.name, (m.frame - start_frame) / fps, marker_source(m.name, m.frame)) for m in markers),
        vocab,
    )
