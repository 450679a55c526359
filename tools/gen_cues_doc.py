"""Generate docs/cues.md — the full grammar of ``mf:`` markers and intents files — from the
vocabulary the parser itself uses.

Why generated: the words a marker may use (intents and their variants, states, breathing modes,
postures, keys and their ranges) live in ``core/timeline/grammar.py``, the shipped defaults and
the preset schema; a hand-written page would drift from them.  Every example on the page is
parsed while the page is built, so none can be wrong.  ``tests/test_cues_doc.py`` fails when
the file is stale: run ``python tools/gen_cues_doc.py`` (``--check`` exits 1 when stale).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from microface_addon.core.preset.library import builtin_preset_dir, load_schema  # noqa: E402
from microface_addon.core.timeline import grammar  # noqa: E402
from microface_addon.core.timeline.intents import (  # noqa: E402
    DEFAULT_INTENSITY,
    OTHER_LAYER_KINDS,
    RELAX,
    SUPPRESS,
)

DOC = ROOT / "docs" / "cues.md"


def _defaults() -> dict:
    return json.loads((builtin_preset_dir() / "defaults.json").read_text(encoding="utf-8"))


def _checked(text: str) -> str:
    """A marker example, parsed here so the page can only show ones that work."""
    grammar.parse_marker(text, 0.0)
    return f"`{text}`"


def _intents_table(defaults: dict) -> list[str]:
    kinds = defaults["cascade"]["intents"]
    vocab = grammar.default_vocabulary()
    rows = [
        "| intent | variants (default first) | attack / hold / release, s | tension | example |",
        "|---|---|---|---|---|",
    ]
    for kind, variants in vocab.items():
        if kind in OTHER_LAYER_KINDS:
            continue
        spec = kinds[kind]
        default = spec.get("default_variant", "")
        ordered = ([default] if default else []) + [v for v in variants if v != default]
        if kind == SUPPRESS:
            shown = "the kind held back: " + ", ".join(f"`{v}`" for v in ordered)
            example = _checked(f"mf:{kind} 0.6 smile")
        elif kind == RELAX:
            shown, example = "—", _checked(f"mf:{kind}")
        else:
            shown = ", ".join(f"`{v}`" for v in ordered) or "—"
            example = _checked(f"mf:{kind} 0.6 {ordered[0]}" if ordered else f"mf:{kind} 0.6")
        timing = f"{spec['attack_s']:g} / {spec['hold_s']:g} / {spec['release_s']:g}"
        side = f", side {spec['side']:+g}" if spec.get("side") else ""
        rows.append(f"| `{kind}` | {shown} | {timing}{side} | {spec['tension']:g} | {example} |")
    for kind in OTHER_LAYER_KINDS:
        rows.append(f"| `{kind}` | — | set by the head layer | — | {_checked(f'mf:{kind}')} |")
    return rows


def _word_table(header: str, words, describe) -> list[str]:
    rows = [f"| {header} | what it sets |", "|---|---|"]
    rows += [f"| `{w}` | {describe(w)} |" for w in words]
    return rows


def _entry_fields() -> list[str]:
    entry = load_schema()["properties"]["timeline"]["items"]["properties"]
    rows = ["| field | range | what it is |", "|---|---|---|"]
    for key, node in entry.items():
        lo, hi = grammar.ENTRY_RANGES.get(key, (None, None))
        span = f"{lo:g} … {hi:g}" if lo is not None else "text"
        rows.append(f"| `{key}` | {span} | {node.get('description', '')} |")
    return rows


def render() -> str:
    d = _defaults()
    prefix = grammar.MARKER_PREFIX
    breath_modes = d["breath"]["modes"]
    postures = d["head"]["postures"]
    keys = sorted([*grammar.INTENT_KEYS, "side"])
    lo, hi = grammar.ENTRY_RANGES["attack_s"]
    side_lo, side_hi = grammar.ENTRY_RANGES["side"]

    def breath(mode: str) -> str:
        if mode == "held":
            return "the breath stops (give its seconds: the tension builds while it is held)"
        m = breath_modes[mode]
        return f"{m['rate_per_min']:g} breaths/min, amplitude {m['amplitude']:g}"

    def state(name: str) -> str:
        rate = d["blink"]["rate_per_min"][name]
        gaze = d["gaze"]["states"].get(name)
        if gaze is None:  # reading has a gaze model of its own: lines of text
            return f"{rate:g} blinks/min; the eyes read lines (saccades along, return sweeps)"
        return (
            f"{rate:g} blinks/min; eyes on the target {gaze['fixation_on_target_s']:g} s, away "
            f"{gaze['fixation_away_s']:g} s, back to it {gaze['return_probability']:.0%} of the time"
        )

    def posture(name: str) -> str:
        p = postures[name]
        return ", ".join(f"{axis} {p[axis]:+g}°" for axis in ("pitch", "yaw", "roll"))

    example_file = [
        {"at_s": 1.0, "intent": "smile", "intensity": 0.6, "variant": "duchenne"},
        {"at_s": 4.0, "intent": "frown", "intensity": 0.4, "hold_s": 2},
        {"at_s": 7.0, "state": "reading"},
        {"at_s": 9.0, "breath": "held", "duration_s": 4},
        {"at_s": 12.0, "posture": "chin_up", "duration_s": 3},
    ]
    grammar.timeline_from_entries(example_file, "example", ())  # the example must load
    lines = [
        "<!-- Generated by tools/gen_cues_doc.py from the parser's vocabulary: do not edit. -->",
        "# Cues: markers and intents files",
        "",
        "A cue tells MicroFace what the character does and when: smile here, start reading, hold",
        "the breath for six seconds.  Cues come from three places, all read by one grammar",
        "(`microface_addon/core/timeline/grammar.py`):",
        "",
        f"- **timeline markers** named `{prefix}…` (the panel's *Cues ▸ Add cue* menu drops them at",
        "  the current frame; the *Cues* list shows each with what is wrong with it);",
        "- an **intents file** (`--intents FILE.json`, or the panel's *Intents* field);",
        "- a preset's **`timeline`** list (the same entries as an intents file).",
        "",
        f"Markers not starting with `{prefix}` are yours and are ignored.  A marker that starts with",
        "it but does not parse stops the bake with a message naming the marker and its frame —",
        "never silently dropped.  Words are case-insensitive.",
        "",
        "## Marker grammar",
        "",
        "```",
        f"{prefix}<intent> [INTENSITY] [VARIANT] [key=value …]   an expression or a nod",
        f"{prefix}{grammar.STATE_TRACK} <STATE>                                what the character does from here on",
        f"{prefix}{grammar.BREATH_TRACK} <MODE> [SECONDS]                      how it breathes (for SECONDS, then back)",
        f"{prefix}{grammar.POSTURE_TRACK} <POSTURE> [SECONDS]                  how it holds its head",
        "```",
        "",
        f"- `INTENSITY`: a number 0–1 (default {DEFAULT_INTENSITY:g}); `VARIANT`: a word from the "
        "table below; the two may come in either order.",
        f"- keys: {', '.join(f'`{k}`' for k in keys)} — `attack`, `hold`, `release` and "
        f"`duration` in seconds ({lo:g} … {hi:g}; `duration` is attack + hold + release, the hold",
        f"  absorbing the difference), `side` from {side_lo:g} (only the character's right) to "
        f"{side_hi:g} (only its left).",
        "",
        "Examples: "
        + ", ".join(
            _checked(m)
            for m in (
                "mf:smile 0.6 duchenne",
                "mf:smile social 0.3",
                "mf:frown 0.4 hold=2",
                "mf:contempt 0.5 side=-1",
                "mf:state reading",
                "mf:breath held 6",
                "mf:posture chin_up 4",
                "mf:nod",
            )
        )
        + ".",
        "",
        "## Intents",
        "",
        "Timing and tension are the shipped defaults (`presets/defaults.json`); a preset may change",
        "them or add kinds of its own (`cascade.intents`).  "
        f"`{RELAX}` lets every expression active at its time go; `{SUPPRESS}` holds one back, with",
        "the micro-expression leaks that come with it.",
        "",
        *_intents_table(d),
        "",
        "## States",
        "",
        *_word_table("state", grammar.states(), state),
        "",
        "## Breathing modes",
        "",
        *_word_table("mode", grammar.BREATH_MODES, breath),
        "",
        "## Postures",
        "",
        *_word_table("posture", grammar.postures(), posture),
        "",
        "## Intents files",
        "",
        'A JSON list of entries (or an object `{"timeline": [...]}`, as in a preset).  Each',
        "entry has `at_s` and exactly one of `intent`, `state`, `breath`, `posture`; times are",
        "seconds from the first baked frame.  Every problem is reported with the file, line and",
        "JSON pointer.",
        "",
        *_entry_fields(),
        "",
        "```json",
        json.dumps(example_file, indent=2),
        "```",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when docs/cues.md is stale")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC} is stale: run python tools/gen_cues_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
