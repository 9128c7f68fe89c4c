"""The booking API through HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.factories import make_case, make_shift, make_staff, sign_in
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database


def _tomorrow_at(hour: int) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def api(client: TestClient, db: Database) -> tuple[TestClient, int, int]:
    handler = make_staff(db, Role.CALL_HANDLER)
    officer = make_staff(db, Role.VIDEO_OFFICER)
    make_shift(db, officer.id, _tomorrow_at(9), _tomorrow_at(17))
    sign_in(client, handler)
    token = client.get("/api/session").json()["csrf_token"]
    client.headers["x-csrf-token"] = token
    return client, handler.id, officer.id


def test_booking_returns_201_and_a_retry_with_the_same_key_returns_the_same(
    api: tuple[TestClient, int, int], db: Database
) -> None:
    client, handler_id, officer_id = api
    _, person = make_case(db, created_by=handler_id)
    body = {"person_id": person, "starts_at": _tomorrow_at(10).isoformat()}
    first = client.post("/api/appointments", json=body, headers={"Idempotency-Key": "k1"})
    again = client.post("/api/appointments", json=body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == 201, first.text
    assert again.status_code == 201
    assert again.json() == first.json()
    assert first.json()["officer_id"] == officer_id


def test_a_taken_slot_answers_409_with_fresh_options(
    api: tuple[TestClient, int, int], db: Database
) -> None:
    client, handler_id, _ = api
    people = [make_case(db, created_by=handler_id)[1] for _ in range(2)]
    start = _tomorrow_at(10).isoformat()
    assert (
        client.post(
            "/api/appointments", json={"person_id": people[0], "starts_at": start}
        ).status_code
        == 201
    )
    taken = client.post("/api/appointments", json={"person_id": people[1], "starts_at": start})
    assert taken.status_code == 409
    assert "just been taken" in taken.json()["detail"]
    assert taken.json()["options"]


def test_bad_requests_get_clear_messages(api: tuple[TestClient, int, int], db: Database) -> None:
    client, handler_id, _ = api
    naive = client.post("/api/appointments", json={"person_id": 1, "starts_at": "2026-12-01T10:00"})
    assert naive.status_code == 422
    assert "timezone" in naive.json()["detail"]
    missing = client.post(
        "/api/appointments", json={"person_id": 999, "starts_at": _tomorrow_at(10).isoformat()}
    )
    assert missing.status_code == 404
    _, person = make_case(db, created_by=handler_id, deadline=timedelta(hours=1))
    late = client.post(
        "/api/appointments", json={"person_id": person, "starts_at": _tomorrow_at(10).isoformat()}
    )
    assert late.status_code == 422
    assert "deadline" in late.json()["detail"]


def test_reschedule_and_cancel_through_the_api(
    api: tuple[TestClient, int, int], db: Database
) -> None:
    client, handler_id, _ = api
    _, person = make_case(db, created_by=handler_id)
    booked = client.post(
        "/api/appointments", json={"person_id": person, "starts_at": _tomorrow_at(10).isoformat()}
    ).json()
    moved = client.post(
        f"/api/appointments/{booked['id']}/reschedule",
        json={"starts_at": _tomorrow_at(14).isoformat(), "reason": "caller at work"},
    )
    assert moved.status_code == 200
    assert moved.json()["status"] == "rescheduled"
    cancelled = client.post(f"/api/appointments/{booked['id']}/cancel", json={"reason": "withdrew"})
    assert cancelled.json()["status"] == "cancelled"
    again = client.post(f"/api/appointments/{booked['id']}/cancel", json={"reason": "again"})
    assert again.status_code == 422
    assert "cancelled" in again.json()["detail"]


def test_the_api_needs_a_csrf_header_with_a_cookie_session(
    api: tuple[TestClient, int, int],
) -> None:
    client, _, _ = api
    del client.headers["x-csrf-token"]
    response = client.post("/api/appointments/1/cancel", json={"reason": "x"})
    assert response.status_code == 403


def test_a_video_officer_cannot_book(client: TestClient, db: Database) -> None:
    sign_in(client, make_staff(db, Role.VIDEO_OFFICER))
    client.headers["x-csrf-token"] = client.get("/api/session").json()["csrf_token"]
    assert client.post("/api/appointments/1/cancel", json={"reason": "x"}).status_code == 403
