"""The risk assessment table: one row per DASH assessment, its answers and its outcome."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from videoresponse.core.db import Base, UTCDateTime, utcnow


class RiskAssessment(Base):
    """Answers are kept until the outcome is recorded; from then on nothing changes (a
    reassessment is a new row). The level and MARAC reasons are stored as they were
    decided, with the checklist's id, version and hash, so the record reads the same later.
    """

    __tablename__ = "risk_assessment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), index=True
    )
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    checklist_id: Mapped[str] = mapped_column(String(40))
    checklist_version: Mapped[str] = mapped_column(String(40))
    checklist_sha256: Mapped[str] = mapped_column(String(64))
    # in_progress, unsafe_to_talk (stopped at the first question) or completed.
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    safe_to_talk: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # {safety question id: what was said}; {question id: {"answer": ..., "note": ...}}.
    safety_answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    answers: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    judgement_level: Mapped[str | None] = mapped_column(String(10), nullable=True)
    judgement_reason: Mapped[str] = mapped_column(Text, default="")
    yes_count: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    scored_level: Mapped[str | None] = mapped_column(String(10), nullable=True)
    level: Mapped[str | None] = mapped_column(String(10), nullable=True)
    marac_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    incidents_in_window: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    marac_referral_made: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    marac_reason: Mapped[str] = mapped_column(Text, default="")
    safeguarding_actions: Mapped[str] = mapped_column(Text, default="")
    started_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
