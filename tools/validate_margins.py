"""How far inside its band each library preset's statistics sit, over several seeds.

Why: a preset is centred when the expected value of each statistic sits well inside its band —
at least two standard errors of a ten-minute run from each edge — so ``validate`` passes at any
seed, not only at the one the preset was tuned on.  This runs ``validate`` at several seeds and
prints, per preset and statistic, the mean over seeds, the spread between seeds, the standard
error of one run (from its 95 % interval), the distance to the nearest band edge in those
standard errors, and the verdicts seen.

    python tools/validate_margins.py --seeds 0-5 --minutes 10 [--preset joyful ...] [--json out]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from microface_addon.core.measure.validate import STATISTICS, validate_settings  # noqa: E402
from microface_addon.core.preset.library import list_presets  # noqa: E402
from microface_addon.core.preset.settings import load_preset  # noqa: E402

Z95 = 1.959964


def seeds_of(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(x) for x in text.split(",")]


def margins(names: list[str], seeds: list[int], minutes: float) -> dict:
    """``{(preset, statistic, context): {...}}`` over the seeds."""
    rows: dict = defaultdict(lambda: {"values": [], "se": [], "status": [], "band": None})
    for name in names:
        settings = load_preset(name, extra_dirs=[])
        for seed in seeds:
            report, _ = validate_settings(settings, minutes, seed)
            for r in report.rows:
                if r.band is None:
                    continue
                entry = rows[(name, r.statistic, r.context)]
                entry["band"] = (r.band.lo, r.band.hi)
                entry["values"].append(r.measured)
                entry["status"].append(r.status)
                if math.isfinite(r.ci[0]) and r.minutes <= minutes + 1e-9:
                    entry["se"].append((r.ci[1] - r.ci[0]) / (2 * Z95))
    out = {}
    for key, e in rows.items():
        vals = [v for v in e["values"] if math.isfinite(v)]
        if not vals:
            continue
        mean = sum(vals) / len(vals)
        spread = (sum((v - mean) ** 2 for v in vals) / max(len(vals) - 1, 1)) ** 0.5
        se = sum(e["se"]) / len(e["se"]) if e["se"] else spread
        lo, hi = e["band"]
        stat = STATISTICS[key[1]]
        # Edges at the statistic's natural bounds (a share of 1) are not edges to stay off.
        gaps = [
            g
            for g, edge in ((mean - lo, lo), (hi - mean, hi))
            if math.isfinite(g) and not stat.natural(edge)
        ]
        margin = min(gaps) / se if se > 0 and gaps else math.inf
        out[key] = {
            "mean": mean,
            "sd_between_seeds": spread,
            "se_10min": se,
            "band": [lo, hi],
            "margin_se": margin,
            "statuses": {s: e["status"].count(s) for s in sorted(set(e["status"]))},
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0-3")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--preset", action="append", default=[])
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args(argv)
    names = args.preset or [p.name for p in list_presets([]) if p.name != "stylized_cartoon"]
    found = margins(names, seeds_of(args.seeds), args.minutes)
    print(
        f"{'preset':<24}{'statistic':<30}{'ctx':<14}{'mean':>9}{'sd':>8}{'SE':>8}{'margin':>8}  verdicts"
    )
    for (name, stat, ctx), m in sorted(found.items()):
        flag = "  <-- under 2 SE" if m["margin_se"] < 2 else ""
        print(
            f"{name:<24}{stat:<30}{ctx or '·':<14}{m['mean']:>9.3g}{m['sd_between_seeds']:>8.2g}"
            f"{m['se_10min']:>8.2g}{m['margin_se']:>8.1f}  {m['statuses']}{flag}"
        )
    if args.json:
        doc = {f"{n}|{s}|{c}": v for (n, s, c), v in found.items()}
        Path(args.json).write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
