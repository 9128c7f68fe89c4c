"""What a file really is, decided by its bytes, and whether we accept it.

Accepted (ASVS 5.2.2, OWASP File Upload): photos (JPEG, PNG, GIF, WebP, HEIC/HEIF, AVIF),
video (MP4, MOV, 3GP, WebM, Matroska, AVI), audio (MP3, M4A, AAC, WAV, OGG/Opus, FLAC, AMR),
documents (PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP) and plain UTF-8 text (a phone's exported chat).

Refused, each with a reason the caller can act on: programs and scripts, web pages, SVG and
XML, archives (zip, rar, 7z, gzip, tar...), older Office files (.doc/.xls/.ppt: they carry
macros unseen), RTF (embedded objects), anything we cannot recognise, and polyglots (a photo
or PDF that also holds a web page or script). The name and declared type are never used.
The whole-file checks, once all bytes are in, are in inspection.py.
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import warnings
from dataclasses import dataclass

from PIL import Image

from videoresponse.evidence.zipcheck import first_entry_names

# Pillow's own decompression-bomb guard, set once for the process (never per call: a
# setting changed during one request is seen by every other thread). Evidence is judged
# against settings.evidence_max_pixels before anything is decoded; this is the backstop.
Image.MAX_IMAGE_PIXELS = 200_000_000


@dataclass(frozen=True)
class Identified:
    kind: str
    media_type: str
    extension: str
    category: str  # photo | video | audio | document


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


ACCEPTED = (
    "Photos, videos, audio recordings, PDFs, Word, Excel and PowerPoint files, "
    "and plain text can be sent."
)
PROGRAM = "This looks like a program, not a photo or document. Programs cannot be sent. " + ACCEPTED
WEB_PAGE = "This is a web page or web code, which cannot be sent. Save it as a PDF and send that."
SVG = "This is an SVG drawing, which can hide code. Please send it as a PNG or JPEG picture."
XML = "This is an XML data file, which cannot be sent. Save it as a PDF and send that."
ARCHIVE = (
    "This is a compressed folder (such as a zip). Please take the files out of it and "
    "send them one at a time."
)
OLD_OFFICE = (
    "Older Word, Excel and PowerPoint files (.doc, .xls, .ppt) can hide macros. Please save "
    "it as a PDF or a newer .docx, .xlsx or .pptx file and send that."
)
RTF = "Rich text files (.rtf) can hide other files. Please save it as a PDF and send that."
UNKNOWN = "We could not tell what kind of file this is. " + ACCEPTED
EMPTY = "This file is empty."


def _photo(kind: str, media_type: str, extension: str) -> Identified:
    return Identified(kind, media_type, extension, "photo")


def _video(kind: str, media_type: str, extension: str) -> Identified:
    return Identified(kind, media_type, extension, "video")


def _audio(kind: str, media_type: str, extension: str) -> Identified:
    return Identified(kind, media_type, extension, "audio")


def _document(kind: str, media_type: str, extension: str) -> Identified:
    return Identified(kind, media_type, extension, "document")


JPEG = _photo("jpeg", "image/jpeg", "jpg")
PNG = _photo("png", "image/png", "png")
GIF = _photo("gif", "image/gif", "gif")
WEBP = _photo("webp", "image/webp", "webp")
HEIC = _photo("heic", "image/heic", "heic")
AVIF = _photo("avif", "image/avif", "avif")
PDF = _document("pdf", "application/pdf", "pdf")
TEXT = _document("text", "text/plain", "txt")
DOCX = _document(
    "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
)
XLSX = _document(
    "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
)
PPTX = _document(
    "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"
)
ODF = {
    b"application/vnd.oasis.opendocument.text": _document(
        "odt", "application/vnd.oasis.opendocument.text", "odt"
    ),
    b"application/vnd.oasis.opendocument.spreadsheet": _document(
        "ods", "application/vnd.oasis.opendocument.spreadsheet", "ods"
    ),
    b"application/vnd.oasis.opendocument.presentation": _document(
        "odp", "application/vnd.oasis.opendocument.presentation", "odp"
    ),
}
OOXML_PARTS = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
IMAGE_KINDS = {"jpeg", "png", "gif", "webp", "heic", "avif"}

# ISO base media (ftyp) brands.
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1"}
AVIF_BRANDS = {b"avif", b"avis"}
QUICKTIME_BRANDS = {b"qt  "}
AUDIO_MP4_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
THREE_GP_PREFIXES = (b"3gp", b"3g2", b"3ge", b"3gg")
MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1",
    b"dash", b"M4V ", b"M4VH", b"M4VP", b"MSNV", b"NDAS", b"F4V ", b"F4P ", b"mmp4", b"XAVC",
}  # fmt: skip

PROGRAM_MAGIC = (
    b"MZ",  # Windows .exe, .dll
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal, Java class
    b"dex\n",  # Android
    b"\x00asm",  # WebAssembly
    b"L\x00\x00\x00\x01\x14\x02\x00",  # Windows shortcut
)  # fmt: skip
ARCHIVE_MAGIC = (
    b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00",
    b"\x28\xb5\x2f\xfd", b"MSCF", b"PK\x05\x06", b"PK\x07\x08", b"xar!", b"\x60\xea",
)  # fmt: skip
MARKUP = re.compile(
    rb"<\s*(script|html|head|body|iframe|svg|object|embed|meta|link|style|a\s|img\s|!doctype)"
    rb"|<\?php|<\?xml|<%|javascript:",
    re.IGNORECASE,
)


def _any_case(word: bytes) -> bytes:
    return b"".join(
        b"[%s%s]" % (bytes([c]).lower(), bytes([c]).upper()) if chr(c).isalpha() else bytes([c])
        for c in word
    )


# Markers that make a photo, recording or PDF a polyglot (also readable as a web page or
# script). Written so each pattern starts with one literal byte ("<", ":"), which the
# regex engine skips to in a tight loop: a gigabyte of video is scanned at disk speed
# (with IGNORECASE and the alternation it managed about 25 MB/s).
_TAGS = b"|".join(_any_case(t) for t in (b"script", b"html", b"body", b"iframe", b"svg"))
POLYGLOT_TAG = re.compile(
    rb"<\s*(?:" + _TAGS + rb"|!" + _any_case(b"doctype") + rb"\s+" + _any_case(b"html")
    + rb")[\s>/]|<\?" + _any_case(b"php")
)  # fmt: skip
POLYGLOT_SCRIPT_URL = re.compile(rb":(?<=" + _any_case(b"javascript:") + rb")")


def polyglot_marker(window: bytes) -> bool:
    return bool(POLYGLOT_TAG.search(window) or POLYGLOT_SCRIPT_URL.search(window))


PDF_ACTIVE = re.compile(
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|ImportData|SubmitForm)(?=[\s/<>(\[\]])"
)


def identify(head: bytes) -> Identified:
    """The file's type from its first bytes (8 KiB is plenty); raises Refused."""
    if not head:
        raise Refused(EMPTY)
    if head.startswith(b"#!AMR\n"):
        return _audio("amr", "audio/amr", "amr")
    if head.startswith(b"#!AMR-WB\n"):
        return _audio("amr", "audio/amr-wb", "awb")
    if head.startswith(b"#!") or head.startswith(PROGRAM_MAGIC):
        raise Refused(PROGRAM)
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and len(head) >= 12:
        riff = head[8:12]
        if riff == b"WEBP":
            return WEBP
        if riff == b"WAVE":
            return _audio("wav", "audio/wav", "wav")
        if riff == b"AVI ":
            return _video("avi", "video/x-msvideo", "avi")
        raise Refused(UNKNOWN)
    if head[4:8] == b"ftyp":
        return _iso_media(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        if b"webm" in head[:64]:
            return _video("webm", "video/webm", "webm")
        return _video("matroska", "video/x-matroska", "mkv")
    if head.startswith(b"OggS"):
        if b"theora" in head[:256]:
            return _video("ogg", "video/ogg", "ogv")
        return _audio("ogg", "audio/ogg", "ogg" if b"vorbis" in head[:256] else "opus")
    if head.startswith(b"fLaC"):
        return _audio("flac", "audio/flac", "flac")
    if head.startswith(b"ID3") or (
        len(head) > 1 and head[0] == 0xFF and head[1] in (0xFB, 0xF3, 0xF2, 0xFA)
    ):
        return _audio("mp3", "audio/mpeg", "mp3")
    if len(head) > 1 and head[0] == 0xFF and head[1] in (0xF1, 0xF9):
        return _audio("aac", "audio/aac", "aac")
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return _zip(head)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise Refused(OLD_OFFICE)
    if head.startswith(b"{\\rtf"):
        raise Refused(RTF)
    if head.startswith(ARCHIVE_MAGIC) or head[257:262] == b"ustar":
        raise Refused(ARCHIVE)
    return _text(head)


def _iso_media(head: bytes) -> Identified:
    (box_size,) = struct.unpack(">I", head[:4])
    brands = [head[8:12]] + [
        head[at : at + 4] for at in range(16, min(box_size, len(head), 256), 4)
    ]
    for brand in brands:
        if brand in HEIF_BRANDS:
            return HEIC
        if brand in AVIF_BRANDS:
            return AVIF
        if brand in QUICKTIME_BRANDS:
            return _video("quicktime", "video/quicktime", "mov")
        if brand in AUDIO_MP4_BRANDS:
            return _audio("m4a", "audio/mp4", "m4a")
        if brand.startswith(THREE_GP_PREFIXES):
            return _video("3gp", "video/3gpp", "3gp")
        if brand in MP4_BRANDS:
            return _video("mp4", "video/mp4", "mp4")
    raise Refused(UNKNOWN)


def _zip(head: bytes) -> Identified:
    names = first_entry_names(head)
    if names and names[0] == "mimetype":
        mimetype = head[38 : 38 + 80].split(b"PK", 1)[0].strip()
        if mimetype in ODF:
            return ODF[mimetype]
        raise Refused(ARCHIVE)
    for name in names:
        for prefix, identified in OOXML_PARTS.items():
            if name.startswith(prefix):
                return identified
    raise Refused(ARCHIVE)


def _text(head: bytes) -> Identified:
    sample = head.removeprefix(b"\xef\xbb\xbf")
    if MARKUP.search(sample):
        lowered = sample.lower()
        if b"<svg" in lowered:
            raise Refused(SVG)
        if sample.lstrip().startswith(b"<?xml"):
            raise Refused(XML)
        raise Refused(WEB_PAGE)
    if sample.lstrip().startswith(b"<"):
        raise Refused(WEB_PAGE)
    try:
        # The head may end inside a character: decode without insisting on the end.
        text = codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        raise Refused(UNKNOWN) from None
    if has_controls(text):
        raise Refused(UNKNOWN)
    return TEXT


def has_controls(text: str) -> bool:
    return any(ord(c) < 32 and c not in "\t\n\r\f" for c in text) or "\x7f" in text


def polyglot_reason(identified: Identified) -> str:
    what = {"pdf": "PDF", "text": "text file"}.get(identified.kind, "photo")
    return (
        f"This {what} also contains web page code or a script, which can be harmful, so it "
        "cannot be sent. If it is a real photo or document, take a screenshot or save a new "
        "copy and send that."
    )


def pdf_active_reason(name: bytes) -> str:
    if name in {b"EmbeddedFile", b"EmbeddedFiles"}:
        what = "other files hidden inside it"
    elif name in {b"JavaScript", b"JS"}:
        what = "a program (JavaScript)"
    else:
        what = "actions that run by themselves"
    return (
        f"This PDF contains {what}, which can be harmful, so it cannot be sent. "
        "Please print it to a new PDF and send that."
    )


def check_pixels(head: bytes, identified: Identified, max_pixels: int) -> None:
    size = _heif_size(head) if identified.kind in {"heic", "avif"} else _pillow_size(head)
    if size is None:
        raise Refused("We could not read this photo: it may be damaged. Please try another copy.")
    width, height = size
    if width * height > max_pixels:
        raise Refused(
            f"This picture is too large ({width} x {height} pixels). "
            f"The most we accept is {max_pixels // 1_000_000} million pixels."
        )


def _pillow_size(head: bytes) -> tuple[int, int] | None:
    # Only the header is parsed (Image.open is lazy); nothing is decoded or allocated.
    # Pillow refuses even to open a picture far past its own guard: that is too large too.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(head)) as image:
                return image.size
        except Image.DecompressionBombError:
            return (Image.MAX_IMAGE_PIXELS or 0) * 2 + 1, 1
        except Exception:
            return None


def _heif_size(head: bytes) -> tuple[int, int] | None:
    """The largest 'ispe' (image spatial extent) in the meta box: the full picture's size."""
    found = [
        struct.unpack(">II", head[at + 12 : at + 20])
        for at in (m.start() - 4 for m in re.finditer(rb"ispe", head[:262144]))
        if at >= 0 and len(head) >= at + 20
    ]
    if not found:
        return None
    return max(found, key=lambda wh: wh[0] * wh[1])


def safe_display_name(name: str) -> str:
    """The caller's file name, for showing only: no folders, no control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if c.isspace() else c for c in name)
    name = "".join(c for c in name if c.isprintable() and c not in '<>:"|?*')
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > 120:
        stem, dot, extension = name.rpartition(".")
        name = (
            stem[: 120 - len(extension) - 1] + dot + extension
            if dot and len(extension) <= 10
            else name[:120]
        )
    return name or "unnamed file"
