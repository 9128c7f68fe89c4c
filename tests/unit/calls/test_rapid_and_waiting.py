"""Rapid video, the officers' waiting list and the supervisors' delays, through the API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import make_appointment, make_staff, make_video_case, sign_in
from tests.unit.calls.support import (
    caller_cookie,
    caller_token,
    connect,
    make_call,
    receive,
    receive_type,
    staff_cookie,
    staff_token,
)
from videoresponse.booking.models import Appointment
from videoresponse.calls import queue
from videoresponse.calls.models import RapidCall
from videoresponse.config import Settings
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.notify.models import JoinLink, TextMessage


def _signed_in(client: TestClient, member: StaffMember) -> TestClient:
    sign_in(client, member)
    client.headers["x-csrf-token"] = client.get("/api/session").json()["csrf_token"]
    return client


@pytest.fixture
def handler(db: Database) -> StaffMember:
    return make_staff(db, Role.CALL_HANDLER)


@pytest.fixture
def other_browser(client: TestClient) -> Iterator[TestClient]:
    """A second browser on the same app and event loop (one staff member per browser)."""
    with TestClient(client.app, base_url="https://testserver") as second:
        yield second


def _rapid(db: Database, settings: Settings, handler: StaffMember, band: str = "P2") -> int:
    _, person = make_video_case(db, created_by=handler.id, band=band)
    return queue.open_rapid_call(db, settings, person_id=person, by=handler).appointment_id


def test_a_call_handler_queues_a_rapid_call_and_the_caller_is_texted_a_link_at_once(
    client: TestClient, db: Database, handler: StaffMember
) -> None:
    _, person = make_video_case(db, created_by=handler.id, band="P1")
    response = _signed_in(client, handler).post("/api/calls/rapid", json={"person_id": person})
    assert response.status_code == 201, response.text
    assert response.json()["text_status"] == "queued"
    appointment_id = response.json()["appointment_id"]
    with db.sessions() as session:
        row = session.get_one(Appointment, appointment_id)
        rapid = session.get_one(RapidCall, appointment_id)
        text = session.scalars(select(TextMessage)).one()
        link = session.get_one(JoinLink, text.link_id)
    assert (row.status, row.officer_id, row.route) == ("waiting", None, "video")
    assert row.starts_at <= utcnow() < row.ends_at
    assert (rapid.priority_band, rapid.taken_at) == ("P1", None)
    assert (text.kind, text.not_before <= utcnow()) == ("call_now", True)
    assert (link.appointment_id, link.purpose, link.valid_until) == (
        appointment_id,
        "join",
        row.ends_at,
    )


def test_a_rapid_call_is_refused_for_a_case_not_suitable_for_video(
    client: TestClient, db: Database, handler: StaffMember
) -> None:
    _, person = make_video_case(db, created_by=handler.id, suitable=False)
    response = _signed_in(client, handler).post("/api/calls/rapid", json={"person_id": person})
    assert response.status_code == 422
    assert "not suitable" in response.json()["detail"]


def test_officers_take_rapid_calls_by_priority_band_then_longest_wait(
    client: TestClient, db: Database, settings: Settings, handler: StaffMember
) -> None:
    p3 = _rapid(db, settings, handler, "P3")
    p2_later = _rapid(db, settings, handler, "P2")
    p2_earlier = _rapid(db, settings, handler, "P2")
    with db.transaction() as session:
        session.get_one(RapidCall, p2_earlier).queued_at -= timedelta(minutes=5)
    officers = [make_staff(db) for _ in range(4)]
    taken = [queue.take_next_rapid_call(db, officer=o) for o in officers]
    assert taken == [p2_earlier, p2_later, p3, None]
    browser = _signed_in(client, make_staff(db))
    assert browser.post("/api/calls/rapid/take").status_code == 404
    with db.sessions() as session:
        assert session.get_one(Appointment, p3).officer_id == officers[2].id


def test_two_officers_taking_at_the_same_moment_get_different_calls(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    first, second = _rapid(db, settings, handler), _rapid(db, settings, handler)
    officers = [make_staff(db), make_staff(db)]
    barrier = threading.Barrier(2)
    results: list[int | None] = []

    def take(officer: StaffMember) -> None:
        barrier.wait()
        results.append(queue.take_next_rapid_call(db, officer=officer))

    threads = [threading.Thread(target=take, args=(o,)) for o in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r for r in results if r is not None) == sorted([first, second])


def test_an_officer_busy_with_another_appointment_cannot_take_a_rapid_call(
    client: TestClient, db: Database, settings: Settings, handler: StaffMember
) -> None:
    _rapid(db, settings, handler)
    officer = make_staff(db)
    incident, person = make_video_case(db, created_by=handler.id)
    make_appointment(
        db,
        incident_id=incident,
        person_id=person,
        officer_id=officer.id,
        starts_at=utcnow() + timedelta(minutes=20),
        created_by=handler.id,
    )
    response = _signed_in(client, officer).post("/api/calls/rapid/take")
    assert response.status_code == 409
    assert "another appointment" in response.json()["detail"]


def test_the_officer_who_took_a_rapid_call_joins_it_and_admits_the_caller(
    client: TestClient, db: Database, settings: Settings, handler: StaffMember
) -> None:
    appointment_id = _rapid(db, settings, handler)
    officer = make_staff(db)
    cookie = staff_cookie(staff_token(db, officer))
    caller = caller_cookie(caller_token(db, settings, appointment_id))
    with connect(client, appointment_id, caller) as ws:
        assert receive(ws)["state"] == "waiting"
        assert queue.take_next_rapid_call(db, officer=officer) == appointment_id
        with connect(client, appointment_id, cookie) as o:
            receive(o)
            waiting = receive_type(o, "waiting")["peers"]
            o.send_json({"type": "admit", "peer_id": waiting[0]["peer_id"]})
            assert receive_type(ws, "admitted") == {"type": "admitted"}
    with db.sessions() as session:
        assert session.get_one(Appointment, appointment_id).status == "in_call"


def test_the_waiting_list_shows_own_calls_with_someone_waiting_and_the_rapid_queue(
    client: TestClient,
    other_browser: TestClient,
    db: Database,
    settings: Settings,
    handler: StaffMember,
) -> None:
    officer = make_staff(db)
    late = make_call(db, officer=officer, starts_in=timedelta(minutes=-12))
    nobody_there = make_call(db, officer=officer, starts_in=timedelta(minutes=2))
    someone_elses = make_call(db, starts_in=timedelta(minutes=-1))
    rapid = _rapid(db, settings, handler, "P1")
    browser = _signed_in(other_browser, officer)
    with (
        connect(
            client,
            late.appointment_id,
            caller_cookie(caller_token(db, settings, late.appointment_id)),
        ) as ws,
        connect(
            client,
            someone_elses.appointment_id,
            caller_cookie(caller_token(db, settings, someone_elses.appointment_id)),
        ) as other,
    ):
        receive(ws)
        receive(other)
        entries = browser.get("/api/calls/waiting").json()
    assert [(e["appointment_id"], e["kind"], e["late"]) for e in entries] == [
        (rapid, "rapid", False),
        (late.appointment_id, "appointment", True),
    ]
    assert nobody_there.appointment_id not in [e["appointment_id"] for e in entries]
    assert set(entries[1]) == {
        "appointment_id",
        "kind",
        "priority_band",
        "waiting_since",
        "waiting_seconds",
        "starts_at",
        "late",
        "urn",
        "caller_waiting",
    }
    assert entries[1]["waiting_seconds"] >= 0
    # The rapid caller never opened their link: listed, but not counted as waiting.
    assert (entries[0]["caller_waiting"], entries[1]["caller_waiting"]) == (False, True)
    assert entries[0]["urn"] and entries[0]["urn"] != entries[1]["urn"]


def test_supervisors_see_callers_not_admitted_in_time_and_others_cannot(
    client: TestClient, other_browser: TestClient, db: Database, handler: StaffMember
) -> None:
    late = make_call(db, starts_in=timedelta(minutes=-15), status="waiting")
    make_call(db, starts_in=timedelta(minutes=-3), status="waiting")  # not late yet
    make_call(db, starts_in=timedelta(minutes=-30), status="in_call")  # admitted
    supervisor = _signed_in(client, make_staff(db, Role.SUPERVISOR))
    delays = supervisor.get("/api/calls/delays").json()
    assert [(d["appointment_id"], d["kind"]) for d in delays] == [
        (late.appointment_id, "appointment")
    ]
    assert delays[0]["minutes_late"] >= 14
    officer = _signed_in(other_browser, make_staff(db))
    assert officer.get("/api/calls/delays").status_code == 403
