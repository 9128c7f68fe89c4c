"""The call's pages through HTTP: who reaches which page, and what the pages carry."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import csrf_token, make_case, make_shift, make_staff, sign_in
from videoresponse.booking import service as booking
from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.core.web import STATIC_DIR
from videoresponse.notify.models import JoinLink

TOKEN = "a-call-test-token-with-enough-entropy"
CALL_SCRIPTS = sorted((STATIC_DIR / "calls").glob("*.js"))


def _tomorrow_at(hour: int) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def officer(db: Database) -> StaffMember:
    return make_staff(db, Role.VIDEO_OFFICER)


@pytest.fixture
def appointment(db: Database, settings: Settings, officer: StaffMember) -> int:
    """Officer's appointment tomorrow; its link carries TOKEN."""
    handler = make_staff(db, Role.CALL_HANDLER)
    make_shift(db, officer.id, _tomorrow_at(9), _tomorrow_at(17))
    _, person = make_case(db, created_by=handler.id)
    booked = booking.book(
        db,
        settings,
        person_id=person,
        starts_at=_tomorrow_at(10),
        officer_id=officer.id,
        by=handler,
    )
    with db.transaction() as session:
        link = session.scalars(select(JoinLink).where(JoinLink.appointment_id == booked.id)).one()
        link.token_hash = hashlib.sha256(TOKEN.encode()).hexdigest()
    return booked.id


def _starts_in(db: Database, appointment_id: int, minutes: int) -> None:
    """Move the appointment so that its join window is open now."""
    with db.transaction() as session:
        row = session.get_one(Appointment, appointment_id)
        row.starts_at = utcnow() + timedelta(minutes=minutes)
        row.ends_at = row.starts_at + timedelta(hours=1)
        row.reserved_until = row.ends_at + timedelta(minutes=15)


def verified_caller(client: TestClient) -> None:
    client.post("/j", data={"token": TOKEN, "csrf_token": csrf_token(client, f"/j/{TOKEN}")})
    checked = client.post(
        "/appointment/check",
        data={"day": "17", "month": "5", "year": "1990", "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert checked.status_code == 303


def test_without_a_confirmed_session_the_call_sends_the_caller_back(
    client: TestClient, appointment: int
) -> None:
    response = client.get("/appointment/call", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/appointment"
    assert "This link cannot be used" in client.get("/appointment/check-devices").text
    # An opened link whose identity check is not done yet reaches neither.
    client.post("/j", data={"token": TOKEN, "csrf_token": csrf_token(client, f"/j/{TOKEN}")})
    assert client.get("/appointment/call", follow_redirects=False).status_code == 303
    assert "This link cannot be used" in client.get("/appointment/check-devices").text


def test_before_the_join_window_the_caller_can_test_devices_but_not_join(
    client: TestClient, appointment: int
) -> None:
    verified_caller(client)
    page = client.get("/appointment").text
    assert 'href="/appointment/check-devices"' in page
    assert 'href="/appointment/call"' not in page
    check = client.get("/appointment/check-devices")
    assert check.status_code == 200
    assert "You can do this check at any time before your appointment" in check.text
    assert "Go to the waiting room" not in check.text
    assert client.get("/appointment/call", follow_redirects=False).status_code == 303


def test_in_the_join_window_the_caller_reaches_the_waiting_room(
    client: TestClient, db: Database, settings: Settings, appointment: int
) -> None:
    _starts_in(db, appointment, 5)
    verified_caller(client)
    assert 'href="/appointment/call"' in client.get("/appointment").text
    check = client.get("/appointment/check-devices")
    assert "Go to the waiting room" in check.text
    assert 'action="/appointment/call"' in check.text
    call = client.get("/appointment/call")
    assert call.status_code == 200
    assert f'data-appointment-id="{appointment}"' in call.text
    assert 'data-audio-only="0"' in call.text
    assert "Waiting to be let in" in call.text
    assert settings.force_phone in call.text
    assert re.search(r"If nobody has let you in by \d{1,2}:\d\d[ap]m", call.text)
    assert '<script type="module" src="/static/calls/caller.js">' in call.text


def test_audio_only_is_carried_in_the_address_only(
    client: TestClient, db: Database, appointment: int
) -> None:
    _starts_in(db, appointment, 5)
    verified_caller(client)
    call = client.get("/appointment/call?audio=1")
    assert 'data-audio-only="1"' in call.text
    assert "set-cookie" not in call.headers


def test_caller_pages_are_neutral_with_exit_this_page_and_no_inline_code(
    client: TestClient, db: Database, appointment: int
) -> None:
    _starts_in(db, appointment, 5)
    verified_caller(client)
    for path in ("/appointment/check-devices", "/appointment/call"):
        page = client.get(path)
        assert "<title>Appointment</title>" in page.text
        assert "govuk-exit-this-page" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), path
        assert " style=" not in page.text
        assert "<style" not in page.text


@pytest.mark.parametrize("script", CALL_SCRIPTS, ids=lambda p: p.name)
def test_the_call_scripts_leave_no_trace_in_the_browser(script: Path) -> None:
    code = script.read_text()
    for api in ("localStorage", "sessionStorage", "indexedDB", "document.cookie", "caches."):
        assert api not in code, f"{script.name} uses {api}"


def test_a_video_officer_opens_the_console_with_their_day(
    client: TestClient, db: Database, officer: StaffMember, appointment: int
) -> None:
    _starts_in(db, appointment, 5)
    sign_in(client, officer)
    page = client.get("/officer/console")
    assert page.status_code == 200
    assert "Waiting now" in page.text
    assert f'href="/officer/calls/{appointment}"' in page.text
    assert 'src="/static/calls/console.js"' in page.text
    assert 'data-csrf="' in page.text
    assert 'href="/officer/console"' in client.get("/officer").text


def test_a_call_handler_cannot_open_the_console(client: TestClient, db: Database) -> None:
    sign_in(client, make_staff(db, Role.CALL_HANDLER))
    assert client.get("/officer/console", headers={"accept": "text/html"}).status_code == 403


def test_an_officer_opens_only_their_own_call(
    client: TestClient, db: Database, officer: StaffMember, appointment: int
) -> None:
    sign_in(client, officer)
    own = client.get(f"/officer/calls/{appointment}")
    assert own.status_code == 200
    assert f'data-appointment-id="{appointment}"' in own.text
    assert "Alex Example" in own.text
    assert "End call for everyone" in own.text
    assert client.get("/officer/calls/999999", headers={"accept": "text/html"}).status_code == 404
    client.cookies.clear()
    sign_in(client, make_staff(db, Role.VIDEO_OFFICER))
    other = client.get(f"/officer/calls/{appointment}", headers={"accept": "text/html"})
    assert other.status_code == 403


def test_a_supervisor_opens_any_call(client: TestClient, db: Database, appointment: int) -> None:
    sign_in(client, make_staff(db, Role.SUPERVISOR))
    assert client.get(f"/officer/calls/{appointment}").status_code == 200


def test_a_cancelled_appointment_has_no_call(
    client: TestClient, db: Database, officer: StaffMember, appointment: int
) -> None:
    with db.transaction() as session:
        session.get_one(Appointment, appointment).status = "cancelled"
    sign_in(client, officer)
    page = client.get(f"/officer/calls/{appointment}", headers={"accept": "text/html"})
    assert page.status_code == 409


def test_scripts_are_sent_compressed_but_pages_with_tokens_are_not(
    client: TestClient, db: Database, appointment: int
) -> None:
    _starts_in(db, appointment, 5)
    verified_caller(client)
    page = client.get("/appointment/call", headers={"accept-encoding": "gzip"})
    # BREACH: a page holds a CSRF token beside reflected input; only static files are gzipped.
    assert "content-encoding" not in page.headers
    script = client.get("/static/calls/call.js", headers={"accept-encoding": "gzip"})
    assert script.headers["content-encoding"] == "gzip"


def test_a_late_caller_is_told_to_phone_if_nobody_comes_in_a_few_minutes(
    client: TestClient, db: Database, appointment: int
) -> None:
    _starts_in(db, appointment, -30)
    verified_caller(client)
    call = client.get("/appointment/call")
    assert "If nobody lets you in within a few minutes, phone" in call.text


def test_a_call_handler_starts_a_video_call_now_from_the_case_page(
    client: TestClient, db: Database
) -> None:
    from sqlalchemy import select

    from tests.factories import make_case, make_staff, sign_in
    from videoresponse.calls.models import RapidCall
    from videoresponse.core.auth.rules import Role
    from videoresponse.notify.models import TextMessage

    handler = make_staff(db, Role.CALL_HANDLER)
    incident, person = make_case(db, created_by=handler.id)
    sign_in(client, handler)
    from tests.factories import csrf_token

    response = client.post(
        f"/handler/people/{person}/rapid-call",
        data={"csrf_token": csrf_token(client, "/handler")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/handler/incidents/{incident}?rapid={person}")
    page = client.get(response.headers["location"])
    assert "A text with a link is on its way" in page.text
    with db.sessions() as session:
        assert session.scalars(select(RapidCall)).one()
        assert session.scalars(select(TextMessage.status)).one() == "queued"
