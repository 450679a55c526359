"""MicroFace — procedural facial micro-motion layered onto existing Blender character rigs.

Why nothing Blender-related is imported at module level: the pure core (``microface_addon.core``)
must import without ``bpy``; Blender only loads ``ui``/``bake``/``rig`` when the extension is
registered or the CLI needs them.
"""

__version__ = "0.1.0"


def register() -> None:
    from . import cli, ui

    ui.register()
    cli.register_command()  # blender -b FILE.blend -c microface …


def unregister() -> None:
    from . import cli, ui

    cli.unregister_command()
    ui.unregister()
