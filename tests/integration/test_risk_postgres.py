"""DASH on a real PostgreSQL: the migration, JSON answers, the history, one outcome only."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.factories import SAFE_TO_TALK, make_appointment, make_case, make_staff, risk_answers
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database, utcnow
from videoresponse.risk import reading, service
from videoresponse.risk.checklist import load_checklist
from videoresponse.risk.models import RiskAssessment
from videoresponse.risk.rules import MaracReason

pytestmark = pytest.mark.postgres
CHECKLIST = load_checklist()


def test_two_officers_recording_an_outcome_at_once_record_it_once(
    postgres_db: Database, tmp_path: Path
) -> None:
    db = postgres_db
    settings = make_settings(tmp_path, database_url="sqlite://")
    officer, handler = make_staff(db), make_staff(db, Role.CALL_HANDLER)
    supervisor = make_staff(db, Role.SUPERVISOR)
    appointments = []
    for days_ago in (200, 100, 0):
        incident_id, person_id = make_case(
            db,
            created_by=handler.id,
            incident_type="domestic_abuse",
            called_at=utcnow() - timedelta(days=days_ago, hours=1),
        )
        appointments.append(
            make_appointment(
                db,
                incident_id=incident_id,
                person_id=person_id,
                officer_id=officer.id,
                starts_at=utcnow() - timedelta(days=days_ago),
                created_by=handler.id,
                status="in_call",
            )
        )
    appointment_id = appointments[-1]
    made = service.record_safety(
        db,
        CHECKLIST,
        appointment_id=appointment_id,
        answers=SAFE_TO_TALK,
        by=officer,
        now=utcnow(),
    )
    service.save_answers(
        db,
        CHECKLIST,
        appointment_id=appointment_id,
        assessment_id=made,
        answers=risk_answers(14),
        notes={"current_injury": "Cut lip"},
        by=officer,
        now=utcnow(),
    )

    def record(by: object, made_referral: bool) -> str:
        try:
            service.record_outcome(
                db,
                settings,
                CHECKLIST,
                appointment_id=appointment_id,
                assessment_id=made,
                referral_made=made_referral,
                why_not="" if made_referral else "Declined",
                safeguarding_actions="Safety plan",
                by=by,
                now=utcnow(),  # type: ignore[arg-type]
            )
        except service.Closed:
            return "closed"
        return "recorded"

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(record, (officer, supervisor), (True, False)))

    assert results == ["closed", "recorded"]
    view = reading.assessment(
        db,
        settings,
        CHECKLIST,
        appointment_id=appointment_id,
        assessment_id=made,
        by=officer,
        now=utcnow(),
    )
    assert view.summary is not None
    assert view.summary.reasons == [
        MaracReason.VISIBLE_HIGH_RISK,
        MaracReason.POTENTIAL_ESCALATION,
    ]
    assert view.summary.incidents_in_window == 3
    assert view.notes["current_injury"] == "Cut lip"
    with db.transaction() as session:
        row = session.get_one(RiskAssessment, made)
        assert row.answers["current_injury"] == {"answer": "yes", "note": "Cut lip"}
        assert row.outcome_at is not None and row.outcome_at.utcoffset() == timedelta(0)
