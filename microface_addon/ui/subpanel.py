"""The one thing every MicroFace sub-panel shares: where it sits.

Why a module of its own: the panels live in the modules of what they show (presets, dialogue),
which the main panel's module must not import back.
"""

from __future__ import annotations


class SubPanel:
    """What every MicroFace sub-panel shares: in the N-panel's MicroFace tab, under the main
    panel, closed until opened (mix in before ``bpy.types.Panel``)."""

    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "MicroFace"
    bl_parent_id = "MICROFACE_PT_main"
    bl_options = {"DEFAULT_CLOSED"}
