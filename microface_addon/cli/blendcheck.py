"""Is a ``.blend`` file whole?  Its block structure read to the end, without Blender.

Why: Blender's writer does not always notice a full disk — it reported success and renamed a
file cut short ("Missing DNA block") over a good previous output — and Blender opens a file
missing only its last bytes without a word.  A ``.blend`` is a header and a chain of blocks, each
announcing its length, ending with an ``ENDB`` block; a complete file ends exactly where that
block does.  Compressed files (zstd, Blender 3.0+) end with a seek table listing every frame's
size; the frames must add up to the file's size, start where the table says, and (when the
``zstandard`` module is there, as it is in Blender's Python) decompress to a whole block chain.
Old gzip files are decompressed and walked the same way.

Pure Python (``struct``, ``gzip``): the command line checks an output before it replaces
anything, and an input before it is opened.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
SEEK_TABLE_FOOTER_MAGIC = 0x8F92EAB1
SKIPPABLE_FRAME_MAGIC = 0x184D2A5E
_CHUNK = 1 << 20


class DamagedBlend(ValueError):
    """The file is not a whole ``.blend``; the message says what is wrong with it."""


@dataclass(frozen=True)
class BlendCheck:
    """What reading a file's structure found."""

    compression: str  # "none", "zstd" or "gzip"
    blocks: int | None  # blocks walked (None: a zstd file checked by its seek table only)
    size: int  # bytes on disk


def check_blend(path: str | Path, trailing_ok: bool = False) -> BlendCheck:
    """Read ``path``'s structure to the end; ``DamagedBlend`` when it is cut short, is not a
    ``.blend`` at all or (unless ``trailing_ok``: Blender ignores them in a file it reads) has
    bytes after its end block."""
    path = Path(path)
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        f.seek(0)
        magic = f.read(4)
        f.seek(0)
        if magic.startswith(b"BLEN"):
            return BlendCheck("none", _walk(f, size, trailing_ok), size)
        if magic == ZSTD_MAGIC:
            return _check_zstd(f, size)
        if magic[:2] == GZIP_MAGIC:
            try:
                with gzip.GzipFile(fileobj=f) as stream:
                    blocks = _walk_stream(stream, trailing_ok)
            except (EOFError, OSError, gzip.BadGzipFile) as exc:
                raise DamagedBlend(f"its gzip stream is damaged ({exc})") from None
            return BlendCheck("gzip", blocks, size)
    raise DamagedBlend("it is not a .blend file (no BLENDER header)")


def _read_exact(f: BinaryIO, n: int, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise DamagedBlend(f"it ends inside {what} (cut short)")
    return data


def _skip(f: BinaryIO, n: int, size: int | None, what: str) -> None:
    if size is not None:  # a plain file: seek, and check the block fits
        here = f.tell()
        if here + n > size:
            raise DamagedBlend(
                f"{what} needs {n:,} bytes but the file ends {size - here:,} bytes later "
                "(cut short)"
            )
        f.seek(n, 1)
        return
    while n > 0:  # a decompressed stream: read through
        got = len(f.read(min(n, _CHUNK)))
        if got == 0:
            raise DamagedBlend(f"it ends inside {what} (cut short)")
        n -= got


def _walk(f: BinaryIO, size: int | None, trailing_ok: bool = False) -> int:
    """Walk the block chain from the header to ``ENDB``; the number of blocks.  With ``size``
    (an uncompressed file), the ``ENDB`` block must end exactly at the end of the file."""
    head = _read_exact(f, 12, "its header")
    if not head.startswith(b"BLENDER"):
        raise DamagedBlend("it is not a .blend file (no BLENDER header)")
    if head[7:9].isdigit():  # Blender 5.0+: "BLENDER17-01v0502", 64-bit block lengths
        header_size = int(head[7:9])
        head += _read_exact(f, header_size - 12, "its header")
        if head[9:10] != b"-" or not head[10:12].isdigit():
            raise DamagedBlend(f"its header {head!r} is not one Blender writes")
        endian = "<" if head[12:13] == b"v" else ">"
        layout, fields = endian + "4siQqq", ("code", "sdna", "old", "len", "nr")
    else:  # "BLENDER-v402": pointer size, then endianness
        endian = "<" if head[8:9] == b"v" else ">"
        pointer = "Q" if head[7:8] == b"-" else "I"
        layout, fields = endian + "4si" + pointer + "ii", ("code", "len", "old", "sdna", "nr")
    bhead = struct.Struct(layout)
    at_len = fields.index("len")
    blocks = 0
    while True:
        raw = _read_exact(f, bhead.size, f"the header of block {blocks + 1}")
        values = bhead.unpack(raw)
        code, length = values[0], values[at_len]
        blocks += 1
        if length < 0:
            raise DamagedBlend(f"block {blocks} announces a negative length")
        if code == b"ENDB":
            break
        _skip(f, length, size, f"block {blocks} ({code.rstrip(bytes(1)).decode('latin-1')})")
    if size is not None and f.tell() != size and not trailing_ok:
        raise DamagedBlend(
            f"{size - f.tell():,} bytes follow its end block (the file holds data its blocks "
            "do not account for)"
        )
    return blocks


def _walk_stream(stream: BinaryIO, trailing_ok: bool = False) -> int:
    """``_walk`` a decompressed stream, which must end with its ``ENDB`` block."""
    blocks = _walk(stream, None)
    if not trailing_ok and stream.read(1):
        raise DamagedBlend("data follows its end block (the file holds more than its blocks)")
    return blocks


def _check_zstd(f: BinaryIO, size: int) -> BlendCheck:
    """Blender's zstd files: frames, then a skippable frame holding the seek table."""
    if size < 4 + 8 + 9:
        raise DamagedBlend("it is too short to be a compressed .blend (cut short)")
    f.seek(size - 9)
    frames, descriptor, magic = struct.unpack("<IBI", f.read(9))
    if magic != SEEK_TABLE_FOOTER_MAGIC:
        raise DamagedBlend("its compressed data has no seek table at the end (cut short)")
    entry = 12 if descriptor & 0x80 else 8
    table = frames * entry + 9
    data_end = size - table - 8
    if data_end < 0:
        raise DamagedBlend("its seek table claims more frames than the file holds")
    f.seek(data_end)
    skip_magic, skip_size = struct.unpack("<II", f.read(8))
    if skip_magic != SKIPPABLE_FRAME_MAGIC or skip_size != table:
        raise DamagedBlend("its seek table is damaged")
    sizes = [struct.unpack_from("<II", f.read(entry))[0] for _ in range(frames)]
    if sum(sizes) != data_end:
        raise DamagedBlend(
            f"its compressed frames add up to {sum(sizes):,} bytes but {data_end:,} are on "
            "disk before the seek table"
        )
    offset = 0
    for k, n in enumerate(sizes):
        f.seek(offset)
        if f.read(4) != ZSTD_MAGIC:
            raise DamagedBlend(f"compressed frame {k + 1} of {frames} is damaged")
        offset += n
    try:
        import zstandard
    except ImportError:  # the framing is whole; Blender's own read-back checks the content
        return BlendCheck("zstd", None, size)
    f.seek(0)
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True)
        blocks = _walk_stream(reader)
    except zstandard.ZstdError as exc:
        raise DamagedBlend(f"its compressed data is damaged ({exc})") from None
    return BlendCheck("zstd", blocks, size)
