"""Cues from the panel: an "Add cue" menu that drops a correctly named ``mf:`` marker at the
current frame, and the list of the markers MicroFace will read, with what is wrong inline.

Why through the grammar's own functions: the menu offers exactly the words the parser knows
(``core/timeline/grammar.py``: the intents and variants of the shipped presets, the states,
breathing modes and postures), writes the marker with ``format_marker`` and checks it with
``parse_marker`` before it lands — a menu cue can never be a typo, and the list flags hand-named
markers the way a bake would.  The full grammar is ``docs/cues.md`` (generated from the same
vocabulary by ``tools/gen_cues_doc.py``).
"""

from __future__ import annotations

import bpy

from ..core.timeline import grammar
from ..core.timeline.intents import DEFAULT_INTENSITY, RELAX, SUPPRESS
from ..rig.scene.markers import marker_source
from .sidebar import SubPanel

# How the menu names the variants of the shipped presets' intents (the marker word stays).
VARIANT_LABELS = {"duchenne": "felt", "social": "social"}
TIMED = (grammar.BREATH_TRACK, grammar.POSTURE_TRACK)


def _label(word: str) -> str:
    return word.replace("_", " ").capitalize()


def menu_entries() -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(section, [(label, verb, value)]) of the Add cue menu, from the parser's vocabulary."""
    vocab = grammar.default_vocabulary()
    expressions = []
    for kind, variants in vocab.items():
        if kind == SUPPRESS:
            continue  # a held-back expression names another one: offered below
        if variants:
            for v in variants:
                expressions.append((f"{_label(kind)} ({VARIANT_LABELS.get(v, v)})", kind, v))
        else:
            expressions.append((_label(kind), kind, ""))
    held = [(f"Suppressed {k}", SUPPRESS, k) for k in vocab.get(SUPPRESS, ())]
    return [
        ("Expression", [e for e in expressions if e[1] != RELAX] + [("Relax", RELAX, "")]),
        ("Held back", held),
        ("State", [(_label(s), grammar.STATE_TRACK, s) for s in grammar.states()]),
        ("Breath", [(_label(b), grammar.BREATH_TRACK, b) for b in grammar.BREATH_MODES]),
        ("Posture", [(_label(p), grammar.POSTURE_TRACK, p) for p in grammar.postures()]),
    ]


class MICROFACE_OT_add_cue(bpy.types.Operator):
    """Drop a MicroFace cue marker at the current frame"""

    bl_idname = "microface.add_cue"
    bl_label = "Add cue"
    bl_options = {"REGISTER", "UNDO"}

    verb: bpy.props.StringProperty(name="Cue", options={"HIDDEN"})
    value: bpy.props.StringProperty(name="Value", options={"HIDDEN"})
    intensity: bpy.props.FloatProperty(
        name="Intensity",
        description="How strong the expression is (0–1)",
        default=DEFAULT_INTENSITY,
        min=0.0,
        max=1.0,
        subtype="FACTOR",
    )
    duration: bpy.props.FloatProperty(
        name="Duration",
        description="Seconds it lasts (0: the preset's own timing)",
        default=0.0,
        min=0.0,
        max=3600.0,
        unit="TIME_ABSOLUTE",
    )

    def _is_intent(self) -> bool:
        return self.verb not in (grammar.STATE_TRACK, *TIMED)

    def marker_text(self) -> str:
        duration = self.duration if self.duration > 0 else None
        if self._is_intent():
            keys = {"duration": duration} if duration is not None else None
            return grammar.format_marker(self.verb, self.value, intensity=self.intensity, keys=keys)
        return grammar.format_marker(self.verb, self.value, duration_s=duration)

    def invoke(self, context, _event):
        if self.verb in (grammar.STATE_TRACK,) or self.verb == RELAX:
            return self.execute(context)
        return context.window_manager.invoke_props_dialog(self)

    def draw(self, _context) -> None:
        col = self.layout.column()
        if self._is_intent() and self.verb != RELAX:
            col.prop(self, "intensity")
        if self.verb != grammar.STATE_TRACK:
            col.prop(self, "duration")
        col.label(text=self.marker_text())

    def execute(self, context):
        scene = context.scene
        text = self.marker_text()
        try:
            grammar.parse_marker(text, 0.0)  # the grammar reads back what it wrote
        except grammar.MarkerError as exc:
            self.report({"ERROR"}, f"MicroFace: {exc}")
            return {"CANCELLED"}
        marker = scene.timeline_markers.new(text, frame=scene.frame_current)
        for m in scene.timeline_markers:
            m.select = m == marker
        self.report({"INFO"}, f"MicroFace: cue {text!r} at frame {scene.frame_current}")
        return {"FINISHED"}


class MICROFACE_MT_add_cue(bpy.types.Menu):
    bl_idname = "MICROFACE_MT_add_cue"
    bl_label = "Add cue"

    def draw(self, _context) -> None:
        layout = self.layout
        for n, (section, entries) in enumerate(menu_entries()):
            if n:
                layout.separator()
            layout.label(text=section)
            for label, verb, value in entries:
                op = layout.operator("microface.add_cue", text=label)
                op.verb, op.value = verb, value


def cue_problem(name: str, frame: int) -> str:
    """What is wrong with an ``mf:`` marker, as a bake would say it ("" when it parses)."""
    try:
        grammar.parse_marker(name, 0.0, marker_source(name, frame))
    except grammar.MarkerError as exc:
        return str(exc).partition(": ")[2]  # after "marker '…' at frame N"
    return ""


class MICROFACE_UL_cues(bpy.types.UIList):
    """The scene's ``mf:`` markers by frame, each with what is wrong with it."""

    def filter_items(self, _context, data, propname):
        markers = getattr(data, propname)
        flags = [self.bitflag_filter_item if grammar.is_marker(m.name) else 0 for m in markers]
        order = sorted(range(len(markers)), key=lambda i: (markers[i].frame, markers[i].name))
        new_order = [0] * len(markers)
        for rank, i in enumerate(order):
            new_order[i] = rank
        return flags, new_order

    def draw_item(self, _context, layout, _data, item, _icon, _active_data, _active_prop, _index):
        problem = cue_problem(item.name, item.frame)
        row = layout.row(align=True)
        row.label(text=str(item.frame))
        row.prop(item, "name", text="", emboss=False, icon="ERROR" if problem else "MARKER_HLT")
        if problem:
            layout.label(text=problem)


def draw_cues(layout, context) -> None:
    scene = context.scene
    row = layout.row(align=True)
    row.menu("MICROFACE_MT_add_cue", icon="ADD")
    row.label(text=f"at frame {scene.frame_current}")
    layout.template_list(
        "MICROFACE_UL_cues", "", scene, "timeline_markers", scene.microface, "cue_index", rows=4
    )
    cues = [m for m in scene.timeline_markers if grammar.is_marker(m.name)]
    bad = sum(1 for m in cues if cue_problem(m.name, m.frame))
    if bad:
        layout.label(text=f"{bad} of {len(cues)} cues will stop the bake", icon="ERROR")
    layout.prop(scene.microface, "intents_file")


class MICROFACE_PT_cues(SubPanel, bpy.types.Panel):
    bl_idname = "MICROFACE_PT_cues"
    bl_label = "Cues"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context) -> None:
        draw_cues(self.layout, context)


CLASSES = (MICROFACE_OT_add_cue, MICROFACE_MT_add_cue, MICROFACE_UL_cues)
PANELS = (MICROFACE_PT_cues,)
