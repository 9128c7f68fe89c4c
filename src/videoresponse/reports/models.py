"""Callers' feedback after their appointment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, SmallInteger, Text
from sqlalchemy.orm import Mapped, mapped_column

from videoresponse.core.db import Base, UTCDateTime, utcnow


class Feedback(Base):
    """A rating (1 to 5) and an optional comment; one per appointment.

    Nothing here identifies the caller beyond the appointment, and when the appointment
    is erased the rating stays for the figures with no link to anyone (SET NULL).
    """

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="SET NULL"), unique=True, nullable=True
    )
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
