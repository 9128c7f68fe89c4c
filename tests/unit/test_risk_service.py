"""DASH assessments through the service: safety first, answers kept, outcome fixed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import make_settings
from tests.factories import (
    SAFE_TO_TALK,
    make_appointment,
    make_case,
    make_staff,
    risk_answers,
    update_person,
)
from videoresponse.booking.service import NotFound
from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.risk import reading, service
from videoresponse.risk.checklist import Checklist, load_checklist
from videoresponse.risk.models import RiskAssessment
from videoresponse.risk.rules import Answer, MaracReason, RiskLevel, RiskRuleError
from videoresponse.risk.views import AssessmentView, Summary

CHECKLIST = load_checklist()


@dataclass(frozen=True)
class Case:
    appointment_id: int
    incident_id: int
    person_id: int
    officer: StaffMember
    handler: StaffMember


def _case(db: Database, officer: StaffMember, handler: StaffMember, days_ago: int = 0) -> Case:
    incident_id, person_id = make_case(
        db,
        created_by=handler.id,
        incident_type="domestic_abuse",
        called_at=utcnow() - timedelta(days=days_ago, hours=1),
    )
    appointment_id = make_appointment(
        db,
        incident_id=incident_id,
        person_id=person_id,
        officer_id=officer.id,
        starts_at=utcnow() - timedelta(minutes=30),
        created_by=handler.id,
        status="in_call",
    )
    return Case(appointment_id, incident_id, person_id, officer, handler)


@pytest.fixture
def case(db: Database) -> Case:
    return _case(db, make_staff(db), make_staff(db, Role.CALL_HANDLER))


def _start(db: Database, case: Case, by: StaffMember | None = None) -> int:
    return service.record_safety(
        db,
        CHECKLIST,
        appointment_id=case.appointment_id,
        answers=SAFE_TO_TALK,
        by=by or case.officer,
        now=utcnow(),
    )


def _answer(db: Database, case: Case, assessment_id: int, answers: dict[str, str]) -> None:
    service.save_answers(
        db,
        CHECKLIST,
        appointment_id=case.appointment_id,
        assessment_id=assessment_id,
        answers=answers,
        notes={},
        by=case.officer,
        now=utcnow(),
    )


def _outcome(
    db: Database,
    settings: Settings,
    case: Case,
    assessment_id: int,
    *,
    referral_made: bool = True,
    why_not: str = "",
    checklist: Checklist = CHECKLIST,
) -> None:
    service.record_outcome(
        db,
        settings,
        checklist,
        appointment_id=case.appointment_id,
        assessment_id=assessment_id,
        referral_made=referral_made,
        why_not=why_not,
        safeguarding_actions="Safety plan agreed",
        by=case.officer,
        now=utcnow(),
    )


def _view(db: Database, settings: Settings, case: Case, assessment_id: int) -> AssessmentView:
    return reading.assessment(
        db,
        settings,
        CHECKLIST,
        appointment_id=case.appointment_id,
        assessment_id=assessment_id,
        by=case.officer,
        now=utcnow(),
    )


def _row(db: Database, assessment_id: int) -> RiskAssessment:
    with db.transaction() as session:
        row = session.get_one(RiskAssessment, assessment_id)
        session.expunge(row)
        return row


def test_not_safe_to_talk_stops_the_assessment_there(db: Database, case: Case) -> None:
    made = service.record_safety(
        db,
        CHECKLIST,
        appointment_id=case.appointment_id,
        answers={
            "safe_to_talk": "no",
            "unsafe_note": "Partner came home",
            "children_whereabouts": "x",
        },
        by=case.officer,
        now=utcnow(),
    )

    row = _row(db, made)
    assert row.status == "unsafe_to_talk"
    assert row.safety_answers == {"safe_to_talk": "Partner came home"}
    assert row.outcome_at is not None
    with pytest.raises(service.Closed, match="Start a new one"):
        _answer(db, case, made, risk_answers(3))


def test_safe_to_talk_needs_the_other_safety_answers(db: Database, case: Case) -> None:
    with pytest.raises(service.FormProblem) as problem:
        service.record_safety(
            db,
            CHECKLIST,
            appointment_id=case.appointment_id,
            answers={"safe_to_talk": "yes", "perpetrator_whereabouts": "Out"},
            by=case.officer,
            now=utcnow(),
        )
    assert set(problem.value.errors) == {"children_whereabouts", "safe_contact"}
    with pytest.raises(service.FormProblem, match="safe for them to talk"):
        service.record_safety(
            db,
            CHECKLIST,
            appointment_id=case.appointment_id,
            answers={},
            by=case.officer,
            now=utcnow(),
        )


def test_partial_answers_are_kept_and_a_blank_keeps_the_earlier_answer(
    db: Database, settings: Settings, case: Case
) -> None:
    made = _start(db, case)
    _answer(db, case, made, {"current_injury": "yes", "very_frightened": "not_known"})
    service.save_answers(
        db,
        CHECKLIST,
        appointment_id=case.appointment_id,
        assessment_id=made,
        answers={"isolated": "no"},
        notes={"current_injury": "Bruised arm", "stalking": "Texts every night"},
        by=case.officer,
        now=utcnow(),
    )

    view = _view(db, settings, case, made)
    assert view.answers == {
        "current_injury": Answer.YES,
        "very_frightened": Answer.NOT_KNOWN,
        "isolated": Answer.NO,
    }
    assert view.notes["current_injury"] == "Bruised arm"
    assert view.notes["stalking"] == "Texts every night"
    assert view.summary is not None
    assert view.summary.yes_count == 1
    assert len(view.summary.unanswered) == 24


def test_a_wrong_answer_value_is_refused_and_nothing_is_saved(db: Database, case: Case) -> None:
    made = _start(db, case)

    with pytest.raises(service.FormProblem, match="yes, no or not known"):
        _answer(db, case, made, {"current_injury": "yes", "isolated": "maybe"})
    assert _row(db, made).answers == {}


def test_fourteen_yes_answers_record_high_risk_and_visible_high_risk(
    db: Database, settings: Settings, case: Case
) -> None:
    made = _start(db, case)
    _answer(db, case, made, risk_answers(14, not_known=5))
    _outcome(db, settings, case, made)

    row = _row(db, made)
    assert (row.status, row.yes_count, row.scored_level, row.level) == (
        "completed",
        14,
        "high",
        "high",
    )
    assert row.marac_reasons == ["visible_high_risk"]
    assert row.marac_referral_made is True
    assert (row.checklist_id, row.checklist_version) == ("dash", "2009.1")
    assert row.checklist_sha256 == CHECKLIST.sha256


def test_thirteen_yes_answers_are_medium_and_no_referral_is_due(
    db: Database, settings: Settings, case: Case
) -> None:
    made = _start(db, case)
    _answer(db, case, made, risk_answers(13, not_known=14))
    _outcome(db, settings, case, made, referral_made=False)

    row = _row(db, made)
    assert (row.level, row.marac_reasons, row.marac_reason) == ("medium", [], "")


def test_an_outcome_needs_every_question_answered(
    db: Database, settings: Settings, case: Case
) -> None:
    made = _start(db, case)
    _answer(db, case, made, risk_answers(14, unanswered=2))

    with pytest.raises(RiskRuleError, match="2 left"):
        _outcome(db, settings, case, made)
    assert _row(db, made).status == "in_progress"


def test_a_due_referral_not_made_needs_a_reason(
    db: Database, settings: Settings, case: Case
) -> None:
    made = _start(db, case)
    _answer(db, case, made, risk_answers(15))

    with pytest.raises(RiskRuleError, match="say why it was not made"):
        _outcome(db, settings, case, made, referral_made=False)
    _outcome(db, settings, case, made, referral_made=False, why_not="Already open at MARAC")
    assert _row(db, made).marac_reason == "Already open at MARAC"


def test_the_outcome_never_changes_once_recorded(
    db: Database, settings: Settings, case: Case
) -> None:
    made = _start(db, case)
    _answer(db, case, made, risk_answers(2))
    _outcome(db, settings, case, made, referral_made=False)

    with pytest.raises(service.Closed):
        _outcome(db, settings, case, made, referral_made=True)
    with pytest.raises(service.Closed):
        _answer(db, case, made, risk_answers(20))
    with pytest.raises(service.Closed):
        service.record_judgement(
            db,
            settings,
            CHECKLIST,
            appointment_id=case.appointment_id,
            assessment_id=made,
            level=RiskLevel.HIGH,
            reason="x",
            by=case.officer,
            now=utcnow(),
        )
    assert _row(db, made).level == "standard"


def _judge(
    db: Database, settings: Settings, case: Case, made: int, level: RiskLevel, why: str
) -> None:
    service.record_judgement(
        db,
        settings,
        CHECKLIST,
        appointment_id=case.appointment_id,
        assessment_id=made,
        level=level,
        reason=why,
        by=case.officer,
        now=utcnow(),
    )


def test_judgement_raises_to_high_and_makes_a_referral_due(
    db: Database, settings: Settings, case: Case
) -> None:
    made = _start(db, case)
    _answer(db, case, made, risk_answers(11))
    _judge(db, settings, case, made, RiskLevel.HIGH, "Strangled last week; she fears for her life")

    summary = _view(db, settings, case, made).summary
    assert summary is not None
    assert (summary.scored_level, summary.level) == (RiskLevel.MEDIUM, RiskLevel.HIGH)
    assert summary.reasons == [MaracReason.PROFESSIONAL_JUDGEMENT]
    _outcome(db, settings, case, made)
    row = _row(db, made)
    assert (row.scored_level, row.level, row.judgement_level) == ("medium", "high", "high")
    assert row.marac_reasons == ["professional_judgement"]


def test_judgement_cannot_lower_the_level(db: Database, settings: Settings, case: Case) -> None:
    made = _start(db, case)
    _answer(db, case, made, risk_answers(14))

    with pytest.raises(RiskRuleError, match="never lower it"):
        _judge(db, settings, case, made, RiskLevel.STANDARD, "She seemed fine")
    assert _row(db, made).judgement_level is None


def _earlier_incident(db: Database, case: Case, days_ago: int, **person: object) -> int:
    earlier = _case(db, case.officer, case.handler, days_ago=days_ago)
    if person:
        update_person(db, earlier.person_id, **person)
    return earlier.incident_id


def _summary_for(db: Database, settings: Settings, case: Case) -> Summary:
    made = _start(db, case)
    _answer(db, case, made, risk_answers(1))
    summary = _view(db, settings, case, made).summary
    assert summary is not None
    return summary


def test_three_incidents_in_twelve_months_are_potential_escalation(
    db: Database, settings: Settings
) -> None:
    officer, handler = make_staff(db), make_staff(db, Role.CALL_HANDLER)
    _case(db, officer, handler, days_ago=300)
    _case(db, officer, handler, days_ago=100)
    case = _case(db, officer, handler)

    summary = _summary_for(db, settings, case)

    assert summary.incidents_in_window == 3
    assert summary.reasons == [MaracReason.POTENTIAL_ESCALATION]


def test_older_later_and_other_peoples_incidents_do_not_count(
    db: Database, settings: Settings
) -> None:
    officer, handler = make_staff(db), make_staff(db, Role.CALL_HANDLER)
    case = _case(db, officer, handler, days_ago=10)
    _earlier_incident(db, case, days_ago=380)
    _earlier_incident(db, case, days_ago=0)
    _earlier_incident(db, case, days_ago=50, date_of_birth=date(1985, 1, 2))
    _earlier_incident(db, case, days_ago=60, mobile="+447700900999", name="Sam Other")

    summary = _summary_for(db, settings, case)

    assert summary.incidents_in_window == 1
    assert summary.reasons == []


def test_the_same_person_is_found_by_birth_date_and_name_without_a_phone(
    db: Database, settings: Settings
) -> None:
    officer, handler = make_staff(db), make_staff(db, Role.CALL_HANDLER)
    case = _case(db, officer, handler)
    _earlier_incident(db, case, days_ago=20, mobile=None, name="ALEX  example")
    _earlier_incident(db, case, days_ago=30, mobile="+447700900999")

    assert _summary_for(db, settings, case).incidents_in_window == 3


def test_the_force_sets_the_escalation_count_and_window(db: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, marac_escalation_incidents=2, marac_escalation_months=1)
    officer, handler = make_staff(db), make_staff(db, Role.CALL_HANDLER)
    case = _case(db, officer, handler)
    _earlier_incident(db, case, days_ago=20)
    _earlier_incident(db, case, days_ago=40)

    summary = _summary_for(db, settings, case)

    assert summary.incidents_in_window == 2
    assert summary.reasons == [MaracReason.POTENTIAL_ESCALATION]


def test_a_referral_for_the_same_person_in_the_last_year_is_a_repeat_referral(
    db: Database, settings: Settings
) -> None:
    officer, handler = make_staff(db), make_staff(db, Role.CALL_HANDLER)
    first = _case(db, officer, handler, days_ago=400)
    made = _start(db, first)
    _answer(db, first, made, risk_answers(14))
    _outcome(db, settings, first, made)
    later = _case(db, officer, handler)

    summary = _summary_for(db, settings, later)

    assert summary.incidents_in_window == 1
    assert summary.reasons == [MaracReason.REPEAT_REFERRAL]


def test_a_reassessment_of_the_same_incident_is_not_a_repeat_referral(
    db: Database, settings: Settings, case: Case
) -> None:
    made = _start(db, case)
    _answer(db, case, made, risk_answers(14))
    _outcome(db, settings, case, made)

    assert _summary_for(db, settings, case).reasons == []


def test_a_referral_more_than_a_year_ago_is_not_a_repeat_referral(
    db: Database, settings: Settings
) -> None:
    officer, handler = make_staff(db), make_staff(db, Role.CALL_HANDLER)
    first = _case(db, officer, handler, days_ago=400)
    made = _start(db, first)
    _answer(db, first, made, risk_answers(14))
    _outcome(db, settings, first, made)
    with db.transaction() as session:
        session.get_one(RiskAssessment, made).outcome_at = utcnow() - timedelta(days=367)

    assert _summary_for(db, settings, _case(db, officer, handler)).reasons == []


def test_only_the_appointments_officer_supervisors_and_administrators_open_it(
    db: Database, settings: Settings, case: Case
) -> None:
    made = _start(db, case)
    other = make_staff(db)

    with pytest.raises(service.NotAllowed):
        reading.appointment_risk(db, appointment_id=case.appointment_id, by=other)
    with pytest.raises(service.NotAllowed):
        _start(db, case, by=other)
    with pytest.raises(service.NotAllowed):
        reading.supervisor_list(db, by=case.officer, limit=10)
    for role in (Role.SUPERVISOR, Role.ADMINISTRATOR):
        member = make_staff(db, role)
        found = reading.appointment_risk(db, appointment_id=case.appointment_id, by=member)
        assert [a.id for a in found.assessments] == [made]
    with pytest.raises(NotFound):
        reading.appointment_risk(db, appointment_id=999, by=case.officer)


def test_another_appointments_assessment_is_not_found_through_this_one(
    db: Database, settings: Settings, case: Case
) -> None:
    other = _case(db, case.officer, case.handler)
    made = _start(db, other)

    with pytest.raises(NotFound):
        _view(db, settings, case, made)


def test_every_view_and_change_is_audited_with_ids_only(
    db: Database, settings: Settings, case: Case
) -> None:
    made = _start(db, case)
    _answer(db, case, made, risk_answers(14))
    _view(db, settings, case, made)
    _outcome(db, settings, case, made)
    supervisor = make_staff(db, Role.SUPERVISOR)
    reading.supervisor_list(db, by=supervisor, limit=10)

    with db.transaction() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.event.startswith("risk."))
        ).all()
        found = [(e.event, e.action) for e in entries]
        text = " ".join(e.detail + e.why for e in entries)
    assert found == [
        ("risk.started", "collection"),
        ("risk.answers_saved", "alteration"),
        ("risk.viewed", "consultation"),
        ("risk.outcome_recorded", "collection"),
        ("risk.list_viewed", "consultation"),
    ]
    assert json.loads(entries[3].detail) == {"appointment": case.appointment_id}
    for private in ("brother", "school", "Safety plan", "Alex", "yes", "high"):
        assert private not in text


def test_recording_an_outcome_audits_ids_only_never_the_outcome(
    db: Database, settings: Settings
) -> None:
    """The audit log is append-only and retention cannot erase it: the level, the MARAC
    reasons, the referral and the person's other incidents stay in the assessment row."""
    officer, handler = make_staff(db), make_staff(db, Role.CALL_HANDLER)
    case = _case(db, officer, handler)
    for days_ago in (40, 200):
        _earlier_incident(db, case, days_ago=days_ago)
    made = _start(db, case)
    _answer(db, case, made, risk_answers(11))
    _judge(db, settings, case, made, RiskLevel.HIGH, "Threats to kill")
    _outcome(db, settings, case, made)
    assert _row(db, made).marac_reasons == ["professional_judgement", "potential_escalation"]

    with db.transaction() as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.event.in_(
                    ["risk.answers_saved", "risk.judgement_recorded", "risk.outcome_recorded"]
                )
            )
        ).all()
        details = {e.event: (e.object_type, e.object_id, json.loads(e.detail)) for e in entries}
    ids_only = ("risk_assessment", str(made), {"appointment": case.appointment_id})
    assert details == {
        "risk.answers_saved": ids_only,
        "risk.judgement_recorded": ids_only,
        "risk.outcome_recorded": ids_only,
    }
    text = " ".join(e.detail for e in entries)
    for outcome in ("high", "medium", "standard", "escalation", "judgement", "referral"):
        assert outcome not in text
