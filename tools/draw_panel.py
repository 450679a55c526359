"""Draw the MicroFace panel as a user sees it, from the real panel's own layout calls.

Why: Blender cannot screenshot its UI headless, and a hand-drawn mock-up drifts from the panel.
So the panel's ``draw`` functions are called with a recording stand-in for ``UILayout`` (every
``prop``, ``label``, ``operator``, ``row``, ``box`` … is recorded with the real property it shows,
read through RNA for its name and current value), and the recording is drawn with matplotlib in
Blender's dark theme.  ``record(panel_class, context)`` is what ``tests/test_guide_pictures.py``
checks; ``draw_panels(path, context)`` writes the picture for docs/guide.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import bpy

# ---------------------------------------------------------------------------------------------
# Recording


@dataclass
class Item:
    kind: str  # prop, label, operator, menu, list, separator
    text: str = ""
    value: str = ""
    icon: str = ""
    widget: str = ""  # check, toggle, slider, field, enum, button, search
    active: bool = True
    split: bool = False  # drawn with use_property_split (label left, widget right)
    prop: str = ""  # the property's identifier (for tests)
    rows: list = field(default_factory=list)  # list/menu contents


class Recorder:
    """Enough of ``bpy.types.UILayout`` for MicroFace's panels: containers nest, leaves record."""

    def __init__(self, kind: str = "column", parent: Recorder | None = None) -> None:
        self.kind = kind
        self.children: list[Any] = []
        self.use_property_split = parent.use_property_split if parent else False
        self.use_property_decorate = True
        self.active = parent.active if parent else True
        self.enabled = parent.enabled if parent else True
        self.scale_y = 1.0
        self.alignment = "EXPAND"

    # containers
    def _child(self, kind: str) -> Recorder:
        child = Recorder(kind, self)
        self.children.append(child)
        return child

    def row(self, align: bool = False, heading: str = "") -> Recorder:
        return self._child("row")

    def column(self, align: bool = False, heading: str = "") -> Recorder:
        return self._child("column")

    def box(self) -> Recorder:
        return self._child("box")

    def grid_flow(self, columns: int = 0, **_kw) -> Recorder:
        child = self._child("grid")
        child.columns = columns or 2
        return child

    def split(self, factor: float = 0.0, align: bool = False) -> Recorder:
        return self._child("row")

    # leaves
    def _add(self, item: Item) -> None:
        item.active = bool(self.active and self.enabled and item.active)
        item.split = self.use_property_split
        self.children.append(item)

    def separator(self, factor: float = 1.0) -> None:
        self.children.append(Item("separator"))

    def label(self, text: str = "", icon: str = "NONE", **_kw) -> None:
        self._add(Item("label", text=text, icon=icon if icon != "NONE" else ""))

    def prop(
        self, owner, name: str, text: str | None = None, icon: str = "NONE", index: int = -1, **kw
    ) -> None:
        rna = owner.bl_rna.properties[name]
        value = getattr(owner, name)
        if index >= 0:
            value = value[index]
        label = rna.name if text is None else text
        widget = "field"
        if rna.type == "BOOLEAN":
            widget = (
                "toggle" if (icon != "NONE" or kw.get("toggle")) and not text == "" else "check"
            )
            if text == "" and icon != "NONE":
                widget = "icon"
            shown = "on" if value else "off"
        elif rna.type == "ENUM":
            widget = "enum"
            items = {e.identifier: e.name for e in rna.enum_items}
            if not items:  # dynamic items
                items = {it[0]: it[1] for it in rna.enum_items_static} or {}
            shown = items.get(value, str(value).replace("_", " ").title())
        elif rna.type == "FLOAT":
            widget = (
                "slider" if kw.get("slider") or rna.subtype in ("FACTOR", "PERCENTAGE") else "field"
            )
            unit = {"PERCENTAGE": " %", "ANGLE": "°", "DISTANCE": " m"}.get(rna.subtype, "")
            v = float(value)
            if rna.subtype == "ANGLE":
                import math

                v = math.degrees(v)
            shown = f"{v:.{min(rna.precision, 3)}f}{unit}"
        elif rna.type == "INT":
            shown = str(value)
        elif rna.type == "POINTER":
            widget = "search"
            shown = value.name if value is not None else ""
        else:
            shown = str(value)
            widget = "file" if rna.subtype == "FILE_PATH" else "field"
        self._add(
            Item(
                "prop",
                text=label,
                value=shown,
                icon=icon if icon != "NONE" else "",
                widget=widget,
                prop=name,
            )
        )

    def prop_search(
        self,
        owner,
        name: str,
        _search_owner,
        _search_prop,
        icon: str = "NONE",
        text: str | None = None,
    ) -> None:
        rna = owner.bl_rna.properties[name]
        self._add(
            Item(
                "prop",
                text=rna.name if text is None else text,
                value=str(getattr(owner, name)),
                icon=icon,
                widget="search",
                prop=name,
            )
        )

    def operator(self, idname: str, text: str | None = None, icon: str = "NONE", **_kw):
        module, _, op = idname.partition(".")
        rna = getattr(getattr(bpy.ops, module), op).get_rna_type()
        self._add(
            Item(
                "operator",
                text=rna.name if text is None else text,
                icon=icon if icon != "NONE" else "",
                widget="button",
                prop=idname,
            )
        )
        return SimpleNamespace()

    def menu(self, menu_id: str, text: str | None = None, icon: str = "NONE") -> None:
        cls = getattr(bpy.types, menu_id)
        inner = Recorder()
        cls.draw(SimpleNamespace(layout=inner), bpy.context)
        self._add(
            Item(
                "menu",
                text=cls.bl_label if text is None else text,
                icon=icon if icon != "NONE" else "",
                widget="menu",
                prop=menu_id,
                rows=inner.children,
            )
        )

    def template_list(
        self, list_id: str, _list_name: str, data, propname: str, *_a, rows=5, **_kw
    ) -> None:
        cls = getattr(bpy.types, list_id)
        ui_list = SimpleNamespace(bitflag_filter_item=1 << 30)  # what the list's methods read
        collection = getattr(data, propname)
        flags, order = cls.filter_items(ui_list, bpy.context, data, propname)
        shown = sorted((order[i], i) for i in range(len(collection)) if flags[i])
        drawn = []
        for _rank, i in shown:
            line = Recorder("row")
            cls.draw_item(ui_list, bpy.context, line, data, collection[i], 0, None, "", i)
            drawn.append(line)
        self._add(Item("list", text=list_id, widget="list", prop=list_id, rows=drawn))


def record(panel_class, context=None) -> Recorder:
    """The layout a panel's ``draw`` builds in ``context`` (default: ``bpy.context``)."""
    layout = Recorder()
    panel_class.draw(SimpleNamespace(layout=layout), context or bpy.context)
    return layout


def items(layout: Recorder) -> list[Item]:
    """Every leaf of a recorded layout, in drawing order."""
    out = []
    for child in layout.children:
        if isinstance(child, Recorder):
            out += items(child)
        else:
            out.append(child)
            for row in child.rows:
                out += items(row) if isinstance(row, Recorder) else [row]
    return out


# ---------------------------------------------------------------------------------------------
# Drawing (Blender's default dark theme, approximately)

BG, PANEL, HEADER = "#303030", "#3d3d3d", "#2b2b2b"
WIDGET, WIDGET_ON, TEXT, DIM, BLUE = "#545454", "#4772b3", "#e6e6e6", "#8c8c8c", "#4772b3"
ROW_H, WIDTH = 0.30, 4.2


class _Canvas:
    def __init__(self, ax) -> None:
        self.ax = ax
        self.y = 0.0

    def text(self, x, y, s, color=TEXT, size=7.5, ha="left", weight="normal") -> None:
        self.ax.text(x, y, s, color=color, fontsize=size, ha=ha, va="center", weight=weight)

    def rect(self, x, y, w, h, color, radius=0.04) -> None:
        from matplotlib.patches import FancyBboxPatch

        self.ax.add_patch(
            FancyBboxPatch(
                (x, y - h / 2),
                w,
                h,
                boxstyle=f"round,pad=0,rounding_size={radius}",
                fc=color,
                ec="none",
            )
        )

    def item(self, it: Item, x: float, w: float, y: float) -> None:
        fg = TEXT if it.active else DIM
        if it.kind == "separator":
            return
        if it.kind == "label":
            icon = "⚠ " if it.icon == "ERROR" else ("ⓘ " if it.icon == "INFO" else "")
            self.text(x + 0.05, y, icon + it.text, color=fg, size=7)
            return
        if it.kind in ("operator", "menu"):
            self.rect(x + 0.02, y, w - 0.04, ROW_H * 0.8, WIDGET)
            arrow = " ▾" if it.kind == "menu" else ""
            text = it.text or {"X": "✕"}.get(it.icon, "")
            self.text(x + w / 2, y, text + arrow, color=fg, ha="center")
            return
        if it.kind == "list":
            rows = it.rows or []
            h = max(len(rows), 3) * ROW_H
            self.rect(x + 0.02, y - h / 2 + ROW_H / 2, w - 0.04, h, HEADER)
            for n, row in enumerate(rows):
                leaves = items(row)
                line = "   ".join((lf.value or lf.text) for lf in leaves if lf.kind != "separator")
                line = line if len(line) <= 58 else line[:57] + "…"
                warn = any(lf.icon == "ERROR" for lf in leaves)
                self.text(
                    x + 0.1,
                    y - n * ROW_H,
                    ("⚠ " if warn else "◆ ") + line,
                    color="#e0a050" if warn else fg,
                    size=6.8,
                )
            return
        # properties
        label_w = 0.42 * w if it.split and it.widget not in ("check", "icon") else 0.0
        if label_w:
            self.text(x + label_w - 0.08, y, it.text, color=fg, ha="right", size=7)
        wx, ww = x + label_w, w - label_w
        if it.widget in ("check", "icon"):
            box_on = it.value == "on" if it.widget == "check" else it.icon == "CHECKBOX_HLT"
            self.rect(wx + 0.06, y, 0.16, 0.16, WIDGET_ON if box_on else WIDGET, radius=0.02)
            if box_on:
                self.text(wx + 0.14, y, "✓", ha="center", size=6.5)
            if it.widget == "check":
                self.text(wx + 0.3, y, it.text, color=fg, size=7)
            return
        if it.widget == "toggle":
            self.rect(
                wx + 0.02, y, ww - 0.04, ROW_H * 0.8, WIDGET_ON if it.value == "on" else WIDGET
            )
            self.text(wx + ww / 2, y, it.text, color=fg, ha="center")
            return
        self.rect(wx + 0.02, y, ww - 0.04, ROW_H * 0.8, WIDGET)
        if it.widget == "slider":
            try:
                frac = float(it.value.split()[0].rstrip("%°"))
                frac = frac / 100 if it.value.endswith("%") else frac
            except ValueError:
                frac = 0.0
            if 0 <= frac <= 1:
                self.rect(wx + 0.02, y, (ww - 0.04) * frac, ROW_H * 0.8, BLUE)
        shown = it.value
        if not label_w and it.widget in ("slider", "field"):
            self.text(wx + 0.08, y, it.text, color=fg, size=7)
            self.text(wx + ww - 0.08, y, shown, color=fg, ha="right", size=7)
        elif not label_w and not shown:
            self.text(wx + 0.08, y, it.text, color=DIM, size=7)  # an empty field shows its name
        else:
            self.text(wx + 0.08, y, shown, color=fg, size=7)
            if it.widget == "enum":
                self.text(wx + ww - 0.1, y, "▾", color=fg, ha="right", size=7)

    def layout(self, rec: Recorder, x: float, w: float) -> None:
        if rec.kind in ("row", "grid") and rec.children:
            cols = rec.children if rec.kind == "row" else rec.children
            per_line = len(cols) if rec.kind == "row" else getattr(rec, "columns", 2)
            lines = [cols[i : i + per_line] for i in range(0, len(cols), per_line)]
            for line in lines:
                cw = w / max(len(line), 1)
                narrow = [c for c in line if isinstance(c, Item) and c.widget == "icon"]
                widths = [
                    0.35 if (isinstance(c, Item) and c.widget == "icon") else None for c in line
                ]
                rest = (w - 0.35 * len(narrow)) / max(len(line) - len(narrow), 1)
                widths = [wd if wd is not None else rest for wd in widths]
                cx, top = x, self.y
                bottom = top
                for child, cw in zip(line, widths, strict=True):
                    self.y = top
                    if isinstance(child, Recorder):
                        self.layout(child, cx, cw)
                    else:
                        self.item(child, cx, cw, self.y)
                        self.y -= ROW_H
                    bottom = min(bottom, self.y)
                    cx += cw
                self.y = bottom
            return
        if rec.kind == "box":
            start = self.y
            inner = _Canvas(self.ax)
            inner.y = self.y - 0.06
            # draw contents first on a scratch pass to know the height
            self.y -= 0.06
            mark = len(self.ax.patches), len(self.ax.texts)
            self._column(rec, x + 0.08, w - 0.16)
            h = start - self.y + 0.04
            self.rect(x + 0.02, start - h / 2 + 0.02, w - 0.04, h, HEADER)
            patch = self.ax.patches[-1]
            patch.set_zorder(0)
            del mark
            self.y -= 0.06
            return
        self._column(rec, x, w)

    def _column(self, rec: Recorder, x: float, w: float) -> None:
        for child in rec.children:
            if isinstance(child, Recorder):
                self.layout(child, x, w)
            elif child.kind == "separator":
                self.y -= ROW_H * 0.3
            elif child.kind == "list":
                self.item(child, x, w, self.y)
                self.y -= max(len(child.rows), 3) * ROW_H
            else:
                self.item(child, x, w, self.y)
                self.y -= ROW_H


def draw_panels(path, panels: list[tuple[str, Recorder]], menu: Recorder | None = None) -> None:
    """Draw recorded panels (title, layout) one under the other, as the N-panel shows them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    total = sum(len(items(rec)) for _t, rec in panels) * ROW_H + len(panels) * 0.6 + 0.5
    menu_w = 1.9 if menu is not None else 0.0
    fig = plt.figure(figsize=(WIDTH + 0.4 + menu_w, total), dpi=150)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, WIDTH + 0.4 + menu_w)
    ax.set_ylim(-total, 0.2)
    ax.axis("off")
    fig.patch.set_facecolor(BG)
    canvas = _Canvas(ax)
    canvas.y = -0.2
    for title, rec in panels:
        canvas.rect(0.2, canvas.y, WIDTH, 0.32, HEADER, radius=0.03)
        canvas.text(0.32, canvas.y, "▾ " + title, weight="bold", size=8)
        canvas.y -= 0.38
        top = canvas.y + 0.16
        mark = len(ax.patches)
        canvas.layout(rec, 0.25, WIDTH - 0.1)
        height = top - canvas.y
        canvas.rect(0.2, top - height / 2, WIDTH, height, PANEL, radius=0.03)
        ax.patches[-1].set_zorder(-1)
        del mark
        canvas.y -= 0.15
    if menu is not None:
        x0 = WIDTH + 0.5
        h = len(items(menu)) * ROW_H * 0.82 + 0.3
        canvas.rect(x0, -0.2 - h / 2, menu_w - 0.2, h, HEADER, radius=0.03)
        canvas.text(x0 + 0.1, -0.35, "Add cue ▾", weight="bold", size=7.5)
        y = -0.6
        for it in items(menu):
            if it.kind == "label":
                canvas.text(x0 + 0.1, y, it.text, color=DIM, size=6.5)
            elif it.kind == "operator":
                canvas.text(x0 + 0.2, y, it.text, size=6.5)
            else:
                y += ROW_H * 0.5
            y -= ROW_H * 0.82
    bottom = min(canvas.y, -h - 0.3 if menu is not None else canvas.y) - 0.1
    ax.set_ylim(bottom, 0.2)
    fig.set_size_inches(WIDTH + 0.4 + menu_w, 0.2 - bottom)
    fig.savefig(path, facecolor=BG)
    plt.close(fig)
