"""Is a zip really a Word/Excel/PowerPoint (OOXML) or OpenDocument file, and a safe one?

Read from the central directory at the end of the file (kept while streaming), never by
unpacking: entry names, sizes and flags are enough to refuse macros, embedded programs,
encrypted parts, unsafe paths, zip bombs and anything appended or prepended (a polyglot).
"""

from __future__ import annotations

import re
import struct
import zipfile
from typing import BinaryIO

END = b"PK\x05\x06"
CENTRAL = b"PK\x01\x02"
LOCAL = b"PK\x03\x04"
MAX_ENTRIES = 20_000
MAX_UNPACKED = 4 * 1024**3
MAX_RATIO = 200
RATIO_FROM = 50 * 1024**2

DAMAGED = "This office file seems damaged. Please save a new copy and send that."
MACROS = (
    "This office file contains macros or embedded programs, which can be harmful. "
    "Please save it as a PDF (or without macros) and send that."
)


def first_entry_names(head: bytes) -> list[str]:
    """Names of the entries whose local headers fall inside the first bytes."""
    names = []
    at = head.find(LOCAL)
    while at != -1 and at + 30 <= len(head):
        (length,) = struct.unpack_from("<H", head, at + 26)
        names.append(head[at + 30 : at + 30 + length].decode("utf-8", "replace"))
        at = head.find(LOCAL, at + 30)
    return names


def check_office_zip(tail: bytes, size: int, kind: str) -> None:
    from videoresponse.evidence.content import ARCHIVE, Refused

    end = tail.rfind(END, max(0, len(tail) - 65_557))
    if end == -1 or len(tail) < end + 22:
        raise Refused(DAMAGED)
    _, _, _, entries, cd_size, cd_offset, comment = struct.unpack_from("<HHHHIIH", tail, end + 4)
    if end + 22 + comment != len(tail):
        raise Refused("This office file has something extra attached after its end. " + DAMAGED)
    if 0xFFFF in (entries,) or 0xFFFFFFFF in (cd_size, cd_offset):
        raise Refused(
            "This office file is too large to check. Please save it as a PDF and send that."
        )
    start = size - len(tail)
    end_offset = start + end
    if cd_offset + cd_size != end_offset or cd_offset < start:
        raise Refused(DAMAGED)
    names = _entries(tail[cd_offset - start : end], entries)
    if kind in {"docx", "xlsx", "pptx"}:
        prefix = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}[kind]
        if "[Content_Types].xml" not in names or not any(n.startswith(prefix) for n in names):
            raise Refused(ARCHIVE)
        if any(_ooxml_active(n) for n in names):
            raise Refused(MACROS)
    else:
        if names[:1] != ["mimetype"] or "content.xml" not in names:
            raise Refused(ARCHIVE)
        if any(n.startswith(("Basic/", "Scripts/")) or n.endswith(".bin") for n in names):
            raise Refused(MACROS)


def _entries(directory: bytes, expected: int) -> list[str]:
    from videoresponse.evidence.content import Refused

    if expected > MAX_ENTRIES:
        raise Refused("This office file has too many parts to check. Please save it as a PDF.")
    names: list[tuple[int, str]] = []
    unpacked = 0
    at = 0
    while at < len(directory):
        if directory[at : at + 4] != CENTRAL or at + 46 > len(directory):
            raise Refused(DAMAGED)
        flags, _, _, _, _, packed, plain, name_length, extra, comment, _, _, _, offset = (
            struct.unpack_from("<HHHHIIIHHHHHII", directory, at + 8)
        )
        raw = directory[at + 46 : at + 46 + name_length]
        name = raw.decode("utf-8", "replace")
        if flags & 1:
            raise Refused(
                "This office file is protected by a password, so we cannot check it. "
                "Please remove the password, or save it as a PDF, and send that."
            )
        if b"\0" in raw or "\\" in name or name.startswith("/") or ".." in name.split("/"):
            raise Refused(DAMAGED)
        unpacked += plain
        if unpacked > MAX_UNPACKED or (plain > RATIO_FROM and plain > MAX_RATIO * max(packed, 1)):
            raise Refused(
                "This office file unpacks to far more than its size (a 'zip bomb'), "
                "so it cannot be sent."
            )
        names.append((offset, name))
        at += 46 + name_length + extra + comment
    if len(names) != expected or not names or min(names)[0] != 0:
        raise Refused(DAMAGED)
    return [name for _, name in sorted(names)]


MACRO_ENABLED = (
    ".docm", ".dotm", ".xlsm", ".xltm", ".xlsb", ".xlam", ".pptm", ".potm", ".ppsm", ".ppam",
    ".sldm",
)  # fmt: skip
EXTERNAL = (
    "This office file links to something outside it (such as a template on another "
    "computer) that opens by itself, which can be harmful. Please save it as a PDF and "
    "send that."
)
RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(rb"""\b(TargetMode|Type)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
MAX_RELS_BYTES = 4 * 1024 * 1024


def _ooxml_active(name: str) -> bool:
    lowered = name.lower()
    return (
        "vbaproject" in lowered
        or "vbadata" in lowered
        or "/activex/" in lowered
        or ("/embeddings/" in lowered and lowered.endswith(".bin"))
        or lowered.endswith(MACRO_ENABLED)
        or lowered.endswith((".exe", ".dll", ".js", ".vbs", ".bat", ".cmd", ".ps1", ".hta"))
    )


def check_office_links(held: BinaryIO) -> None:
    """Every relationship part (.rels) of a Word, Excel or PowerPoint file: one that points
    outside the file (TargetMode="External": an attached template, an OLE link, a frame)
    is fetched by Office on opening, so it is refused. Hyperlinks are the exception: they
    are only followed when a person clicks them. Also refuses macro-enabled content types."""
    from videoresponse.evidence.content import Refused

    try:
        with zipfile.ZipFile(held) as archive:
            for info in archive.infolist():
                lowered = info.filename.lower()
                if not (lowered.endswith(".rels") or lowered == "[content_types].xml"):
                    continue
                if info.file_size > MAX_RELS_BYTES:
                    raise Refused(DAMAGED)
                with archive.open(info) as part:
                    text = part.read(MAX_RELS_BYTES + 1)
                if lowered == "[content_types].xml":
                    if b"macroenabled" in text.lower() or b"vbaproject" in text.lower():
                        raise Refused(MACROS)
                    continue
                for element in RELATIONSHIP.findall(text):
                    found = {
                        m.group(1).lower(): (m.group(2) or m.group(3) or b"")
                        for m in ATTRIBUTE.finditer(element)
                    }
                    external = found.get(b"targetmode", b"").strip().lower() == b"external"
                    link = found.get(b"type", b"").strip().lower().endswith(b"/hyperlink")
                    if external and not link:
                        raise Refused(EXTERNAL)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        raise Refused(DAMAGED) from None
