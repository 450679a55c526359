"""Command line: ``python -m microface_addon …`` and ``blender -b FILE -c microface …``.

- ``dispatch``    — the parser, the subcommand registry, exit codes, ``-c microface`` registration.
- ``bake``, ``inspect``, ``sample``, ``validate``, ``presets`` — one module per subcommand.
- ``shots``       — ``bake``'s front door: ``--shots SHOTS.json`` on worker processes, else ``bake``.
- ``shotlist``    — reading and checking a shot list (``microface-shots.schema.json``), stamps.
- ``workers``     — long-lived worker processes, per-job timeouts, crash isolation.
- ``progress``    — progress on stderr through ``logging`` (a live line on a terminal).
- ``farm``        — ``farm-bundle``: an Open Job Description job bundle for a shot list.
- ``common``      — exit codes, one-line errors, argument types, atomic file writing.
- ``blendfile``   — opening/saving ``.blend`` files and picking the objects to work on.
- ``controls``    — the preset control flags shared by ``bake`` and ``validate``.
- ``rig_options`` — ``--profile``/``--overrides``, checked before any file is opened.
"""

from .dispatch import execute, main, register_command, unregister_command

__all__ = ["execute", "main", "register_command", "unregister_command"]
