"""The DASH pages over HTTP: who may open them, the form's steps, the supervisor's list."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import make_settings
from tests.factories import (
    SAFE_TO_TALK,
    csrf_token,
    make_appointment,
    make_case,
    make_staff,
    risk_answers,
    sign_in,
)
from videoresponse.app import create_app
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow

BUNDLED = Path(__file__).resolve().parents[2] / "src/videoresponse/risk/data/dash-2009.toml"


@pytest.fixture
def officer(db: Database) -> StaffMember:
    return make_staff(db, display_name="PC Kim Shaw")


@pytest.fixture
def appointment_id(db: Database, officer: StaffMember) -> int:
    handler = make_staff(db, Role.CALL_HANDLER)
    incident_id, person_id = make_case(
        db, created_by=handler.id, incident_type="domestic_abuse", called_at=utcnow()
    )
    return make_appointment(
        db,
        incident_id=incident_id,
        person_id=person_id,
        officer_id=officer.id,
        starts_at=utcnow() - timedelta(minutes=5),
        created_by=handler.id,
        status="in_call",
    )


def _page(appointment_id: int) -> str:
    return f"/officer/appointments/{appointment_id}/risk"


def _post(client: TestClient, path: str, data: dict[str, str]) -> Response:
    token = csrf_token(client, "/officer")
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def _start(client: TestClient, appointment_id: int) -> str:
    response = _post(client, _page(appointment_id), SAFE_TO_TALK)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def _answers(yes: int, **more: int) -> dict[str, str]:
    return {f"answer-{qid}": value for qid, value in risk_answers(yes, **more).items()}


def test_the_officer_sees_the_safety_questions_first(
    client: TestClient, officer: StaffMember, appointment_id: int
) -> None:
    sign_in(client, officer)

    page = client.get(_page(appointment_id))

    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "Is it safe for you to talk now?" in page.text
    assert "Where is the person who is hurting you now?" in page.text
    assert "Has the current incident left you injured?" not in page.text


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.VIDEO_OFFICER, 403),
        (Role.CALL_HANDLER, 403),
        (Role.SUPERVISOR, 200),
        (Role.ADMINISTRATOR, 200),
    ],
)
def test_only_the_officer_on_the_case_supervisors_and_administrators_open_it(
    client: TestClient, db: Database, appointment_id: int, role: Role, status: int
) -> None:
    sign_in(client, make_staff(db, role))

    assert client.get(_page(appointment_id)).status_code == status


def test_another_officer_cannot_open_an_assessment_by_its_id(
    client: TestClient, db: Database, officer: StaffMember, appointment_id: int
) -> None:
    sign_in(client, officer)
    made = _start(client, appointment_id)
    client.cookies.clear()
    sign_in(client, make_staff(db))

    refused = client.get(made)

    assert refused.status_code == 403
    assert "Only the appointment's officer or a supervisor" in refused.text
    assert client.get(_page(999)).status_code in (403, 404)


def test_not_safe_to_talk_stops_and_says_so(
    client: TestClient, officer: StaffMember, appointment_id: int
) -> None:
    sign_in(client, officer)
    done = _post(client, _page(appointment_id), {"safe_to_talk": "no", "unsafe_note": "He came in"})
    record = client.get(done.headers["location"])

    assert "Not completed: unsafe to talk" in record.text
    assert "He came in" in record.text
    assert "answer-current_injury" not in record.text
    assert "Start a new assessment" in record.text


def test_missing_safety_answers_get_clear_messages(
    client: TestClient, officer: StaffMember, appointment_id: int
) -> None:
    sign_in(client, officer)

    page = _post(
        client, _page(appointment_id), {"safe_to_talk": "yes", "children_whereabouts": "School"}
    )

    assert page.status_code == 400
    assert "There is a problem" in page.text
    assert "Answer: Where is the person who is hurting you now?" in page.text
    assert ">School</textarea>" in page.text


def test_an_officer_fills_it_in_and_records_high_risk(
    client: TestClient, db: Database, officer: StaffMember, appointment_id: int
) -> None:
    sign_in(client, officer)
    made = _start(client, appointment_id)
    partial = {k: v for k, v in list(_answers(14).items())[:5]}
    saved = _post(
        client, made + "/answers", {**partial, "action": "save", "note-current_injury": "Cut lip"}
    )
    assert saved.headers["location"].endswith("?saved=answers#questions")
    questions = client.get(made)
    assert "5 of 27 answered" in questions.text
    assert "Cut lip" in questions.text

    to_summary = _post(client, made + "/answers", {**_answers(14), "action": "summary"})
    summary = client.get(to_summary.headers["location"])

    assert "14 of 27" in summary.text
    assert "High risk" in summary.text
    assert "MARAC referral due: visible high risk" in summary.text
    assert "Cut lip" not in summary.text

    lowered = _post(
        client, made + "/judgement", {"judgement_level": "medium", "judgement_reason": "x"}
    )
    assert lowered.status_code == 400
    assert "never lower it" in lowered.text

    not_said = _post(
        client, made + "/outcome", {"referral_made": "no", "safeguarding_actions": "Safety plan"}
    )
    assert not_said.status_code == 400
    assert "say why it was not made" in not_said.text
    assert "Safety plan</textarea>" in not_said.text

    recorded = _post(
        client, made + "/outcome", {"referral_made": "yes", "safeguarding_actions": "Safety plan"}
    )
    record = client.get(recorded.headers["location"])
    assert "Outcome recorded." in record.text
    assert "Completed" in record.text
    assert "Cut lip" in record.text
    assert 'action="' + made + '/outcome"' not in record.text

    again = _post(
        client,
        made + "/outcome",
        {"referral_made": "no", "marac_reason": "x", "safeguarding_actions": "y"},
    )
    assert again.status_code == 409

    client.cookies.clear()
    sign_in(client, make_staff(db, Role.SUPERVISOR))
    listing = client.get("/supervisor/risk")
    assert listing.status_code == 200
    assert "High risk" in listing.text
    assert "MARAC referral due: visible high risk" in listing.text
    assert 'href="/supervisor/risk"' in listing.text
    assert client.get(made).status_code == 200


def test_the_supervisor_list_marks_a_due_referral_that_was_not_made(
    client: TestClient, db: Database, officer: StaffMember, appointment_id: int
) -> None:
    sign_in(client, officer)
    made = _start(client, appointment_id)
    _post(client, made + "/answers", {**_answers(16), "action": "summary"})
    _post(
        client,
        made + "/outcome",
        {"referral_made": "no", "marac_reason": "Victim declined", "safeguarding_actions": "none"},
    )
    assert client.get("/supervisor/risk").status_code == 403
    client.cookies.clear()
    sign_in(client, make_staff(db, Role.SUPERVISOR))

    listing = client.get("/supervisor/risk")

    assert "Due, not referred" in listing.text
    assert "1 with a MARAC referral due but not made" in listing.text
    assert "vr-breach" in listing.text


def test_the_call_page_links_to_the_form_in_a_new_tab(
    client: TestClient, officer: StaffMember, appointment_id: int
) -> None:
    sign_in(client, officer)

    page = client.get(f"/officer/calls/{appointment_id}")

    assert page.status_code == 200
    link = f'href="{_page(appointment_id)}" target="_blank" rel="noopener"'
    assert link in page.text
    assert "Risk assessment (DASH)" in page.text
    assert "domestic abuse, stalking and harassment" in page.text


def _client_with(settings_path: Path, db: Database, **overrides: object) -> TestClient:
    settings = make_settings(settings_path, **overrides)
    return TestClient(create_app(settings, db), base_url="https://testserver")


def test_a_force_checklist_file_is_used(
    settings: object, db: Database, officer: StaffMember, appointment_id: int, tmp_path: Path
) -> None:
    path = tmp_path / "force.toml"
    path.write_text(
        BUNDLED.read_text()
        .replace('version = "2009.1"', 'version = "force-1"')
        .replace("Are you very frightened?", "Are you very scared?")
    )
    with _client_with(tmp_path, db, risk_checklist_file=path) as force:
        sign_in(force, officer)
        made = _start(force, appointment_id)

        page = force.get(made)
        start = force.get(_page(appointment_id))

    assert "Are you very scared?" in page.text
    assert "Are you very frightened?" not in page.text
    assert "version force-1" in start.text


def test_a_broken_checklist_file_gives_a_clear_message(
    settings: object, db: Database, officer: StaffMember, appointment_id: int, tmp_path: Path
) -> None:
    path = tmp_path / "force.toml"
    path.write_text(BUNDLED.read_text().replace("high = 14", "high = 99"))
    with _client_with(tmp_path, db, risk_checklist_file=path) as force:
        sign_in(force, officer)

        page = force.get(_page(appointment_id))

    assert page.status_code == 503
    assert "The risk checklist cannot be used" in page.text
    assert "only 27 questions" in page.text


def test_judgement_raises_the_level_and_says_why_the_referral_is_due(
    client: TestClient, officer: StaffMember, appointment_id: int
) -> None:
    sign_in(client, officer)
    made = _start(client, appointment_id)
    _post(client, made + "/answers", {**_answers(10), "action": "summary"})

    no_reason = _post(client, made + "/judgement", {"judgement_level": "high"})
    raised = _post(
        client,
        made + "/judgement",
        {"judgement_level": "high", "judgement_reason": "Threats with a knife yesterday"},
    )
    summary = client.get(raised.headers["location"])

    assert no_reason.status_code == 400
    assert "Say why your professional judgement raises the level" in no_reason.text
    assert "Raised to high: Threats with a knife yesterday" in summary.text
    assert "MARAC referral due: professional judgement" in summary.text


def test_the_supervisors_appointment_page_links_to_its_assessments(
    client: TestClient, db: Database, appointment_id: int
) -> None:
    sign_in(client, make_staff(db, Role.SUPERVISOR))

    page = client.get(f"/supervisor/appointments/{appointment_id}")

    assert page.status_code == 200
    assert f'href="{_page(appointment_id)}"' in page.text


def test_a_supervisor_sees_the_list_without_the_start_form_and_every_page_links_the_case(
    client: TestClient, db: Database, officer: StaffMember, appointment_id: int
) -> None:
    sign_in(client, officer)
    made = _start(client, appointment_id)
    _post(client, made + "/answers", {**_answers(3), "action": "summary"})
    _post(client, made + "/outcome", {"referral_made": "no", "safeguarding_actions": "Plan"})
    own = client.get(made).text
    assert "Domestic abuse, stalking and harassment (DASH) risk checklist, version 2009.1" in own
    assert "dash 2009.1" not in own
    # An officer may not open the incident: the link goes to their call.
    assert f'href="/officer/calls/{appointment_id}"' in own
    assert f'href="/statements/{appointment_id}"' in own
    client.cookies.clear()
    sign_in(client, make_staff(db, Role.SUPERVISOR))

    start_page = client.get(_page(appointment_id)).text
    assert "Is it safe for you to talk now?" not in start_page
    assert "The appointment's officer asks the questions" in start_page
    assert made in start_page  # the list of assessments
    assessment = client.get(made).text
    assert 'href="/handler/incidents/' in assessment
    listing = client.get("/supervisor/risk").text
    row = listing.split('id="risk-assessments"')[1]
    assert '<a class="govuk-link" href="/handler/incidents/' in row
