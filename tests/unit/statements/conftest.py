"""A call with an officer and a witness, each in their own browser (TestClient)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tests.factories import csrf_token, sign_in
from tests.unit.calls.support import Call, caller_token, make_call
from tests.unit.statements.support import data_url
from videoresponse.config import Settings
from videoresponse.core.db import Database

RESTRICTED_WORDS = "Flat 3, 1 Hidden Road, RESTRICTED-7731"


@dataclass
class Sides:
    call: Call
    officer: TestClient
    witness: TestClient
    caller_session: str

    @property
    def api(self) -> str:
        return f"/api/statements/{self.call.appointment_id}"

    def save(self, revision: int, body: str, **first: object) -> dict[str, object]:
        response = self.officer.put(f"{self.api}/draft", json=draft(revision, body, **first))
        assert response.status_code == 200, response.text
        saved: dict[str, object] = response.json()
        return saved

    def present(self) -> dict[str, object]:
        response = self.officer.post(f"{self.api}/versions")
        assert response.status_code == 201, response.text
        made: dict[str, object] = response.json()
        return made

    def sign(self, version: object, sha256: object, **changes: object) -> object:
        body = {
            "version": version,
            "sha256": sha256,
            "declared": True,
            "name": "Alex Example",
            "signature": data_url(),
            **changes,
        }
        return self.witness.post("/api/appointment/statement/sign", json=body)

    def countersign(self, version: object, sha256: object) -> object:
        return self.officer.post(
            f"{self.api}/versions/{version}/countersign",
            json={"sha256": sha256, "officer_number": "PC 1234"},
        )


def draft(revision: int, body: str, **first: object) -> dict[str, object]:
    return {
        "revision": revision,
        "first_part": {
            "statement_of": "Alex Example",
            "under_18": False,
            "age": None,
            "occupation": "Teacher",
            "body": body,
            "pages": 1,
            **first,
        },
        "restricted": {
            "contact_details": RESTRICTED_WORDS,
            "dates_to_avoid": "RESTRICTED-dates 1 to 5 June",
            "needs_and_special_measures": "RESTRICTED-needs screens",
            "medical_records_consent": "yes",
            "vps_offered": True,
            "vps_made": False,
        },
        "witness_cannot_read": False,
    }


def browser(client: TestClient) -> TestClient:
    other = TestClient(client.app, base_url="https://testserver")
    other.headers["x-csrf-token"] = csrf_token(other)
    return other


@pytest.fixture
def sides(client: TestClient, db: Database, settings: Settings) -> Iterator[Sides]:
    call = make_call(db)
    sign_in(client, call.officer)
    client.headers["x-csrf-token"] = csrf_token(client, "/officer/console")
    with browser(client) as witness:
        session = caller_token(db, settings, call.appointment_id)
        witness.cookies.set("__Host-vr_caller", session)
        yield Sides(call, client, witness, session)
