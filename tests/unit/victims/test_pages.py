"""The Victims' Code lists and a task's page, through HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import csrf_token, make_appointment, make_case, make_staff, sign_in
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database
from videoresponse.victims.models import VictimTask

CALLED = datetime(2026, 11, 18, 10, tzinfo=UTC)


def _case_with_officer(db: Database, officer_id: int, created_by: int) -> int:
    incident_id, person_id = make_case(db, created_by=created_by, called_at=CALLED)
    make_appointment(
        db,
        incident_id=incident_id,
        person_id=person_id,
        officer_id=officer_id,
        starts_at=CALLED + timedelta(hours=4),
        created_by=created_by,
        status="completed",
    )
    return person_id


def _task_id(page: str, label: str) -> int:
    found = re.search(r'href="/victims/tasks/(\d+)">' + re.escape(label), page)
    assert found, page
    return int(found.group(1))


def test_the_supervisor_sees_every_victims_tasks_with_overdue_flags(
    client: TestClient, db: Database
) -> None:
    supervisor = make_staff(db, Role.SUPERVISOR)
    _case_with_officer(db, make_staff(db).id, supervisor.id)
    sign_in(client, supervisor)

    page = client.get("/supervisor/victims")

    assert page.status_code == 200
    assert "Alex Example" in page.text
    assert "Written confirmation of the report" in page.text
    assert "Overdue" in page.text
    assert "Thu 19 Nov" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_an_officer_lists_only_their_own_victims(client: TestClient, db: Database) -> None:
    supervisor = make_staff(db, Role.SUPERVISOR)
    officer = make_staff(db)
    _case_with_officer(db, make_staff(db).id, supervisor.id)
    sign_in(client, officer)

    page = client.get("/officer/victims")

    assert page.status_code == 200
    assert "Alex Example" not in page.text
    assert "Nothing is owed" in page.text


def test_a_call_handler_cannot_see_the_supervisors_list(client: TestClient, db: Database) -> None:
    sign_in(client, make_staff(db, Role.CALL_HANDLER))
    assert client.get("/supervisor/victims").status_code == 403


def test_an_officer_records_a_referral_and_it_leaves_the_list(
    client: TestClient, db: Database
) -> None:
    officer = make_staff(db)
    _case_with_officer(db, officer.id, make_staff(db, Role.CALL_HANDLER).id)
    sign_in(client, officer)
    task_id = _task_id(client.get("/officer/victims").text, "Offer a referral to support")

    done = client.post(
        f"/victims/tasks/{task_id}/done",
        data={"outcome": "referred", "note": "Local support", "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )

    assert done.status_code == 303
    assert client.get(done.headers["location"]).text.count("Task recorded as done.") == 1
    assert f'/victims/tasks/{task_id}"' not in client.get("/officer/victims").text


def test_recording_without_an_outcome_says_what_is_missing(
    client: TestClient, db: Database
) -> None:
    officer = make_staff(db)
    _case_with_officer(db, officer.id, make_staff(db, Role.CALL_HANDLER).id)
    sign_in(client, officer)
    task_id = _task_id(client.get("/officer/victims").text, "Offer a referral to support")

    refused = client.post(
        f"/victims/tasks/{task_id}/done", data={"note": "", "csrf_token": csrf_token(client)}
    )

    assert refused.status_code == 400
    assert "Select what happened" in refused.text
    assert "There is a problem" in refused.text


def test_the_victims_chosen_frequency_is_recorded_from_the_update_page(
    client: TestClient, db: Database
) -> None:
    officer = make_staff(db)
    _case_with_officer(db, officer.id, make_staff(db, Role.CALL_HANDLER).id)
    sign_in(client, officer)
    task_id = _task_id(client.get("/officer/victims").text, "Update on the investigation")

    bad = client.post(
        f"/victims/tasks/{task_id}/frequency", data={"every": "0", "csrf_token": csrf_token(client)}
    )
    assert bad.status_code == 400
    good = client.post(
        f"/victims/tasks/{task_id}/frequency",
        data={"every": "10", "csrf_token": csrf_token(client)},
    )

    assert "Every 10 working days (the victim's choice)" in good.text
    assert "Wednesday 2 December 2026" in good.text


def test_closing_the_case_as_no_crime_from_a_task_page(client: TestClient, db: Database) -> None:
    officer = make_staff(db)
    _case_with_officer(db, officer.id, make_staff(db, Role.CALL_HANDLER).id)
    sign_in(client, officer)
    task_id = _task_id(client.get("/officer/victims").text, "Update on the investigation")

    missing = client.post(
        f"/victims/tasks/{task_id}/close-case",
        data={"crime_recorded": "yes", "csrf_token": csrf_token(client)},
    )
    assert "Enter the crime reference number" in missing.text
    closed = client.post(
        f"/victims/tasks/{task_id}/close-case",
        data={"crime_recorded": "no", "csrf_token": csrf_token(client)},
    )

    assert "no crime recorded" in closed.text
    with db.sessions() as session:
        assert session.scalars(select(VictimTask).where(VictimTask.done_at.is_(None))).all() == []


def test_another_officers_task_page_is_refused(client: TestClient, db: Database) -> None:
    supervisor = make_staff(db, Role.SUPERVISOR)
    _case_with_officer(db, make_staff(db).id, supervisor.id)
    sign_in(client, supervisor)
    task_id = _task_id(client.get("/supervisor/victims").text, "Update on the investigation")
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/supervisor/victims")})

    sign_in(client, make_staff(db))
    assert client.get(f"/victims/tasks/{task_id}").status_code == 403
    refused = client.post(
        f"/victims/tasks/{task_id}/done",
        data={"outcome": "updated", "csrf_token": csrf_token(client)},
    )
    assert refused.status_code == 403
