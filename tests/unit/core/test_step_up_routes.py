"""Each signing or disclosure route refuses a session whose password is not recent."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import csrf_token, make_staff, sign_in
from videoresponse.core.auth.models import StaffSession
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database

# (path, where a person is sent back to after the step-up)
FORM_ROUTES = [
    # The reason typed is not kept: the page asks for it again on that version's form.
    ("/statements/41/versions/1/pdf", "/statements/41?again=1"),
    ("/evidence/42/open", "/evidence/42"),
    ("/evidence/42/copy-without-location", "/evidence/42"),
    ("/cases/43/evidence/export", "/cases/43/evidence"),
]
COUNTERSIGN = "/api/statements/41/versions/1/countersign"
COUNTERSIGN_BODY = {"sha256": "0" * 64, "name": "PC Officer", "officer_number": "PC 1"}


def _make_stale(db: Database) -> None:
    with db.transaction() as session:
        for staff_session in session.scalars(select(StaffSession)):
            staff_session.started_at -= timedelta(minutes=6)
            staff_session.confirmed_at = None


@pytest.fixture
def officer(client: TestClient, db: Database) -> TestClient:
    sign_in(client, make_staff(db, Role.VIDEO_OFFICER))
    return client


@pytest.mark.parametrize(("path", "back"), FORM_ROUTES)
def test_a_stale_session_is_sent_to_confirm_then_back_to_the_form(
    officer: TestClient, db: Database, path: str, back: str
) -> None:
    fresh = officer.post(
        path,
        data={"csrf_token": csrf_token(officer), "why": "For the file"},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )
    # Past the step-up: refused only for what was sent (no such thing, not theirs, no
    # recipient given).
    assert fresh.status_code in (400, 403, 404)
    _make_stale(db)
    stale = officer.post(
        path,
        data={"csrf_token": csrf_token(officer), "why": "For the file"},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )
    assert stale.status_code == 303
    location = urlsplit(stale.headers["location"])
    assert location.path == "/confirm-sign-in"
    assert parse_qs(location.query)["next"] == [back]


def test_countersigning_with_a_stale_session_answers_401_with_the_confirm_link(
    officer: TestClient, db: Database
) -> None:
    headers = {"x-csrf-token": csrf_token(officer), "accept": "application/json"}
    fresh = officer.post(COUNTERSIGN, json=COUNTERSIGN_BODY, headers=headers)
    assert fresh.status_code == 404  # past the step-up; there is no such appointment
    _make_stale(db)
    stale = officer.post(COUNTERSIGN, json=COUNTERSIGN_BODY, headers=headers)
    assert stale.status_code == 401
    assert stale.json() == {
        "detail": "Confirm your password to do this.",
        "step_up": "/confirm-sign-in",
    }
