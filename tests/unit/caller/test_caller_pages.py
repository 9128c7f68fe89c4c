"""The caller's link, identity check and self-service, through HTTP."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import csrf_token, make_case, make_shift, make_staff
from videoresponse.booking import service as booking
from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database
from videoresponse.notify.models import JoinLink, TextMessage

TOKEN = "a-test-token-with-enough-entropy-123"


def _tomorrow_at(hour: int) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def booked(db: Database, settings: Settings) -> int:
    """A booked appointment whose confirmation link carries TOKEN (as if just texted)."""
    handler = make_staff(db, Role.CALL_HANDLER)
    officer = make_staff(db, Role.VIDEO_OFFICER)
    make_shift(db, officer.id, _tomorrow_at(9), _tomorrow_at(17))
    _, person = make_case(db, created_by=handler.id)
    appointment = booking.book(
        db, settings, person_id=person, starts_at=_tomorrow_at(10), by=handler
    )
    with db.transaction() as session:
        link = session.scalars(
            select(JoinLink).where(JoinLink.appointment_id == appointment.id)
        ).first()
        assert link is not None
        link.token_hash = hashlib.sha256(TOKEN.encode()).hexdigest()
    return appointment.id


def _open(client: TestClient, token: str = TOKEN):  # type: ignore[no-untyped-def]
    landing = client.get(f"/j/{token}")
    return client.post(
        "/j",
        data={"token": token, "csrf_token": csrf_token(client, f"/j/{token}")},
        follow_redirects=False,
    ), landing


def _check_dob(client: TestClient, day: str = "17", month: str = "5", year: str = "1990"):  # type: ignore[no-untyped-def]
    return client.post(
        "/appointment/check",
        data={
            "day": day,
            "month": month,
            "year": year,
            "csrf_token": csrf_token(client),
        },
        follow_redirects=False,
    )


def test_opening_a_link_changes_nothing_until_the_caller_continues(
    client: TestClient, db: Database, booked: int
) -> None:
    landing = client.get(f"/j/{TOKEN}")
    assert landing.status_code == 200
    assert "Continue" in landing.text
    with db.sessions() as session:
        assert session.scalars(select(AuditEntry.event)).all().count("link.opened") == 0


def test_continuing_swaps_the_token_for_a_cookie_and_a_url_without_it(
    client: TestClient, booked: int
) -> None:
    response, landing = _open(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/appointment"
    assert TOKEN not in response.headers["location"]
    assert "__Host-vr_caller" in response.headers["set-cookie"]
    assert landing.headers["referrer-policy"] == "no-referrer"


def test_the_caller_sees_the_appointment_only_after_confirming_their_date_of_birth(
    client: TestClient, booked: int
) -> None:
    _open(client)
    before = client.get("/appointment")
    assert "What is your date of birth?" in before.text
    assert "Your appointment" not in before.text
    wrong = _check_dob(client, year="1991")
    assert wrong.status_code == 400
    assert "You can try 4 more times" in wrong.text
    assert _check_dob(client).status_code == 303
    page = client.get("/appointment")
    assert "Your appointment" in page.text
    assert "Choose another time" in page.text


def test_five_wrong_answers_lock_the_link_and_tell_staff(
    client: TestClient, db: Database, booked: int
) -> None:
    _open(client)
    for _ in range(4):
        _check_dob(client, year="1991")
    locked = _check_dob(client, year="1991")
    assert "This link cannot be used" in locked.text
    assert _check_dob(client).status_code == 200  # even the right answer now
    with db.sessions() as session:
        assert session.scalars(select(JoinLink.locked_at)).first() is not None
        assert "link.locked" in session.scalars(select(AuditEntry.event)).all()


def test_wrong_expired_and_locked_links_get_the_same_answer(
    client: TestClient, db: Database, booked: int
) -> None:
    wrong, _ = _open(client, "not-a-real-token")
    with db.transaction() as session:
        session.scalars(select(JoinLink)).first().valid_until = datetime.now(UTC)  # type: ignore[union-attr]
    expired, _ = _open(client)
    assert wrong.status_code == expired.status_code == 200
    strip = lambda text: re.sub(r'value="[^"]+"', "", text)  # noqa: E731
    assert strip(wrong.text) == strip(expired.text)
    assert "This link cannot be used" in wrong.text


def test_the_caller_moves_their_appointment_and_gets_a_new_text(
    client: TestClient, db: Database, booked: int
) -> None:
    _open(client)
    _check_dob(client)
    times = client.get("/appointment/times")
    starts = re.findall(r'name="starts_at" type="radio" value="([^"]+)"', times.text)
    assert starts
    chosen = starts[-1]
    done = client.post(
        "/appointment/times",
        data={"starts_at": chosen, "csrf_token": csrf_token(client, "/appointment/times")},
    )
    assert "Your new time is booked" in done.text
    with db.sessions() as session:
        appointment = session.get_one(Appointment, booked)
        kinds = session.scalars(select(TextMessage.kind).order_by(TextMessage.id)).all()
    assert appointment.starts_at == datetime.fromisoformat(chosen)
    assert appointment.status == "rescheduled"
    assert kinds == ["confirmation", "reschedule"]
    # The old link died with the move.
    assert "This link cannot be used" in client.get("/appointment").text


def test_the_caller_cancels_after_ticking_the_box(
    client: TestClient, db: Database, booked: int
) -> None:
    _open(client)
    _check_dob(client)
    token = csrf_token(client, "/appointment")
    refused = client.post("/appointment/cancel", data={"csrf_token": token})
    assert refused.status_code == 400
    done = client.post("/appointment/cancel", data={"confirm": "yes", "csrf_token": token})
    assert "Your appointment is cancelled" in done.text
    with db.sessions() as session:
        assert session.get_one(Appointment, booked).status == "cancelled"


def test_a_calendar_file_only_where_safe_contact_allows_it(
    client: TestClient, db: Database, booked: int
) -> None:
    _open(client)
    _check_dob(client)
    assert "This link cannot be used" in client.get("/appointment/calendar.ics").text


def test_exit_ends_the_session_and_clears_the_browser(client: TestClient, booked: int) -> None:
    _open(client)
    response = client.get("/exit", follow_redirects=False)
    assert response.status_code == 303
    assert '"storage"' in response.headers["clear-site-data"]
    assert "This link cannot be used" in client.get("/appointment").text


def test_a_choose_your_time_link_books_once_and_sends_a_confirmation(
    client: TestClient, db: Database, settings: Settings
) -> None:
    from tests.factories import sign_in

    handler = make_staff(db, Role.CALL_HANDLER)
    officer = make_staff(db, Role.VIDEO_OFFICER)
    make_shift(db, officer.id, _tomorrow_at(9), _tomorrow_at(17))
    incident, person = make_case(db, created_by=handler.id)
    sign_in(client, handler)
    invited = client.post(
        f"/handler/people/{person}/invitation",
        data={"csrf_token": csrf_token(client, "/handler")},
        follow_redirects=False,
    )
    assert invited.headers["location"].startswith(f"/handler/incidents/{incident}?invited=")
    with db.transaction() as session:
        link = session.scalars(select(JoinLink).where(JoinLink.purpose == "choose_time")).one()
        link.token_hash = hashlib.sha256(TOKEN.encode()).hexdigest()
    client.cookies.clear()
    _open(client)
    _check_dob(client)
    assert "Choose a time" in client.get("/appointment").text
    times = client.get("/appointment/times")
    first = re.findall(r'name="starts_at" type="radio" value="([^"]+)"', times.text)[0]
    done = client.post(
        "/appointment/times",
        data={"starts_at": first, "csrf_token": csrf_token(client, "/appointment/times")},
    )
    assert "booked" in done.text
    with db.sessions() as session:
        appointment = session.scalars(select(Appointment)).one()
        kinds = session.scalars(select(TextMessage.kind).order_by(TextMessage.id)).all()
    assert appointment.created_by is None
    assert kinds == ["invitation", "confirmation"]
    assert "This link cannot be used" in client.get("/appointment").text


def test_opening_the_link_again_does_not_cut_off_the_verified_caller(
    client: TestClient, booked: int, settings: Settings
) -> None:
    _open(client)
    _check_dob(client)
    other = TestClient(client.app, base_url="https://testserver")
    _open(other)  # someone else with only the link, who never answers
    assert "Your appointment" in client.get("/appointment").text
    _check_dob(other)  # the right answer: now the newer browser is the person's
    assert "This link cannot be used" in client.get("/appointment").text


def test_a_right_answer_does_not_reset_the_count_of_wrong_ones(
    client: TestClient, db: Database, booked: int
) -> None:
    _open(client)
    for _ in range(3):
        _check_dob(client, year="1991")
    _check_dob(client)
    other = TestClient(client.app, base_url="https://testserver")
    _open(other)
    _check_dob(other, year="1991")
    locked = _check_dob(other, year="1991")
    assert "This link cannot be used" in locked.text


def test_the_caller_cannot_move_or_cancel_inside_the_last_hour(
    client: TestClient, db: Database, booked: int
) -> None:
    with db.transaction() as session:
        appointment = session.get_one(Appointment, booked)
        start = datetime.now(UTC) + timedelta(minutes=30)
        appointment.starts_at, appointment.ends_at = start, start + timedelta(hours=1)
        appointment.reserved_until = appointment.ends_at
    _open(client)
    _check_dob(client)
    assert "Choose another time" not in client.get("/appointment").text
    refused = client.post(
        "/appointment/cancel", data={"confirm": "yes", "csrf_token": csrf_token(client)}
    )
    assert "Your appointment is cancelled" not in refused.text
    with db.sessions() as session:
        assert session.get_one(Appointment, booked).status == "booked"


def test_resending_the_details_kills_the_links_already_sent(
    client: TestClient, db: Database, booked: int
) -> None:
    from videoresponse.notify import service as texts

    with db.sessions() as session:
        first = session.scalars(select(JoinLink).where(JoinLink.appointment_id == booked)).first()
        assert first is not None
        handler_id = session.get_one(Appointment, booked).created_by
    from videoresponse.core.auth.service import StaffMember

    staff = StaffMember(handler_id or 0, "h", "H", Role.CALL_HANDLER, None)
    texts.resend(db, appointment_id=booked, by=staff)
    _, _ = _open(client)
    assert "This link cannot be used" in client.get("/appointment").text
