"""Test data, made in one place."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

from fastapi.testclient import TestClient

from videoresponse.core.auth import service as accounts
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.rota.models import Shift
from videoresponse.triage.models import Incident, PersonRow, SafeContactRow, SafeWindowRow

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


def make_case(
    db: Database,
    *,
    created_by: int,
    incident_type: str = "criminal_damage",
    called_at: datetime | None = None,
    deadline: timedelta = timedelta(days=7),
    band: str = "P3",
    preferred_officer_gender: str | None = None,
    suitable: bool = True,
    safe_windows: list[tuple[int, time, time]] | None = None,
) -> tuple[int, int]:
    """An incident with one victim, ready to book: (incident id, person id)."""
    called = called_at or utcnow()
    with db.transaction() as session:
        incident = Incident(
            urn=f"URN-{next(_numbers):06d}",
            incident_type=incident_type,
            summary="Summary",
            called_at=called,
            grade=3,
            priority_band=band,
            deadline=called + deadline,
            suitable_for_video=suitable,
            suitability_flags=[],
            created_by=created_by,
        )
        person = PersonRow(
            role="victim",
            name="Alex Example",
            date_of_birth=date(1990, 5, 17),
            mobile="+447700900123",
            preferred_officer_gender=preferred_officer_gender,
        )
        incident.people.append(person)
        if safe_windows is not None:
            person.safe_contact = SafeContactRow(
                may_text=True,
                may_call=True,
                words_never_to_use=[],
                windows=[SafeWindowRow(weekday=d, starts=s, ends=e) for d, s, e in safe_windows],
            )
        session.add(incident)
        session.flush()
        return incident.id, person.id


def make_shift(db: Database, officer_id: int, start: datetime, end: datetime) -> None:
    with db.transaction() as session:
        session.add(Shift(officer_id=officer_id, starts_at=start, ends_at=end))
