"""How a timeline is written: ``mf:`` markers, intents files and a preset's ``timeline`` list.

Three sources feed a timeline (``track.py``), all through this module so they mean exactly the same thing:

* the preset's ``timeline`` list and a JSON intents file (``--intents FILE``): entries such as
  ``{"at_s": 3.2, "intent": "smile", "intensity": 0.6, "variant": "duchenne"}``,
  ``{"at_s": 12, "state": "reading"}``, ``{"at_s": 20, "breath": "held", "duration_s": 6}``,
  and the speech track ``analyze-audio --json`` writes (``speech.py``):
  ``{"at_s": 0.52, "speech": "utterance", "duration_s": 1.8}``,
  ``{"at_s": 1.1, "speech": "accent", "intensity": 0.7}``,
  ``{"at_s": 1.4, "speech": "phrase", "duration_s": 0.16, "speaker": "Bob"}``;
* scene markers (converted to seconds by the bake), whose names follow this grammar::

      mf:<kind> [INTENSITY] [VARIANT] [key=value …]   an intent, e.g. "mf:smile 0.6 duchenne"
      mf:state <STATE>                                e.g. "mf:state reading"
      mf:breath <MODE> [DURATION_S]                   e.g. "mf:breath held 6"
      mf:posture <POSTURE> [DURATION_S]               e.g. "mf:posture chin_up 4"

  INTENSITY is a number 0–1 (default 0.5) and VARIANT a word; they may come in either order.
  Keys: ``attack``, ``hold``, ``release``, ``duration`` (seconds, ≥ 0) and ``side``
  (-1 = only the character's right … +1 = only the left).  Words are case-insensitive.  Names
  that do not start with ``mf:`` are not ours and are skipped; a name that does but does not
  parse is an error naming the marker — never silently dropped.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from ..jsondoc import PresetError, pointer, positions_of, problem_at, read_json
from ..limits import MAX_SHOT_S, MAX_TIMELINE_ENTRIES, InputError, cap_lines
from ..preset.library import DEFAULTS_NAME, builtin_preset_dir, load_schema
from .intents import DEFAULT_INTENSITY, Intent, vocabulary
from .speech import PhraseBreak, Speech, SpokenAccent, Utterance
from .track import StateChange, Timeline

MARKER_PREFIX = "mf:"
STATE_TRACK = "state"
BREATH_TRACK = "breath"
# Breathing modes the breath layer understands (see docs/layers.md contract).
BREATH_MODES = ("calm", "shallow_quick", "deep", "held", "speech")
POSTURE_TRACK = "posture"
INTENT_KEYS = {
    "attack": "attack_s",
    "hold": "hold_s",
    "release": "release_s",
    "duration": "duration_s",
}

Vocabulary = Mapping[str, Sequence[str]]  # intent kind → its variants


class PresetView(Protocol):
    """What the timeline reads of a loaded preset (``core.preset.settings.Settings``; the
    preset package depends on this module, not the other way round)."""

    @property
    def data(self) -> Mapping[str, Any]: ...

    def section(self, name: str) -> Mapping[str, Any]: ...

    def origin(self, key: str) -> str: ...


class MarkerError(InputError):
    """Marker text that starts with ``mf:`` but does not follow the grammar."""


# --------------------------------------------------------------------------------------------
# Vocabularies


@lru_cache(maxsize=1)
def states() -> tuple[str, ...]:
    """Behavioural states, from the preset schema (one source of truth)."""
    return tuple(load_schema()["properties"]["state"]["enum"])


@lru_cache(maxsize=1)
def postures() -> tuple[str, ...]:
    """Head postures the head layer knows, from the preset schema (one source of truth)."""
    return tuple(load_schema()["properties"]["head"]["properties"]["posture"]["enum"])


@lru_cache(maxsize=1)
def default_vocabulary() -> dict[str, tuple[str, ...]]:
    """Intent kinds and variants of the shipped defaults (used when no preset is at hand)."""
    doc, _ = read_json(builtin_preset_dir() / f"{DEFAULTS_NAME}.json")
    return vocabulary(doc["cascade"]["intents"])


def settings_vocabulary(settings: PresetView) -> dict[str, tuple[str, ...]]:
    return vocabulary(settings.section("cascade")["intents"])


# --------------------------------------------------------------------------------------------
# Marker text


def is_marker(text: str) -> bool:
    return text.strip().lower().startswith(MARKER_PREFIX)


def _number(tok: str, what: str, lo: float, hi: float) -> float:
    try:
        v = float(tok)
    except ValueError:
        raise MarkerError(f"{what} must be a number, got {tok!r}") from None
    if not math.isfinite(v) or not lo <= v <= hi:
        raise MarkerError(f"{what} {tok} is outside {lo:g}…{hi:g}")
    return v


def _parse_intent(kind: str, args: list[str], at_s: float, vocab: Vocabulary, source: str):
    fields: dict[str, Any] = {}
    variants = tuple(vocab[kind])
    for tok in args:
        if "=" in tok:
            key, _, val = tok.partition("=")
            if key == "side":
                name = "side"
                fields_val = _number(val, "side", -1.0, 1.0)
            elif key in INTENT_KEYS:
                name = INTENT_KEYS[key]
                fields_val = _number(val, key, 0.0, 3600.0)
            else:
                allowed = ", ".join(sorted([*INTENT_KEYS, "side"]))
                raise MarkerError(f"unknown key {key!r} (allowed: {allowed})")
            if name in fields:
                raise MarkerError(f"{key} given twice")
            fields[name] = fields_val
        elif tok[:1].isdigit() or tok[:1] in "-+.":
            if "intensity" in fields:
                raise MarkerError(f"two intensities ({fields['intensity']:g} and {tok})")
            fields["intensity"] = _number(tok, "intensity", 0.0, 1.0)
        else:
            if "variant" in fields:
                raise MarkerError(f"two variants ({fields['variant']!r} and {tok!r})")
            if tok not in variants:
                known = ", ".join(variants) if variants else "none"
                raise MarkerError(f"{kind} has no variant {tok!r} (variants: {known})")
            fields["variant"] = tok
    fields.setdefault("intensity", DEFAULT_INTENSITY)
    return Intent(kind=kind, start_s=float(at_s), source=source, **fields)


def parse_marker(
    text: str, at_s: float, source: str = "", vocab: Vocabulary | None = None
) -> Intent | StateChange:
    """Parse one ``mf:…`` marker name placed at ``at_s`` seconds.

    Raises ``MarkerError`` whose message starts with ``source`` (or the text) and says what is
    wrong; the caller adds frame numbers.
    """
    where = source or repr(text)
    try:
        if not is_marker(text):
            raise MarkerError(f"does not start with {MARKER_PREFIX!r}")
        body = text.strip()[len(MARKER_PREFIX) :].strip().lower()
        tokens = body.split()
        if not tokens:
            raise MarkerError("nothing after 'mf:' (expected e.g. 'mf:smile 0.6')")
        verb, args = tokens[0], tokens[1:]
        if verb == STATE_TRACK:
            if len(args) != 1 or args[0] not in states():
                raise MarkerError(f"expected 'mf:state <{'|'.join(states())}>'")
            return StateChange(float(at_s), STATE_TRACK, args[0], source)
        if verb == BREATH_TRACK:
            if not 1 <= len(args) <= 2 or args[0] not in BREATH_MODES:
                raise MarkerError(f"expected 'mf:breath <{'|'.join(BREATH_MODES)}> [seconds]'")
            dur = _number(args[1], "duration", 0.0, 3600.0) if len(args) == 2 else None
            if dur is not None and dur <= 0:
                raise MarkerError("duration must be positive")
            return StateChange(float(at_s), BREATH_TRACK, args[0], source, dur)
        if verb == POSTURE_TRACK:
            if not 1 <= len(args) <= 2 or args[0] not in postures():
                raise MarkerError(f"expected 'mf:posture <{'|'.join(postures())}> [seconds]'")
            dur = _number(args[1], "duration", 0.0, 3600.0) if len(args) == 2 else None
            if dur is not None and dur <= 0:
                raise MarkerError("duration must be positive")
            return StateChange(float(at_s), POSTURE_TRACK, args[0], source, dur)
        vocab = default_vocabulary() if vocab is None else vocab
        if verb not in vocab:
            known = ", ".join([*sorted(vocab), STATE_TRACK, BREATH_TRACK, POSTURE_TRACK])
            raise MarkerError(f"unknown intent {verb!r} (known: {known})")
        return _parse_intent(verb, args, at_s, vocab, source)
    except MarkerError as exc:
        raise MarkerError(f"{where}: {exc}") from None


def format_marker(
    verb: str,
    value: str = "",
    *,
    intensity: float | None = None,
    duration_s: float | None = None,
    keys: Mapping[str, float] | None = None,
) -> str:
    """The marker text for a cue, in the grammar ``parse_marker`` reads (the panel's "Add
    cue" writes markers with it).  ``verb`` is an intent kind or ``state``/``breath``/
    ``posture``; ``value`` the variant or the state word; ``keys`` the intent's ``attack``,
    ``hold``, ``release``, ``duration``, ``side``.  Numbers are written with up to 3 decimals."""
    words = [f"{MARKER_PREFIX}{verb.strip().lower()}"]
    if verb in (STATE_TRACK, BREATH_TRACK, POSTURE_TRACK):
        words.append(value)
        if duration_s is not None and verb != STATE_TRACK:
            words.append(_short(duration_s))
        return " ".join(words)
    if intensity is not None:
        words.append(_short(intensity))
    if value:
        words.append(value)
    for key, v in (keys or {}).items():
        words.append(f"{key}={_short(v)}")
    return " ".join(words)


def _short(v: float) -> str:
    return f"{round(float(v), 3):g}"


def timeline_from_markers(
    markers: Iterable[tuple[str, float, str]], vocab: Vocabulary | None = None
) -> Timeline:
    """A timeline from ``(text, at_s, source)`` triples; non-``mf:`` texts are skipped.

    Every malformed marker is reported in one ``MarkerError`` (one line each, the first
    ``MAX_LISTED_PROBLEMS`` and a count of the rest); more than ``MAX_TIMELINE_ENTRIES`` cues is
    an error too.
    """
    changes, intents, errors = [], [], []
    for text, at_s, source in markers:
        if not is_marker(text):
            continue
        try:
            item = parse_marker(text, at_s, source, vocab)
        except MarkerError as exc:
            errors.append(str(exc))
            continue
        (changes if isinstance(item, StateChange) else intents).append(item)
    if errors:
        raise MarkerError("\n".join(cap_lines(errors)))
    if len(changes) + len(intents) > MAX_TIMELINE_ENTRIES:
        raise MarkerError(
            f"{len(changes) + len(intents):,} mf: markers; MicroFace plays at most "
            f"{MAX_TIMELINE_ENTRIES:,} cues in one bake"
        )
    return Timeline(tuple(changes), tuple(intents))


# --------------------------------------------------------------------------------------------
# JSON entries (preset "timeline", intents files)

_ENTRY_NUMBERS = {
    "at_s": (0.0, MAX_SHOT_S),
    "intensity": (0.0, 1.0),
    "attack_s": (0.0, 3600.0),
    "hold_s": (0.0, 3600.0),
    "release_s": (0.0, 3600.0),
    "duration_s": (0.0, 3600.0),
    "side": (-1.0, 1.0),
}
# The numbers an entry may hold and their ranges (the same for markers' keys).
ENTRY_RANGES = _ENTRY_NUMBERS
_WHAT = ("intent", "state", "breath", "posture", "speech")
_TIMED = ("breath", "posture")  # state changes that may last ``duration_s``
SPEECH_TRACK = "speech"
# Speech entries: what each needs besides ``at_s`` (``speaker`` and ``source`` are optional).
SPEECH_KINDS = {"utterance": ("duration_s",), "phrase": ("duration_s",), "accent": ()}
_SPEECH_OPTIONAL = {"utterance": (), "phrase": (), "accent": ("intensity",)}


def _speech_problems(entry: Mapping) -> list[tuple[list, str]]:
    """What is wrong with a ``speech`` entry beyond the shared number checks."""
    kind = entry["speech"]
    if not isinstance(kind, str) or kind not in SPEECH_KINDS:
        return [(["speech"], f"{kind!r} is not one of {', '.join(SPEECH_KINDS)}")]
    out = [
        ([], f"'{k}' is missing (required for {kind})")
        for k in SPEECH_KINDS[kind]
        if k not in entry
    ]
    if "duration_s" in entry and entry["duration_s"] == 0:
        out.append((["duration_s"], "must be positive"))
    if "speaker" in entry and not isinstance(entry["speaker"], str):
        out.append((["speaker"], f"expected a name, got {entry['speaker']!r}"))
    return out


def _entry_problems(entry: Any, vocab: Vocabulary) -> list[tuple[list, str]]:
    """(relative path, message) of everything wrong with one entry."""
    if not isinstance(entry, Mapping):
        return [([], f"expected an object, got {type(entry).__name__}")]
    out: list[tuple[list, str]] = []
    whats = [w for w in _WHAT if w in entry]
    if len(whats) != 1:
        out.append(([], "needs exactly one of 'intent', 'state', 'breath', 'posture', 'speech'"))
    allowed = {"at_s", *_WHAT, *_ENTRY_NUMBERS, "variant", "source"}
    if whats and whats[0] != "intent" and len(whats) == 1:
        allowed = {"at_s", whats[0], "source"} | ({"duration_s"} if whats[0] in _TIMED else set())
    if whats == [SPEECH_TRACK]:
        kind = entry[SPEECH_TRACK] if isinstance(entry[SPEECH_TRACK], str) else ""
        extra = (*SPEECH_KINDS.get(kind, ()), *_SPEECH_OPTIONAL.get(kind, ()))
        allowed = {"at_s", SPEECH_TRACK, "speaker", "source", *extra}
    for key in entry:
        if key not in allowed:
            out.append(([key], f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})"))
    if "at_s" not in entry:
        out.append(([], "'at_s' is missing (required)"))
    for key, (lo, hi) in _ENTRY_NUMBERS.items():
        if key in entry and key in allowed:
            v = entry[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                out.append(([key], f"expected a number, got {v!r}"))
            elif not lo <= v <= hi:
                out.append(([key], f"{v!r} is outside {lo:g}…{hi:g}"))
    for key in (*_WHAT, "variant", "source"):
        if key in entry and not isinstance(entry[key], str):
            out.append(([key], f"expected a string, got {type(entry[key]).__name__}"))
            whats = []  # its value cannot be looked up
    if whats == ["intent"]:
        kind = entry["intent"]
        if kind not in vocab:
            out.append((["intent"], f"unknown intent {kind!r} (known: {', '.join(sorted(vocab))})"))
        elif "variant" in entry and entry["variant"] not in vocab[kind]:
            known = ", ".join(vocab[kind]) or "none"
            out.append((["variant"], f"{kind} has no variant {entry['variant']!r} ({known})"))
    elif whats == ["state"] and entry["state"] not in states():
        out.append((["state"], f"{entry['state']!r} is not one of {', '.join(states())}"))
    elif whats == ["breath"] and entry["breath"] not in BREATH_MODES:
        out.append((["breath"], f"{entry['breath']!r} is not one of {', '.join(BREATH_MODES)}"))
    elif whats == ["posture"] and entry["posture"] not in postures():
        out.append((["posture"], f"{entry['posture']!r} is not one of {', '.join(postures())}"))
    elif whats == [SPEECH_TRACK]:
        out += _speech_problems(entry)
    return out


def timeline_problems(entries: Any, vocab: Vocabulary) -> list[tuple[list, str]]:
    """(path inside ``entries``, message) for everything wrong with a list of timeline entries."""
    if not isinstance(entries, list):
        return [([], "expected a list of timeline entries")]
    if len(entries) > MAX_TIMELINE_ENTRIES:
        return [
            (
                [],
                f"{len(entries):,} entries; MicroFace plays at most {MAX_TIMELINE_ENTRIES:,} "
                "cues in one bake",
            )
        ]
    return [
        ([i, *p], m) for i, entry in enumerate(entries) for p, m in _entry_problems(entry, vocab)
    ]


def timeline_from_entries(
    entries: Any,
    file: str = "",
    base: Sequence[Any] = ("timeline",),
    vocab: Vocabulary | None = None,
    text: str | None = None,
    positions: Mapping | None = None,
) -> Timeline:
    """A timeline from JSON entries; every problem is reported (file, pointer, line/col).

    ``base`` is the path of the entries list inside its document (for the pointers); the
    line/column come from ``positions`` (or the document's ``text``).
    """
    vocab = default_vocabulary() if vocab is None else vocab
    positions = positions_of(text) if positions is None else positions

    found = timeline_problems(entries, vocab)
    if found:
        raise PresetError(
            [problem_at(file, [*base, *p], m, positions, at_key=True) for p, m in found]
        )
    changes, intents = [], []
    speech: dict[str, list] = {k: [] for k in SPEECH_KINDS}
    where = f"{file}{pointer(base)}"
    for i, entry in enumerate(entries):
        src = entry.get("source") or f"{where}/{i}"
        at = float(entry["at_s"])
        if SPEECH_TRACK in entry:
            speech[entry[SPEECH_TRACK]].append(_speech_item(entry, at, src))
        elif "state" in entry:
            changes.append(StateChange(at, STATE_TRACK, entry["state"], src))
        elif "breath" in entry or "posture" in entry:
            track = BREATH_TRACK if "breath" in entry else POSTURE_TRACK
            dur = entry.get("duration_s")
            changes.append(
                StateChange(at, track, entry[track], src, None if dur is None else float(dur))
            )
        else:
            opt = {k: float(entry[k]) for k in _ENTRY_NUMBERS if k in entry and k != "at_s"}
            opt.setdefault("intensity", DEFAULT_INTENSITY)
            intents.append(
                Intent(
                    kind=entry["intent"],
                    start_s=at,
                    variant=entry.get("variant", ""),
                    source=src,
                    **opt,
                )
            )
    spoken = Speech(tuple(speech["utterance"]), tuple(speech["phrase"]), tuple(speech["accent"]))
    return Timeline(tuple(changes), tuple(intents), speech=spoken)


def _speech_item(entry: Mapping, at: float, src: str):
    """An ``Utterance``, ``PhraseBreak`` or ``SpokenAccent`` from a checked speech entry."""
    speaker = str(entry.get("speaker", ""))
    kind = entry[SPEECH_TRACK]
    if kind == "accent":
        strength = float(entry.get("intensity", DEFAULT_INTENSITY))
        return SpokenAccent(at, strength, speaker, src)
    cls = Utterance if kind == "utterance" else PhraseBreak
    return cls(at, at + float(entry["duration_s"]), speaker, src)


def speech_entries(speech: Speech, source: str = "") -> list[dict[str, Any]]:
    """The speech track as intents-file entries (what ``analyze-audio --json`` prints), in
    time order; ``timeline_from_entries`` reads them back to the same ``Speech``."""

    def base(at: float, kind: str, speaker: str) -> dict[str, Any]:
        out: dict[str, Any] = {"at_s": round(at, 3), SPEECH_TRACK: kind}
        if speaker:
            out["speaker"] = speaker
        if source:
            out["source"] = source
        return out

    rows: list[tuple[float, int, dict[str, Any]]] = []
    for u in speech.utterances:
        e = base(u.start_s, "utterance", u.speaker)
        e["duration_s"] = round(u.end_s - u.start_s, 3)
        rows.append((u.start_s, 0, e))
    for b in speech.phrase_breaks:
        e = base(b.start_s, "phrase", b.speaker)
        e["duration_s"] = round(b.end_s - b.start_s, 3)
        rows.append((b.start_s, 1, e))
    for a in speech.accents:
        e = base(a.at_s, "accent", a.speaker)
        e["intensity"] = round(a.strength, 3)
        rows.append((a.at_s, 2, e))
    return [e for _, _, e in sorted(rows, key=lambda r: (r[0], r[1]))]


class IntentsError(PresetError):
    """An intents file (``--intents``) cannot be used; ``problems`` lists every reason."""


def load_intents_file(path: str | os.PathLike, vocab: Vocabulary | None = None) -> Timeline:
    """Read an intents file: a list of entries, or ``{"timeline": [...]}`` (the preset's form).
    Raises ``IntentsError`` listing every problem with its place (a missing file is named as
    such, not as a file that does not parse)."""
    if not os.path.exists(path):
        raise IntentsError([f"intents file not found: {path}"])
    try:
        return _read_intents(Path(path), vocab)
    except IntentsError:
        raise
    except PresetError as exc:
        raise IntentsError(exc.problems) from None


def _read_intents(p: Path, vocab: Vocabulary | None) -> Timeline:
    doc, text = read_json(p)
    if isinstance(doc, Mapping):
        extra = sorted(set(doc) - {"timeline", "$schema", "format_version", "description"})
        if extra or "timeline" not in doc:
            msg = "expected a list of entries or an object with 'timeline'"
            if extra:
                msg += f"; unknown key {extra[0]!r}"
            raise PresetError([problem_at(str(p), [], msg, positions_of(text))])
        return timeline_from_entries(doc["timeline"], str(p), ("timeline",), vocab, text)
    return timeline_from_entries(doc, str(p), (), vocab, text)


def preset_timeline(settings: PresetView) -> Timeline:
    """The timeline a preset carries in its ``timeline`` list (empty for most presets)."""
    entries = settings.data.get("timeline", [])
    if not entries:
        return Timeline()
    # Checked, with line numbers, when the preset loaded (``core/preset/settings.py``).
    return timeline_from_entries(
        entries, settings.origin("timeline"), ("timeline",), settings_vocabulary(settings)
    )
