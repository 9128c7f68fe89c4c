"""The no-show banner on My day, and the page that records what happened."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import csrf_token, make_shift, make_staff, sign_in
from tests.unit.no_shows.conftest import Missed
from videoresponse.booking.models import Appointment
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database
from videoresponse.no_shows.models import NoShowOutcome
from videoresponse.rota.rules import local_to_utc
from videoresponse.triage.models import SafeContactRow

LONDON = ZoneInfo("Europe/London")


def _page(missed: Missed) -> str:
    return f"/officer/appointments/{missed.appointment_id}/no-show"


def _safe_contact(db: Database, person_id: int, **values: object) -> None:
    with db.transaction() as session:
        session.add(SafeContactRow(person_id=person_id, words_never_to_use=[], **values))


def test_my_day_shows_a_banner_for_a_caller_who_has_not_joined(
    client: TestClient, missed: Missed
) -> None:
    sign_in(client, missed.officer)

    page = client.get("/officer")

    assert page.status_code == 200
    assert "Callers who have not joined" in page.text
    assert f'href="{_page(missed)}"' in page.text
    assert "Record what happened" in page.text


def test_my_day_has_no_banner_when_every_caller_joined_or_is_not_due(
    client: TestClient, db: Database
) -> None:
    officer = make_staff(db)
    sign_in(client, officer)

    assert "Callers who have not joined" not in client.get("/officer").text


def test_the_page_gives_the_safe_number_to_phone(
    client: TestClient, db: Database, missed: Missed
) -> None:
    _safe_contact(db, missed.person_id, may_call=True, safe_number="07700 900999")
    sign_in(client, missed.officer)

    page = client.get(_page(missed))

    assert page.status_code == 200
    assert "You may phone them on <strong>07700 900999</strong>" in page.text
    assert "+447700900123" not in page.text
    assert 'name="outcome"' in page.text


def test_the_page_says_do_not_phone_when_calls_are_unsafe(
    client: TestClient, db: Database, missed: Missed
) -> None:
    _safe_contact(db, missed.person_id, may_call=False, safe_number="07700 900999")
    sign_in(client, missed.officer)

    page = client.get(_page(missed))

    assert "Do not phone: their safe contact says calls are not safe" in page.text
    assert "07700 900999" not in page.text
    assert "+447700900123" not in page.text


def test_another_officer_gets_403(client: TestClient, db: Database, missed: Missed) -> None:
    other = make_staff(db)
    sign_in(client, other)

    assert client.get(_page(missed)).status_code == 403
    refused = client.post(
        _page(missed),
        data={"outcome": "no_answer", "called": "no", "csrf_token": csrf_token(client)},
    )
    assert refused.status_code == 403


def test_recording_the_outcome_makes_it_a_no_show(
    client: TestClient, db: Database, missed: Missed
) -> None:
    sign_in(client, missed.officer)

    done = client.post(
        _page(missed),
        data={
            "outcome": "declined",
            "called": "yes",
            "note": "Will call 101 if needed",
            "csrf_token": csrf_token(client),
        },
        follow_redirects=False,
    )

    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "Declined another appointment" in page.text
    assert "back in the supervisor's queue" in page.text
    with db.sessions() as session:
        assert session.get_one(Appointment, missed.appointment_id).status == "no_show"
        assert session.scalars(select(NoShowOutcome.outcome)).all() == ["declined"]


def test_an_incomplete_form_is_shown_again_with_errors(client: TestClient, missed: Missed) -> None:
    sign_in(client, missed.officer)

    page = client.post(_page(missed), data={"csrf_token": csrf_token(client)})

    assert page.status_code == 400
    assert "Choose what happened" in page.text
    assert "Say whether you phoned them" in page.text


def test_rebooked_offers_times_and_books_one_for_the_same_person(
    client: TestClient, db: Database, missed: Missed
) -> None:
    tomorrow = datetime.now(LONDON).date() + timedelta(days=1)
    make_shift(
        db,
        missed.officer.id,
        local_to_utc(tomorrow, time(13), LONDON),
        local_to_utc(tomorrow, time(17), LONDON),
    )
    sign_in(client, missed.officer)
    client.post(
        _page(missed),
        data={"outcome": "rebooked", "called": "yes", "csrf_token": csrf_token(client)},
    )

    page = client.get(_page(missed))
    assert "Book another time" in page.text
    starts_at = local_to_utc(tomorrow, time(14), LONDON)
    booked = client.post(
        _page(missed) + "/rebook",
        data={
            "option": f"{starts_at.isoformat()}|{missed.officer.id}",
            "csrf_token": csrf_token(client),
        },
        follow_redirects=False,
    )

    assert booked.status_code == 303
    assert "New appointment booked" in client.get(booked.headers["location"]).text
    with db.sessions() as session:
        rows = session.scalars(
            select(Appointment).where(Appointment.person_id == missed.person_id)
        ).all()
    assert sorted(r.status for r in rows) == ["booked", "no_show"]


def test_a_supervisor_sees_a_link_to_the_case(
    client: TestClient, db: Database, missed: Missed
) -> None:
    supervisor = make_staff(db, Role.SUPERVISOR)
    sign_in(client, supervisor)
    client.post(
        _page(missed),
        data={"outcome": "no_answer", "called": "yes", "csrf_token": csrf_token(client)},
    )

    page = client.get(_page(missed))

    assert f'href="/handler/incidents/{missed.incident_id}"' in page.text
