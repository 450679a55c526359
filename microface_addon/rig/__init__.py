"""Rig: turn a Blender character into a ``RigMap`` (canonical channel → shape keys and bones).

Two stages, in the order data flows (``tests/test_architecture.py`` holds them to it):

- ``convention/`` — pure data and logic, no ``bpy``: profiles, name matching, scoring, override
  maps, data paths, and the ``RigMap``/``Skeleton`` every later stage reads.
- ``scene/`` — reads a Blender scene (``bpy``): which objects form a character, its skeleton,
  drivers, calibration, the user's profile folder, the look-at target, ``mf:`` markers, and
  ``detect`` which puts them together.

The path through it: ``scene.character.characters_of(objects)`` → each character's members →
``scene.detect.detect(members, profile=…, overrides=…)`` → ``RigMap`` (kept by the caller and
handed to ``scene.look_at.resolve_look_at`` and to the bake; nothing detects twice).
"""
