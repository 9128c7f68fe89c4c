"""Booking a follow-up from an appointment, through HTTP."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import (
    csrf_token,
    make_appointment,
    make_shift,
    make_staff,
    make_video_case,
    sign_in,
)
from videoresponse.booking.models import Appointment
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.notify.models import TextMessage
from videoresponse.rota.rules import local_to_utc

LONDON = ZoneInfo("Europe/London")
TOMORROW = datetime.now(LONDON).date() + timedelta(days=1)


def _tomorrow_at(hour: int) -> datetime:
    return local_to_utc(TOMORROW, time(hour), LONDON)


@pytest.fixture
def officer(db: Database) -> StaffMember:
    member = make_staff(db, display_name="PC Kim Shaw")
    make_shift(db, member.id, _tomorrow_at(13), _tomorrow_at(17))
    return member


@pytest.fixture
def earlier(db: Database, officer: StaffMember) -> int:
    """A completed appointment of the officer, for a case whose deadline has passed."""
    other = make_staff(db, display_name="PC Lee Other")
    make_shift(db, other.id, _tomorrow_at(9), _tomorrow_at(17))
    handler = make_staff(db, Role.CALL_HANDLER)
    incident_id, person_id = make_video_case(
        db, created_by=handler.id, called_at=utcnow() - timedelta(days=10)
    )
    return make_appointment(
        db,
        incident_id=incident_id,
        person_id=person_id,
        officer_id=officer.id,
        starts_at=utcnow() - timedelta(days=9),
        created_by=handler.id,
        status="completed",
    )


def test_the_same_officers_times_come_first(
    client: TestClient, officer: StaffMember, earlier: int
) -> None:
    sign_in(client, officer)

    page = client.get(f"/officer/appointments/{earlier}/follow-up")

    assert page.status_code == 200
    assert "Book a follow-up" in page.text
    labels = page.text.split('name="option"')
    assert "with PC Kim Shaw" in labels[1] and "Same officer" in labels[1]
    assert "with PC Lee Other" in page.text  # earlier in the day, but listed after


def test_booking_a_follow_up_keeps_person_incident_and_officer_and_texts_the_caller(
    client: TestClient, db: Database, officer: StaffMember, earlier: int
) -> None:
    sign_in(client, officer)
    starts_at = _tomorrow_at(14)

    booked = client.post(
        f"/officer/appointments/{earlier}/follow-up",
        data={
            "option": f"{starts_at.isoformat()}|{officer.id}",
            "csrf_token": csrf_token(client),
        },
        follow_redirects=False,
    )

    assert booked.status_code == 303
    assert "Follow-up booked for" in client.get(booked.headers["location"]).text
    with db.sessions() as session:
        first = session.get_one(Appointment, earlier)
        follow_up = session.scalars(
            select(Appointment).where(Appointment.follow_up_of == earlier)
        ).one()
        texts = session.scalars(
            select(TextMessage.kind).where(TextMessage.appointment_id == follow_up.id)
        ).all()
    assert (follow_up.person_id, follow_up.incident_id) == (first.person_id, first.incident_id)
    assert follow_up.officer_id == officer.id
    assert follow_up.starts_at == starts_at
    assert follow_up.late_reason == f"Follow-up of appointment {earlier}"
    assert texts == ["confirmation"]


def test_a_follow_up_at_a_time_typed_in(
    client: TestClient, db: Database, officer: StaffMember, earlier: int
) -> None:
    sign_in(client, officer)

    booked = client.post(
        f"/officer/appointments/{earlier}/follow-up",
        data={
            "option": "other",
            "new_day": str(TOMORROW.day),
            "new_month": str(TOMORROW.month),
            "new_year": str(TOMORROW.year),
            "new_time": "15:00",
            "officer_id": str(officer.id),
            "csrf_token": csrf_token(client),
        },
        follow_redirects=False,
    )

    assert booked.status_code == 303
    with db.sessions() as session:
        made = session.scalars(select(Appointment).where(Appointment.follow_up_of == earlier))
        assert [a.starts_at for a in made] == [_tomorrow_at(15)]


def test_a_time_the_officer_is_not_free_is_refused_with_other_times(
    client: TestClient, officer: StaffMember, earlier: int
) -> None:
    sign_in(client, officer)
    refused = client.post(
        f"/officer/appointments/{earlier}/follow-up",
        data={
            "option": f"{_tomorrow_at(20).isoformat()}|{officer.id}",
            "csrf_token": csrf_token(client),
        },
    )
    assert refused.status_code == 409
    assert "That time is not free" in refused.text
    assert 'name="option"' in refused.text


def test_choosing_nothing_says_so(client: TestClient, officer: StaffMember, earlier: int) -> None:
    sign_in(client, officer)
    refused = client.post(
        f"/officer/appointments/{earlier}/follow-up", data={"csrf_token": csrf_token(client)}
    )
    assert refused.status_code == 400
    assert "Choose a time, or another time" in refused.text


def test_another_officers_appointment_is_refused(
    client: TestClient, db: Database, earlier: int
) -> None:
    sign_in(client, make_staff(db))
    assert client.get(f"/officer/appointments/{earlier}/follow-up").status_code == 403


def test_a_supervisor_may_book_from_any_appointment(
    client: TestClient, db: Database, earlier: int
) -> None:
    sign_in(client, make_staff(db, Role.SUPERVISOR))
    assert client.get(f"/officer/appointments/{earlier}/follow-up").status_code == 200


def test_no_follow_up_from_an_appointment_that_has_not_happened(
    client: TestClient, db: Database, officer: StaffMember
) -> None:
    handler = make_staff(db, Role.CALL_HANDLER)
    incident_id, person_id = make_video_case(db, created_by=handler.id)
    booked = make_appointment(
        db,
        incident_id=incident_id,
        person_id=person_id,
        officer_id=officer.id,
        starts_at=_tomorrow_at(13),
        created_by=handler.id,
    )
    sign_in(client, officer)

    page = client.get(f"/officer/appointments/{booked}/follow-up")
    refused = client.post(
        f"/officer/appointments/{booked}/follow-up",
        data={"option": "other", "csrf_token": csrf_token(client)},
    )

    assert "has started or taken place" in page.text
    assert 'name="option"' not in page.text
    assert refused.status_code == 409
