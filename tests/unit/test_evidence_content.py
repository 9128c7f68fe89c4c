"""A file's type comes from its bytes; the bad-input corpus is refused with plain reasons."""

from __future__ import annotations

import pytest

from tests import evidence_corpus as corpus
from videoresponse.evidence.content import Refused, identify, inspect, safe_display_name

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
