"""A file's type comes from its bytes; the bad-input corpus is refused with plain reasons."""

from __future__ import annotations

import pytest

from tests import evidence_corpus as corpus
from videoresponse.evidence.content import Refused, identify, safe_display_name
from videoresponse.evidence.inspection import inspect

MAX_PIXELS = 100_000_000


def check(body: bytes, chunk: int = 1000) -> str:
    found = identify(body[:8192])
    inspect(
        (body[at : at + chunk] for at in range(0, len(body), chunk)), found, max_pixels=MAX_PIXELS
    )
    return found.kind


@pytest.mark.parametrize(
    ("body", "kind", "category"),
    [
        (corpus.jpeg(), "jpeg", "photo"),
        (corpus.png(), "png", "photo"),
        (corpus.heic(), "heic", "photo"),
        (corpus.mp4(), "mp4", "video"),
        (corpus.pdf(), "pdf", "document"),
        (corpus.docx(), "docx", "document"),
        (corpus.xlsx(), "xlsx", "document"),
        (corpus.odt(), "odt", "document"),
        (b"#!AMR\n" + b"\x3c" * 40, "amr", "audio"),
        (b"ID3\x04\x00" + b"\0" * 100, "mp3", "audio"),
        (b"OggS\0\x02" + b"\0" * 22 + b"OpusHead", "ogg", "audio"),
        (b"RIFF\x24\0\0\0WAVEfmt " + b"\0" * 40, "wav", "audio"),
        (
            "[12/03/2026, 21:04] Him: you will regret this \u2014 \U0001f621\n".encode(),
            "text",
            "document",
        ),
    ],
)
def test_accepted_files_are_identified_by_their_bytes(
    body: bytes, kind: str, category: str
) -> None:
    assert identify(body[:8192]).category == category
    assert check(body) == kind


@pytest.mark.parametrize("bad", corpus.bad_inputs(), ids=lambda bad: bad.label)
def test_every_bad_input_is_refused_with_a_reason(bad: corpus.BadInput) -> None:
    with pytest.raises(Refused) as refused:
        check(bad.body)
    assert bad.reason.lower() in refused.value.reason.lower()
    # A person can act on it: whole sentences, no jargon codes.
    assert refused.value.reason.endswith(".")


def test_a_polyglot_marker_split_across_chunks_is_still_found() -> None:
    body = corpus.jpeg(comment=b"xx<script>alert(1)</script>")
    at = body.index(b"<script") + 3
    found = identify(body)
    with pytest.raises(Refused):
        inspect(iter([body[:at], body[at:]]), found, max_pixels=MAX_PIXELS)


def test_the_pixel_limit_is_the_configured_one() -> None:
    photo = corpus.png(width=300, height=200)
    inspect(iter([photo]), identify(photo), max_pixels=60_000)
    with pytest.raises(Refused, match="300 x 200"):
        inspect(iter([photo]), identify(photo), max_pixels=59_999)


def test_a_huge_heic_is_refused_from_its_header() -> None:
    photo = corpus.heic(width=40_000, height=40_000)
    with pytest.raises(Refused, match="too large"):
        inspect(iter([photo]), identify(photo), max_pixels=MAX_PIXELS)


def test_a_damaged_photo_is_refused() -> None:
    photo = corpus.jpeg()[:20]
    with pytest.raises(Refused, match="damaged"):
        inspect(iter([photo]), identify(photo), max_pixels=MAX_PIXELS)


def test_a_zip_bomb_office_file_is_refused() -> None:
    with pytest.raises(Refused, match="zip bomb"):
        check(corpus.zip_bomb_docx())


def test_an_office_file_with_something_appended_is_refused() -> None:
    with pytest.raises(Refused, match="extra"):
        check(corpus.docx() + b"<html><script>x</script>")


def test_a_pdf_with_a_zip_after_its_end_is_refused() -> None:
    with pytest.raises(Refused, match="extra"):
        check(corpus.pdf() + corpus.plain_zip())


def test_text_with_markup_later_in_the_file_is_refused() -> None:
    body = b"an ordinary line\n" * 1000 + b"<script>alert(1)</script>"
    with pytest.raises(Refused, match="web page"):
        check(body)


def test_binary_that_is_nothing_known_is_refused() -> None:
    with pytest.raises(Refused, match="could not tell"):
        identify(bytes(range(256)))


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(Refused, match="empty"):
        identify(b"")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("photo\x00.jpg.exe", "photo.jpg.exe"),
        ("/abs/x.jpg", "x.jpg"),
        ("..", "unnamed file"),
        ("bruise\u202e.jpg", "bruise.jpg"),
        ("a" * 300 + ".jpeg", "a" * 115 + ".jpeg"),
        ("  Photo  of\tdoor.JPG ", "Photo of door.JPG"),
    ],
)
def test_display_names_lose_paths_and_control_characters(name: str, shown: str) -> None:
    assert safe_display_name(name) == shown


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (corpus.pdf_with_escaped_javascript(), "JavaScript"),
        (corpus.pdf_with_javascript_in_an_object_stream(), "JavaScript"),
        (corpus.with_zip_appended(corpus.jpeg()), "attached after its end"),
        (corpus.with_zip_appended(corpus.png()), "attached after its end"),
        (corpus.with_zip_appended(corpus.gif()), "attached after its end"),
        (corpus.with_zip_appended(corpus.mp4()), "attached after its end"),
        (corpus.with_zip_appended(corpus.mp3()), "attached after its end"),
        (corpus.with_zip_appended(corpus.motion_photo()), "attached after its end"),
        (corpus.jpeg() + b"Rar!\x1a\x07\x00" + b"\0" * 40, "attached after its end"),
        (corpus.mp4() + b"\x00\x00\x00\x10free<script>x", "web page code"),
        (corpus.mp3()[:800] + b"<?php system($_GET[1]); ?>" + corpus.mp3()[800:], "web page code"),
        (corpus.docx_with_external_template(), "links to something outside it"),
        (corpus.docx_with_macro_workbook(), "macros"),
    ],
    ids=[
        "pdf-hex-escaped-name",
        "pdf-object-stream",
        "jpeg+zip",
        "png+zip",
        "gif+zip",
        "mp4+zip",
        "mp3+zip",
        "motion-photo+zip",
        "jpeg+rar",
        "video-with-script",
        "audio-with-php",
        "docx-external-template",
        "docx-macro-workbook",
    ],
)
def test_what_a_byte_search_missed_is_refused(body: bytes, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        check(body)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (corpus.motion_photo(), "jpeg"),
        (corpus.motion_photo(b"MotionPhoto_Data"), "jpeg"),
        (corpus.jpeg_of_size(4000), "jpeg"),
        (corpus.gif(), "gif"),
        (corpus.mp3(), "mp3"),
        (corpus.pdf_with_a_link(), "pdf"),
        (corpus.docx_with_a_hyperlink(), "docx"),
    ],
    ids=["motion-photo", "samsung-marker", "padded-jpeg", "gif", "mp3", "pdf-link", "docx-link"],
)
def test_what_real_phones_and_offices_make_is_still_accepted(body: bytes, kind: str) -> None:
    assert check(body) == kind


def test_a_pdf_too_large_to_parse_is_refused_with_the_reason() -> None:
    from videoresponse.evidence.inspection import _held

    body = corpus.pdf(b"x" * 1000)
    with pytest.raises(Refused, match="too large for us to check"):
        _held(iter([body[:600], body[600:]]), "PDF", limit=1000)
    assert _held(iter([body]), "PDF", limit=len(body)).getvalue() == body
