"""The tamper-evident audit log (Data Protection Act 2018 s.62; ASVS V16).

Every entry carries the hash of the one before it and the hash of its own canonical
content, so an edited, deleted, inserted or reordered entry breaks the chain that
`videoresponse audit verify` walks. Entries are written in the caller's transaction:
the change and its record commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import BigInteger, Integer, String, Text, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from videoresponse.core.db import Base, UTCDateTime, utcnow

GENESIS = "0" * 64
# Any constant will do: it names the one lock that orders appends on PostgreSQL.
_CHAIN_LOCK_KEY = 0x5649_4445_4F52


class Action(StrEnum):
    """The s.62 operations, plus security events (sign-ins, lock-outs)."""

    COLLECTION = "collection"
    ALTERATION = "alteration"
    CONSULTATION = "consultation"
    DISCLOSURE = "disclosure"
    COMBINATION = "combination"
    ERASURE = "erasure"
    SECURITY = "security"


class Actor(Protocol):
    """Whoever does something: a staff member, a caller through their link, the system."""

    @property
    def actor(self) -> str: ...

    @property
    def staff_id(self) -> int | None: ...


@dataclass(frozen=True)
class CallerActor:
    """A member of the public acting through their link; no account, so no staff id."""

    person_id: int
    link_id: int

    @property
    def actor(self) -> str:
        return f"caller:person:{self.person_id}:link:{self.link_id}"

    @property
    def staff_id(self) -> int | None:
        return None


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(20))
    event: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(60), default="")
    object_id: Mapped[str] = mapped_column(String(60), default="")
    why: Mapped[str] = mapped_column(Text, default="")
    recipient: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


def canonical_hash(entry: AuditEntry) -> str:
    """SHA-256 of the entry's content and its predecessor's hash, in one fixed form."""
    content = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "action": entry.action,
        "event": entry.event,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "why": entry.why,
        "recipient": entry.recipient,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
    }
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(encoded.encode()).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: Action,
    event: str,
    object_type: str = "",
    object_id: str | int = "",
    why: str = "",
    recipient: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction. Never pass tokens or secrets in detail."""
    if session.get_bind().dialect.name == "postgresql":
        # Appends are ordered by this lock: without it two transactions would read the same
        # last hash and fork the chain. It is released at commit.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    entry = AuditEntry(
        seq=(last.seq + 1) if last else 1,
        at=utcnow(),
        actor=actor,
        action=action.value,
        event=event,
        object_type=object_type,
        object_id=str(object_id),
        why=why,
        recipient=recipient,
        detail=json.dumps(detail or {}, sort_keys=True, separators=(",", ":")),
        prev_hash=last.entry_hash if last else GENESIS,
    )
    entry.entry_hash = canonical_hash(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries_checked: int
    first_bad_seq: int | None
    problem: str

    @property
    def intact(self) -> bool:
        return self.first_bad_seq is None


def verify_chain(session: Session, batch: int = 1000) -> ChainReport:
    """Walk the whole log in order and report the first entry that does not fit."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    for entry in _in_order(session, batch):
        if entry.seq != expected_seq:
            return ChainReport(
                checked, entry.seq, f"expected entry {expected_seq} next, found {entry.seq}"
            )
        if entry.prev_hash != expected_prev:
            return ChainReport(
                checked, entry.seq, "does not follow the entry before it (previous hash differs)"
            )
        if canonical_hash(entry) != entry.entry_hash:
            return ChainReport(checked, entry.seq, "content changed since it was written")
        expected_prev = entry.entry_hash
        expected_seq += 1
        checked += 1
    return ChainReport(checked, None, "")


def _in_order(session: Session, batch: int) -> Iterator[AuditEntry]:
    # The order is by id (insertion), not seq: a reordered or renumbered entry then
    # shows up as a seq or hash mismatch instead of being sorted back into place.
    stmt = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch)
    for entry in session.scalars(stmt):
        yield entry
        session.expunge(entry)
