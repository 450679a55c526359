"""Where MicroFace's panels live: the 3D viewport's sidebar (N), tab "MicroFace".

Why a module of its own: every panel and sub-panel shares these placement fields, and the
modules defining them import each other's neighbours; a leaf keeps the import graph acyclic.
"""

MAIN_PANEL = "MICROFACE_PT_main"


class SidebarPanel:
    """Mixin: a panel in the sidebar's MicroFace tab."""

    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "MicroFace"


class SubPanel(SidebarPanel):
    """Mixin: a sub-panel of the main MicroFace panel."""

    bl_parent_id = MAIN_PANEL
