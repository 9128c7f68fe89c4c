"""What the Victims' Code owes each victim, the update frequency they chose, case closure."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from videoresponse.core.db import Base, UTCDateTime, utcnow


class VictimTask(Base):
    """One thing owed to one victim, on the lists until it is done.

    Updates recur: each update done with the outcome "update given" adds the next, with
    the next `sequence`. The unique key makes creating the first tasks safe to repeat.
    """

    __tablename__ = "victim_task"
    __table_args__ = (UniqueConstraint("person_id", "kind", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    outcome: Mapped[str] = mapped_column(String(30), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class UpdateFrequency(Base):
    """A victim's own choice of how often to be updated, in working days."""

    __tablename__ = "victim_update_frequency"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    every_working_days: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))


class CaseClosure(Base):
    """The case is closed: recorded as a crime (with its reference) or as no crime.

    Closing ends the updates. A no-crime closure also ends what is still owed under the
    Code (it applies to victims of crime) and starts the retention clock of the
    "closed, no crime" records.
    """

    __tablename__ = "case_closure"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    crime_recorded: Mapped[bool] = mapped_column(Boolean)
    crime_reference: Mapped[str] = mapped_column(String(40), default="")
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    closed_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
