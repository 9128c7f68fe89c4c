"""Evidence items: their states, who may decide, what a justification needs, the quota.

Pure: plain values in, plain values out. The original of an item never changes; only its
state (receiving, received, accepted or declined) and the decision about it do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class ItemState(StrEnum):
    RECEIVING = "receiving"
    # All bytes are in and one request has claimed the checks (content, scan, sealing).
    CHECKING = "checking"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    # An upload that never became evidence: its type was refused, or its sender stopped it.
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class Source(StrEnum):
    UPLOAD = "upload"
    STILL_FRAME = "still_frame"
    DERIVATIVE = "derivative"


class ScanState(StrEnum):
    PENDING = "pending"
    CLEAN = "clean"
    INFECTED = "infected"
    NOT_SCANNED = "not_scanned"
    FAILED = "failed"


class ContinuityEvent(StrEnum):
    ARRIVED = "arrived"
    HASHED = "hashed"
    SCANNED = "scanned"
    CAPTURED = "captured"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    VIEWED = "viewed"
    DOWNLOADED = "downloaded"
    DERIVATIVE_MADE = "derivative_made"
    EXPORTED = "exported"
    # An original read back (to view, download or export) did not match its arrival hash.
    HASH_MISMATCH = "hash_mismatch_on_read"


STATE_LABELS: Final = {
    ItemState.RECEIVING: "Arriving",
    ItemState.CHECKING: "Being checked",
    ItemState.RECEIVED: "Waiting for a decision",
    ItemState.ACCEPTED: "Accepted",
    ItemState.DECLINED: "Declined",
    ItemState.REFUSED: "Refused",
    ItemState.WITHDRAWN: "Stopped by the sender",
}
SCAN_LABELS: Final = {
    ScanState.PENDING: "Not checked yet",
    ScanState.CLEAN: "No virus found",
    ScanState.INFECTED: "Virus found",
    ScanState.NOT_SCANNED: "Not scanned (no virus scanner is set up)",
    ScanState.FAILED: "Virus check failed",
}

_MOVES: Final = {
    ItemState.RECEIVING: frozenset({ItemState.CHECKING, ItemState.REFUSED, ItemState.WITHDRAWN}),
    # Back to receiving only when the checks themselves failed (not the file): a retry claims again.
    ItemState.CHECKING: frozenset({ItemState.RECEIVED, ItemState.REFUSED, ItemState.RECEIVING}),
    ItemState.RECEIVED: frozenset({ItemState.ACCEPTED, ItemState.DECLINED}),
    # A decision can be revisited (accepted by mistake, declined too quickly), with a reason.
    ItemState.ACCEPTED: frozenset({ItemState.DECLINED}),
    ItemState.DECLINED: frozenset({ItemState.ACCEPTED}),
    ItemState.REFUSED: frozenset[ItemState](),
    ItemState.WITHDRAWN: frozenset[ItemState](),
}
# What counts against an appointment's quota: everything kept or on its way.
HOLDS_SPACE: Final = frozenset(
    {
        ItemState.RECEIVING,
        ItemState.CHECKING,
        ItemState.RECEIVED,
        ItemState.ACCEPTED,
        ItemState.DECLINED,
    }
)
MIN_JUSTIFICATION: Final = 10
MAX_JUSTIFICATION: Final = 500


class EvidenceRuleError(ValueError):
    """Something the rules do not allow; the message is for a person."""


class TooManyArriving(EvidenceRuleError):
    """One sender has MAX_ARRIVING uploads still arriving (each holds staging space)."""


# Files one sender may have arriving at once: a phone sends a handful; more is a script.
MAX_ARRIVING: Final = 10


def check_arriving(count: int) -> None:
    if count >= MAX_ARRIVING:
        raise TooManyArriving(
            f"{MAX_ARRIVING} of your files are still arriving. Wait for them to finish, "
            "or stop some, before sending more."
        )


def move(current: ItemState, to: ItemState) -> ItemState:
    """The next state, or EvidenceRuleError with the reason it cannot be reached."""
    if to not in _MOVES[current]:
        if current in {ItemState.RECEIVING, ItemState.CHECKING} and to in {
            ItemState.ACCEPTED,
            ItemState.DECLINED,
        }:
            raise EvidenceRuleError("This file is still arriving. Decide once it has arrived.")
        raise EvidenceRuleError(
            f"This item is {STATE_LABELS[current].lower()}: it cannot be "
            f"{STATE_LABELS.get(to, to.value).lower()} now."
        )
    return to


def decision(current: ItemState, to: ItemState, reason: str) -> tuple[ItemState, str]:
    """Accept or decline: declining, or changing a decision already made, needs a reason."""
    if to not in {ItemState.ACCEPTED, ItemState.DECLINED}:
        raise EvidenceRuleError("Choose accept or decline.")
    state = move(current, to)
    cleaned = clean_text(reason)
    needs_reason = to is ItemState.DECLINED or current is not ItemState.RECEIVED
    if needs_reason and not cleaned:
        raise EvidenceRuleError(
            "Give the reason for declining this item."
            if to is ItemState.DECLINED
            else "Give the reason for changing the decision."
        )
    if len(cleaned) > MAX_JUSTIFICATION:
        raise EvidenceRuleError(f"Keep the reason to {MAX_JUSTIFICATION} characters or fewer.")
    return state, cleaned


def justification(text: str, example: str = "reviewing the injury photo for the statement") -> str:
    """Why someone views, downloads, copies or discloses evidence: short, but a real
    sentence. The example in the error fits what the person was doing."""
    cleaned = clean_text(text)
    if len(cleaned) < MIN_JUSTIFICATION:
        raise EvidenceRuleError(
            f"Say why you need this (at least {MIN_JUSTIFICATION} characters), "
            f"for example: {example}."
        )
    if len(cleaned) > MAX_JUSTIFICATION:
        raise EvidenceRuleError(f"Keep the reason to {MAX_JUSTIFICATION} characters or fewer.")
    return cleaned


def recipient(text: str) -> str:
    """Whom a bundle is disclosed to, as the disclosure record names them."""
    cleaned = clean_text(text)
    if len(cleaned) < 3:
        raise EvidenceRuleError(
            "Say who the bundle is for, for example: CPS – Crown Court case 123."
        )
    if len(cleaned) > 200:
        raise EvidenceRuleError("Keep the recipient to 200 characters or fewer.")
    return cleaned


DISCLOSURE_EXAMPLE = "disclosure to the CPS for the charging decision"


def export_form_errors(why: str, recipient_text: str) -> dict[str, str]:
    """Every mistake in the export form at once, by field, for one error summary."""
    errors: dict[str, str] = {}
    try:
        justification(why, DISCLOSURE_EXAMPLE)
    except EvidenceRuleError as error:
        errors["why"] = str(error)
    try:
        recipient(recipient_text)
    except EvidenceRuleError as error:
        errors["recipient"] = str(error)
    return errors


def clean_text(text: str) -> str:
    """One line, no control characters: a reason ends up in the audit log (ASVS 16.4.1)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


@dataclass(frozen=True)
class Space:
    """An appointment's upload space: what one more file of `length` bytes may take."""

    max_file_bytes: int
    quota_bytes: int
    used_bytes: int

    @property
    def left(self) -> int:
        return max(0, self.quota_bytes - self.used_bytes)

    def check(self, length: int) -> None:
        if length < 0:
            raise EvidenceRuleError("The file size is missing or not a number.")
        if length == 0:
            raise EvidenceRuleError("This file is empty.")
        if length > self.max_file_bytes:
            raise EvidenceRuleError(
                f"This file is too big: {describe_size(length)}. "
                f"The largest file you can send is {describe_size(self.max_file_bytes)}."
            )
        if length > self.left:
            raise EvidenceRuleError(
                f"There is not enough space left for this file ({describe_size(length)}): "
                f"{describe_size(self.left)} is left for this appointment."
            )


def used_space(items: Iterable[tuple[ItemState, int]]) -> int:
    """Bytes held by items (their declared length while still arriving)."""
    return sum(size for state, size in items if state in HOLDS_SPACE)


def describe_size(size: int) -> str:
    """1.5 MB, 300 KB, 12 bytes: as a person reads sizes (decimal units, as phones show)."""
    if size < 1000:
        return f"{size} bytes"
    unit, scale = next(u for u in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)) if size >= u[1])
    value = size / scale
    return f"{value:.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"


def hash_match(server_sha256: str, client_sha256: str) -> bool | None:
    """Whether the browser's own hash matches ours; None when the browser sent none."""
    if not client_sha256:
        return None
    return server_sha256.lower() == client_sha256.lower()


def short_hash(sha256: str) -> str:
    """The first and last characters, grouped: enough to compare by eye on a call."""
    return f"{sha256[:8]}…{sha256[-8:]}" if len(sha256) > 16 else sha256
