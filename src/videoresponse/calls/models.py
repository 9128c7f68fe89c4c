"""The call's tables: what happened in each call, the rapid queue, and invited guests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from videoresponse.core.db import Base, UTCDateTime, utcnow


class CallEvent(Base):
    """Joined, admitted, connected, reconnected, left, ended: ids and times only."""

    __tablename__ = "call_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(10))
    peer_id: Mapped[str] = mapped_column(String(40))
    # How long: waited before admission, stayed on the socket, or the call lasted.
    seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RapidCall(Base):
    """An appointment made for an immediate call: queued until a video officer takes it."""

    __tablename__ = "rapid_call"

    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), primary_key=True
    )
    priority_band: Mapped[str] = mapped_column(String(2))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    queued_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)


class CallGuest(Base):
    """An interpreter or supporter invited by the officer, through a join link of their own."""

    __tablename__ = "call_guest"

    link_id: Mapped[int] = mapped_column(
        ForeignKey("join_link.id", ondelete="CASCADE"), primary_key=True
    )
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    invited_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
