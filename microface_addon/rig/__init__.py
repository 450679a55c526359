"""Rig: turn a Blender character into a ``RigMap`` (canonical channel → shape keys and bones).

- ``convention/`` — pure data and logic (no ``bpy``): profiles, name matching, scoring, override
  maps, the ``RigMap`` itself.
- ``scene/`` — what reads a Blender scene: characters, skeleton, drivers, calibration, look-at,
  markers, and ``detect`` which puts them together.
"""
