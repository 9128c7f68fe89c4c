"""Text messages (the outbox), join links and the callers' sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from videoresponse.core.db import Base, UTCDateTime, utcnow
from videoresponse.triage.models import PersonRow


class TextMessage(Base):
    """One text, written in the same transaction as the change that causes it.

    The body is composed when it is sent, not stored: a join link's token exists only in
    the text itself, and the table keeps only its hash (in join_link).
    """

    __tablename__ = "text_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), index=True, nullable=True
    )
    link_id: Mapped[int | None] = mapped_column(ForeignKey("join_link.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    custom_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    provider: Mapped[str] = mapped_column(String(20), default="")
    provider_id: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A text that could not be delivered stays on the supervisor's list until someone
    # has phoned the person (where that is safe) and said so.
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    followed_up_by: Mapped[str] = mapped_column(String(120), default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[PersonRow] = relationship()


class JoinLink(Base):
    """The link in a text. Only the SHA-256 of its token is kept (ASVS 6.5.2)."""

    __tablename__ = "join_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), index=True, nullable=True
    )
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_checks: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallerSession(Base):
    """A caller's browser after it exchanged a link's token for a cookie."""

    __tablename__ = "caller_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("join_link.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
