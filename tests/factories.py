"""Test data, made in one place."""

from __future__ import annotations

import itertools

from fastapi.testclient import TestClient

from videoresponse.core.auth import service as accounts
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


def make_staff(
    db: Database,
    role: Role = Role.VIDEO_OFFICER,
    *,
    username: str | None = None,
    gender: str | None = None,
    display_name: str | None = None,
) -> StaffMember:
    number = next(_numbers)
    return accounts.add_user(
        db,
        username=username or f"{role.value.replace('_', '')}{number}",
        display_name=display_name or f"Staff Member {number}",
        role=role,
        password=PASSWORD,
        gender=gender,
        by="test",
    )


def csrf_token(client: TestClient, path: str = "/sign-in") -> str:
    """The token a page would put in its forms (the page sets the cookie it signs)."""
    page = client.get(path)
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


def sign_in(client: TestClient, member: StaffMember, password: str = PASSWORD) -> None:
    response = client.post(
        "/sign-in",
        data={"username": member.username, "password": password, "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
