"""Appointments, their history, and the idempotency keys of booking requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from videoresponse.core.db import Base, UTCDateTime, utcnow


class Appointment(Base):
    """A person, an incident, an officer and a time.

    `reserved_until` is the end plus the write-up buffer. Two appointments of one officer
    whose [starts_at, reserved_until) ranges overlap would leave less than the buffer
    between them, so the database's exclusion constraint on that range enforces the
    buffer on both sides, as the slot search applies it.
    """

    __tablename__ = "appointment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id"), index=True, nullable=True
    )
    route: Mapped[str] = mapped_column(String(20), default="video")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reserved_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), index=True)
    officer_reason: Mapped[str] = mapped_column(Text, default="")
    late_reason: Mapped[str] = mapped_column(Text, default="")
    follow_up_of: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), nullable=True)
    # Set when an absence left no officer free at this time: a supervisor must rebook.
    needs_rebooking: Mapped[bool] = mapped_column(default=False)
    # None when the caller chose the time themselves through their link.
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppointmentEvent(Base):
    """The appointment's history: every booking, move, reallocation and status change."""

    __tablename__ = "appointment_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(120))
    event: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    officer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")


class IdempotencyKey(Base):
    """A booking request's key and its answer, so a retried request books nothing twice."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("staff_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
