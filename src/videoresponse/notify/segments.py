"""How many SMS segments a text costs: GSM 7-bit where it can be, UCS-2 where not.

3GPP TS 23.038 (GSM 03.38) section 6.2.1: the default alphabet and its extension table.
A text that uses only those characters goes as GSM-7, 160 septets in one message; one
character outside them (an emoji, a curly apostrophe) sends the whole text as UCS-2, 70
UTF-16 code units. A longer text is split into parts that each lose room to the 6-byte
concatenation header (TS 23.040 9.2.3.24.1): 153 septets or 67 code units per part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SmsEncoding = Literal["GSM-7", "UCS-2"]

# The default alphabet, in code-point order 0x00 to 0x7F. 0x1B is the escape to the
# extension table, not a character, so it is left out.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Each is sent as the escape and a second septet, so it counts as two.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67


@dataclass(frozen=True)
class Segments:
    encoding: SmsEncoding
    characters: int
    """Septets for GSM-7 (an extension character is two); UTF-16 code units for UCS-2."""
    segments: int


def is_gsm7(text: str) -> bool:
    """Whether every character is in the GSM 7-bit default alphabet or its extension."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _parts(widths: list[int], single: int, part: int) -> int:
    if sum(widths) <= single:
        return 1
    # A character never straddles two parts: a handset could not join an escape to its
    # septet, or a surrogate pair, across them. So fill each part greedily, as the
    # gateways do, which can take one part more than the plain division.
    parts, used = 1, 0
    for width in widths:
        if used + width > part:
            parts, used = parts + 1, 0
        used += width
    return parts


def count_segments(text: str) -> Segments:
    """The encoding a text will go in, its length in that encoding, and its segments.

    An empty text still goes as one message.
    """
    if is_gsm7(text):
        septets = [2 if c in GSM7_EXTENSION else 1 for c in text]
        return Segments("GSM-7", sum(septets), _parts(septets, GSM7_SINGLE, GSM7_PART))
    units = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return Segments("UCS-2", sum(units), _parts(units, UCS2_SINGLE, UCS2_PART))
