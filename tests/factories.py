"""Test data, made in one place."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from videoresponse.booking.models import Appointment
from videoresponse.core.auth import service as accounts
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.rota.models import Shift
from videoresponse.triage.drafts import (
    IncidentDraft,
    PersonDraft,
    SafeContactDraft,
    SafeTimeDraft,
    ScoreDraft,
)
from videoresponse.triage.models import (
    Incident,
    InPersonRequest,
    PersonRow,
    RouteOfferRow,
    SafeContactRow,
    SafeWindowRow,
)

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
        session.add(
            RouteOfferRow(
                incident_id=incident.id,
                person_id=person.id,
                offered=["video", "attend"],
                chosen="video",
                offered_by=created_by,
            )
        )
        return incident.id, person.id


def make_shift(db: Database, officer_id: int, start: datetime, end: datetime) -> None:
    with db.transaction() as session:
        session.add(Shift(officer_id=officer_id, starts_at=start, ends_at=end))


def make_incident_draft(
    *,
    urn: str | None = None,
    incident_type: str = "domestic_abuse",
    levels: dict[str, str] | None = None,
    grade: int | None = 2,
    priority_band: str = "P1",
    called_at: datetime | None = None,
    suitability_flags: list[str] | None = None,
    preferred_officer_gender: str = "",
) -> IncidentDraft:
    """A draft every triage rule accepts: threat medium and harm high (grade 2, P1)."""
    chosen = {"threat": "medium", "harm": "high"} | (levels or {})
    return IncidentDraft(
        urn=urn or f"01/{next(_numbers):06d}/26",
        incident_type=incident_type,
        summary="Caller reports being pushed by an ex-partner, who has now left.",
        called_at=called_at or utcnow() - timedelta(minutes=10),
        people=[
            PersonDraft(
                name="Alex Example",
                date_of_birth=date(1990, 5, 17),
                mobile="07700 900123",
                preferred_officer_gender=preferred_officer_gender,
                safe_contact=SafeContactDraft(
                    may_text=True,
                    may_call=True,
                    safe_times=[SafeTimeDraft("every_day", "08:00", "21:30")],
                    code_word="bluebell",
                    words_never_to_use=["police", "court"],
                ),
            )
        ],
        thrive={
            dimension: ScoreDraft(chosen.get(dimension, "low"), f"Why {dimension} is so")
            for dimension in (
                "threat",
                "harm",
                "risk",
                "investigation",
                "vulnerability",
                "engagement",
            )
        },
        grade=grade,
        priority_band=priority_band,
        suitability_flags=suitability_flags or [],
    )


def offer_route(
    db: Database,
    *,
    incident_id: int,
    person_id: int,
    chosen: str = "video",
    offered_by: int,
    offered_at: datetime | None = None,
) -> None:
    """Record the caller's choice of route, as triage does (kept, never overwritten)."""
    with db.transaction() as session:
        session.add(
            RouteOfferRow(
                incident_id=incident_id,
                person_id=person_id,
                offered=["video", "attend", "station"],
                chosen=chosen,
                offered_by=offered_by,
                offered_at=offered_at or utcnow(),
            )
        )


def make_video_case(db: Database, *, created_by: int, **case: Any) -> tuple[int, int]:
    """A case whose caller chose video: (incident id, person id). Takes make_case's options."""
    incident_id, person_id = make_case(db, created_by=created_by, **case)
    offer_route(db, incident_id=incident_id, person_id=person_id, offered_by=created_by)
    return incident_id, person_id


def update_person(db: Database, person_id: int, **values: Any) -> None:
    """Change a person's details, for example their needs (interpreter_needed, language)."""
    with db.transaction() as session:
        person = session.get_one(PersonRow, person_id)
        for name, value in values.items():
            setattr(person, name, value)


def make_in_person_request(
    db: Database,
    *,
    incident_id: int,
    person_id: int,
    route: str = "attend",
    due_at: datetime,
    closed: bool = False,
) -> int:
    with db.transaction() as session:
        request = InPersonRequest(
            incident_id=incident_id,
            person_id=person_id,
            route=route,
            due_at=due_at,
            closed_at=utcnow() if closed else None,
        )
        session.add(request)
        session.flush()
        return request.id


def make_appointment(
    db: Database,
    *,
    incident_id: int,
    person_id: int,
    officer_id: int | None,
    starts_at: datetime,
    created_by: int,
    minutes: int = 60,
    status: str = "booked",
    needs_rebooking: bool = False,
) -> int:
    """An appointment row as it is, without the booking rules: for tests of what is read."""
    ends_at = starts_at + timedelta(minutes=minutes)
    with db.transaction() as session:
        row = Appointment(
            incident_id=incident_id,
            person_id=person_id,
            officer_id=officer_id,
            starts_at=starts_at,
            ends_at=ends_at,
            reserved_until=ends_at + timedelta(minutes=15),
            status=status,
            needs_rebooking=needs_rebooking,
            created_by=created_by,
        )
        session.add(row)
        session.flush()
        return row.id


THRIVE_DIMENSIONS = ("threat", "harm", "risk", "investigation", "vulnerability", "engagement")


def incident_form_data(
    *,
    urn: str | None = None,
    incident_type: str = "domestic_abuse",
    levels: dict[str, str] | None = None,
    grade: str = "2",
    priority_band: str = "P1",
    called_at: datetime | None = None,
    **overrides: str | list[str],
) -> dict[str, str | list[str]]:
    """The new-incident page's fields, filled in as a call handler would (London time)."""
    called = (called_at or utcnow() - timedelta(minutes=10)).astimezone(ZoneInfo("Europe/London"))
    chosen = {"threat": "medium", "harm": "high"} | (levels or {})
    data: dict[str, str | list[str]] = {
        "action": "save",
        "urn": urn or f"01/{next(_numbers):06d}/26",
        "incident_type": incident_type,
        "summary": "Caller reports being pushed by an ex-partner, who has now left.",
        "called_at-day": str(called.day),
        "called_at-month": str(called.month),
        "called_at-year": str(called.year),
        "called_at-time": f"{called:%H:%M}",
        "people-0-role": "victim",
        "people-0-name": "Alex Example",
        "people-0-date_of_birth-day": "17",
        "people-0-date_of_birth-month": "5",
        "people-0-date_of_birth-year": "1990",
        "people-0-mobile": "07700 900123",
        "people-0-language": "English",
        "people-0-may_text": "yes",
        "people-0-may_call": "yes",
        "people-0-safe_windows-0-days": "every_day",
        "people-0-safe_windows-0-start": "08:00",
        "people-0-safe_windows-0-end": "21:30",
        "people-0-code_word": "bluebell",
        "people-0-words_never_to_use": "court\nrefuge",
        "grade": grade,
        "priority_band": priority_band,
    }
    for dimension in THRIVE_DIMENSIONS:
        data[f"{dimension}_level"] = chosen.get(dimension, "low")
        data[f"{dimension}_rationale"] = f"Why {dimension} is so"
    data.update(overrides)
    return data


def incident_api_body(
    *,
    urn: str | None = None,
    grade: int = 2,
    priority_band: str = "P1",
    levels: dict[str, str] | None = None,
) -> dict[str, object]:
    """A POST /api/incidents body every triage rule accepts."""
    chosen = {"threat": "medium", "harm": "high"} | (levels or {})
    return {
        "urn": urn or f"01/{next(_numbers):06d}/26",
        "incident_type": "domestic_abuse",
        "summary": "Caller reports being pushed by an ex-partner, who has now left.",
        "called_at": (utcnow() - timedelta(minutes=10)).isoformat(),
        "people": [
            {
                "name": "Alex Example",
                "date_of_birth": "1990-05-17",
                "mobile": "07700 900123",
                "safe_contact": {
                    "may_text": True,
                    "may_call": True,
                    "safe_times": [{"days": "every_day", "start": "08:00", "end": "21:30"}],
                    "code_word": "bluebell",
                },
            }
        ],
        "thrive": {
            d: {"level": chosen.get(d, "low"), "rationale": f"Why {d} is so"}
            for d in THRIVE_DIMENSIONS
        },
        "grade": grade,
        "priority_band": priority_band,
    }


def risk_answers(yes: int, *, not_known: int = 0, unanswered: int = 0) -> dict[str, str]:
    """Answers to the bundled DASH checklist: `yes` yes, then not known, the rest no."""
    from videoresponse.risk.checklist import load_checklist

    questions = load_checklist().questions
    given = ["yes"] * yes + ["not_known"] * not_known
    given += ["no"] * (len(questions) - len(given) - unanswered)
    return {q.id: answer for q, answer in zip(questions, given, strict=False)}


SAFE_TO_TALK = {
    "safe_to_talk": "yes",
    "perpetrator_whereabouts": "At his brother's, across town",
    "children_whereabouts": "At school",
    "safe_contact": "This number, weekdays 9 to 3",
}
