"""Finding possible no-shows and recording what happened."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_appointment, make_staff
from tests.unit.no_shows.conftest import Missed
from videoresponse.booking import queue
from videoresponse.booking.models import Appointment, AppointmentEvent
from videoresponse.booking.rules import BookingRuleError
from videoresponse.calls.models import CallEvent
from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database, utcnow
from videoresponse.no_shows import service
from videoresponse.no_shows.models import NoShowOutcome
from videoresponse.no_shows.rules import Outcome
from videoresponse.triage.models import Incident


def _event(db: Database, appointment_id: int, kind: str, role: str) -> None:
    with db.transaction() as session:
        session.add(CallEvent(appointment_id=appointment_id, kind=kind, role=role, peer_id="p"))


def test_a_caller_who_has_not_joined_after_the_grace_period_is_listed(
    db: Database, settings: Settings, missed: Missed
) -> None:
    found = service.possible_no_shows(
        db, settings, officer_id=missed.officer.id, now=utcnow(), by=missed.officer
    )

    assert [f.appointment_id for f in found] == [missed.appointment_id]


def test_an_appointment_inside_the_grace_period_is_not_listed(
    db: Database, settings: Settings, missed: Missed
) -> None:
    found = service.possible_no_shows(
        db,
        settings,
        officer_id=missed.officer.id,
        now=utcnow() - timedelta(minutes=6),
        by=missed.officer,
    )

    assert found == []


def test_a_caller_who_joined_is_not_listed(
    db: Database, settings: Settings, missed: Missed
) -> None:
    _event(db, missed.appointment_id, "joined", "caller")

    found = service.possible_no_shows(
        db, settings, officer_id=missed.officer.id, now=utcnow(), by=missed.officer
    )

    assert found == []


def test_the_officer_joining_alone_does_not_stop_the_prompt(
    db: Database, settings: Settings, missed: Missed
) -> None:
    _event(db, missed.appointment_id, "joined", "officer")

    found = service.possible_no_shows(
        db, settings, officer_id=missed.officer.id, now=utcnow(), by=missed.officer
    )

    assert [f.appointment_id for f in found] == [missed.appointment_id]


def test_another_officers_appointments_are_not_listed(
    db: Database, settings: Settings, missed: Missed
) -> None:
    other = make_staff(db)

    assert (
        service.possible_no_shows(db, settings, officer_id=other.id, now=utcnow(), by=other) == []
    )


def test_recording_an_outcome_makes_the_appointment_a_no_show_and_queues_the_case_again(
    db: Database, settings: Settings, missed: Missed
) -> None:
    supervisor = make_staff(db, Role.SUPERVISOR)
    before = queue.case_queue(db, settings, now=utcnow(), by=supervisor)
    assert missed.incident_id not in [item.incident_id for item in before]

    service.record_outcome(
        db,
        settings,
        appointment_id=missed.appointment_id,
        outcome=Outcome.NO_ANSWER,
        called=True,
        note="Rang twice",
        now=utcnow(),
        by=missed.officer,
    )

    after = queue.case_queue(db, settings, now=utcnow(), by=supervisor)
    with db.sessions() as session:
        appointment = session.get_one(Appointment, missed.appointment_id)
        deadline = session.get_one(Incident, missed.incident_id).deadline
        saved = session.scalars(select(NoShowOutcome)).one()
        history = session.scalars(
            select(AppointmentEvent).where(AppointmentEvent.appointment_id == missed.appointment_id)
        ).all()
    assert appointment.status == "no_show"
    assert [(i.incident_id, i.deadline) for i in after] == [(missed.incident_id, deadline)]
    assert (saved.appointment_id, saved.outcome, saved.called, saved.note, saved.by) == (
        missed.appointment_id,
        "no_answer",
        True,
        "Rang twice",
        missed.officer.id,
    )
    assert history[-1].reason == "no_answer"


def test_the_audit_entry_holds_ids_and_the_outcome_code_only(
    db: Database, settings: Settings, missed: Missed
) -> None:
    service.record_outcome(
        db,
        settings,
        appointment_id=missed.appointment_id,
        outcome=Outcome.UNSAFE_TO_TALK,
        called=True,
        note="Partner answered",
        now=utcnow(),
        by=missed.officer,
    )

    with db.sessions() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.event == "no_show.recorded")
        ).one()
    assert entry.object_id == str(missed.appointment_id)
    assert "unsafe_to_talk" in entry.detail
    assert "Partner" not in entry.detail


def test_another_officer_may_not_record_it(
    db: Database, settings: Settings, missed: Missed
) -> None:
    other = make_staff(db)

    with pytest.raises(service.NotAllowed):
        service.record_outcome(
            db,
            settings,
            appointment_id=missed.appointment_id,
            outcome=Outcome.DECLINED,
            called=False,
            now=utcnow(),
            by=other,
        )


def test_a_supervisor_may_record_it(db: Database, settings: Settings, missed: Missed) -> None:
    supervisor = make_staff(db, Role.SUPERVISOR)

    service.record_outcome(
        db,
        settings,
        appointment_id=missed.appointment_id,
        outcome=Outcome.DECLINED,
        called=True,
        now=utcnow(),
        by=supervisor,
    )

    with db.sessions() as session:
        assert session.get_one(Appointment, missed.appointment_id).status == "no_show"


def test_a_caller_who_joined_cannot_be_recorded_as_a_no_show(
    db: Database, settings: Settings, missed: Missed
) -> None:
    _event(db, missed.appointment_id, "joined", "caller")

    with pytest.raises(BookingRuleError):
        service.record_outcome(
            db,
            settings,
            appointment_id=missed.appointment_id,
            outcome=Outcome.NO_ANSWER,
            called=False,
            now=utcnow(),
            by=missed.officer,
        )


def test_an_outcome_is_recorded_once(db: Database, settings: Settings, missed: Missed) -> None:
    def record() -> None:
        service.record_outcome(
            db,
            settings,
            appointment_id=missed.appointment_id,
            outcome=Outcome.NO_ANSWER,
            called=False,
            now=utcnow(),
            by=missed.officer,
        )

    record()

    with pytest.raises(BookingRuleError):
        record()
    with db.sessions() as session:
        assert len(session.scalars(select(NoShowOutcome)).all()) == 1


def test_a_grace_period_not_yet_over_is_refused(
    db: Database, settings: Settings, missed: Missed
) -> None:
    later = make_appointment(
        db,
        incident_id=missed.incident_id,
        person_id=missed.person_id,
        officer_id=missed.officer.id,
        starts_at=utcnow() - timedelta(minutes=2),
        created_by=missed.officer.id,
    )

    with pytest.raises(BookingRuleError):
        service.record_outcome(
            db,
            settings,
            appointment_id=later,
            outcome=Outcome.NO_ANSWER,
            called=False,
            now=utcnow(),
            by=missed.officer,
        )
