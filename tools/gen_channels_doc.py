"""Regenerate the channel table in docs/channels.md from core/channels.py, the solver's layer
registry (which layers write each channel) and the ARKit profile.

Why generated: the registries and the profile are the truth; a hand-kept table drifts.  Text
outside the GENERATED markers is hand-written and kept.  ``--check`` exits 1 when the file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from microface_addon.core.channels import CHANNELS  # noqa: E402
from microface_addon.core.solver import registry  # noqa: E402
from microface_addon.rig.convention.profiles import shipped_profiles  # noqa: E402

DOC = ROOT / "docs" / "channels.md"
BEGIN, END = "<!-- BEGIN GENERATED: tools/gen_channels_doc.py -->", "<!-- END GENERATED -->"


def table() -> str:
    arkit = next(p for p in shipped_profiles() if p.name == "arkit52")
    units = {"activation": "0–1", "angle": "degrees", "state": "internal state"}
    rows = [
        "| channel | kind / units | range | FACS | ARKit-52 keys (× gain) | written by | what it is |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in CHANNELS.values():
        targets = arkit.shape_keys.get(c.name, ())
        # each target is a group of alternatives: the first one present on the rig is used
        ark = (
            ", ".join(" or ".join(f"`{t.key}` ×{t.gain:.3g}" for t in group) for group in targets)
            or "—"
        )
        writers = ", ".join(f"`{la.name}`" for la in registry.layers() if c.name in la.writes)
        rows.append(
            f"| `{c.name}` | {c.kind}, {units[c.kind]} | {c.lo:g} … {c.hi:g} | {c.facs} | "
            f"{ark} | {writers or '—'} | {c.description} |"
        )
    return "\n".join(rows)


def render(current: str) -> str:
    block = f"{BEGIN}\n{table()}\n{END}"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        return head + block + rest.split(END, 1)[1]
    return current.rstrip() + "\n\n" + block + "\n"


def main(argv: list[str]) -> int:
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    new = render(current)
    if "--check" in argv:
        if new != current:
            print(f"{DOC} is stale: run python tools/gen_channels_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
