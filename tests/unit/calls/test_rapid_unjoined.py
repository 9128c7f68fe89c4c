"""Rapid calls the caller could not be texted about, or never joined."""

from __future__ import annotations

import hashlib
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import make_staff, make_video_case, sign_in
from tests.unit.calls.support import connect, receive, receive_type, staff_cookie, staff_token
from videoresponse.booking.models import Appointment
from videoresponse.calls import queue
from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.notify.models import JoinLink, TextMessage


@pytest.fixture
def handler(db: Database) -> StaffMember:
    return make_staff(db, Role.CALL_HANDLER)


def _outside_safe_times(db: Database, handler: StaffMember) -> int:
    """A person whose only safe time to text is half an hour, three days from now."""
    day = (utcnow() + timedelta(days=3)).astimezone(ZoneInfo("Europe/London")).weekday()
    _, person = make_video_case(
        db, created_by=handler.id, safe_windows=[(day, time(8), time(8, 30))]
    )
    return person


def test_when_no_text_can_go_now_the_handler_is_shown_a_link_to_read_out_once(
    client: TestClient, db: Database, handler: StaffMember
) -> None:
    person = _outside_safe_times(db, handler)
    sign_in(client, handler)
    csrf = client.get("/api/session").json()["csrf_token"]
    page = client.post(
        f"/handler/people/{person}/rapid-call",
        data={"csrf_token": csrf},
        headers={"x-csrf-token": csrf},
        follow_redirects=False,
    )
    assert page.status_code == 200, page.text
    assert "Read the link out only if that is safe" in page.text
    token = page.text.split("/j/", 1)[1].split("<", 1)[0].strip()
    with db.sessions() as session:
        text = session.scalars(select(TextMessage)).one()
        spoken = session.scalars(
            select(JoinLink).where(
                JoinLink.token_hash == hashlib.sha256(token.encode()).hexdigest()
            )
        ).one()
        texted = session.get_one(JoinLink, text.link_id)
        disclosed = session.scalars(
            select(AuditEntry).where(AuditEntry.event == "call.link_for_reading_out")
        ).one()
    assert text.status == "not_sent"
    assert (spoken.appointment_id, spoken.purpose) == (text.appointment_id, "join")
    assert spoken.id != texted.id and texted.revoked_at is None and spoken.revoked_at is None
    assert (disclosed.action, disclosed.recipient) == ("disclosure", "caller, by phone")
    assert token not in str(disclosed.detail)
    # The link works: the caller can open it.
    assert client.get(f"/j/{token}", follow_redirects=False).status_code in (200, 303)


def test_the_api_gives_the_link_to_read_out_and_says_why_no_text_went(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    person = _outside_safe_times(db, handler)
    opened = queue.open_rapid_call(db, settings, person_id=person, by=handler)
    assert opened.text_status == "not_sent"
    assert opened.text_problem == "no safe time to text before it was needed"
    assert opened.read_out_url.startswith(settings.public_base_url.rstrip("/") + "/j/")


def test_a_rapid_call_texted_at_once_shows_no_link(
    client: TestClient, db: Database, settings: Settings, handler: StaffMember
) -> None:
    _, person = make_video_case(db, created_by=handler.id)
    opened = queue.open_rapid_call(db, settings, person_id=person, by=handler)
    assert (opened.text_status, opened.read_out_url) == ("queued", "")


def test_ending_a_rapid_call_nobody_joined_frees_the_officer_for_the_next(
    client: TestClient, db: Database, settings: Settings, handler: StaffMember
) -> None:
    _, first = make_video_case(db, created_by=handler.id)
    unjoined = queue.open_rapid_call(db, settings, person_id=first, by=handler).appointment_id
    officer = make_staff(db)
    assert queue.take_next_rapid_call(db, officer=officer) == unjoined
    with connect(client, unjoined, staff_cookie(staff_token(db, officer))) as ws:
        receive(ws)
        ws.send_json({"type": "end"})
        receive_type(ws, "ended")
    with db.sessions() as session:
        assert session.get_one(Appointment, unjoined).status == "no_show"
    _, second = make_video_case(db, created_by=handler.id)
    following = queue.open_rapid_call(db, settings, person_id=second, by=handler).appointment_id
    assert queue.take_next_rapid_call(db, officer=officer) == following
