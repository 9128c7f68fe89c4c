"""The no-show table: what the officer found when the caller did not join."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from videoresponse.core.db import Base, UTCDateTime, utcnow


class NoShowOutcome(Base):
    """One per missed appointment: the outcome code, whether a call was made, a note."""

    __tablename__ = "no_show_outcome"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), unique=True
    )
    outcome: Mapped[str] = mapped_column(String(20))
    called: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
