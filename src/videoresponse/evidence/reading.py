"""Opening an original: justified, recorded first, and checked as it streams.

The plaintext is hashed on its way out against the arrival hash (the first "hashed"
continuity event, append-only, rather than the item's own column), with the last segment
held back until it matches, so a changed or swapped original is never delivered whole.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database
from videoresponse.evidence import rules
from videoresponse.evidence.envelope import Tampered
from videoresponse.evidence.models import ContinuityEntry, EvidenceItem
from videoresponse.evidence.rules import ContinuityEvent, EvidenceRuleError, ItemState
from videoresponse.evidence.service import Vault, item_for_staff, record_event
from videoresponse.evidence.store import read_plaintext


@dataclass(frozen=True)
class Opened:
    name: str
    media_type: str
    size: int
    chunks: Iterator[bytes]


def open_original(
    db: Database, vault: Vault, *, item_id: int, by: StaffMember, why: str, download: bool
) -> Opened:
    """The original as it arrived, decrypted as it streams; the access is recorded first."""
    cleaned = rules.justification(why)
    with db.transaction() as session:
        item = item_for_staff(session, item_id, by)
        if item.state == ItemState.REFUSED.value:
            raise EvidenceRuleError("Nothing of a refused upload was kept.")
        event = ContinuityEvent.DOWNLOADED if download else ContinuityEvent.VIEWED
        record_event(session, item, event, by.actor, cleaned)
        key, media_type, size = item.storage_key, item.media_type, item.size or 0
        expected = arrival_sha256(session, item)
        # A server-made name: the sender's own file name may carry anything.
        name = f"evidence-{item_id}.{item.extension}" if item.extension else f"evidence-{item_id}"
    return Opened(
        name,
        media_type or "application/octet-stream",
        size,
        checked(db, item_id, read_plaintext(vault.store, key, vault.keyring), expected),
    )


def arrival_sha256(session: Session, item: EvidenceItem) -> str:
    """The hash in the item's first "hashed" continuity event: append-only, unlike the
    item's own sha256 column."""
    detail = session.scalar(
        select(ContinuityEntry.detail)
        .where(
            ContinuityEntry.item_id == item.id,
            ContinuityEntry.event == ContinuityEvent.HASHED.value,
        )
        .order_by(ContinuityEntry.seq)
        .limit(1)
    )
    recorded = str(json.loads(detail).get("sha256", "")) if detail else ""
    return recorded or item.sha256


def checked(db: Database, item_id: int, chunks: Iterator[bytes], sha256: str) -> Iterator[bytes]:
    """The plaintext as it streams, hashed on the way, one segment held back: only when the
    whole matches the arrival hash does the last part go out. A mismatch (or a damaged or
    swapped object) is recorded in the continuity record and raised, which cuts the
    response short of its Content-Length, so no client takes it for the whole file.
    (Verifying first and streaming after would read every original twice.)"""
    digest = hashlib.sha256()
    held: bytes | None = None
    try:
        for chunk in chunks:
            digest.update(chunk)
            if held is not None:
                yield held
            held = chunk
    except Tampered as error:
        _record_mismatch(db, item_id, sha256, "", error.reason)
        raise
    if digest.hexdigest() != sha256:
        _record_mismatch(db, item_id, sha256, digest.hexdigest(), "")
        raise Tampered("The stored original does not match the SHA-256 recorded on arrival.")
    if held is not None:
        yield held


def _record_mismatch(db: Database, item_id: int, expected: str, found: str, reason: str) -> None:
    with db.transaction() as session:
        item = session.get_one(EvidenceItem, item_id)
        record_event(
            session,
            item,
            ContinuityEvent.HASH_MISMATCH,
            "system",
            expected_sha256=expected,
            read_sha256=found,
            reason=reason[:200],
        )
