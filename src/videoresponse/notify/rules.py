"""The rules of texts to members of the public: pure, no I/O but reading a wording file.

One module per concept (``wording``, ``safe_words``, ``compose``, ``segments``); this
module is their public face. A text says the least it can: it starts with the person's
code word, never says what the appointment is about, and never says it is from the
police unless the person allowed that (SECURITY.md, "Domestic abuse safety").

A wording file that breaks a rule raises ``WordingError`` when it is loaded; a text that
would say what it must not raises ``UnsafeMessage``. A naive datetime, or a value
missing that a template needs, is a programming error: plain ``ValueError``.
"""

from videoresponse.notify.compose import ComposedText, UnsafeMessage, compose, format_when
from videoresponse.notify.safe_words import (
    POLICE_NUMBERS,
    POLICE_WORDS,
    SUBJECT_WORDS,
    find_unsafe_words,
)
from videoresponse.notify.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Segments,
    SmsEncoding,
    count_segments,
    is_gsm7,
)
from videoresponse.notify.wording import (
    PLACEHOLDERS,
    REQUIRED_PLACEHOLDERS,
    MessageKind,
    Variant,
    Wording,
    WordingError,
    load_wording,
    placeholders_in,
    wording_from_mapping,
)

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "PLACEHOLDERS",
    "POLICE_NUMBERS",
    "POLICE_WORDS",
    "REQUIRED_PLACEHOLDERS",
    "SUBJECT_WORDS",
    "ComposedText",
    "MessageKind",
    "Segments",
    "SmsEncoding",
    "UnsafeMessage",
    "Variant",
    "Wording",
    "WordingError",
    "compose",
    "count_segments",
    "find_unsafe_words",
    "format_when",
    "is_gsm7",
    "load_wording",
    "placeholders_in",
    "wording_from_mapping",
]
