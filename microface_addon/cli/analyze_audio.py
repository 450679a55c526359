"""``analyze-audio``: what MicroFace hears in a voice recording — utterances, pauses, phrase
breaks and accents — as a table, or (``--json``) as intents-file entries.

Why a command of its own: the analysis decides when a character inhales, blinks and raises its
brows, so a user should be able to see it, and to correct it: ``--json > line.json`` writes
exactly the speech entries a bake would use, which can be edited and passed back with
``bake --intents line.json --no-audio``.  Any format Blender reads inside Blender; WAV elsewhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .common import EXIT_OK, UsageError, add_common_arguments, use_user_presets


def add_analyze_audio_arguments(parser: argparse.ArgumentParser, file_is_open: bool) -> None:
    parser.add_argument("audio", metavar="FILE", help="voice recording (WAV outside Blender)")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print intents-file entries (save them and pass them to bake --intents)",
    )
    parser.add_argument(
        "--speaker",
        default="",
        metavar="NAME",
        help="whose voice it is in the entries (default: the character baked with them)",
    )
    parser.add_argument(
        "--start",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="where the recording starts on the bake's clock, seconds (default: 0)",
    )
    parser.add_argument(
        "--preset",
        default=None,
        metavar="NAME_OR_PATH",
        help="preset whose dialogue.analysis thresholds to use (default: neutral_idle)",
    )
    add_common_arguments(parser)


def _decode(path: Path):
    """Samples and rate: Blender's Audaspace when this Python has Blender, else WAV."""
    try:
        from ..rig.scene.sound import decode
    except ImportError:  # pragma: no cover - only without the package's bpy-side modules
        from ..core.audio.wav import read_wav as decode
    return decode(path)


def _table(analysis, start_s: float) -> str:
    rows = [f"{'':2}{'start s':>9} {'end s':>9} {'length':>7}  accents (s, strength)"]
    accents = list(analysis.accents)
    breaks = list(analysis.activity.phrase_breaks)
    for s, e in analysis.utterances:
        mine = [a for a in accents if s <= a.at_s <= e]
        acc = ", ".join(f"{a.at_s + start_s:.2f} ({a.strength:.2f})" for a in mine) or "-"
        rows.append(f"{'':2}{s + start_s:9.3f} {e + start_s:9.3f} {e - s:7.2f}  {acc}")
        for b0, b1 in breaks:
            if s <= b0 and b1 <= e:
                rows.append(f"{'':4}phrase break {b0 + start_s:.3f}–{b1 + start_s:.3f} s")
    return "\n".join(rows)


def run_analyze_audio(args: argparse.Namespace) -> int:
    from ..core.audio.analysis import AnalysisParams, analyze
    from ..core.preset.library import DEFAULT_PRESET
    from ..core.preset.settings import load_preset
    from ..core.timeline.grammar import speech_entries

    path = Path(args.audio).expanduser()
    if not path.is_file():
        raise UsageError(f"audio file not found: {args.audio}")
    use_user_presets()
    settings = load_preset(args.preset or DEFAULT_PRESET)
    params = AnalysisParams.of(settings.section("dialogue")["analysis"])
    samples, rate = _decode(path)
    result = analyze(samples, rate, params)
    speech = result.speech(args.speaker, f"analyze-audio {path.name}")
    if args.start:
        speech = speech.shifted(args.start)
    if args.json:
        json.dump(speech_entries(speech), sys.stdout, indent=2)
        print()
        return EXIT_OK
    summary = result.summary()
    print(
        f"{path.name}: {summary['duration_s']:.2f} s, {summary['utterances']} utterances "
        f"({summary['speaking_s']:.2f} s of voice), {summary['pauses']} pauses, "
        f"{summary['phrase_breaks']} phrase breaks, {summary['accents']} accents; "
        f"median F0 {summary['median_f0_hz']} Hz; noise floor {summary['noise_floor_db']} dB, "
        f"speech {summary['speech_level_db']} dB"
    )
    print(_table(result, args.start))
    return EXIT_OK
