"""Statements: the draft being written, its immutable versions, signatures and sealed PDFs.

Versions, signatures and sealed PDFs are written once. The ORM refuses to change or
delete them here, and migration 0008 adds a trigger refusing UPDATE in the database too
(DELETE stays possible only through the incident's cascade, for retention).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from videoresponse.core.db import Base, UTCDateTime, utcnow


class Statement(Base):
    """The draft of one appointment's statement: autosaved, changed freely until presented."""

    __tablename__ = "statement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), unique=True
    )
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    # Each save adds one: a save from a tab that has not seen the latest is refused.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    statement_of: Mapped[str] = mapped_column(String(2000), default="")
    under_18: Mapped[bool] = mapped_column(Boolean, default=False)
    age: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    occupation: Mapped[str] = mapped_column(String(2000), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    pages: Mapped[int] = mapped_column(SmallInteger, default=1)
    contact_details: Mapped[str] = mapped_column(Text, default="")
    dates_to_avoid: Mapped[str] = mapped_column(Text, default="")
    needs_and_special_measures: Mapped[str] = mapped_column(Text, default="")
    medical_records_consent: Mapped[str] = mapped_column(String(3), default="")
    vps_offered: Mapped[bool] = mapped_column(Boolean, default=False)
    vps_made: Mapped[bool] = mapped_column(Boolean, default=False)
    witness_cannot_read: Mapped[bool] = mapped_column(Boolean, default=False)
    taken_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    taken_at_place: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    saved_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))


class StatementVersion(Base):
    """The text as presented to the witness, once: its hash is what they sign."""

    __tablename__ = "statement_version"
    __table_args__ = (UniqueConstraint("statement_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statement.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    # canonical_content() of the first part, exactly as hashed.
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_sha256: Mapped[str] = mapped_column(String(64))
    # The second part as it was when presented (JSON): kept with the version, not signed.
    restricted: Mapped[str] = mapped_column(Text)
    witness_cannot_read: Mapped[bool] = mapped_column(Boolean, default=False)
    made_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StatementSignature(Base):
    """One signature on one version: the witness, the reader of a read-over, the officer."""

    __tablename__ = "statement_signature"
    __table_args__ = (UniqueConstraint("version_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("statement_version.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))  # witness, read_over, officer
    name: Mapped[str] = mapped_column(String(200))
    # The officer's rank and number; empty for the others.
    officer_number: Mapped[str] = mapped_column(String(60), default="")
    image_png: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version_sha256: Mapped[str] = mapped_column(String(64))
    binding_sha256: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(120))


class SealedPdf(Base):
    """The countersigned version as a PDF under the force's seal: one per version."""

    __tablename__ = "sealed_statement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("statement_version.id", ondelete="CASCADE"), unique=True
    )
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    development_seal: Mapped[bool] = mapped_column(Boolean, default=False)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StatementCorrection(Base):
    """A change asked for in the call, as the officer's panel received it over the call's
    socket: kept with the statement so its history shows what was asked and when it was
    dealt with. The words stay here, never in the audit log."""

    __tablename__ = "statement_correction"
    __table_args__ = (UniqueConstraint("statement_id", "digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statement.id", ondelete="CASCADE"), index=True
    )
    from_role: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    # The call server's time on the message; received_at is when the panel stored it.
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # SHA-256 of the role, time and words: two tabs storing the same message keep one.
    digest: Mapped[str] = mapped_column(String(64))
    received_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)


WRITTEN_ONCE = (StatementVersion, StatementSignature, SealedPdf)


class WrittenOnce(RuntimeError):
    """A change to a version, signature or sealed PDF: a correction is a new version."""


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: Any, _instances: Any) -> None:
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, WRITTEN_ONCE) and (
            instance in session.deleted or session.is_modified(instance)
        ):
            raise WrittenOnce(f"{type(instance).__name__} is written once and never changed")
