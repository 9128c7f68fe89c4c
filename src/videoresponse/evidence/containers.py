"""Where a photo, video or recording really ends, and what (if anything) follows it.

A zip, RAR or 7z archive, or a web page, appended to a photo still opens as the photo; the
archive inside it opens too. So each format is walked (in one pass, a chunk at a time) to
its own end marker: JPEG's EOI (after the entropy-coded scans, so a thumbnail's EOI inside
EXIF does not count), PNG's IEND, GIF's trailer, the RIFF size (WebP, WAV, AVI) and the
chain of ISO boxes (MP4, MOV, 3GP, M4A, HEIC, AVIF). After the end only padding may follow,
and one exception: phones' "motion photos" append a short MP4 (ftyp) to a JPEG, optionally
after the marker "MotionPhoto_Data"; that MP4 must itself be a clean chain of boxes.

Formats without an end we can find this cheaply (MP3, AAC, AMR, Ogg, FLAC, Matroska) are
checked for a zip's end-of-central-directory record in their last 64 KiB, which is where
every zip reader looks for it, and for RAR and 7z signatures (6 bytes) anywhere in them.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Iterator

APPENDED = (
    "This file has something else attached after its end (such as a compressed folder), "
    "which can hide other files, so it cannot be sent. Take a new photo or screenshot, "
    "or save a new copy, and send that."
)
DAMAGED = "We could not read this file: it may be damaged. Please try another copy."
# One pattern each: a literal pattern is searched far faster than an alternation.
ARCHIVES = (re.compile(rb"Rar!\x1a\x07"), re.compile(rb"7z\xbc\xaf\x27\x1c"))
ZIP_END = b"PK\x05\x06"
ZIP_TAIL = 65_557  # the end-of-central-directory record (22) + the longest comment
MOTION_PHOTO = b"MotionPhoto_Data"
ISO_KINDS = {"mp4", "quicktime", "3gp", "m4a", "heic", "avif"}
RIFF_KINDS = {"webp", "wav", "avi"}
WALKED = {"jpeg", "png", "gif"} | RIFF_KINDS | ISO_KINDS
PADDING = frozenset(b"\x00\xff \t\r\n")


def archive_inside(window: bytes) -> bool:
    return any(pattern.search(window) for pattern in ARCHIVES)


class Malformed(Exception):
    """The reason (for a person) the structure does not check out."""


class Reader:
    """Pulls bytes from a chunk stream: read a few, skip many, never hold more than a chunk."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()
        self.position = 0

    def _fill(self, size: int) -> bool:
        while len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                return False
            self._buffer += chunk
        return True

    def read(self, size: int) -> bytes:
        self._fill(size)
        taken = bytes(self._buffer[:size])
        del self._buffer[:size]
        self.position += len(taken)
        return taken

    def skip(self, size: int) -> bool:
        """Skips `size` bytes; False when the stream ended first."""
        while size > 0:
            if not self._buffer and not self._fill(1):
                return False
            taken = min(size, len(self._buffer))
            del self._buffer[:taken]
            self.position += taken
            size -= taken
        return True

    def to_jpeg_marker(self) -> bool:
        """Past entropy-coded data to the next real marker (an FF not stuffed, not RSTn)."""
        start = 0
        while True:
            at = self._buffer.find(b"\xff", start)
            if at == -1 or at + 1 >= len(self._buffer):
                keep = len(self._buffer) if at == -1 else at
                del self._buffer[:keep]
                self.position += keep
                start = 0
                if not self._fill(2):
                    return False
                continue
            following = self._buffer[at + 1]
            if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                start = at + 1
                continue
            del self._buffer[:at]
            self.position += at
            return True

    def rest(self) -> Iterator[bytes]:
        if self._buffer:
            yield bytes(self._buffer)
            self._buffer.clear()
        yield from self._chunks


def check_end(chunks: Iterable[bytes], kind: str) -> None:
    """Raises Malformed when something follows the format's own end (see the module)."""
    reader = Reader(chunks)
    if kind == "jpeg":
        _jpeg(reader)
        _trailer(reader, motion_photo=True)
    elif kind == "png":
        _png(reader)
        _trailer(reader)
    elif kind == "gif":
        _gif(reader)
        _trailer(reader)
    elif kind in RIFF_KINDS:
        _riff(reader)
        _trailer(reader)
    elif kind in ISO_KINDS:
        _boxes(reader)
    else:
        _zip_in_tail(reader.rest())


def _jpeg(reader: Reader) -> None:
    if reader.read(2) != b"\xff\xd8":
        raise Malformed(DAMAGED)
    while True:
        marker = reader.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            raise Malformed(DAMAGED)
        while marker[1] == 0xFF:  # fill bytes before a marker
            marker = b"\xff" + reader.read(1)
        code = marker[1]
        if code == 0xD9:
            return
        if 0xD0 <= code <= 0xD7 or code == 0x01:
            continue
        length = reader.read(2)
        if len(length) < 2 or struct.unpack(">H", length)[0] < 2:
            raise Malformed(DAMAGED)
        if not reader.skip(struct.unpack(">H", length)[0] - 2):
            raise Malformed(DAMAGED)
        if code == 0xDA and not reader.to_jpeg_marker():
            raise Malformed(DAMAGED)


def _png(reader: Reader) -> None:
    reader.read(8)
    while True:
        header = reader.read(8)
        if len(header) < 8:
            raise Malformed(DAMAGED)
        length, kind = struct.unpack(">I4s", header)
        if not reader.skip(length + 4):
            raise Malformed(DAMAGED)
        if kind == b"IEND":
            return


def _gif(reader: Reader) -> None:
    screen = reader.read(13)
    if len(screen) < 13:
        raise Malformed(DAMAGED)
    if screen[10] & 0x80:
        reader.skip(3 << ((screen[10] & 0x07) + 1))
    while True:
        block = reader.read(1)
        if block == b";":
            return
        if block == b"!":
            reader.read(1)
        elif block == b",":
            descriptor = reader.read(9)
            if len(descriptor) < 9:
                raise Malformed(DAMAGED)
            if descriptor[8] & 0x80:
                reader.skip(3 << ((descriptor[8] & 0x07) + 1))
            reader.read(1)  # LZW minimum code size
        else:
            raise Malformed(DAMAGED)
        while size := reader.read(1):
            if size == b"\0":
                break
            if not reader.skip(size[0]):
                raise Malformed(DAMAGED)
        else:
            raise Malformed(DAMAGED)


def _riff(reader: Reader) -> None:
    header = reader.read(8)
    if len(header) < 8:
        raise Malformed(DAMAGED)
    (size,) = struct.unpack("<I", header[4:])
    if not reader.skip(size + (size & 1)):
        # A pad byte may be missing at the very end: that is damage we can live with.
        return


def _boxes(reader: Reader, first: bytes = b"") -> None:
    """ISO boxes up to the end of the stream: anything that is not a box is appended."""
    while True:
        header = first or reader.read(8)
        first = b""
        if not header:
            return
        if len(header) < 8:
            raise Malformed(APPENDED)
        size, kind = struct.unpack(">I4s", header)
        if header == bytes(8):  # zeros to the end: padding some recorders leave
            _padding_only(reader, b"\0")
            return
        if not all(0x20 <= c < 0x7F for c in kind):
            raise Malformed(APPENDED)
        if size == 0:  # to the end of the file
            for _ in reader.rest():
                pass
            return
        if size == 1:
            large = reader.read(8)
            if len(large) < 8:
                raise Malformed(APPENDED)
            remaining = struct.unpack(">Q", large)[0] - 16
        else:
            remaining = size - 8
        if remaining < 0 or not reader.skip(remaining):
            raise Malformed(APPENDED if remaining < 0 else DAMAGED)


def _trailer(reader: Reader, *, motion_photo: bool = False) -> None:
    start = reader.read(len(MOTION_PHOTO))
    if not start:
        return
    if motion_photo:
        following = start[len(MOTION_PHOTO) :] if start == MOTION_PHOTO else start
        header = following + reader.read(8 - len(following)) if start == MOTION_PHOTO else start[:8]
        if len(header) == 8 and header[4:8] == b"ftyp":
            if start != MOTION_PHOTO:
                # The bytes read past the ftyp box's header belong to it: put them back.
                reader = Reader([start[8:], *reader.rest()])
            _boxes(reader, header)
            return
    if not set(start) <= PADDING:
        raise Malformed(APPENDED)
    _padding_only(reader, bytes(PADDING))


def _padding_only(reader: Reader, allowed: bytes) -> None:
    for chunk in reader.rest():
        if chunk.strip(allowed):
            raise Malformed(APPENDED)


def _zip_in_tail(chunks: Iterable[bytes]) -> None:
    tail = bytearray()
    for chunk in chunks:
        tail += chunk
        if len(tail) > 2 * ZIP_TAIL:
            del tail[: len(tail) - ZIP_TAIL]
    if ZIP_END in tail[-ZIP_TAIL:]:
        raise Malformed(APPENDED)
