"""The caller's feedback page: after the call, neutral, once per appointment."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import csrf_token, make_appointment, make_case, make_staff
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database, utcnow
from videoresponse.notify.models import CallerSession, JoinLink
from videoresponse.reports.models import Feedback

TOKEN = "a-caller-session-token-with-enough-entropy"
COOKIE = "__Host-vr_caller"


def _caller(
    db: Database,
    *,
    status: str = "completed",
    ended_ago: timedelta = timedelta(minutes=5),
    verified: bool = True,
    purpose: str = "join",
) -> int:
    """An appointment that ended `ended_ago`, and a caller session from its link."""
    staff = make_staff(db, Role.CALL_HANDLER)
    incident_id, person_id = make_case(db, created_by=staff.id)
    starts_at = utcnow() - ended_ago - timedelta(hours=1)
    appointment_id = make_appointment(
        db,
        incident_id=incident_id,
        person_id=person_id,
        officer_id=None,
        starts_at=starts_at,
        created_by=staff.id,
        status=status,
    )
    with db.transaction() as session:
        link = JoinLink(
            person_id=person_id,
            appointment_id=appointment_id,
            purpose=purpose,
            valid_until=starts_at + timedelta(hours=1),
        )
        session.add(link)
        session.flush()
        session.add(
            CallerSession(
                token_hash=hashlib.sha256(TOKEN.encode()).hexdigest(),
                link_id=link.id,
                verified_at=starts_at if verified else None,
            )
        )
    return appointment_id


@pytest.fixture
def caller(client: TestClient) -> TestClient:
    client.cookies.set(COOKIE, TOKEN)
    return client


def _send(client: TestClient, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/feedback",
        data={**fields, "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )


def test_after_the_call_the_caller_is_asked_to_rate_the_service_on_a_neutral_page(
    caller: TestClient, db: Database
) -> None:
    _caller(db)

    page = caller.get("/feedback")

    assert page.status_code == 200
    assert "How was your appointment?" in page.text
    assert "<title>Appointment</title>" in page.text
    assert "Exit this page" in page.text
    assert "police" not in page.text.lower()
    for label in ("Very good", "Good", "Neither good nor poor", "Poor", "Very poor"):
        assert f">{label}</label>" in page.text
    # Nothing that identifies the caller is asked: the rating, the comment, nothing else.
    assert set(re.findall(r'name="(\w+)"', page.text.split("<main")[1])) == {
        "csrf_token",
        "rating",
        "comment",
    }


def test_the_rating_and_comment_are_kept_once_and_thanked_for(
    caller: TestClient, db: Database
) -> None:
    appointment_id = _caller(db)

    sent = _send(caller, rating="5", comment="  Kind and quick.  ")

    assert sent.status_code == 303
    assert "Thank you" in caller.get(sent.headers["location"]).text
    with db.sessions() as session:
        row = session.scalars(select(Feedback)).one()
        assert (row.appointment_id, row.rating, row.comment) == (
            appointment_id,
            5,
            "Kind and quick.",
        )
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.event == "feedback.given")
        ).one()
    assert entry.actor.startswith("caller:person:")
    assert "Kind" not in entry.detail


def test_a_second_answer_for_the_same_appointment_is_not_kept(
    caller: TestClient, db: Database
) -> None:
    _caller(db)
    _send(caller, rating="5")

    again = _send(caller, rating="1", comment="changed my mind")

    assert again.status_code == 303
    assert "Thank you" in caller.get("/feedback").text
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == 1


def test_a_rating_is_needed_and_a_long_comment_refused_keeping_what_was_typed(
    caller: TestClient, db: Database
) -> None:
    _caller(db)

    missing = _send(caller, comment="Fine")
    too_long = _send(caller, rating="3", comment="x" * 1001)

    assert missing.status_code == 400
    assert "Select how you would rate the service" in missing.text
    assert ">Fine</textarea>" in missing.text
    assert too_long.status_code == 400
    assert "1000 characters or fewer" in too_long.text
    assert 'value="3" checked' in too_long.text


def test_a_call_left_open_past_its_end_may_be_rated(caller: TestClient, db: Database) -> None:
    _caller(db, status="in_call")
    assert "How was your appointment?" in caller.get("/feedback").text


@pytest.mark.parametrize(
    "case",
    [
        {"status": "booked", "ended_ago": timedelta(hours=-3)},
        {"status": "cancelled"},
        {"status": "no_show"},
        {"verified": False},
        {"ended_ago": timedelta(days=8)},
        {"purpose": "choose_time"},
    ],
    ids=["not yet", "cancelled", "no-show", "not verified", "too long ago", "not a join link"],
)
def test_a_session_that_cannot_give_feedback_gets_the_same_neutral_answer(
    caller: TestClient, db: Database, case: dict[str, object]
) -> None:
    _caller(db, **case)  # type: ignore[arg-type]

    page = caller.get("/feedback")
    sent = _send(caller, rating="5")

    assert "This link cannot be used" in page.text
    assert "This link cannot be used" in sent.text
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == 0


def test_without_a_caller_session_there_is_no_feedback_page(client: TestClient) -> None:
    assert "This link cannot be used" in client.get("/feedback").text


def test_after_exit_this_page_the_session_can_no_longer_give_feedback(
    caller: TestClient, db: Database
) -> None:
    _caller(db)
    caller.get("/exit", follow_redirects=False)
    caller.cookies.set(COOKIE, TOKEN)

    assert "This link cannot be used" in caller.get("/feedback").text
