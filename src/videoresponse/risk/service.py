"""DASH risk assessments: start with the safety questions, answer, judge, record the outcome.

Only the appointment's officer, supervisors and administrators may open one (ASVS 8.2.2),
and every change is audited with ids only (the assessment's and the appointment's):
answers, notes, whereabouts and the outcome (level, MARAC reasons, referral, incidents
counted) stay in the row, which retention can erase, never in the append-only audit log.
Once its outcome is recorded an assessment never changes. Reading is in risk.reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from videoresponse.booking.models import Appointment
from videoresponse.booking.service import NotFound
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database
from videoresponse.risk import history
from videoresponse.risk.checklist import SAFE_TO_TALK, Checklist, find_checklist
from videoresponse.risk.models import RiskAssessment
from videoresponse.risk.rules import (
    Answer,
    Escalation,
    RiskLevel,
    RiskRuleError,
    check_judgement,
    check_outcome,
    count_yes,
    final_level,
    level_for,
    marac_reasons,
)
from videoresponse.risk.views import Summary, answers_of

TEXT_LENGTH = 2000
IN_PROGRESS, UNSAFE, COMPLETED = "in_progress", "unsafe_to_talk", "completed"


class NotAllowed(PermissionError):
    """Only the appointment's officer, supervisors and administrators open its assessments."""


class Closed(RiskRuleError):
    """The outcome is recorded: the assessment cannot change. Start a new one instead."""


class FormProblem(RiskRuleError):
    """Fields to correct, each with its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()), next(iter(errors), ""))
        self.errors = errors


def escalation_for(settings: Settings, checklist: Checklist) -> Escalation:
    """The force's settings, where set, else the checklist's own numbers."""
    return Escalation(
        settings.marac_escalation_incidents or checklist.escalation.incidents,
        settings.marac_escalation_months or checklist.escalation.months,
    )


def appointment_for(session: Session, appointment_id: int, by: StaffMember) -> Appointment:
    row = session.get(Appointment, appointment_id)
    if row is None:
        raise NotFound("There is no such appointment")
    if by.role not in (Role.SUPERVISOR, Role.ADMINISTRATOR) and row.officer_id != by.id:
        raise NotAllowed(appointment_id)
    return row


def assessment_for(
    session: Session, appointment_id: int, assessment_id: int, by: StaffMember
) -> RiskAssessment:
    appointment_for(session, appointment_id, by)
    row = session.get(RiskAssessment, assessment_id, with_for_update=True)
    if row is None or row.appointment_id != appointment_id:
        raise NotFound("There is no such risk assessment")
    return row


def _open(row: RiskAssessment, current: Checklist) -> Checklist:
    if row.status != IN_PROGRESS:
        raise Closed("This assessment is finished and cannot change. Start a new one instead.")
    checklist = find_checklist(row.checklist_id, row.checklist_version, current)
    if checklist is None:
        raise Closed(
            f"This assessment used checklist {row.checklist_id} {row.checklist_version}, "
            "which is no longer installed. Start a new one instead."
        )
    return checklist


def audit_risk(
    session: Session, by: StaffMember, action: Action, event: str, row_id: int, **detail: object
) -> None:
    audit.record(
        session,
        actor=by.actor,
        action=action,
        event=event,
        object_type="risk_assessment",
        object_id=row_id,
        why="domestic abuse risk assessment",
        detail=dict(detail),
    )


def summarise(
    session: Session, settings: Settings, row: RiskAssessment, checklist: Checklist, now: datetime
) -> Summary:
    """The score, the level and the MARAC reasons as they stand now."""
    answers = answers_of(row)
    scored = level_for(count_yes(answers), checklist.thresholds)
    judgement = RiskLevel(row.judgement_level) if row.judgement_level else None
    incidents = history.incidents_in_window(
        session,
        person_id=row.person_id,
        incident_id=row.incident_id,
        escalation=escalation_for(settings, checklist),
    )
    referred = history.referred_recently(
        session,
        person_id=row.person_id,
        incident_id=row.incident_id,
        months=checklist.repeat_referral_months,
        now=now,
    )
    return Summary(
        yes_count=count_yes(answers),
        scored_level=scored,
        level=final_level(scored, judgement),
        reasons=marac_reasons(
            scored=scored,
            judgement=judgement,
            incidents_in_window=len(incidents),
            escalation=escalation_for(settings, checklist),
            referred_recently=referred,
        ),
        incidents_in_window=len(incidents),
        unanswered=[q.id for q in checklist.questions if q.id not in answers],
    )


def record_safety(
    db: Database,
    checklist: Checklist,
    *,
    appointment_id: int,
    answers: Mapping[str, str],
    by: StaffMember,
    now: datetime,
) -> int:
    """Start an assessment with the safety questions. Not safe to talk: it stops there."""
    safe = answers.get(SAFE_TO_TALK, "")
    errors: dict[str, str] = {}
    if safe not in ("yes", "no"):
        errors[SAFE_TO_TALK] = "Say whether it is safe for them to talk now"
    texts = {q.id: answers.get(q.id, "").strip() for q in checklist.safety[1:]}
    note = answers.get("unsafe_note", "").strip()
    if safe == "yes":
        for question in checklist.safety[1:]:
            if not texts[question.id]:
                errors[question.id] = f"Answer: {question.text} (write not known if so)"
    for name, value in [*texts.items(), ("unsafe_note", note)]:
        if len(value) > TEXT_LENGTH:
            errors[name] = f"Keep this under {TEXT_LENGTH} characters"
    if errors:
        raise FormProblem(errors)
    with db.transaction() as session:
        appointment = appointment_for(session, appointment_id, by)
        row = RiskAssessment(
            appointment_id=appointment.id,
            incident_id=appointment.incident_id,
            person_id=appointment.person_id,
            checklist_id=checklist.id,
            checklist_version=checklist.version,
            checklist_sha256=checklist.sha256,
            safe_to_talk=safe == "yes",
            safety_answers=texts if safe == "yes" else {SAFE_TO_TALK: note},
            answers={},
            marac_reasons=[],
            started_by=by.id,
            started_at=now,
            updated_at=now,
        )
        if safe == "no":
            row.status, row.outcome_by, row.outcome_at = UNSAFE, by.id, now
        session.add(row)
        session.flush()
        audit_risk(
            session,
            by,
            Action.COLLECTION,
            "risk.started" if safe == "yes" else "risk.stopped_unsafe_to_talk",
            row.id,
            appointment=appointment.id,
            checklist=f"{checklist.id} {checklist.version}",
        )
        return row.id


def save_answers(
    db: Database,
    checklist: Checklist,
    *,
    appointment_id: int,
    assessment_id: int,
    answers: Mapping[str, str],
    notes: Mapping[str, str],
    by: StaffMember,
    now: datetime,
) -> None:
    """Keep every answer and note given (partial is fine); a question left blank keeps
    its earlier answer, and a note without an answer yet is kept too."""
    with db.transaction() as session:
        row = assessment_for(session, appointment_id, assessment_id, by)
        used = _open(row, checklist)
        kept = dict(row.answers)
        errors: dict[str, str] = {}
        for question in used.questions:
            value = answers.get(question.id, "")
            earlier = kept.get(question.id, {})
            # A note not sent stays as it was; one sent empty is cleared.
            note = notes.get(question.id, earlier.get("note", "")).strip()
            if len(note) > TEXT_LENGTH:
                errors[f"{question.id}-note"] = f"Keep the note under {TEXT_LENGTH} characters"
            if value:
                try:
                    kept[question.id] = {"answer": Answer(value).value, "note": note}
                except ValueError:
                    errors[question.id] = "Choose yes, no or not known"
            elif earlier or note:
                kept[question.id] = {"answer": earlier.get("answer", ""), "note": note}
        if errors:
            raise FormProblem(errors)
        row.answers = kept
        row.updated_at = now
        audit_risk(
            session,
            by,
            Action.ALTERATION,
            "risk.answers_saved",
            row.id,
            appointment=appointment_id,
        )


def record_judgement(
    db: Database,
    settings: Settings,
    checklist: Checklist,
    *,
    appointment_id: int,
    assessment_id: int,
    level: RiskLevel,
    reason: str,
    by: StaffMember,
    now: datetime,
) -> None:
    """The officer's professional judgement: the same level, or higher with a reason."""
    if len(reason) > TEXT_LENGTH:
        raise RiskRuleError(f"Keep the reason under {TEXT_LENGTH} characters")
    with db.transaction() as session:
        row = assessment_for(session, appointment_id, assessment_id, by)
        used = _open(row, checklist)
        scored = level_for(count_yes(answers_of(row)), used.thresholds)
        judged = check_judgement(scored, level, reason)
        row.judgement_level = None if judged is None else judged.value
        row.judgement_reason = "" if judged is None else reason.strip()
        row.updated_at = now
        audit_risk(
            session,
            by,
            Action.ALTERATION,
            "risk.judgement_recorded",
            row.id,
            appointment=appointment_id,
        )


def record_outcome(
    db: Database,
    settings: Settings,
    checklist: Checklist,
    *,
    appointment_id: int,
    assessment_id: int,
    referral_made: bool,
    why_not: str,
    safeguarding_actions: str,
    by: StaffMember,
    now: datetime,
) -> None:
    """Fix the level, the MARAC reasons and what was done; nothing changes after this."""
    if len(why_not) > TEXT_LENGTH or len(safeguarding_actions) > TEXT_LENGTH:
        raise RiskRuleError(f"Keep each answer under {TEXT_LENGTH} characters")
    with db.transaction() as session:
        row = assessment_for(session, appointment_id, assessment_id, by)
        used = _open(row, checklist)
        summary = summarise(session, settings, row, used, now)
        check_outcome(
            unanswered=summary.unanswered,
            reasons=summary.reasons,
            referral_made=referral_made,
            why_not=why_not,
            safeguarding_actions=safeguarding_actions,
        )
        row.yes_count = summary.yes_count
        row.scored_level = summary.scored_level.value
        row.level = summary.level.value
        row.marac_reasons = [r.value for r in summary.reasons]
        row.incidents_in_window = summary.incidents_in_window
        row.marac_referral_made = referral_made
        row.marac_reason = "" if referral_made else why_not.strip()
        row.safeguarding_actions = safeguarding_actions.strip()
        row.status, row.outcome_by, row.outcome_at, row.updated_at = COMPLETED, by.id, now, now
        audit_risk(
            session,
            by,
            Action.COLLECTION,
            "risk.outcome_recorded",
            row.id,
            appointment=appointment_id,
        )
