"""Step-up (ASVS 7.5.3): signing and disclosure need the password given lately."""

from __future__ import annotations

from datetime import timedelta
from typing import cast
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import PASSWORD, csrf_token, make_staff, sign_in
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.deps import require_recent_sign_in
from videoresponse.core.auth.models import StaffSession, StaffUser
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database

PAGE = {"accept": "text/html"}


def _make_stale(db: Database, minutes: int = 6) -> None:
    """Move the last proof of identity back, as if the sign-in was that long ago."""
    with db.transaction() as session:
        for staff_session in session.scalars(select(StaffSession)):
            staff_session.started_at -= timedelta(minutes=minutes)
            staff_session.confirmed_at = None


def _events(db: Database) -> list[str]:
    with db.sessions() as session:
        return list(session.scalars(select(AuditEntry.event).order_by(AuditEntry.seq)))


def _next_of(location: str) -> str:
    parts = urlsplit(location)
    assert parts.path == "/confirm-sign-in"
    return parse_qs(parts.query).get("next", [""])[0]


@pytest.fixture
def officer_client(client: TestClient, db: Database) -> TestClient:
    def ok() -> PlainTextResponse:
        return PlainTextResponse("done")

    def with_arg(request: Request, item_id: int) -> PlainTextResponse:
        return PlainTextResponse(f"done {item_id}")

    app = cast(FastAPI, client.app)
    recent = [Depends(require_recent_sign_in())]
    app.add_api_route("/test/step-up", ok, dependencies=recent)
    app.add_api_route(
        "/test/items/{item_id}/send",
        with_arg,
        methods=["POST"],
        dependencies=[Depends(require_recent_sign_in(back="/test/items/{item_id}"))],
    )
    app.add_api_route(
        "/test/one-minute", ok, dependencies=[Depends(require_recent_sign_in(minutes=1))]
    )
    sign_in(client, make_staff(db, Role.VIDEO_OFFICER, username="stepper"))
    return client


def _confirm(client: TestClient, password: str, next_url: str = "") -> httpx.Response:
    return cast(
        httpx.Response,
        client.post(
            "/confirm-sign-in",
            data={"password": password, "next": next_url, "csrf_token": csrf_token(client)},
            follow_redirects=False,
        ),
    )


def test_a_recent_sign_in_passes(officer_client: TestClient) -> None:
    assert officer_client.get("/test/step-up", headers=PAGE).text == "done"


def test_the_window_is_the_setting_or_the_route_s_own(
    officer_client: TestClient, db: Database
) -> None:
    _make_stale(db, minutes=2)
    assert officer_client.get("/test/step-up", headers=PAGE).status_code == 200
    assert officer_client.get("/test/one-minute", follow_redirects=False).status_code == 401


def test_a_stale_page_goes_to_confirm_and_back_to_itself(
    officer_client: TestClient, db: Database
) -> None:
    _make_stale(db)
    response = officer_client.get("/test/step-up?x=1&y=2", headers=PAGE, follow_redirects=False)
    assert response.status_code == 303
    assert _next_of(response.headers["location"]) == "/test/step-up?x=1&y=2"
    page = officer_client.get(response.headers["location"])
    assert "Confirm it's you</h1>" in page.text
    confirmed = _confirm(officer_client, PASSWORD, "/test/step-up?x=1&y=2")
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/test/step-up?x=1&y=2"
    assert officer_client.get("/test/step-up", headers=PAGE).text == "done"
    assert "step_up" in _events(db)
    with db.sessions() as session:
        assert session.scalar(select(StaffSession.confirmed_at)) is not None


def test_a_stale_form_post_goes_back_to_the_form_page_not_replayed(
    officer_client: TestClient, db: Database
) -> None:
    _make_stale(db)
    response = officer_client.post(
        "/test/items/7/send",
        data={"csrf_token": csrf_token(officer_client)},
        headers=PAGE,
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert _next_of(response.headers["location"]) == "/test/items/7"


def test_a_stale_api_call_gets_401_naming_the_confirm_page(
    officer_client: TestClient, db: Database
) -> None:
    _make_stale(db)
    response = officer_client.post(
        "/test/items/7/send",
        headers={"x-csrf-token": csrf_token(officer_client), "accept": "application/json"},
    )
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Confirm your password to do this.",
        "step_up": "/confirm-sign-in?next=/test/items/7",
    }


def test_confirming_without_next_says_to_go_back_to_the_other_tab(
    officer_client: TestClient, db: Database
) -> None:
    _make_stale(db)
    response = _confirm(officer_client, PASSWORD)
    assert response.status_code == 200
    assert "Close this tab" in response.text


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "evil"]
)
def test_next_must_be_a_path_on_this_site(officer_client: TestClient, next_url: str) -> None:
    page = officer_client.get("/confirm-sign-in", params={"next": next_url})
    assert "evil" not in page.text
    response = _confirm(officer_client, PASSWORD, next_url)
    assert response.status_code == 200
    assert "location" not in response.headers


def test_a_wrong_password_is_refused_and_the_session_stays_stale(
    officer_client: TestClient, db: Database
) -> None:
    _make_stale(db)
    response = _confirm(officer_client, "not the password", "/test/step-up")
    assert response.status_code == 401
    assert "The password is not right" in response.text
    assert officer_client.get("/test/step-up", follow_redirects=False).status_code == 401
    assert _events(db)[-1] == "step_up.failed"
    assert _confirm(officer_client, "").status_code == 400


def test_step_up_failures_count_with_sign_in_failures_towards_the_lock(
    officer_client: TestClient, db: Database
) -> None:
    _make_stale(db)
    attempts = officer_client.app.state.settings.lockout_attempts  # type: ignore[attr-defined]
    with TestClient(officer_client.app, base_url="https://testserver") as other:
        for _ in range(attempts - 1):
            token = csrf_token(other)
            other.post(
                "/sign-in",
                data={"username": "stepper", "password": "wrong", "csrf_token": token},
            )
    assert _confirm(officer_client, "wrong again").status_code == 401
    assert _events(db)[-1] == "step_up.locked"
    # Locked: even the right password is refused, at step-up and at sign-in.
    assert _confirm(officer_client, PASSWORD).status_code == 401
    with TestClient(officer_client.app, base_url="https://testserver") as other:
        refused = other.post(
            "/sign-in",
            data={"username": "stepper", "password": PASSWORD, "csrf_token": csrf_token(other)},
            follow_redirects=False,
        )
        assert refused.status_code == 401


def test_a_right_password_clears_the_failure_count(
    officer_client: TestClient, db: Database
) -> None:
    _confirm(officer_client, "wrong")
    assert _confirm(officer_client, PASSWORD).status_code == 200
    with db.sessions() as session:
        assert session.scalar(select(StaffUser.failed_sign_ins)) == 0


def test_the_confirm_page_needs_a_session_and_a_csrf_token(
    client: TestClient, db: Database
) -> None:
    response = client.get("/confirm-sign-in", headers=PAGE, follow_redirects=False)
    assert response.headers["location"].startswith("/sign-in")
    sign_in(client, make_staff(db))
    forged = client.post("/confirm-sign-in", data={"password": PASSWORD})
    assert forged.status_code == 403
