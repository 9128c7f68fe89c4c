"""Evidence rules: an item's states, decisions and their reasons, justifications, quota."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from videoresponse.evidence import rules
from videoresponse.evidence.rules import EvidenceRuleError, ItemState, Space


def test_an_item_arrives_then_is_decided_and_a_decision_can_be_revisited_with_a_reason() -> None:
    assert rules.move(ItemState.RECEIVING, ItemState.CHECKING) is ItemState.CHECKING
    assert rules.move(ItemState.CHECKING, ItemState.RECEIVED) is ItemState.RECEIVED
    with pytest.raises(EvidenceRuleError):
        rules.move(ItemState.RECEIVING, ItemState.RECEIVED)  # only through one claim
    assert rules.decision(ItemState.RECEIVED, ItemState.ACCEPTED, "") == (ItemState.ACCEPTED, "")
    with pytest.raises(EvidenceRuleError, match="changing the decision"):
        rules.decision(ItemState.DECLINED, ItemState.ACCEPTED, "  ")
    assert rules.decision(ItemState.ACCEPTED, ItemState.DECLINED, "wrong file") == (
        ItemState.DECLINED,
        "wrong file",
    )


def test_declining_needs_a_reason_and_nothing_is_decided_while_it_arrives() -> None:
    with pytest.raises(EvidenceRuleError, match="reason for declining"):
        rules.decision(ItemState.RECEIVED, ItemState.DECLINED, "")
    with pytest.raises(EvidenceRuleError, match="still arriving"):
        rules.decision(ItemState.RECEIVING, ItemState.ACCEPTED, "")
    with pytest.raises(EvidenceRuleError):
        rules.move(ItemState.REFUSED, ItemState.RECEIVED)
    with pytest.raises(EvidenceRuleError):
        rules.move(ItemState.RECEIVED, ItemState.WITHDRAWN)


def test_a_justification_is_one_clean_line_of_real_length() -> None:
    assert rules.justification("  checking the\ninjury\x00 photo ") == "checking the injury photo"
    with pytest.raises(EvidenceRuleError, match="Say why"):
        rules.justification("look")
    with pytest.raises(EvidenceRuleError, match="500"):
        rules.justification("x" * 501)


def test_size_and_quota_are_checked_with_sizes_a_person_reads() -> None:
    space = Space(max_file_bytes=10_000_000, quota_bytes=25_000_000, used_bytes=20_000_000)
    space.check(5_000_000)
    with pytest.raises(
        EvidenceRuleError, match=r"too big: 10.0 MB.*largest file you can send is 10.0 MB"
    ):
        space.check(10_000_001)
    with pytest.raises(EvidenceRuleError, match=r"5.0 MB is left"):
        space.check(5_000_001)
    with pytest.raises(EvidenceRuleError, match="empty"):
        space.check(0)


def test_used_space_counts_what_is_kept_or_arriving_only() -> None:
    held = [
        (ItemState.RECEIVING, 10),
        (ItemState.RECEIVED, 20),
        (ItemState.ACCEPTED, 30),
        (ItemState.DECLINED, 40),
        (ItemState.REFUSED, 1000),
        (ItemState.WITHDRAWN, 1000),
    ]
    assert rules.used_space(held) == 100


@given(st.integers(min_value=0, max_value=10**13))
def test_sizes_always_read_as_a_number_and_a_unit(size: int) -> None:
    text = rules.describe_size(size)
    number, unit = text.split(" ")
    assert unit in {"bytes", "KB", "MB", "GB"}
    float(number)


def test_hashes_are_compared_without_regard_to_case_and_absent_ones_are_not_a_mismatch() -> None:
    digest = "ab" * 32
    assert rules.hash_match(digest, digest.upper()) is True
    assert rules.hash_match(digest, "cd" * 32) is False
    assert rules.hash_match(digest, "") is None
    assert rules.short_hash(digest) == "abababab…abababab"
