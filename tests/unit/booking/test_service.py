"""Booking use cases on a real (SQLite) database."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_case, make_shift, make_staff
from videoresponse.booking import service
from videoresponse.booking.models import Appointment, AppointmentEvent
from videoresponse.booking.rules import AppointmentStatus, BookingRuleError
from videoresponse.config import Settings
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database
from videoresponse.rota.rules import TimeRange


def _tomorrow_at(hour: int, minute: int = 0) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def handler(db: Database):  # type: ignore[no-untyped-def]
    return make_staff(db, Role.CALL_HANDLER)


@pytest.fixture
def officers(db: Database):  # type: ignore[no-untyped-def]
    team = [make_staff(db, Role.VIDEO_OFFICER, gender=g) for g in ("female", "male")]
    for officer in team:
        make_shift(db, officer.id, _tomorrow_at(9), _tomorrow_at(17))
    return team


def test_options_are_the_earliest_free_times_inside_shifts(
    db: Database, settings: Settings, handler, officers
) -> None:
    _, person = make_case(db, created_by=handler.id)
    options, _ = service.find_options(db, settings, person_id=person, limit=3, by=handler)
    assert [o.start for o in options] == [_tomorrow_at(9), _tomorrow_at(9, 15), _tomorrow_at(9, 30)]


def test_booking_takes_the_slot_and_the_next_search_leaves_the_buffer(
    db: Database, settings: Settings, handler, officers
) -> None:
    officer = officers[0]
    _, first = make_case(
        db, created_by=handler.id, preferred_officer_gender="female", incident_type="domestic_abuse"
    )
    booked = service.book(db, settings, person_id=first, starts_at=_tomorrow_at(9), by=handler)
    assert booked.officer_id == officer.id
    assert booked.ends_at - booked.starts_at == timedelta(minutes=90)
    _, second = make_case(db, created_by=handler.id, preferred_officer_gender="female")
    options, _ = service.find_options(db, settings, person_id=second, limit=1, by=handler)
    assert options[0].start == _tomorrow_at(10, 45)


def test_booking_a_taken_slot_answers_with_fresh_options(
    db: Database, settings: Settings, handler, officers
) -> None:
    cases = [
        make_case(db, created_by=handler.id, preferred_officer_gender="male")[1] for _ in range(2)
    ]
    service.book(db, settings, person_id=cases[0], starts_at=_tomorrow_at(9), by=handler)
    with pytest.raises(service.SlotTaken) as taken:
        service.book(db, settings, person_id=cases[1], starts_at=_tomorrow_at(9), by=handler)
    assert taken.value.fresh_options
    assert all(o.start >= _tomorrow_at(10, 15) for o in taken.value.fresh_options)


def test_a_slot_after_the_deadline_needs_a_reason(
    db: Database, settings: Settings, handler, officers
) -> None:
    _, person = make_case(
        db, created_by=handler.id, called_at=datetime.now(UTC), deadline=timedelta(hours=2)
    )
    with pytest.raises(BookingRuleError, match="deadline"):
        service.book(db, settings, person_id=person, starts_at=_tomorrow_at(9), by=handler)
    booked = service.book(
        db,
        settings,
        person_id=person,
        starts_at=_tomorrow_at(9),
        late_reason="The caller asked for tomorrow",
        by=handler,
    )
    assert booked.status == "booked"


def test_the_same_idempotency_key_books_once(
    db: Database, settings: Settings, handler, officers
) -> None:
    _, person = make_case(db, created_by=handler.id)
    first = service.book(
        db,
        settings,
        person_id=person,
        starts_at=_tomorrow_at(11),
        by=handler,
        idempotency_key="abc",
    )
    again = service.book(
        db,
        settings,
        person_id=person,
        starts_at=_tomorrow_at(11),
        by=handler,
        idempotency_key="abc",
    )
    assert again == first
    with pytest.raises(service.IdempotencyConflict):
        service.book(
            db,
            settings,
            person_id=person,
            starts_at=_tomorrow_at(12),
            by=handler,
            idempotency_key="abc",
        )
    with db.sessions() as session:
        assert len(session.scalars(select(Appointment)).all()) == 1


def test_safe_windows_limit_the_options(
    db: Database, settings: Settings, handler, officers
) -> None:
    day = _tomorrow_at(0).weekday()
    # 14:00-16:00 local London time; UTC is 13:00 or 14:00 depending on the season.
    _, person = make_case(db, created_by=handler.id, safe_windows=[(day, time(14), time(16))])
    options, _ = service.find_options(db, settings, person_id=person, limit=10, by=handler)
    assert options
    for option in options:
        local = option.start.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London"))
        assert time(14) <= local.time() and option.end.astimezone(local.tzinfo).time() <= time(16)


def test_reschedule_and_cancel_keep_history_and_refuse_illegal_moves(
    db: Database, settings: Settings, handler, officers
) -> None:
    _, person = make_case(db, created_by=handler.id)
    booked = service.book(db, settings, person_id=person, starts_at=_tomorrow_at(9), by=handler)
    moved = service.reschedule(
        db,
        settings,
        appointment_id=booked.id,
        starts_at=_tomorrow_at(13),
        reason="caller at work",
        by=handler,
    )
    assert moved.status == "rescheduled" and moved.starts_at == _tomorrow_at(13)
    service.change_status(
        db,
        appointment_id=booked.id,
        status=AppointmentStatus.CANCELLED,
        reason="caller withdrew",
        by=handler,
    )
    with pytest.raises(BookingRuleError):
        service.change_status(
            db, appointment_id=booked.id, status=AppointmentStatus.IN_CALL, by=handler
        )
    with db.sessions() as session:
        events = session.scalars(
            select(AppointmentEvent.event)
            .where(AppointmentEvent.appointment_id == booked.id)
            .order_by(AppointmentEvent.id)
        ).all()
    assert events == ["booked", "rescheduled", "cancelled"]


def test_an_absence_reallocates_or_lists_for_rebooking(
    db: Database, settings: Settings, handler, officers
) -> None:
    female, male = officers
    _, any_officer = make_case(db, created_by=handler.id)
    _, needs_female = make_case(db, created_by=handler.id, preferred_officer_gender="female")
    first = service.book(
        db,
        settings,
        person_id=any_officer,
        starts_at=_tomorrow_at(9),
        officer_id=female.id,
        by=handler,
    )
    second = service.book(
        db, settings, person_id=needs_female, starts_at=_tomorrow_at(12), by=handler
    )
    assert second.officer_id == female.id
    supervisor = make_staff(db, Role.SUPERVISOR)
    moved = service.mark_officer_absent(
        db,
        settings,
        officer_id=female.id,
        period=TimeRange(_tomorrow_at(8), _tomorrow_at(18)),
        reason="sick",
        by=supervisor,
    )
    assert {(m.appointment_id, m.new_officer_id) for m in moved} == {
        (first.id, male.id),
        (second.id, None),
    }
    with db.sessions() as session:
        assert session.get_one(Appointment, second.id).needs_rebooking
