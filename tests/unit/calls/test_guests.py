"""An interpreter or supporter joins by a link of their own, and can do nothing else with it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import csrf_token, make_staff, sign_in
from tests.unit.calls.support import (
    Call,
    caller_cookie,
    connect,
    make_call,
    receive,
    receive_type,
    receive_waiting,
    staff_cookie,
    staff_token,
)
from videoresponse.booking.models import Appointment
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database
from videoresponse.notify.models import JoinLink


@pytest.fixture
def call(db: Database) -> Call:
    return make_call(db)


@pytest.fixture
def guest_browser(client: TestClient) -> Iterator[TestClient]:
    with TestClient(client.app, base_url="https://testserver") as browser:
        yield browser


def _invite(client: TestClient, call: Call, role: str = "interpreter") -> str:
    sign_in(client, call.officer)
    client.headers["x-csrf-token"] = client.get("/api/session").json()["csrf_token"]
    response = client.post(f"/api/calls/{call.appointment_id}/guests", json={"role": role})
    assert response.status_code == 201, response.text
    assert response.json()["role"] == role
    url: str = response.json()["url"]
    return url.rsplit("/j/", 1)[1]


def _open_as_guest(browser: TestClient, token: str) -> str:
    opened = browser.post(
        "/j",
        data={"token": token, "csrf_token": csrf_token(browser, f"/j/{token}")},
        follow_redirects=False,
    )
    assert opened.headers["location"] == "/appointment"
    cookie: str = browser.cookies["__Host-vr_caller"]
    return cookie


def test_the_officer_gets_a_guest_link_whose_token_only_the_officer_sees(
    client: TestClient, db: Database, call: Call
) -> None:
    token = _invite(client, call)
    with db.sessions() as session:
        link = session.scalars(select(JoinLink).where(JoinLink.purpose == "guest")).one()
        audited = session.scalars(
            select(AuditEntry).where(AuditEntry.event == "call.guest_invited")
        ).one()
    assert link.appointment_id == call.appointment_id
    assert link.token_hash != token and len(link.token_hash or "") == 64
    assert (audited.action, audited.recipient) == ("disclosure", "interpreter")
    assert token not in audited.detail


def test_a_guest_skips_the_identity_check_and_waits_to_be_admitted_as_a_guest(
    client: TestClient, guest_browser: TestClient, db: Database, call: Call
) -> None:
    token = _invite(client, call)
    guest = _open_as_guest(guest_browser, token)
    assert "What is your date of birth?" not in guest_browser.get("/appointment").text
    officer = staff_cookie(staff_token(db, call.officer))
    with (
        connect(client, call.appointment_id, officer) as o,
        connect(client, call.appointment_id, caller_cookie(guest)) as ws,
    ):
        receive(o)
        welcome = receive(ws)
        assert (welcome["role"], welcome["state"]) == ("guest", "waiting")
        waiting = receive_waiting(o)
        assert (waiting[0]["role"], waiting[0]["guest_role"]) == ("guest", "interpreter")
        o.send_json({"type": "admit", "peer_id": welcome["peer_id"]})
        receive_type(ws, "admitted")
        # Only the witness asks for changes to their statement.
        ws.send_json({"type": "correction", "text": "Say it was Monday"})
        assert "Only the witness" in receive_type(ws, "error")["message"]
    # A guest does not start the appointment: only the caller moves it along.
    with db.sessions() as session:
        assert session.get_one(Appointment, call.appointment_id).status == "booked"


def test_a_guest_cannot_move_or_cancel_the_appointment(
    client: TestClient, guest_browser: TestClient, db: Database, call: Call
) -> None:
    _open_as_guest(guest_browser, _invite(client, call, "supporter"))
    page = guest_browser.get("/appointment")
    assert "Choose another time" not in page.text
    token = csrf_token(guest_browser, "/j/any")  # the guest's page has no forms to take it from
    cancelled = guest_browser.post(
        "/appointment/cancel", data={"confirm": "yes", "csrf_token": token}
    )
    assert "This link cannot be used" in cancelled.text
    assert "This link cannot be used" in guest_browser.get("/appointment/times").text
    with db.sessions() as session:
        assert session.get_one(Appointment, call.appointment_id).status == "booked"


def test_only_the_calls_officer_invites_and_only_interpreters_or_supporters(
    client: TestClient, db: Database, call: Call
) -> None:
    sign_in(client, make_staff(db, Role.VIDEO_OFFICER))
    client.headers["x-csrf-token"] = client.get("/api/session").json()["csrf_token"]
    path = f"/api/calls/{call.appointment_id}/guests"
    assert client.post(path, json={"role": "interpreter"}).status_code == 404
    assert client.post(path, json={"role": "friend"}).status_code == 422
