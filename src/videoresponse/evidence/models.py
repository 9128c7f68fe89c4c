"""Evidence items and their continuity records.

An item row exists from the moment an upload is created (state "receiving") so that an
upload in progress survives a restart and counts against the quota; its original is
sealed in the object store under `storage_key` once it has arrived, and never rewritten.
Continuity events are append-only (a trigger refuses UPDATE and DELETE).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from videoresponse.core.db import Base, UTCDateTime, utcnow


class EvidenceItem(Base):
    __tablename__ = "evidence_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The tus upload's id: random, and the only name the uploader's browser ever knows.
    upload_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    # Server-made and random: never derived from the file's own name (ASVS 5.3.2).
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="RESTRICT"), index=True
    )
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="RESTRICT"), index=True
    )
    # The uploader as the audit log names them: "caller:person:…:link:…" or "staff:…".
    uploaded_by: Mapped[str] = mapped_column(String(120))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    source: Mapped[str] = mapped_column(String(20), default="upload")
    derivative_of: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_item.id"), nullable=True, index=True
    )
    label: Mapped[str] = mapped_column(String(120), default="")
    original_name: Mapped[str] = mapped_column(String(255), default="")
    declared_type: Mapped[str] = mapped_column(String(255), default="")
    kind: Mapped[str] = mapped_column(String(40), default="")
    media_type: Mapped[str] = mapped_column(String(120), default="")
    extension: Mapped[str] = mapped_column(String(20), default="")
    length: Mapped[int] = mapped_column(BigInteger, default=0)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    client_sha256: Mapped[str] = mapped_column(String(64), default="")
    hash_match: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    scan_state: Mapped[str] = mapped_column(String(20), default="pending")
    scan_signature: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(20), default="receiving", index=True)
    refusal: Mapped[str] = mapped_column(Text, default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    key_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ContinuityEntry(Base):
    """One event in an item's life: what, who, when and why. Never changed or removed."""

    __tablename__ = "evidence_continuity"
    __table_args__ = (UniqueConstraint("item_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("evidence_item.id", ondelete="RESTRICT"))
    seq: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    why: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")
