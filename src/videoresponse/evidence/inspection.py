"""Whole-file checks, one pass over the plaintext as it streams (content.identify has
already named the type from the first bytes): markers, structure, pixels, documents."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterable, Iterator

from videoresponse.evidence import containers, pdfcheck
from videoresponse.evidence.content import (
    IMAGE_KINDS,
    MARKUP,
    PDF_ACTIVE,
    UNKNOWN,
    WEB_PAGE,
    Identified,
    Refused,
    check_pixels,
    has_controls,
    pdf_active_reason,
    polyglot_marker,
    polyglot_reason,
)
from videoresponse.evidence.zipcheck import check_office_links, check_office_zip

OFFICE_KINDS = {"docx", "xlsx", "pptx", "odt", "ods", "odp"}
# The largest PDF or Word/Excel/PowerPoint file parsed (held in memory while it is).
PARSED_BYTES = 100_000_000


class _Watched:
    """The chunks as they pass to a structure check, each looked at on the way (markers,
    text, archive signatures) and the head and tail kept, so the file is read once."""

    def __init__(self, chunks: Iterable[bytes], identified: Identified) -> None:
        self._chunks = chunks
        self._found = identified
        self.head = bytearray()
        self.tail = bytearray()
        self.size = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def __iter__(self) -> Iterator[bytes]:
        found = self._found
        keep_head = 1024 * 1024 if found.kind in IMAGE_KINDS else 0
        tail_keep = 1024 * 1024 if found.kind in OFFICE_KINDS else 1024
        media = found.category in {"photo", "video", "audio"}
        # Where the format's end is walked, whatever follows it is refused anyway.
        unwalked = media and found.kind not in containers.WALKED
        overlap = b""
        for chunk in self._chunks:
            self.size += len(chunk)
            if len(self.head) < keep_head:
                self.head += chunk[: keep_head - len(self.head)]
            window = overlap + chunk
            if (media or found.kind in {"pdf", "text"}) and polyglot_marker(window):
                raise Refused(polyglot_reason(found))
            if unwalked and containers.archive_inside(window):
                raise Refused(containers.APPENDED)
            if found.kind == "pdf" and (active := PDF_ACTIVE.search(window)):
                raise Refused(pdf_active_reason(active.group(1)))
            if found.kind == "text":
                try:
                    if has_controls(self._decoder.decode(chunk)):
                        raise Refused(UNKNOWN)
                except UnicodeDecodeError:
                    raise Refused(UNKNOWN) from None
                if MARKUP.search(window):
                    raise Refused(WEB_PAGE)
            overlap = window[-32:]
            self.tail += chunk
            if len(self.tail) > tail_keep:
                del self.tail[: len(self.tail) - tail_keep]
            yield chunk

    def finish_text(self) -> None:
        try:
            self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise Refused(UNKNOWN) from None


def inspect(chunks: Iterable[bytes], identified: Identified, *, max_pixels: int) -> None:
    """Whole-file checks, one chunk at a time: polyglot markers in photos, recordings, PDFs
    and text; nothing attached after a photo's or recording's end (containers.py); the
    pixel count of photos (decompression bombs); a PDF's objects walked by a parser
    (pdfcheck.py) and what follows %%EOF; and that a zip-based office file is really one
    (no macros, no external links, no bomb, nothing appended)."""
    watched = _Watched(chunks, identified)
    stream = iter(watched)
    try:
        if identified.category in {"photo", "video", "audio"}:
            containers.check_end(stream, identified.kind)
        elif identified.kind == "pdf":
            pdfcheck.check(_held(stream, "PDF"))
        elif identified.kind in {"docx", "xlsx", "pptx"}:
            held = _held(stream, "office file")
            check_office_zip(bytes(watched.tail), watched.size, identified.kind)
            check_office_links(held)
    except containers.Malformed as malformed:
        raise Refused(str(malformed)) from None
    for _ in stream:  # whatever the structure check did not need is still looked at
        pass
    if identified.kind == "text":
        watched.finish_text()
    if identified.kind in IMAGE_KINDS:
        check_pixels(bytes(watched.head), identified, max_pixels)
    if identified.kind == "pdf" and not bytes(watched.tail).rstrip(b"\r\n\t \x00").endswith(
        b"%%EOF"
    ):
        raise Refused(
            "This PDF has something extra attached after its end, or is damaged. "
            "Please save or print it to a new PDF and send that."
        )
    if identified.kind in {"odt", "ods", "odp"}:
        check_office_zip(bytes(watched.tail), watched.size, identified.kind)


def _held(chunks: Iterator[bytes], what: str, limit: int = PARSED_BYTES) -> io.BytesIO:
    """A PDF or office file is parsed from a seekable copy held in memory (never written
    to disk unencrypted): only up to PARSED_BYTES, so a worker's memory stays bounded."""
    held = io.BytesIO()
    for chunk in chunks:
        if held.tell() + len(chunk) > limit:
            raise Refused(
                f"This {what} is larger than {limit // 1_000_000} MB, too large for us "
                "to check. Please make it smaller (for example, split it or save a copy "
                "with smaller pictures) and send that."
            )
        held.write(chunk)
    held.seek(0)
    return held
