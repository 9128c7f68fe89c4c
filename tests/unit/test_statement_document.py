"""The signed statement printed like an MG11: every page counted, signed and escaped."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import weasyprint
from PIL import Image, ImageDraw
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from weasyprint.formatting_structure import boxes

from videoresponse.statements.document import (
    DrawnSignature,
    StatementDocument,
    StatementRenderingError,
    layout,
    paragraphs,
    render_pdf,
)

WITNESS_MARK_SIZE = (600, 200)
READER_MARK_SIZE = (500, 160)
PARAGRAPH = (
    "On Tuesday evening I was at home in my flat when I heard shouting outside. I looked "
    "out of the window and saw a man I know as Dave kicking the door of my car. "
) * 3


def drawn_mark(size: tuple[int, int] = WITNESS_MARK_SIZE) -> bytes:
    """A zigzag on a transparent background, like the signature pad's PNG."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    width, height = size
    points = [
        (20 + i * (width - 40) // 19, height // 2 + (-1) ** i * height // 4) for i in range(20)
    ]
    ImageDraw.Draw(image).line(points, fill=(10, 20, 90, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def statement_document(**changes: Any) -> StatementDocument:
    doc = StatementDocument(
        urn="42AB1234526",
        statement_of="Jane Elizabeth Doe",
        under_18=False,
        age=None,
        occupation="Nurse",
        body=PARAGRAPH,
        version=2,
        content_sha256="3f" * 32,
        witness=DrawnSignature(
            "Jane Doe", drawn_mark(), datetime(2026, 11, 28, 20, 40, tzinfo=UTC)
        ),
        read_over=None,
        officer_name="PC Alex Smith",
        officer_number="4471",
        taken_at_place="video call, Example Constabulary",
        taken_at=datetime(2026, 7, 14, 18, 30, tzinfo=UTC),
        countersigned_at=datetime(2026, 7, 14, 19, 5, tzinfo=UTC),
        development_seal=False,
        timezone="Europe/London",
    )
    return replace(doc, **changes)


def long_statement(**changes: Any) -> StatementDocument:
    return statement_document(body="\n\n".join([PARAGRAPH] * 14), **changes)


def page_texts(document: weasyprint.Document) -> list[str]:
    """The words on each laid-out page, margins included, as WeasyPrint placed them."""

    def words(box: boxes.Box) -> Iterator[str]:
        if isinstance(box, boxes.TextBox):
            yield box.text
        for child in getattr(box, "children", ()):
            yield from words(child)

    # Lines break anywhere: compare words, not the spaces between them.
    return [" ".join(" ".join(words(page._page_box)).split()) for page in document.pages]


def image_uses_per_page(pdf: bytes) -> list[list[tuple[int, int]]]:
    """For each page of the PDF, the (width, height) of every image it draws, in order."""
    reader = PdfFileReader(io.BytesIO(pdf))
    drawn = []
    for kid in reader.root["/Pages"]["/Kids"]:
        page = kid.get_object()
        images = {
            name[1:]: (int(xobject["/Width"]), int(xobject["/Height"]))
            for name, ref in page["/Resources"].get("/XObject", {}).items()
            if (xobject := ref.get_object())["/Subtype"] == "/Image"
        }
        contents = page["/Contents"]
        streams = contents if isinstance(contents, generic.ArrayObject) else [contents]
        data = b"".join(stream.get_object().data for stream in streams)
        names = re.findall(rb"/(\S+) Do\b", data)
        drawn.append([images[n.decode()] for n in names if n.decode() in images])
    return drawn


def test_a_long_statement_counts_its_pages_and_numbers_each_one() -> None:
    document = layout(long_statement())
    texts = page_texts(document)

    pages = len(texts)
    assert pages >= 3
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {pages}" in text
        assert "Signature:" in text and "Jane Doe" in text
        assert "Signature witnessed by:" in text and "PC Alex Smith" in text
    assert f"consisting of {pages} page(s) each signed by me" in texts[0]
    assert "Continuation of statement of: Jane Elizabeth Doe" in texts[1]
    assert "Continuation of statement of" not in texts[0]


def test_short_lines_that_fill_more_pages_than_their_length_suggests_are_counted() -> None:
    texts = page_texts(layout(statement_document(body="\n\n".join(["Yes."] * 120))))

    assert len(texts) >= 3
    assert f"consisting of {len(texts)} page(s)" in texts[0]
    assert f"Page {len(texts)} of {len(texts)}" in texts[-1]


def test_the_drawn_mark_is_on_every_page_of_the_pdf() -> None:
    pdf = render_pdf(long_statement())

    uses = image_uses_per_page(pdf)
    assert len(uses) >= 3
    assert all(WITNESS_MARK_SIZE in page for page in uses)
    # The declaration on page 1 is signed too, above the footer's mark.
    assert uses[0].count(WITNESS_MARK_SIZE) == 2


def test_a_one_page_statement_says_one_page() -> None:
    texts = page_texts(layout(statement_document()))

    assert len(texts) == 1
    assert "consisting of 1 page(s) each signed by me" in texts[0]
    assert "Page 1 of 1" in texts[0]


def test_the_form_has_the_mg11_particulars_and_the_end_block() -> None:
    text = page_texts(layout(statement_document()))[0]

    for expected in (
        "WITNESS STATEMENT",
        "Criminal Justice Act 1967, s. 9",
        "URN",
        "42AB1234526",
        "Statement of:",
        "Jane Elizabeth Doe",
        "Age if under 18:",
        "Over 18",
        "Occupation:",
        "Nurse",
        "is true to the best of my knowledge and belief",
        "Date: 28 November 2026",
        # taken in July: British Summer Time, an hour ahead of UTC
        "Statement taken by: PC Alex Smith 4471, at video call, Example Constabulary, "
        "on 14 July 2026 at 7:30pm BST",
        "countersigned by the officer on 14 July 2026 at 8:05pm BST",
        "Version 2.",
        "3f" * 32,
    ):
        assert expected in text, expected
    assert "DEVELOPMENT SEAL" not in text
    assert "Statement read over" not in text


def test_an_under_18_gives_the_age() -> None:
    text = page_texts(layout(statement_document(under_18=True, age=15)))[0]

    assert re.search(r"Age if under 18:\s+15\b", text)
    assert "Over 18" not in text


def test_a_statement_read_over_carries_the_readers_declaration_and_mark() -> None:
    reader = DrawnSignature(
        "Sam Reader", drawn_mark(READER_MARK_SIZE), datetime(2026, 11, 28, 20, 38, tzinfo=UTC)
    )
    doc = statement_document(read_over=reader)

    text = page_texts(layout(doc))[0]
    assert "Statement read over" in text
    assert "I, Sam Reader, declare that I read this statement to Jane Elizabeth Doe" in text
    assert "28 November 2026 at 8:38pm GMT" in text
    assert READER_MARK_SIZE in image_uses_per_page(render_pdf(doc))[0]


def test_a_development_seal_is_labelled_on_every_page() -> None:
    texts = page_texts(layout(long_statement(development_seal=True)))

    assert all("DEVELOPMENT SEAL – NOT FOR EVIDENCE" in text for text in texts)


def test_markup_in_the_statement_is_printed_as_text() -> None:
    body = 'He wrote <script>alert("x")</script> and <b>bold</b> &amp; <img src="http://example.org/x.png">'
    doc = statement_document(body=body, statement_of="<i>Jane</i>")

    text = page_texts(layout(doc))[0]
    assert '<script>alert("x")</script>' in text
    assert "<b>bold</b> &amp;" in text
    assert '<imgsrc="http://example.org/x.png">' in text.replace(" ", "")
    assert "<i>Jane</i>" in text


def test_paragraphs_split_at_blank_lines_and_keep_line_breaks() -> None:
    assert paragraphs("One.\r\n\r\nTwo,\nstill two.\n\n\n\nThree.\n") == [
        "One.",
        "Two,\nstill two.",
        "Three.",
    ]


def test_a_signature_that_is_not_a_png_is_refused() -> None:
    bad = replace(statement_document().witness, image_png=b"<svg onload=alert(1)>")

    with pytest.raises(StatementRenderingError, match="witness's signature"):
        render_pdf(statement_document(witness=bad))


def test_nothing_outside_the_document_is_fetched() -> None:
    # Pages never contain author-supplied URLs (everything is escaped), so prove the
    # fetcher itself: a stylesheet pointing at the network stops the rendering.
    from videoresponse.statements.document import _refuse_network

    html = weasyprint.HTML(
        string='<link rel="stylesheet" href="http://127.0.0.1:9/x.css"><p>x</p>',
        url_fetcher=_refuse_network(),
    )
    with pytest.raises(BaseException, match="Error fetching"):
        html.render()
