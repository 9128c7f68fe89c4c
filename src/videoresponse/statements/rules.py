"""The witness statement's rules (MG11, CJA 1967 s.9): pure, no I/O.

A version's hash covers only the first part, the words the witness reads and signs; the
restricted second part (contact details, needs) is never shown to them and never signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import struct
import unicodedata
import zlib
from dataclasses import asdict, dataclass
from datetime import date, datetime

MAX_BODY_CHARS = 100_000
MAX_FIELD_CHARS = 2_000
MAX_SIGNATURE_BYTES = 200 * 1024
# A drawn mark, not a dot: this many non-transparent bytes at least.
MIN_INK_BYTES = 40
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PNG_PREFIX = "data:image/png;base64,"
# The pad's box is at most 600 x 180 CSS pixels plus its border, and pad.js caps the pixel
# ratio at 3, so no device draws more than 1812 x 552; anything bigger did not come from it
# and is refused from its header, before a byte is inflated.
MAX_PAD_WIDTH = 2000
MAX_PAD_HEIGHT = 1200

CONSENT_ANSWERS = ("", "yes", "no")


class StatementError(ValueError):
    """Input that cannot be used; the message is for a person."""


class Stale(StatementError):
    """The text changed since the person last saw it."""


@dataclass(frozen=True)
class FirstPart:
    """What the witness reads and signs."""

    statement_of: str
    under_18: bool
    age: int | None
    occupation: str
    body: str
    pages: int


@dataclass(frozen=True)
class RestrictedPart:
    """MG11's second part: for the police and the CPS, never shown to the witness's screen."""

    contact_details: str
    dates_to_avoid: str
    needs_and_special_measures: str
    medical_records_consent: str  # "", "yes" or "no"
    vps_offered: bool
    vps_made: bool


def normalise_text(text: str) -> str:
    """One form for the same words: NFC, and every line ending as \\n."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def normalise_first_part(part: FirstPart) -> FirstPart:
    return FirstPart(
        statement_of=normalise_text(part.statement_of).strip(),
        under_18=part.under_18,
        age=part.age if part.under_18 else None,
        occupation=normalise_text(part.occupation).strip(),
        body=normalise_text(part.body),
        pages=part.pages,
    )


def canonical_content(part: FirstPart) -> bytes:
    """The exact bytes a version's hash covers: the first part's fields, normalised, as
    UTF-8 JSON with sorted keys and no extra whitespace."""
    fields = asdict(normalise_first_part(part))
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_sha256(part: FirstPart) -> str:
    return hashlib.sha256(canonical_content(part)).hexdigest()


def first_part_from_content(content: bytes) -> FirstPart:
    return FirstPart(**json.loads(content))


def check_draft(first: FirstPart, restricted: RestrictedPart) -> None:
    """What a save refuses: text too long to be a statement, impossible values."""
    if len(first.body) > MAX_BODY_CHARS:
        raise StatementError(f"The statement is longer than {MAX_BODY_CHARS:,} characters")
    for label, value in (
        ("Statement of", first.statement_of),
        ("Occupation", first.occupation),
        ("Contact details", restricted.contact_details),
        ("Dates to avoid", restricted.dates_to_avoid),
        ("Needs and special measures", restricted.needs_and_special_measures),
    ):
        if len(value) > MAX_FIELD_CHARS:
            raise StatementError(f"{label} is longer than {MAX_FIELD_CHARS:,} characters")
    if first.age is not None and not 0 < first.age < 18:
        raise StatementError("Age must be a whole number from 1 to 17, for a witness under 18")
    if not 1 <= first.pages <= 99:
        raise StatementError("Number of pages must be from 1 to 99")
    if restricted.medical_records_consent not in CONSENT_ANSWERS:
        raise StatementError("Consent to medical records must be yes, no or not asked")
    if restricted.vps_made and not restricted.vps_offered:
        raise StatementError("A Victim Personal Statement can be made only once it is offered")


def check_ready_to_present(first: FirstPart) -> None:
    """What a witness cannot be asked to sign: no name, no words, a child with no age."""
    part = normalise_first_part(first)
    if not part.statement_of:
        raise StatementError("Enter who the statement is of")
    if not part.body.strip():
        raise StatementError("Write the statement before asking the witness to confirm it")
    if part.under_18 and part.age is None:
        raise StatementError("Enter the witness's age: they are under 18")


def declaration(pages: int) -> str:
    """The MG11 declaration of truth (CJA 1967 s.9(2)(b); CrimPR r16.2)."""
    count = f"{pages} page" if pages == 1 else f"{pages} pages"
    return (
        f"This statement (consisting of {count} each signed by me) is true to the best of my "
        "knowledge and belief and I make it knowing that, if it is tendered in evidence, I "
        "shall be liable to prosecution if I have wilfully stated in it anything which I know "
        "to be false, or do not believe to be true."
    )


def read_over_declaration(reader: str, witness: str) -> str:
    """For a witness who cannot read: signed by the person who read it to them."""
    return (
        f"I, {reader}, have read the above statement to {witness} before they signed it, "
        "and they told me it is true."
    )


def check_name(name: str) -> str:
    """A typed signature: printable, one line, not empty."""
    typed = " ".join(normalise_text(name).split())
    if not typed:
        raise StatementError("Type your full name")
    if len(typed) > 200:
        raise StatementError("The name is longer than 200 characters")
    if any(unicodedata.category(c).startswith("C") for c in typed):
        raise StatementError("The name has characters that cannot be printed")
    return typed


def signature_png(data_url: str) -> bytes:
    """The drawn mark from the pad's data URL: a real PNG, not too big, not blank."""
    if not data_url.startswith(_PNG_PREFIX):
        raise StatementError("The signature must be drawn on the signature pad")
    encoded = data_url[len(_PNG_PREFIX) :]
    if len(encoded) > MAX_SIGNATURE_BYTES * 4 // 3 + 4:
        raise StatementError("The signature is too large. Clear it and sign again")
    try:
        png = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise StatementError("The signature could not be read. Clear it and sign again") from None
    if len(png) > MAX_SIGNATURE_BYTES:
        raise StatementError("The signature is too large. Clear it and sign again")
    if _ink_bytes(png) < MIN_INK_BYTES:
        raise StatementError("Draw your signature in the box")
    return png


def _ink_bytes(png: bytes) -> int:
    """Non-transparent bytes of an RGBA PNG's pixels; a blank pad has none.

    Every PNG filter maps an all-zero image to all-zero bytes and back, so counting
    non-zero bytes after inflating (filter bytes left out) needs no unfiltering. The size
    comes from the header first, and inflating stops at what that size can hold, so a
    small file cannot make the server inflate and count more than the pad can draw.
    """
    if not png.startswith(PNG_MAGIC):
        raise StatementError("The signature is not an image. Clear it and sign again")
    chunks = _chunks(png)
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        raise StatementError("The signature is not an image. Clear it and sign again")
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    fits = 0 < width <= MAX_PAD_WIDTH and 0 < height <= MAX_PAD_HEIGHT
    if depth != 8 or colour != 6 or not fits:
        raise StatementError("The signature must be drawn on the signature pad")
    stride = width * 4 + 1
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(b"".join(d for t, d in chunks if t == b"IDAT"), stride * height)
    except zlib.error:
        raise StatementError("The signature could not be read. Clear it and sign again") from None
    raw = raw[: len(raw) // stride * stride]
    filters = raw[::stride]
    return (len(raw) - raw.count(0)) - (len(filters) - filters.count(0))


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    found = []
    at = len(PNG_MAGIC)
    while at + 8 <= len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind = png[at + 4 : at + 8]
        found.append((kind, png[at + 8 : at + 8 + length]))
        at += 12 + length
        if kind == b"IEND":
            break
    return found


def signature_binding(version_sha256: str, name: str, png: bytes, signed_at: datetime) -> str:
    """SHA-256 that ties one signature to one version: the version's hash, the typed name,
    the drawn mark and the time, each field length-prefixed so none can bleed into another."""
    digest = hashlib.sha256()
    for field in (
        version_sha256.encode(),
        name.encode(),
        png,
        signed_at.isoformat(timespec="microseconds").encode(),
    ):
        digest.update(struct.pack(">Q", len(field)))
        digest.update(field)
    return digest.hexdigest()


def age_on(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
