"""The signed statement as a PDF laid out like an MG11 (WeasyPrint, CSS paged media).

Nothing is fetched while rendering: the stylesheet is read from this package, the drawn
marks travel as data: URLs, fonts come from the system (DejaVu or Liberation), and any
other URL stops the rendering. Every value is escaped by Jinja, so a statement that
contains markup is printed as the words the witness typed.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import weasyprint
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from PIL import Image
from weasyprint.urls import URLFetcher

from videoresponse.core.web import local_clock

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The declaration prints the page count, which only a layout tells. Lay out with a guess
# from the length and again until the count holds: one pass when the guess is right.
_MAX_LAYOUT_PASSES = 4
_FIRST_PAGE_CHARS = 1400  # the form's particulars and declaration take half of page 1
_PAGE_CHARS = 3300


@dataclass(frozen=True)
class DrawnSignature:
    name: str  # the typed name
    image_png: bytes  # the drawn mark, PNG
    signed_at: datetime  # aware UTC


@dataclass(frozen=True)
class StatementDocument:
    urn: str
    statement_of: str
    under_18: bool
    age: int | None
    occupation: str
    body: str  # in the first person, paragraphs separated by blank lines
    version: int
    content_sha256: str
    witness: DrawnSignature
    read_over: DrawnSignature | None  # who read the statement to a witness who cannot read
    officer_name: str
    officer_number: str
    taken_at_place: str
    taken_at: datetime
    countersigned_at: datetime
    development_seal: bool  # print "DEVELOPMENT SEAL – NOT FOR EVIDENCE"
    timezone: str  # IANA name; times on the page are local


class StatementRenderingError(ValueError):
    """The statement cannot be printed as it is (a bad signature image)."""


_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_pdf(doc: StatementDocument) -> bytes:
    """The statement as PDF bytes, not yet sealed."""
    pdf: bytes = layout(doc).write_pdf()
    return pdf


def layout(doc: StatementDocument) -> weasyprint.Document:
    """The laid-out pages, with the declaration's page count equal to the real count."""
    stylesheet = weasyprint.CSS(
        string=(TEMPLATES / "statements" / "mg11_pdf.css").read_text(),
        url_fetcher=_refuse_network(),
    )
    pages = 1 + max(0, len(doc.body) - _FIRST_PAGE_CHARS + _PAGE_CHARS - 1) // _PAGE_CHARS
    for _ in range(_MAX_LAYOUT_PASSES):
        html = weasyprint.HTML(
            string=_html(doc, pages), base_url=str(TEMPLATES), url_fetcher=_refuse_network()
        )
        rendered = html.render(stylesheets=[stylesheet])
        if len(rendered.pages) == pages:
            return rendered
        pages = len(rendered.pages)
    raise StatementRenderingError("the page count would not settle")  # pragma: no cover


def _html(doc: StatementDocument, pages: int) -> str:
    zone = ZoneInfo(doc.timezone)
    read_over = doc.read_over
    return _environment.get_template("statements/mg11_pdf.html").render(
        doc=doc,
        pages=pages,
        age=_age(doc),
        paragraphs=paragraphs(doc.body),
        witness_mark=_data_url(doc.witness.image_png, "witness"),
        witness_signed_on=_day(doc.witness.signed_at, zone),
        witness_signed_at=_moment(doc.witness.signed_at, zone),
        read_over_mark=_data_url(read_over.image_png, "reader") if read_over else "",
        read_over_signed_at=_moment(read_over.signed_at, zone) if read_over else "",
        taken_at=_moment(doc.taken_at, zone),
        countersigned_at=_moment(doc.countersigned_at, zone),
    )


def paragraphs(body: str) -> list[str]:
    """Paragraphs split at blank lines; line breaks inside one are kept when printed."""
    normalised = body.replace("\r\n", "\n").replace("\r", "\n")
    chunks = [chunk.strip("\n") for chunk in normalised.split("\n\n")]
    return [chunk for chunk in chunks if chunk.strip()]


def _age(doc: StatementDocument) -> str:
    if not doc.under_18:
        return "Over 18"
    return str(doc.age) if doc.age is not None else "Under 18"


def _day(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.day} {local:%B %Y}"


def _moment(moment: datetime, zone: ZoneInfo) -> str:
    """28 November 2026 at 8:48pm GMT: the zone's abbreviation settles any doubt in court."""
    local = moment.astimezone(zone)
    return f"{_day(moment, zone)} at {local_clock(moment, zone)} {local:%Z}"


def _data_url(png: bytes, whose: str) -> str:
    try:
        with Image.open(io.BytesIO(png)) as image:
            image.verify()
            kind = image.format
    except Exception as error:
        raise StatementRenderingError(f"the {whose}'s signature is not a readable image") from error
    if kind != "PNG":
        raise StatementRenderingError(f"the {whose}'s signature is not a PNG image")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _refuse_network() -> URLFetcher:
    """Only data: URLs; anything else stops the rendering instead of printing a gap."""
    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
