"""What the supervisor and the officers read: the queue, the day, an appointment."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import (
    make_appointment,
    make_case,
    make_in_person_request,
    make_shift,
    make_staff,
    make_video_case,
    offer_route,
    update_person,
)
from videoresponse.booking import appointment_views, queue, service
from videoresponse.booking.queue import Urgency, deadline_urgency
from videoresponse.booking.rules import AppointmentStatus
from videoresponse.booking.service import NotFound
from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def handler(db: Database) -> StaffMember:
    return make_staff(db, Role.CALL_HANDLER)


@pytest.fixture
def supervisor(db: Database) -> StaffMember:
    return make_staff(db, Role.SUPERVISOR)


def _case(db: Database, handler: StaffMember, called_hours_ago: float, band: str = "P1") -> int:
    hours = {"P1": 24, "P2": 72, "P3": 168}[band]
    incident, _ = make_video_case(
        db,
        created_by=handler.id,
        called_at=NOW - timedelta(hours=called_hours_ago),
        deadline=timedelta(hours=hours),
        band=band,
    )
    return incident


@pytest.mark.parametrize(
    ("left", "band", "expected"),
    [
        (timedelta(0), timedelta(hours=24), Urgency.DEADLINE_PASSED),
        (-HOUR, timedelta(hours=24), Urgency.DEADLINE_PASSED),
        (timedelta(hours=5, minutes=59), timedelta(hours=24), Urgency.NEAR_DEADLINE),
        (timedelta(hours=6), timedelta(hours=24), Urgency.ON_TIME),
        (timedelta(hours=41), timedelta(days=7), Urgency.NEAR_DEADLINE),
        # A short band: a quarter is 1 hour, but under 2 hours left is near whatever the band.
        (timedelta(minutes=90), timedelta(hours=4), Urgency.NEAR_DEADLINE),
        (timedelta(hours=2), timedelta(hours=4), Urgency.ON_TIME),
    ],
)
def test_a_case_is_near_its_deadline_with_a_quarter_of_its_band_or_two_hours_left(
    left: timedelta, band: timedelta, expected: Urgency
) -> None:
    assert deadline_urgency(left, band) is expected


def test_the_queue_lists_video_cases_without_an_appointment_by_deadline(
    db: Database, settings: Settings, handler: StaffMember, supervisor: StaffMember
) -> None:
    later = _case(db, handler, called_hours_ago=1, band="P3")
    breached = _case(db, handler, called_hours_ago=30)
    near = _case(db, handler, called_hours_ago=20)
    on_time = _case(db, handler, called_hours_ago=2, band="P2")

    items = queue.case_queue(db, settings, now=NOW, by=supervisor)

    assert [i.incident_id for i in items] == [breached, near, on_time, later]
    assert [(i.breached, i.near_breach) for i in items] == [
        (True, False),
        (False, True),
        (False, False),
        (False, False),
    ]
    assert items[0].time_left == -6 * HOUR
    assert items[1].time_left == 4 * HOUR


def test_a_case_leaves_the_queue_when_booked_and_comes_back_when_cancelled(
    db: Database, settings: Settings, handler: StaffMember, supervisor: StaffMember
) -> None:
    officer = make_staff(db, Role.VIDEO_OFFICER)
    incident, person = make_video_case(db, created_by=handler.id, called_at=NOW)
    booked = make_appointment(
        db,
        incident_id=incident,
        person_id=person,
        officer_id=officer.id,
        starts_at=NOW + HOUR,
        created_by=handler.id,
    )
    assert queue.case_queue(db, settings, now=NOW, by=supervisor) == []

    service.change_status(
        db, appointment_id=booked, status=AppointmentStatus.CANCELLED, reason="x", by=handler
    )
    assert [i.person_id for i in queue.case_queue(db, settings, now=NOW, by=supervisor)] == [person]


def test_only_a_persons_latest_route_choice_counts(
    db: Database, settings: Settings, handler: StaffMember, supervisor: StaffMember
) -> None:
    incident, person = make_video_case(db, created_by=handler.id, called_at=NOW)
    offer_route(
        db,
        incident_id=incident,
        person_id=person,
        chosen="station",
        offered_by=handler.id,
        offered_at=datetime.now(UTC) + HOUR,
    )
    attend, attend_person = make_case(db, created_by=handler.id, called_at=NOW)
    offer_route(db, incident_id=attend, person_id=attend_person, chosen="attend", offered_by=1)

    assert queue.case_queue(db, settings, now=NOW, by=supervisor) == []


def test_an_appointment_an_absence_left_without_an_officer_is_queued_for_rebooking(
    db: Database, settings: Settings, handler: StaffMember, supervisor: StaffMember
) -> None:
    incident, person = make_video_case(
        db, created_by=handler.id, called_at=NOW - 22 * HOUR, deadline=24 * HOUR, band="P1"
    )
    appointment = make_appointment(
        db,
        incident_id=incident,
        person_id=person,
        officer_id=None,
        starts_at=NOW + HOUR,
        created_by=handler.id,
        needs_rebooking=True,
    )

    [item] = queue.case_queue(db, settings, now=NOW, by=supervisor)

    assert item.needs_rebooking and item.appointment_id == appointment
    assert item.appointment_starts_at == NOW + HOUR
    assert item.near_breach


def test_open_in_person_requests_are_listed_by_due_time_with_overdue_flagged(
    db: Database, settings: Settings, handler: StaffMember, supervisor: StaffMember
) -> None:
    incident, person = make_case(db, created_by=handler.id)
    later = make_in_person_request(
        db, incident_id=incident, person_id=person, route="station", due_at=NOW + 3 * HOUR
    )
    overdue = make_in_person_request(db, incident_id=incident, person_id=person, due_at=NOW - HOUR)
    make_in_person_request(
        db, incident_id=incident, person_id=person, due_at=NOW - 2 * HOUR, closed=True
    )

    items = queue.in_person_requests(db, settings, now=NOW, by=supervisor)

    assert [(i.id, i.overdue) for i in items] == [(overdue, True), (later, False)]


def test_an_officers_day_is_the_team_local_date_in_summer_time(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    officer = make_staff(db, Role.VIDEO_OFFICER)
    incident, person = make_case(db, created_by=handler.id)
    at = dict(incident_id=incident, person_id=person, officer_id=officer.id, created_by=handler.id)
    # London is UTC+1 in July: 23:30 UTC on the 1st is 00:30 on the 2nd.
    late_on_first = make_appointment(db, **at, starts_at=datetime(2026, 7, 1, 22, 30, tzinfo=UTC))
    early_on_second = make_appointment(db, **at, starts_at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC))
    first = make_appointment(db, **at, starts_at=datetime(2026, 6, 30, 23, 0, tzinfo=UTC))

    def ids(day: date) -> list[int]:
        return [
            a.id
            for a in queue.officer_day(db, settings, officer_id=officer.id, day=day, by=officer)
        ]

    assert ids(date(2026, 7, 1)) == [first, late_on_first]
    assert ids(date(2026, 7, 2)) == [early_on_second]


def test_an_officers_day_shows_only_their_appointments_with_the_persons_needs(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    mine, theirs = make_staff(db, Role.VIDEO_OFFICER), make_staff(db, Role.VIDEO_OFFICER)
    incident, person = make_case(
        db, created_by=handler.id, incident_type="domestic_abuse", band="P1"
    )
    update_person(
        db,
        person,
        interpreter_needed=True,
        language="Polish",
        accessibility_needs="Uses a screen reader",
        preferred_officer_gender="female",
        date_of_birth=date(2010, 1, 1),
    )
    at = dict(incident_id=incident, person_id=person, created_by=handler.id)
    own = make_appointment(db, **at, officer_id=mine.id, starts_at=NOW)
    make_appointment(db, **at, officer_id=theirs.id, starts_at=NOW + 2 * HOUR)

    [appointment] = queue.officer_day(db, settings, officer_id=mine.id, day=NOW.date(), by=mine)

    assert appointment.id == own
    assert appointment.interpreter_language == "Polish"
    assert appointment.accessibility_needs == "Uses a screen reader"
    assert appointment.preferred_officer_gender == "female"
    assert appointment.under_18
    assert appointment.incident_type == "Domestic abuse" and appointment.band == "P1"


def test_each_read_is_audited_as_a_consultation_with_ids_and_no_names(
    db: Database, settings: Settings, handler: StaffMember, supervisor: StaffMember
) -> None:
    _case(db, handler, called_hours_ago=1)
    queue.case_queue(db, settings, now=NOW, by=supervisor)
    queue.team_day(db, settings, day=NOW.date(), by=supervisor)

    with db.sessions() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "consultation").order_by(AuditEntry.seq)
        ).all()
    assert [e.event for e in entries] == ["booking.queue_viewed", "booking.team_day_viewed"]
    assert all(e.actor == supervisor.actor and e.why for e in entries)
    assert "Alex Example" not in "".join(e.detail for e in entries)
    assert json.loads(entries[0].detail) == {"cases": 1}


def test_an_appointments_detail_has_its_history_and_a_missing_one_is_not_found(
    db: Database, settings: Settings, handler: StaffMember, supervisor: StaffMember
) -> None:
    officer = make_staff(db, Role.VIDEO_OFFICER, display_name="PC Kim Shaw")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    make_shift(db, officer.id, tomorrow, tomorrow + 8 * HOUR)
    _, person = make_video_case(db, created_by=handler.id)
    booked = service.book(db, settings, person_id=person, starts_at=tomorrow, by=handler)
    service.reschedule(
        db,
        settings,
        appointment_id=booked.id,
        starts_at=tomorrow + 2 * HOUR,
        reason="Caller at work",
        by=supervisor,
    )

    detail = appointment_views.appointment_detail(
        db, settings, appointment_id=booked.id, by=supervisor
    )

    assert detail.appointment.starts_at == tomorrow + 2 * HOUR
    assert [(h.event, h.officer_name, h.reason) for h in detail.history] == [
        ("booked", "PC Kim Shaw", ""),
        ("rescheduled", "PC Kim Shaw", "Caller at work"),
    ]
    assert [o.id for o in detail.officers] == [officer.id]
    with pytest.raises(NotFound):
        appointment_views.appointment_detail(db, settings, appointment_id=999, by=supervisor)
