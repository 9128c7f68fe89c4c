"""Reading risk assessments: the appointment's list, one assessment, the supervisor's list.

Each function is one transaction with its CONSULTATION audit entry (ids only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database
from videoresponse.risk.checklist import Checklist, find_checklist
from videoresponse.risk.models import RiskAssessment
from videoresponse.risk.service import (
    IN_PROGRESS,
    NotAllowed,
    appointment_for,
    assessment_for,
    audit_risk,
    summarise,
)
from videoresponse.risk.views import AssessmentLine, AssessmentView, line_of, staff_names, view_of
from videoresponse.triage.models import Incident, PersonRow


@dataclass(frozen=True)
class AppointmentRisk:
    """The appointment's risk page: who, and its assessments, newest first."""

    appointment_id: int
    urn: str
    person_name: str
    assessments: list[AssessmentLine]
    # Only the appointment's own officer asks the questions: others see the list.
    may_start: bool = False

    @property
    def in_progress(self) -> AssessmentLine | None:
        return next((a for a in self.assessments if a.status == IN_PROGRESS), None)


def appointment_risk(db: Database, *, appointment_id: int, by: StaffMember) -> AppointmentRisk:
    with db.transaction() as session:
        appointment = appointment_for(session, appointment_id, by)
        incident = session.get_one(Incident, appointment.incident_id)
        person = session.get_one(PersonRow, appointment.person_id)
        names = staff_names(session)
        rows = session.scalars(
            select(RiskAssessment)
            .where(RiskAssessment.appointment_id == appointment_id)
            .order_by(RiskAssessment.id.desc())
        )
        lines = [line_of(row, names) for row in rows]
        audit.record(
            session,
            actor=by.actor,
            action=Action.CONSULTATION,
            event="risk.appointment_viewed",
            object_type="appointment",
            object_id=appointment_id,
            why="domestic abuse risk assessment",
            detail={"assessments": [line.id for line in lines]},
        )
        return AppointmentRisk(
            appointment_id,
            incident.urn,
            person.name,
            lines,
            may_start=appointment.officer_id == by.id,
        )


def supervisor_list(db: Database, *, by: StaffMember, limit: int) -> list[AssessmentLine]:
    """The newest assessments of the whole team, with their level and MARAC result."""
    if by.role not in (Role.SUPERVISOR, Role.ADMINISTRATOR):
        raise NotAllowed("risk assessments")
    with db.transaction() as session:
        names = staff_names(session)
        rows = session.execute(
            select(RiskAssessment, Incident.urn, PersonRow.name)
            .join(Incident, Incident.id == RiskAssessment.incident_id)
            .join(PersonRow, PersonRow.id == RiskAssessment.person_id)
            .order_by(RiskAssessment.started_at.desc(), RiskAssessment.id.desc())
            .limit(limit)
        ).all()
        lines = [line_of(row, names, urn, name) for row, urn, name in rows]
        audit.record(
            session,
            actor=by.actor,
            action=Action.CONSULTATION,
            event="risk.list_viewed",
            why="supervising risk assessments and MARAC referrals",
            detail={"assessments": [line.id for line in lines]},
        )
        return lines


def assessment(
    db: Database,
    settings: Settings,
    checklist: Checklist,
    *,
    appointment_id: int,
    assessment_id: int,
    by: StaffMember,
    now: datetime,
) -> AssessmentView:
    """One assessment as the page shows it: live figures while open, stored ones after."""
    with db.transaction() as session:
        row = assessment_for(session, appointment_id, assessment_id, by)
        used = find_checklist(row.checklist_id, row.checklist_version, checklist)
        summary = None
        if row.status == IN_PROGRESS and used is not None:
            summary = summarise(session, settings, row, used, now)
        audit_risk(session, by, Action.CONSULTATION, "risk.viewed", row.id)
        return view_of(session, row, used, summary)
