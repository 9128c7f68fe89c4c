"""The officer's day, the team overview and the appointment page, through HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.factories import csrf_token, make_shift, make_staff, make_video_case, sign_in
from videoresponse.booking import service
from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database
from videoresponse.rota.rules import local_to_utc
from videoresponse.triage.models import Incident

LONDON = ZoneInfo("Europe/London")
TOMORROW = datetime.now(LONDON).date() + timedelta(days=1)


def _tomorrow_at(hour: int, minute: int = 0) -> datetime:
    return local_to_utc(TOMORROW, time(hour, minute), LONDON)


@pytest.fixture
def handler(db: Database) -> StaffMember:
    return make_staff(db, Role.CALL_HANDLER)


@pytest.fixture
def supervisor(db: Database) -> StaffMember:
    return make_staff(db, Role.SUPERVISOR)


@pytest.fixture
def officer(db: Database) -> StaffMember:
    member = make_staff(db, Role.VIDEO_OFFICER, display_name="PC Kim Shaw")
    make_shift(db, member.id, _tomorrow_at(9), _tomorrow_at(17))
    return member


def _book(
    db: Database,
    settings: Settings,
    handler: StaffMember,
    hour: int,
    officer_id: int | None = None,
) -> int:
    _, person = make_video_case(db, created_by=handler.id)
    booked = service.book(
        db,
        settings,
        person_id=person,
        starts_at=_tomorrow_at(hour),
        officer_id=officer_id,
        by=handler,
    )
    return booked.id


def _urn(db: Database, appointment_id: int) -> str:
    with db.sessions() as session:
        appointment = session.get_one(Appointment, appointment_id)
        return session.get_one(Incident, appointment.incident_id).urn


@pytest.mark.parametrize("path", ["/supervisor", "/supervisor/appointments/1"])
def test_a_call_handler_cannot_open_the_supervisors_pages(
    client: TestClient, handler: StaffMember, path: str
) -> None:
    sign_in(client, handler)
    assert client.get(path, headers={"accept": "text/html"}).status_code == 403


def test_an_officer_sees_their_own_day_and_nobody_elses(
    client: TestClient, db: Database, settings: Settings, handler: StaffMember, officer: StaffMember
) -> None:
    other = make_staff(db, Role.VIDEO_OFFICER, display_name="PC Lee Other")
    make_shift(db, other.id, _tomorrow_at(9), _tomorrow_at(17))
    mine = _book(db, settings, handler, 10, officer.id)
    theirs = _book(db, settings, handler, 10, other.id)
    sign_in(client, officer)

    page = client.get(f"/officer?day={TOMORROW.isoformat()}")

    assert page.status_code == 200
    assert "10:00 to 11:00" in page.text
    assert _urn(db, mine) in page.text and _urn(db, theirs) not in page.text
    assert "Previous day" in page.text and f"?day={TOMORROW + timedelta(days=1)}" in page.text


def test_an_officers_day_without_appointments_says_so_and_a_bad_date_is_refused(
    client: TestClient, officer: StaffMember
) -> None:
    sign_in(client, officer)
    assert "You have no appointments on this day." in client.get("/officer").text
    assert client.get("/officer?day=tomorrow", headers={"accept": "text/html"}).status_code == 400


def test_the_overview_highlights_breached_and_near_deadline_cases_and_links_to_them(
    client: TestClient, db: Database, handler: StaffMember, supervisor: StaffMember
) -> None:
    now = datetime.now(UTC)
    breached, _ = make_video_case(
        db, created_by=handler.id, called_at=now - timedelta(hours=30), deadline=timedelta(hours=24)
    )
    near, _ = make_video_case(
        db, created_by=handler.id, called_at=now - timedelta(hours=20), deadline=timedelta(hours=24)
    )
    sign_in(client, supervisor)

    page = client.get("/supervisor")

    assert page.status_code == 200
    assert "Deadline passed" in page.text and "Near deadline" in page.text
    assert page.text.index(f"/handler/incidents/{breached}") < page.text.index(
        f"/handler/incidents/{near}"
    )


def test_cancelling_needs_a_reason_and_keeps_the_appointment_until_one_is_given(
    client: TestClient,
    db: Database,
    settings: Settings,
    handler: StaffMember,
    supervisor: StaffMember,
    officer: StaffMember,
) -> None:
    appointment = _book(db, settings, handler, 9)
    sign_in(client, supervisor)
    path = f"/supervisor/appointments/{appointment}"

    refused = client.post(
        path + "/cancel", data={"csrf_token": csrf_token(client, path), "cancel_reason": " "}
    )

    assert refused.status_code == 400
    assert "Enter why the appointment is cancelled" in refused.text
    assert 'href="#cancel_reason"' in refused.text
    done = client.post(
        path + "/cancel",
        data={"csrf_token": csrf_token(client, path), "cancel_reason": "Caller withdrew"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "Appointment cancelled." in page.text and "Caller withdrew" in page.text


def test_rescheduling_into_a_taken_slot_answers_409_with_free_times_and_keeps_the_reason(
    client: TestClient,
    db: Database,
    settings: Settings,
    handler: StaffMember,
    supervisor: StaffMember,
    officer: StaffMember,
) -> None:
    _book(db, settings, handler, 9)
    moving = _book(db, settings, handler, 12)
    sign_in(client, supervisor)
    path = f"/supervisor/appointments/{moving}"
    form = {
        "new_day": str(TOMORROW.day),
        "new_month": str(TOMORROW.month),
        "new_year": str(TOMORROW.year),
        "new_time": "09:00",
        "officer_id": str(officer.id),
        "reason": "Caller asked for the morning",
    }

    taken = client.post(path + "/reschedule", data={**form, "csrf_token": csrf_token(client, path)})

    assert taken.status_code == 409
    assert "That time is not free" in taken.text
    assert "Move to this time" in taken.text
    assert "Caller asked for the morning" in taken.text
    moved = client.post(
        path + "/reschedule",
        data={**form, "new_time": "14:00", "csrf_token": csrf_token(client, path)},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    with db.sessions() as session:
        row = session.get_one(Appointment, moving)
        assert (row.starts_at, row.status) == (_tomorrow_at(14), "rescheduled")


def test_rescheduling_checks_the_form_and_keeps_what_was_typed(
    client: TestClient,
    db: Database,
    settings: Settings,
    handler: StaffMember,
    supervisor: StaffMember,
    officer: StaffMember,
) -> None:
    appointment = _book(db, settings, handler, 9)
    sign_in(client, supervisor)
    path = f"/supervisor/appointments/{appointment}"

    page = client.post(
        path + "/reschedule",
        data={
            "csrf_token": csrf_token(client, path),
            "new_day": "31",
            "new_month": "2",
            "new_year": "2027",
            "new_time": "25:00",
            "reason": "",
            "late_reason": "Typed and kept",
        },
    )

    assert page.status_code == 400
    assert "must be a real date" in page.text
    assert "as a 24-hour time" in page.text
    assert "Enter why the appointment is moving" in page.text
    assert 'value="31"' in page.text and "Typed and kept" in page.text


def test_an_unknown_appointment_is_not_found(client: TestClient, supervisor: StaffMember) -> None:
    sign_in(client, supervisor)
    response = client.get("/supervisor/appointments/999", headers={"accept": "text/html"})
    assert response.status_code == 404


def test_the_history_names_rapid_call_moves_in_words(
    client: TestClient,
    db: Database,
    settings: Settings,
    handler: StaffMember,
    supervisor: StaffMember,
    officer: StaffMember,
) -> None:
    from videoresponse.booking.models import AppointmentEvent

    appointment = _book(db, settings, handler, 9, officer.id)
    with db.transaction() as session:
        row = session.get_one(Appointment, appointment)
        for event in ("rapid", "taken"):
            session.add(
                AppointmentEvent(
                    appointment_id=row.id,
                    by=handler.actor,
                    event=event,
                    from_status=None,
                    to_status=row.status,
                    starts_at=row.starts_at,
                    officer_id=row.officer_id,
                )
            )
    sign_in(client, supervisor)
    page = client.get(f"/supervisor/appointments/{appointment}").text
    assert "Rapid video call queued" in page and "Taken by an officer" in page
