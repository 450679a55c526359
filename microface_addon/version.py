"""MicroFace's version (also in ``blender_manifest.toml`` and ``pyproject.toml``; a test checks they
agree).  A module of its own so the command line can name it without importing the add-on's
``__init__``, which imports the command line when the add-on registers."""

__version__ = "0.1.0"
