"""Incidents, the people in them, THRIVE, safe contact and route offers."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from videoresponse.core.db import Base, UTCDateTime, utcnow


class Incident(Base):
    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    urn: Mapped[str] = mapped_column(String(40), unique=True)
    incident_type: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)
    called_at: Mapped[datetime] = mapped_column(UTCDateTime)
    grade: Mapped[int] = mapped_column(SmallInteger)
    grade_reason: Mapped[str] = mapped_column(Text, default="")
    priority_band: Mapped[str] = mapped_column(String(2))
    priority_band_reason: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    suitable_for_video: Mapped[bool] = mapped_column(Boolean)
    suitability_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    suitability_reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    thrive: Mapped[list[ThriveScoreRow]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="ThriveScoreRow.id"
    )
    people: Mapped[list[PersonRow]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="PersonRow.id"
    )


class ThriveScoreRow(Base):
    __tablename__ = "thrive_score"
    __table_args__ = (UniqueConstraint("incident_id", "dimension"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    dimension: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(10))
    rationale: Mapped[str] = mapped_column(Text)

    incident: Mapped[Incident] = relationship(back_populates="thrive")


class PersonRow(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    mobile: Mapped[str | None] = mapped_column(String(20), nullable=True)
    language: Mapped[str] = mapped_column(String(60), default="English")
    interpreter_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    preferred_officer_gender: Mapped[str | None] = mapped_column(String(10), nullable=True)

    incident: Mapped[Incident] = relationship(back_populates="people")
    safe_contact: Mapped[SafeContactRow | None] = relationship(
        back_populates="person", cascade="all, delete-orphan", uselist=False
    )


class SafeContactRow(Base):
    """How the person may be contacted without putting them at risk (NNEDV guidance)."""

    __tablename__ = "safe_contact"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    may_text: Mapped[bool] = mapped_column(Boolean, default=True)
    may_call: Mapped[bool] = mapped_column(Boolean, default=True)
    may_leave_voicemail: Mapped[bool] = mapped_column(Boolean, default=False)
    may_mention_police: Mapped[bool] = mapped_column(Boolean, default=False)
    # Reminders go only to people who agreed to them; a calendar file only where a
    # calendar entry on the phone would be safe.
    wants_reminders: Mapped[bool] = mapped_column(Boolean, default=False)
    may_add_to_calendar: Mapped[bool] = mapped_column(Boolean, default=False)
    # The witness may download their own signed statement only where a file on their
    # phone would be safe.
    may_download_copy: Mapped[bool] = mapped_column(Boolean, default=False)
    safe_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    code_word: Mapped[str | None] = mapped_column(String(40), nullable=True)
    words_never_to_use: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(40), default="Europe/London")

    person: Mapped[PersonRow] = relationship(back_populates="safe_contact")
    windows: Mapped[list[SafeWindowRow]] = relationship(
        cascade="all, delete-orphan", order_by="SafeWindowRow.id"
    )


class SafeWindowRow(Base):
    __tablename__ = "safe_window"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("safe_contact.person_id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)


class RouteOfferRow(Base):
    """Every route offered to a person and what they chose: kept, never overwritten."""

    __tablename__ = "route_offer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    offered: Mapped[list[str]] = mapped_column(JSON)
    chosen: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    offered_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InPersonRequest(Base):
    """An attend or station choice: dispatched elsewhere, but tracked here until done."""

    __tablename__ = "in_person_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    route: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    outcome: Mapped[str] = mapped_column(Text, default="")
