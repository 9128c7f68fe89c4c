"""The statement's pure rules: canonical content, hashes, declarations, signatures."""

from __future__ import annotations

import hashlib
import json
import struct
import time
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.statements.support import data_url, png
from videoresponse.statements import rules
from videoresponse.statements.rules import FirstPart, RestrictedPart, StatementError

PART = FirstPart(
    statement_of="Zoë Example",
    under_18=False,
    age=None,
    occupation="Nurse",
    body="I was at home.\nI heard glass break.",
    pages=1,
)
RESTRICTED = RestrictedPart("07700 900123", "", "", "", False, False)

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


def test_canonical_content_is_sorted_compact_utf8_json_of_the_first_part_only() -> None:
    content = rules.canonical_content(PART)
    assert (
        content
        == (
            '{"age":null,"body":"I was at home.\\nI heard glass break.","occupation":"Nurse",'
            '"pages":1,"statement_of":"Zoë Example","under_18":false}'
        ).encode()
    )
    assert rules.content_sha256(PART) == hashlib.sha256(content).hexdigest()
    assert rules.first_part_from_content(content) == PART


def test_the_same_words_typed_differently_hash_the_same() -> None:
    decomposed = FirstPart(
        statement_of="Zoe\u0308 Example ",
        under_18=False,
        age=None,
        occupation="Nurse",
        body="I was at home.\r\nI heard glass break.",
        pages=1,
    )
    assert rules.content_sha256(decomposed) == rules.content_sha256(PART)


def test_any_change_to_what_the_witness_signs_changes_the_hash() -> None:
    base = rules.content_sha256(PART)
    for changed in (
        FirstPart(**{**PART.__dict__, "body": PART.body + "."}),
        FirstPart(**{**PART.__dict__, "pages": 2}),
        FirstPart(**{**PART.__dict__, "under_18": True, "age": 16}),
        FirstPart(**{**PART.__dict__, "occupation": "Doctor"}),
    ):
        assert rules.content_sha256(changed) != base


def test_an_age_is_kept_only_for_a_witness_under_18() -> None:
    over = FirstPart(**{**PART.__dict__, "age": 40})
    assert json.loads(rules.canonical_content(over))["age"] is None


@given(texts, texts, st.booleans(), st.integers(1, 17), texts, st.integers(1, 99))
def test_canonical_content_round_trips_and_is_stable(
    name: str, body: str, under_18: bool, age: int, occupation: str, pages: int
) -> None:
    part = FirstPart(name, under_18, age if under_18 else None, occupation, body, pages)
    content = rules.canonical_content(part)
    again = rules.first_part_from_content(content)
    assert rules.canonical_content(again) == content
    assert "\r" not in again.body
    assert rules.content_sha256(again) == rules.content_sha256(part)


def test_a_draft_with_impossible_values_is_refused_with_a_reason() -> None:
    with pytest.raises(StatementError, match="Age"):
        rules.check_draft(FirstPart(**{**PART.__dict__, "under_18": True, "age": 30}), RESTRICTED)
    with pytest.raises(StatementError, match="pages"):
        rules.check_draft(FirstPart(**{**PART.__dict__, "pages": 0}), RESTRICTED)
    with pytest.raises(StatementError, match="Victim Personal Statement"):
        rules.check_draft(PART, RestrictedPart("", "", "", "", vps_offered=False, vps_made=True))
    rules.check_draft(PART, RESTRICTED)


def test_a_statement_is_ready_to_present_only_with_a_name_words_and_a_childs_age() -> None:
    with pytest.raises(StatementError, match="who the statement is of"):
        rules.check_ready_to_present(FirstPart(**{**PART.__dict__, "statement_of": " "}))
    with pytest.raises(StatementError, match="Write the statement"):
        rules.check_ready_to_present(FirstPart(**{**PART.__dict__, "body": "\n"}))
    with pytest.raises(StatementError, match="age"):
        rules.check_ready_to_present(FirstPart(**{**PART.__dict__, "under_18": True}))
    rules.check_ready_to_present(PART)


def test_declarations_use_the_mg11_wording() -> None:
    assert rules.declaration(1).startswith(
        "This statement (consisting of 1 page each signed by me)"
    )
    assert "consisting of 3 pages" in rules.declaration(3)
    assert rules.declaration(2).endswith(
        "if I have wilfully stated in it anything which I know to be false, or do not believe "
        "to be true."
    )
    assert rules.read_over_declaration("Sam Reader", "Zoë Example").startswith(
        "I, Sam Reader, have read the above statement to Zoë Example before they signed it"
    )


def test_a_drawn_signature_must_be_a_png_with_ink_and_not_too_big() -> None:
    assert rules.signature_png(data_url()) == png()
    for bad, why in (
        ("data:image/jpeg;base64,AAAA", "signature pad"),
        ("data:image/png;base64,not base64!", "could not be read"),
        (data_url(b"GIF89a" + b"\0" * 100), "not an image"),
        (data_url(png(ink=False)), "Draw your signature"),
        (data_url(png(mode="RGB")), "signature pad"),
        (data_url(_claims_size(png(), 10_000, 10_000)), "signature pad"),
    ):
        with pytest.raises(StatementError, match=why):
            rules.signature_png(bad)
    too_big = data_url(png() + b"\0" * rules.MAX_SIGNATURE_BYTES)
    with pytest.raises(StatementError, match="too large"):
        rules.signature_png(too_big)


def _claims_size(image: bytes, width: int, height: int) -> bytes:
    """A PNG whose header claims another size: a decompression bomb's first step."""
    return image[:16] + struct.pack(">II", width, height) + image[24:]


def test_a_typed_name_is_one_printable_line() -> None:
    assert rules.check_name("  Zoë   Example ") == "Zoë Example"
    for bad in ("", "   ", "Zoë\u0000Example", "x" * 201):
        with pytest.raises(StatementError):
            rules.check_name(bad)


def test_the_binding_changes_with_each_thing_it_binds() -> None:
    at = datetime(2026, 11, 28, 14, 32, tzinfo=UTC)
    mark = png()
    base = rules.signature_binding("a" * 64, "Zoë Example", mark, at)
    assert len(base) == 64
    assert base != rules.signature_binding("b" * 64, "Zoë Example", mark, at)
    assert base != rules.signature_binding("a" * 64, "Zoe Example", mark, at)
    assert base != rules.signature_binding("a" * 64, "Zoë Example", mark + b"\0", at)
    assert base != rules.signature_binding("a" * 64, "Zoë Example", mark, at.replace(second=1))
    # Length-prefixed: moving bytes from one field to the next is a different binding.
    assert rules.signature_binding("a" * 64, "ab", b"c", at) != rules.signature_binding(
        "a" * 64, "a", b"bc", at
    )


def test_age_on_a_day() -> None:
    assert rules.age_on(date(2010, 5, 17), date(2026, 5, 16)) == 15
    assert rules.age_on(date(2010, 5, 17), date(2026, 5, 17)) == 16
    assert rules.age_on(None, date(2026, 5, 17)) is None


def test_a_signature_bigger_than_any_pad_draws_is_refused_before_it_is_inflated() -> None:
    bomb = png(size=(4096, 4096))
    assert len(bomb) < rules.MAX_SIGNATURE_BYTES
    started = time.perf_counter()
    with pytest.raises(StatementError, match="signature pad"):
        rules.signature_png(data_url(bomb))
    assert time.perf_counter() - started < 0.05
    for width, height in ((rules.MAX_PAD_WIDTH + 1, 100), (100, rules.MAX_PAD_HEIGHT + 1)):
        with pytest.raises(StatementError, match="signature pad"):
            rules.signature_png(data_url(_claims_size(png(), width, height)))


def test_the_largest_pad_a_device_draws_is_counted_quickly() -> None:
    # pad.js caps the pixel ratio at 3: a 600 x 180 box (plus its border) at most this.
    largest = png(size=(604 * 3, 184 * 3))
    started = time.perf_counter()
    assert rules.signature_png(data_url(largest)) == largest
    assert time.perf_counter() - started < 0.1
    full = png(size=(rules.MAX_PAD_WIDTH, rules.MAX_PAD_HEIGHT))
    started = time.perf_counter()
    rules.signature_png(data_url(full))
    assert time.perf_counter() - started < 0.3
