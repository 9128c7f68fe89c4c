"""The call handler records whether a copy of the statement is safe on the caller's phone."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import csrf_token, incident_api_body, incident_form_data, make_staff, sign_in
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database
from videoresponse.triage.models import Incident, SafeContactRow

NEW = "/handler/incidents/new"


def _consent(db: Database, urn: str) -> bool:
    with db.sessions() as session:
        incident = session.scalars(select(Incident).where(Incident.urn == urn)).one()
        contact = session.get_one(SafeContactRow, incident.people[0].id)
        return contact.may_download_copy


def test_the_safe_contact_form_records_the_download_consent_and_the_case_shows_it(
    client: TestClient, db: Database
) -> None:
    sign_in(client, make_staff(db, Role.CALL_HANDLER))
    form = client.get(NEW)
    assert "Let them download a copy of their signed statement" in form.text
    for urn, ticked in (("01/900001/26", True), ("01/900002/26", False)):
        data = incident_form_data(urn=urn)
        if ticked:
            data["people-0-may_download_copy"] = "yes"
        response = client.post(
            NEW, data={**data, "csrf_token": csrf_token(client, NEW)}, follow_redirects=False
        )
        assert response.status_code == 303, response.text
        assert _consent(db, urn) is ticked
        case = client.get(response.headers["location"])
        assert ("A copy of their statement is safe to download" in case.text) is ticked


def test_the_api_takes_the_download_consent_and_defaults_to_no(
    client: TestClient, db: Database
) -> None:
    sign_in(client, make_staff(db, Role.CALL_HANDLER))
    headers = {"x-csrf-token": csrf_token(client, "/handler")}
    for urn, consent in (("01/900003/26", True), ("01/900004/26", None)):
        body = incident_api_body(urn=urn)
        if consent is not None:
            body["people"][0]["safe_contact"]["may_download_copy"] = consent  # type: ignore[index]
        response = client.post("/api/incidents", json=body, headers=headers)
        assert response.status_code == 201, response.text
        assert _consent(db, urn) is bool(consent)
