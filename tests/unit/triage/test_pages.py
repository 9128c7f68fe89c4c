"""Call handling pages, through HTTP."""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from tests.factories import (
    csrf_token,
    incident_api_body,
    incident_form_data,
    make_staff,
    sign_in,
)
from videoresponse.booking.models import Appointment
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow

LONDON = ZoneInfo("Europe/London")
NEW = "/handler/incidents/new"
# The P3 case these tests book: no urgency in THRIVE, so a week to find a time.
CALM = {"levels": {"threat": "low", "harm": "low"}, "grade": "3", "priority_band": "P3"}


def token(client: TestClient) -> str:
    return csrf_token(client, NEW)


def summary_links(page: Response) -> list[tuple[str, str]]:
    found = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', page.text)
    return [(anchor, html.unescape(message)) for anchor, message in found]


def record_on_the_page(client: TestClient, **fields: object) -> str:
    data = incident_form_data(**fields)  # type: ignore[arg-type]
    response = client.post(NEW, data={**data, "csrf_token": token(client)}, follow_redirects=False)
    assert response.status_code == 303, summary_links(response)
    return str(response.headers["location"])


def person_id_on(page: Response) -> str:
    found = re.search(r'name="person_id" value="(\d+)"', page.text)
    assert found, "no person form on the page"
    return found[1]


def choose_on_the_page(client: TestClient, case: str, offered: list[str], chosen: str) -> Response:
    response: Response = client.post(
        case + "/route-choice",
        data={
            "csrf_token": token(client),
            "person_id": person_id_on(client.get(case)),
            "offered": offered,
            "chosen": chosen,
        },
        follow_redirects=False,
    )
    return response


def test_a_video_officer_cannot_use_call_handling(client: TestClient, db: Database) -> None:
    sign_in(client, make_staff(db, Role.VIDEO_OFFICER))
    for path in ("/handler", NEW, "/handler/incidents/1", "/api/incidents/1"):
        assert client.get(path, headers={"accept": "text/html"}).status_code == 403, path
    refused = client.post(
        "/api/incidents", json=incident_api_body(), headers={"x-csrf-token": csrf_token(client)}
    )
    assert refused.status_code == 403


def test_the_time_of_the_call_defaults_to_now_in_team_time(
    client: TestClient, signed_in_handler: StaffMember
) -> None:
    before = datetime.now(LONDON)
    page = client.get(NEW).text
    after = datetime.now(LONDON)
    shown = {
        part: re.search(rf'name="called_at-{part}"[^>]*value="([^"]*)"', page)[1]  # type: ignore[index]
        for part in ("day", "month", "year", "time")
    }
    assert shown in [
        {"day": str(t.day), "month": str(t.month), "year": str(t.year), "time": f"{t:%H:%M}"}
        for t in (before, after)
    ]


def test_the_form_lists_every_problem_in_its_error_summary(
    client: TestClient, signed_in_handler: StaffMember
) -> None:
    response = client.post(NEW, data={"csrf_token": token(client), "action": "save"})
    assert response.status_code == 400
    assert "<title>Error: Record a new incident – Video Response</title>" in response.text
    links = dict(summary_links(response))
    assert links["urn"] == "Enter the incident's URN (force reference)"
    assert links["called_at-day"] == "Enter the date and time of the call"
    assert links["people-0-date_of_birth-day"] == "Enter the victim's date of birth"
    assert links["engagement_rationale"] == "Enter the reason for the engagement score"
    assert links["priority_band"] == "Select the priority band"
    assert len(links) == 21
    # In form order: the summary follows the page from top to bottom.
    assert list(links)[:3] == ["urn", "incident_type", "summary"]


def test_form_errors_keep_what_was_typed(
    client: TestClient, signed_in_handler: StaffMember
) -> None:
    typed: dict[str, str | list[str]] = {
        "people-0-date_of_birth-day": "31",
        "people-0-date_of_birth-month": "2",
        "people-0-accessibility_needs": "Uses a screen reader",
        "suitability_flags": ["other"],
    }
    data = {**incident_form_data(), **typed}
    response = client.post(NEW, data={**data, "csrf_token": token(client)})
    assert response.status_code == 400
    assert summary_links(response) == [
        ("people-0-date_of_birth-day", "Date of birth must be a real date"),
        ("suitability_reason", "Enter why a video appointment is not suitable"),
    ]
    page = response.text
    assert 'value="Alex Example"' in page
    assert 'value="31"' in page
    assert ">Uses a screen reader</textarea>" in page
    assert ">court\nrefuge</textarea>" in page
    assert re.search(r'id="threat_level-2"[^>]*value="medium" checked', page)
    assert re.search(r'value="other" checked', page)
    assert re.search(r'name="people-0-may_text" type="checkbox" value="yes" checked', page)
    assert '<option value="every_day" selected>' in page


def test_the_suggest_button_shows_the_suggested_grade_and_saves_nothing(
    client: TestClient, signed_in_handler: StaffMember
) -> None:
    data = incident_form_data(action="suggest", grade="", priority_band="")
    response = client.post(NEW, data={**data, "csrf_token": token(client)})
    assert response.status_code == 200
    assert (
        "THRIVE suggests <strong>grade 2 (priority)</strong> and priority <strong>P1</strong>"
        in (response.text)
    )
    assert re.search(r'name="grade" type="radio" value="2" checked', response.text)
    assert "There is a problem" not in response.text
    assert "Route not chosen" not in client.get("/handler").text


def test_a_duplicate_urn_is_shown_beside_the_urn_field(
    client: TestClient, signed_in_handler: StaffMember
) -> None:
    record_on_the_page(client, urn="01/777777/26")
    data = incident_form_data(urn="01/777777/26")
    response = client.post(NEW, data={**data, "csrf_token": token(client)})
    assert response.status_code == 400
    assert summary_links(response) == [
        ("urn", "An incident with URN 01/777777/26 is already recorded")
    ]
    assert 'id="urn-error"' in response.text


def test_a_recorded_incident_shows_its_case_page_and_joins_the_list(
    client: TestClient, signed_in_handler: StaffMember
) -> None:
    case = record_on_the_page(client, urn="01/424242/26", **{"people-0-wants_reminders": "yes"})
    assert re.fullmatch(r"/handler/incidents/\d+", case)
    page = client.get(case).text
    assert "Incident 01/424242/26" in page
    assert "07700 900123" in page  # shown as people say it, not as stored
    assert "Every day 08:00 to 21:30" in page
    assert "Never say police." in page
    assert "Wants a reminder text." in page
    assert "A calendar entry is safe." not in page
    assert "Offer routes and record the caller's choice" in page
    listing = client.get("/handler").text
    assert "01/424242/26" in listing
    assert "Route not chosen" in listing


def test_grade_1_case_is_never_offered_video_on_its_page(
    client: TestClient, signed_in_handler: StaffMember
) -> None:
    case = record_on_the_page(client, levels={"threat": "high"}, grade="1")
    page = client.get(case).text
    assert 'name="offered" type="checkbox" value="video"' not in page
    assert "A grade 1 (emergency) incident cannot be offered a video appointment" in page
    forced = choose_on_the_page(client, case, ["video", "attend"], "video")
    assert forced.status_code == 400
    assert summary_links(forced) == [
        (
            f"offered-{person_id_on(forced)}",
            "A grade 1 (emergency) incident cannot be offered a video appointment: "
            "an officer must attend",
        )
    ]


def test_an_attend_choice_shows_when_the_officer_is_due(
    client: TestClient, signed_in_handler: StaffMember
) -> None:
    case = record_on_the_page(client)
    response = choose_on_the_page(client, case, ["video", "attend"], "attend")
    assert response.status_code == 303
    page = client.get(case).text
    assert "The caller chose: <strong>officer attends</strong>. Due by" in page
    assert "In person" in client.get("/handler").text


def test_choosing_video_lists_times_and_booking_one_shows_a_confirmation(
    client: TestClient, db: Database, signed_in_handler: StaffMember, officer: StaffMember
) -> None:
    case = record_on_the_page(client, **CALM)
    assert choose_on_the_page(client, case, ["video", "attend"], "video").status_code == 303
    page = client.get(case)
    assert "Choose a time with the caller" in page.text
    slots = re.findall(r'name="slot" value="([^"]+)"', page.text)
    assert len(slots) == 6
    tomorrow = datetime.now(LONDON).date() + timedelta(days=1)
    first = datetime.combine(tomorrow, time(10), tzinfo=LONDON)
    assert slots[0] == f"{first.astimezone(ZoneInfo('UTC')).isoformat()}|{officer.id}"
    assert f"{first:%a} {first.day} {first:%b} 10:00" in page.text
    booked = client.post(
        case + "/book",
        data={"csrf_token": token(client), "person_id": person_id_on(page), "slot": slots[0]},
        follow_redirects=False,
    )
    assert booked.status_code == 303
    confirmation = client.get(booked.headers["location"]).text
    assert "Video appointment booked" in confirmation
    assert f"{first:%a} {first.day} {first:%b} 10:00<br>with PC Jo Morgan" in confirmation
    assert "Booked" in client.get("/handler").text


def test_a_time_just_taken_answers_409_with_the_fresh_times(
    client: TestClient, db: Database, signed_in_handler: StaffMember, officer: StaffMember
) -> None:
    first_case = record_on_the_page(client, **CALM)
    second_case = record_on_the_page(client, **CALM)
    for case in (first_case, second_case):
        choose_on_the_page(client, case, ["video"], "video")
    page = client.get(second_case)
    slot = re.findall(r'name="slot" value="([^"]+)"', page.text)[0]
    other = client.get(first_case)
    client.post(
        first_case + "/book",
        data={"csrf_token": token(client), "person_id": person_id_on(other), "slot": slot},
    )
    taken = client.post(
        second_case + "/book",
        data={"csrf_token": token(client), "person_id": person_id_on(page), "slot": slot},
    )
    assert taken.status_code == 409
    assert "That time has just been taken" in taken.text
    fresh = re.findall(r'name="slot" value="([^"]+)"', taken.text)
    assert fresh and slot not in fresh


def test_a_time_after_the_deadline_needs_a_reason(
    client: TestClient, db: Database, signed_in_handler: StaffMember, officer: StaffMember
) -> None:
    # Called 6 days and 20 hours ago: the P3 deadline is before tomorrow's shift.
    case = record_on_the_page(client, **CALM, called_at=utcnow() - timedelta(days=6, hours=20))
    choose_on_the_page(client, case, ["video"], "video")
    assert "No times are free before the deadline" in client.get(case).text
    later = client.get(case + "?later=1")
    assert "After the deadline" in later.text
    slot = re.findall(r'name="slot" value="([^"]+)"', later.text)[0]
    form = {"csrf_token": token(client), "person_id": person_id_on(later), "later": "yes"}
    refused = client.post(case + "/book", data={**form, "slot": slot})
    assert refused.status_code == 400
    pid = person_id_on(later)
    assert summary_links(refused) == [
        (f"late_reason-{pid}", "Enter why a time after the deadline is needed")
    ]
    booked = client.post(
        case + "/book",
        data={**form, "slot": slot, "late_reason": "Caller is away until then"},
        follow_redirects=False,
    )
    assert booked.status_code == 303
    with db.transaction() as session:
        appointment = session.scalars(select(Appointment)).one()
        assert appointment.late_reason == "Caller is away until then"


def test_booking_is_refused_until_the_caller_chooses_video(
    client: TestClient, signed_in_handler: StaffMember, officer: StaffMember
) -> None:
    case = record_on_the_page(client, **CALM)
    start = (utcnow() + timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    response = client.post(
        case + "/book",
        data={
            "csrf_token": token(client),
            "person_id": person_id_on(client.get(case)),
            "starts_at": start.isoformat(),
            "officer_id": str(officer.id),
        },
    )
    assert response.status_code == 400
    assert "Record that the caller chose a video appointment before booking one" in response.text


def test_the_pages_have_no_inline_script_or_style(
    client: TestClient, signed_in_handler: StaffMember
) -> None:
    case = record_on_the_page(client)
    for path in ("/handler", NEW, case):
        page = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert " style=" not in page and "<style" not in page, path
