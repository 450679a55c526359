"""Command line: ``python -m microface_addon …`` and ``blender -b FILE -c microface …``.

- ``dispatch``    — the parser, the subcommand registry, exit codes, ``-c microface`` registration.
- ``bake``, ``inspect``, ``sample``, ``validate``, ``presets`` — one module per subcommand.
- ``common``      — exit codes, one-line errors, argument types, atomic file writing.
- ``blendfile``   — opening/saving ``.blend`` files and picking the objects to work on.
- ``controls``    — the preset control flags shared by ``bake`` and ``validate``.
- ``rig_options`` — ``--profile``/``--overrides``, checked before any file is opened.
"""

from .dispatch import execute, main, register_command, unregister_command

__all__ = ["execute", "main", "register_command", "unregister_command"]
