"""Risk assessments as pages show them: plain dataclasses made from rows, never rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from videoresponse.core.auth.models import StaffUser
from videoresponse.risk.checklist import Checklist
from videoresponse.risk.models import RiskAssessment
from videoresponse.risk.rules import Answer, MaracReason, RiskLevel
from videoresponse.triage.models import Incident, PersonRow


@dataclass(frozen=True)
class Summary:
    yes_count: int
    scored_level: RiskLevel
    level: RiskLevel
    reasons: list[MaracReason]
    incidents_in_window: int
    unanswered: list[str] = field(default_factory=list)

    @property
    def marac_due(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class AssessmentView:
    id: int
    appointment_id: int
    incident_id: int
    urn: str
    person_name: str
    status: str
    checklist: Checklist | None
    checklist_name: str
    # The file in use has the same id and version but other content: edited in place.
    checklist_changed: bool
    safe_to_talk: bool | None
    safety_answers: dict[str, str]
    answers: dict[str, Answer]
    notes: dict[str, str]
    judgement_level: RiskLevel | None
    judgement_reason: str
    summary: Summary | None
    referral_made: bool | None
    marac_reason: str
    safeguarding_actions: str
    started_at: datetime
    started_by: str
    outcome_at: datetime | None
    outcome_by: str | None

    @property
    def is_open(self) -> bool:
        return self.status == "in_progress"

    def high_risk_yes(self) -> list[str]:
        """The questions marked as high-risk factors that were answered yes."""
        if self.checklist is None:
            return []
        return [
            q.text
            for q in self.checklist.questions
            if q.high_risk_factor and self.answers.get(q.id) is Answer.YES
        ]


@dataclass(frozen=True)
class AssessmentLine:
    """One assessment in a list: for the appointment's page and the supervisor's."""

    id: int
    appointment_id: int
    status: str
    level: RiskLevel | None
    reasons: list[MaracReason]
    referral_made: bool | None
    started_at: datetime
    outcome_at: datetime | None
    officer_name: str
    urn: str = ""
    person_name: str = ""
    incident_id: int | None = None

    @property
    def marac_due_not_referred(self) -> bool:
        return bool(self.reasons) and self.referral_made is False


def answers_of(row: RiskAssessment) -> dict[str, Answer]:
    return {qid: Answer(given["answer"]) for qid, given in row.answers.items() if given["answer"]}


def staff_names(session: Session) -> dict[int, str]:
    rows = session.execute(select(StaffUser.id, StaffUser.display_name))
    return {staff_id: name for staff_id, name in rows}


def view_of(
    session: Session, row: RiskAssessment, checklist: Checklist | None, summary: Summary | None
) -> AssessmentView:
    names = staff_names(session)
    if summary is None and row.level is not None and row.scored_level is not None:
        summary = Summary(
            yes_count=row.yes_count or 0,
            scored_level=RiskLevel(row.scored_level),
            level=RiskLevel(row.level),
            reasons=[MaracReason(r) for r in row.marac_reasons],
            incidents_in_window=row.incidents_in_window or 0,
        )
    return AssessmentView(
        id=row.id,
        appointment_id=row.appointment_id,
        incident_id=row.incident_id,
        urn=session.get_one(Incident, row.incident_id).urn,
        person_name=session.get_one(PersonRow, row.person_id).name,
        status=row.status,
        checklist=checklist,
        checklist_name=(
            f"{checklist.title}, version {row.checklist_version}"
            if checklist is not None
            else f"{row.checklist_id} {row.checklist_version}"
        ),
        checklist_changed=checklist is not None and checklist.sha256 != row.checklist_sha256,
        safe_to_talk=row.safe_to_talk,
        safety_answers=dict(row.safety_answers),
        answers=answers_of(row),
        notes={qid: given.get("note", "") for qid, given in row.answers.items()},
        judgement_level=RiskLevel(row.judgement_level) if row.judgement_level else None,
        judgement_reason=row.judgement_reason,
        summary=summary,
        referral_made=row.marac_referral_made,
        marac_reason=row.marac_reason,
        safeguarding_actions=row.safeguarding_actions,
        started_at=row.started_at,
        started_by=names.get(row.started_by, "unknown"),
        outcome_at=row.outcome_at,
        outcome_by=names.get(row.outcome_by) if row.outcome_by is not None else None,
    )


def line_of(
    row: RiskAssessment, names: dict[int, str], urn: str = "", person_name: str = ""
) -> AssessmentLine:
    return AssessmentLine(
        id=row.id,
        appointment_id=row.appointment_id,
        status=row.status,
        level=RiskLevel(row.level) if row.level else None,
        reasons=[MaracReason(r) for r in row.marac_reasons],
        referral_made=row.marac_referral_made,
        started_at=row.started_at,
        outcome_at=row.outcome_at,
        officer_name=names.get(row.started_by, "unknown"),
        urn=urn,
        person_name=person_name,
        incident_id=row.incident_id,
    )
