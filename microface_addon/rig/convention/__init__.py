"""Rig conventions as data, with no ``bpy``: matching names, scoring, profiles, override maps and
the ``RigMap`` the bake reads.

- ``profiles`` — convention profiles (``profiles/*.json``) and the user/studio profile folders.
- ``names``    — name normalisation and side detection for shape keys and bones.
- ``scoring``  — how well each profile matches a character's keys and bones.
- ``overrides``— a TD's per-character override map.
- ``rigmap``   — ``RigMap``: canonical channel → the targets that drive it (plain data).
- ``vrm``      — VRM humanoid bone assignments stored by importers.
"""
