"""The incidents JSON API, through HTTP: session cookie and X-CSRF-Token header."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import csrf_token, incident_api_body
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database


def token(client: TestClient) -> str:
    return csrf_token(client, "/handler")


def test_the_api_creates_an_incident_and_answers_with_its_deadline(
    client: TestClient, db: Database, signed_in_handler: StaffMember
) -> None:
    body = incident_api_body(urn="01/100200/26")
    response = client.post("/api/incidents", json=body, headers={"x-csrf-token": token(client)})
    assert response.status_code == 201, response.text
    created = response.json()
    called_at = datetime.fromisoformat(str(body["called_at"]))
    assert datetime.fromisoformat(created["deadline"]) == called_at + timedelta(hours=24)
    with db.transaction() as session:
        events = session.scalars(
            select(AuditEntry.event).where(AuditEntry.actor == signed_in_handler.actor)
        )
        assert "incident.viewed" not in list(events)
    incident = client.get(f"/api/incidents/{created['id']}").json()
    assert incident["urn"] == "01/100200/26"
    assert incident["people"][0]["safe_contact"]["code_word"] == "bluebell"


def test_the_api_lists_every_problem_with_422(
    client: TestClient, signed_in_handler: StaffMember
) -> None:
    body = incident_api_body()
    body["urn"] = ""
    body["thrive"] = {}
    response = client.post("/api/incidents", json=body, headers={"x-csrf-token": token(client)})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["urn"] == "Enter the incident's URN (force reference)"
    assert errors["vulnerability_rationale"] == "Enter the reason for the vulnerability score"
    malformed = client.post(
        "/api/incidents", json={"urn": 5}, headers={"x-csrf-token": token(client)}
    )
    assert malformed.status_code == 422
    assert "people" in malformed.json()["detail"]


def test_the_api_refuses_a_duplicate_urn_with_409(
    client: TestClient, signed_in_handler: StaffMember
) -> None:
    headers = {"x-csrf-token": token(client)}
    client.post("/api/incidents", json=incident_api_body(urn="01/9/26"), headers=headers)
    again = client.post("/api/incidents", json=incident_api_body(urn="01/9/26"), headers=headers)
    assert again.status_code == 409
    assert again.json()["detail"] == "An incident with URN 01/9/26 is already recorded"


def test_the_api_needs_the_csrf_header(client: TestClient, signed_in_handler: StaffMember) -> None:
    assert client.post("/api/incidents", json=incident_api_body()).status_code == 403


def test_grade_1_case_cannot_choose_video_through_the_api(
    client: TestClient, signed_in_handler: StaffMember
) -> None:
    headers = {"x-csrf-token": token(client)}
    body = incident_api_body(grade=1, levels={"threat": "high"})
    created = client.post("/api/incidents", json=body, headers=headers).json()
    person = client.get(f"/api/incidents/{created['id']}").json()["people"][0]["id"]
    choice = {"person_id": person, "offered": ["video", "attend"], "chosen": "video"}
    refused = client.post(
        f"/api/incidents/{created['id']}/route-choice", json=choice, headers=headers
    )
    assert refused.status_code == 422
    assert "grade 1 (emergency)" in refused.json()["errors"]["routes"]
    options = client.get(f"/api/people/{person}/options")
    assert options.status_code == 400
    assert "grade 1" in options.json()["detail"]


def test_the_api_path_from_create_to_options_to_booking(
    client: TestClient, db: Database, signed_in_handler: StaffMember, officer: StaffMember
) -> None:
    headers = {"x-csrf-token": token(client)}
    body = incident_api_body(grade=3, priority_band="P3", levels={"threat": "low", "harm": "low"})
    incident = client.post("/api/incidents", json=body, headers=headers).json()["id"]
    person = client.get(f"/api/incidents/{incident}").json()["people"][0]["id"]
    assert client.get(f"/api/people/{person}/options").status_code == 400  # not chosen yet
    chosen = client.post(
        f"/api/incidents/{incident}/route-choice",
        json={"person_id": person, "offered": ["video", "station"], "chosen": "video"},
        headers=headers,
    )
    assert chosen.status_code == 201
    assert chosen.json()["in_person_request_id"] is None
    options = client.get(f"/api/people/{person}/options?limit=2").json()["options"]
    assert [o["officer_id"] for o in options] == [officer.id, officer.id]
    assert options[0]["reason"] == "least loaded"
    booked = client.post(
        f"/handler/incidents/{incident}/book",
        data={
            "csrf_token": token(client),
            "person_id": str(person),
            "starts_at": options[0]["start"],
            "officer_id": str(options[0]["officer_id"]),
        },
        follow_redirects=False,
    )
    assert booked.status_code == 303
    appointments = client.get(f"/api/incidents/{incident}").json()["appointments"]
    assert [(a["starts_at"], a["status"]) for a in appointments] == [
        (options[0]["start"], "booked")
    ]


def test_an_api_read_is_audited_with_the_reason_given(
    client: TestClient, db: Database, signed_in_handler: StaffMember
) -> None:
    headers = {"x-csrf-token": token(client)}
    incident = client.post("/api/incidents", json=incident_api_body(), headers=headers).json()["id"]
    client.get(f"/api/incidents/{incident}?why=victim+update")
    with db.transaction() as session:
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert last is not None
        assert (last.event, last.why, last.actor) == (
            "incident.viewed",
            "victim update",
            signed_in_handler.actor,
        )
