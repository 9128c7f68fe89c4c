"""A PDF's objects, walked with a maintained parser (pypdf), for anything that acts alone.

Looking for names in the raw bytes misses the ordinary ways to hide them: a name spelt with
hex escapes (/J#61vaScript is /JavaScript), objects packed in compressed object streams,
filters. pypdf reads the cross-reference tables and object streams as a viewer would, and
decodes names, so every object, referenced or not, is checked by what it means.

Refused: JavaScript anywhere; actions that run without a click (/AA on anything, an
/OpenAction that is an action rather than a page to open at); actions that launch
programs, open other files or submit data (/Launch, /GoToR, /GoToE, /ImportData,
/SubmitForm, /RichMediaExecute); embedded files; RichMedia (Flash); XFA forms; and a PDF
encrypted with a password we do not have (it cannot be checked). Links a person clicks
(/URI in a link annotation) are allowed: they do nothing on opening, and evidence PDFs
(bank statements, letters) carry them. A /URI action run on opening is refused with
/OpenAction and /AA.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from videoresponse.evidence.containers import Malformed

ALWAYS = {"/JavaScript", "/JS", "/AA", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/EF"}
ALWAYS |= {"/RichMedia", "/RichMediaContent", "/XFA", "/GoToR", "/GoToE", "/ImportData"}
ALWAYS |= {"/SubmitForm"}
ACTION_TYPES = {
    "/JavaScript",
    "/Launch",
    "/GoToR",
    "/GoToE",
    "/ImportData",
    "/SubmitForm",
    "/RichMediaExecute",
}
# A very large number of objects is itself a way to tie up a worker.
MAX_OBJECTS = 500_000

logging.getLogger("pypdf").setLevel(logging.ERROR)


def _refusal(name: str) -> str:
    if name in {"/EmbeddedFile", "/EmbeddedFiles", "/EF"}:
        what = "other files hidden inside it"
    elif name in {"/JavaScript", "/JS"}:
        what = "a program (JavaScript)"
    elif name in {"/XFA", "/RichMedia", "/RichMediaContent", "/RichMediaExecute"}:
        what = "interactive content (a form or media that runs code)"
    else:
        what = "actions that run by themselves or open other files"
    return (
        f"This PDF contains {what}, which can be harmful, so it cannot be sent. "
        "Please print it to a new PDF and send that."
    )


def check(held: io.BytesIO) -> None:
    """Raises Malformed (its reason for a person) on anything listed in the module."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(held, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Malformed(
                "This PDF is protected by a password, so we cannot check it. Please remove "
                "the password (or print it to a new PDF) and send that."
            )
        _walk(reader)
    except Malformed:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, RecursionError, OSError):
        raise Malformed(
            "We could not read this PDF: it may be damaged. Please save or print it to a new "
            "PDF and send that."
        ) from None


def _walk(reader: Any) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    pending: list[Any] = [reader.trailer]
    # Every object in the cross-reference tables and object streams, used or not.
    for generation, numbers in reader.xref.items():
        pending += [IndirectObject(number, generation, reader) for number in numbers]
    pending += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while pending:
        value = pending.pop()
        if isinstance(value, IndirectObject):
            key = (value.idnum, value.generation)
            if key in seen:
                continue
            seen.add(key)
            value = value.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            raise Malformed("This PDF has too many parts to check. Please print it to a new PDF.")
        if isinstance(value, DictionaryObject):
            _check_dictionary(value)
            pending += list(value.values())
        elif isinstance(value, ArrayObject):
            pending += list(value)


def _check_dictionary(dictionary: Any) -> None:
    from pypdf.generic import DictionaryObject, IndirectObject

    for key in dictionary:
        if key in ALWAYS:
            raise Malformed(_refusal(key))
    action = dictionary.get("/S")
    if action in ACTION_TYPES:
        raise Malformed(_refusal(str(action)))
    if dictionary.get("/Type") == "/EmbeddedFile":
        raise Malformed(_refusal("/EmbeddedFile"))
    opening = dictionary.get("/OpenAction")
    if isinstance(opening, IndirectObject):
        opening = opening.get_object()
    # A destination (an array: the page to open at) is fine; an action other than GoTo is not.
    if isinstance(opening, DictionaryObject) and opening.get("/S") not in {None, "/GoTo"}:
        raise Malformed(_refusal(str(opening.get("/S"))))
