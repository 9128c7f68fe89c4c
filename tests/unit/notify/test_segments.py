from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from videoresponse.notify.rules import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Segments,
    count_segments,
    is_gsm7,
)

# The default alphabet of 3GPP TS 23.038 6.2.1 as its table prints it, escape left out.
TS_23_038_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
TS_23_038_EXTENSION = "\f^{}\\[~]|€"


def test_the_tables_are_the_standards_127_characters_and_10_extensions() -> None:
    assert frozenset(TS_23_038_BASIC) == GSM7_BASIC
    assert len(TS_23_038_BASIC) == len(GSM7_BASIC) == 127
    assert frozenset(TS_23_038_EXTENSION) == GSM7_EXTENSION
    assert not GSM7_BASIC & GSM7_EXTENSION


def test_every_basic_character_is_one_septet() -> None:
    counted = count_segments(TS_23_038_BASIC)
    assert (counted.encoding, counted.characters) == ("GSM-7", 127)


@pytest.mark.parametrize("character", list(TS_23_038_EXTENSION))
def test_an_extension_character_is_two_septets(character: str) -> None:
    counted = count_segments(f"a{character}b")
    assert (counted.encoding, counted.characters, counted.segments) == ("GSM-7", 4, 1)


def test_a_pound_sign_and_the_accents_in_the_table_stay_in_gsm7() -> None:
    assert count_segments("£20 at the café, Müller").encoding == "GSM-7"
    assert count_segments("Zoë").encoding == "UCS-2"  # ë is not in the table


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("It\u2019s booked", "curly apostrophe"),
        ("\u201cBooked\u201d", "curly quotes"),
        ("Booked \U0001f44d", "emoji"),
        ("2pm \u2013 3pm", "en dash"),
        ("at\u00a02pm", "no-break space"),
        ("`", "backtick"),
        ("Croeso i\u2019r alwad fideo, ŵyr", "Welsh circumflex"),
    ],
)
def test_one_character_outside_gsm7_sends_the_whole_text_as_ucs2(text: str, why: str) -> None:
    assert not is_gsm7(text), why
    assert count_segments(text).encoding == "UCS-2", why


def test_an_empty_text_still_costs_one_message() -> None:
    assert count_segments("") == Segments("GSM-7", 0, 1)


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (160, 1), (161, 2), (153 * 2, 2), (153 * 2 + 1, 3), (153 * 3, 3)],
)
def test_gsm7_is_160_septets_in_one_message_and_153_in_each_part(
    length: int, segments: int
) -> None:
    counted = count_segments("a" * length)
    assert (counted.encoding, counted.characters, counted.segments) == (
        "GSM-7",
        length,
        segments,
    )


def test_extension_characters_count_double_towards_the_limit() -> None:
    assert count_segments("€" * 80).segments == 1
    assert count_segments("€" * 80 + "a").segments == 2
    assert count_segments("a" * 159 + "€").characters == 161


def test_an_extension_character_is_never_split_across_two_parts() -> None:
    # 306 septets would fill two parts exactly, but the € cannot start at septet 153.
    text = "a" * 152 + "€" + "a" * 152
    counted = count_segments(text)
    assert (counted.characters, counted.segments) == (306, 3)


@pytest.mark.parametrize(
    ("length", "segments"),
    [(70, 1), (71, 2), (67 * 2, 2), (67 * 2 + 1, 3)],
)
def test_ucs2_is_70_code_units_in_one_message_and_67_in_each_part(
    length: int, segments: int
) -> None:
    counted = count_segments("ж" * length)
    assert (counted.encoding, counted.characters, counted.segments) == (
        "UCS-2",
        length,
        segments,
    )


def test_an_emoji_is_two_utf16_code_units() -> None:
    assert count_segments("\U0001f44d").characters == 2
    assert count_segments("ж" * 68 + "\U0001f44d").segments == 1
    assert count_segments("ж" * 69 + "\U0001f44d").segments == 2


def test_a_surrogate_pair_is_never_split_across_two_parts() -> None:
    text = "ж" * 66 + "\U0001f44d" + "ж" * 66
    counted = count_segments(text)
    assert (counted.characters, counted.segments) == (134, 3)


@given(st.text(alphabet=sorted(GSM7_BASIC), max_size=700))
def test_basic_gsm7_text_needs_one_message_or_one_part_per_153_septets(text: str) -> None:
    counted = count_segments(text)
    expected = 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    assert (counted.encoding, counted.characters, counted.segments) == (
        "GSM-7",
        len(text),
        expected,
    )


@given(st.text(max_size=400))
def test_a_longer_text_never_costs_fewer_messages(text: str) -> None:
    assert count_segments(text + "a").segments >= count_segments(text).segments
