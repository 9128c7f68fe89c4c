"""The witness signs what they read, the officer countersigns, the PDF is sealed."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import csrf_token, make_staff, sign_in
from tests.unit.calls.support import (
    caller_cookie,
    connect,
    quiet,
    receive,
    receive_type,
    staff_cookie,
    staff_token,
)
from tests.unit.statements.conftest import RESTRICTED_WORDS, Sides, browser, draft
from tests.unit.statements.support import data_url, png
from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database
from videoresponse.statements import rules, service
from videoresponse.statements.models import StatementSignature
from videoresponse.statements.seal import check_seal, load_sealer
from videoresponse.triage.models import SafeContactRow


def _presented(sides: Sides, words: str = "I saw a man break the window.") -> tuple[int, str]:
    sides.officer.get(sides.api)
    sides.save(0, words)
    made = sides.present()
    return int(str(made["version"])), str(made["sha256"])


def test_the_witness_sees_the_first_part_and_never_the_restricted_part(sides: Sides) -> None:
    assert sides.witness.get("/api/appointment/statement").json()["first_part"] is None
    sides.officer.get(sides.api)
    sides.save(0, "I saw a man break the window.")
    state = sides.witness.get("/api/appointment/statement")
    assert state.headers["cache-control"] == "no-store"
    body = state.json()
    assert body["first_part"]["body"] == "I saw a man break the window."
    assert body["presented"] is None
    assert "consisting of 1 page each signed by me" in body["declaration"]
    for path in (
        "/api/appointment/statement",
        f"{sides.api}",
        f"/statements/{sides.call.appointment_id}",
    ):
        seen = sides.witness.get(path, follow_redirects=False)
        assert "RESTRICTED" not in seen.text and RESTRICTED_WORDS not in seen.text
    assert sides.witness.get(sides.api).status_code == 401


def test_over_the_call_the_witness_gets_the_first_part_only_and_live(
    client: TestClient, db: Database, settings: Settings, sides: Sides
) -> None:
    call = sides.call
    with (
        connect(client, call.appointment_id, staff_cookie(staff_token(db, call.officer))) as o,
        connect(client, call.appointment_id, caller_cookie(sides.caller_session)) as ws,
    ):
        receive(o)
        caller_id = receive(ws)["peer_id"]
        o.send_json({"type": "admit", "peer_id": caller_id})
        receive_type(ws, "admitted")
        sides.officer.get(sides.api)
        sides.save(0, "I saw a man.")
        live = receive_type(ws, "statement")
        assert live["first_part"]["body"] == "I saw a man."
        made = sides.present()
        presented = receive_type(ws, "statement_presented")
        assert presented == {"type": "statement_presented", **made}
        assert receive_type(ws, "statement")["presented"] == made
        response = sides.sign(made["version"], made["sha256"])
        assert response.status_code == 200, response.text  # type: ignore[attr-defined]
        assert receive_type(o, "statement_signed")["version"] == made["version"]
        everything = [live, presented, *quiet(ws, 0.5)]
        assert all("RESTRICTED" not in str(message) for message in everything)
        assert all(m["type"] not in {"statement", "statement_presented"} for m in quiet(o))


def test_the_witness_signs_only_the_exact_version_they_were_shown(
    sides: Sides, db: Database
) -> None:
    version, sha256 = _presented(sides)
    assert sides.sign(version, "f" * 64).status_code == 409  # type: ignore[attr-defined]
    unticked = sides.sign(version, sha256, declared=False)
    assert unticked.status_code == 422  # type: ignore[attr-defined]
    assert "Tick the box" in unticked.json()["detail"]  # type: ignore[attr-defined]
    blank = sides.sign(version, sha256, signature=data_url(png(ink=False)))
    assert "Draw your signature" in blank.json()["detail"]  # type: ignore[attr-defined]

    assert sides.sign(version, sha256).status_code == 200  # type: ignore[attr-defined]
    again = sides.sign(version, sha256)
    assert again.status_code == 409  # type: ignore[attr-defined]

    with db.sessions() as session:
        signature = session.scalars(select(StatementSignature)).one()
    assert signature.version_sha256 == sha256
    assert signature.image_png == png()
    assert signature.binding_sha256 == rules.signature_binding(
        sha256, "Alex Example", png(), signature.signed_at
    )
    state = sides.witness.get("/api/appointment/statement").json()
    assert state["signed"]["version"] == version and state["presented"] is None

    # A correction after signing is a new version; the signature stays with the first.
    sides.save(1, "I saw a tall man break the window.")
    second = sides.present()
    assert second["version"] == version + 1
    assert sides.sign(version, sha256).status_code == 409  # type: ignore[attr-defined]
    history = {v["number"]: v for v in sides.officer.get(sides.api).json()["versions"]}
    assert "witness" in history[version]["signatures"]
    assert history[version + 1]["signatures"] == {}


def test_a_changed_draft_takes_the_sign_form_away_until_it_is_presented_again(
    sides: Sides,
) -> None:
    _presented(sides)
    sides.save(1, "Changed after presenting")
    assert sides.witness.get("/api/appointment/statement").json()["presented"] is None


def test_countersigning_seals_a_pdf_that_staff_download_with_a_reason(
    sides: Sides, db: Database, settings: Settings
) -> None:
    version, sha256 = _presented(sides)
    early = sides.countersign(version, sha256)
    assert early.status_code == 422  # type: ignore[attr-defined]
    assert sides.sign(version, sha256).status_code == 200  # type: ignore[attr-defined]
    sealed = sides.countersign(version, sha256)
    assert sealed.status_code == 200, sealed.text  # type: ignore[attr-defined]
    assert sides.countersign(version, sha256).status_code == 409  # type: ignore[attr-defined]

    page = sides.officer.get(f"/statements/{sides.call.appointment_id}")
    assert page.status_code == 200
    assert sha256 in page.text and "Countersigned" in page.text
    url = f"/statements/{sides.call.appointment_id}/versions/{version}/pdf"
    # No reason: the history page again, its error summary on that version's reason field.
    refused = sides.officer.post(url, data={"why": "x"})
    assert refused.status_code == 400
    assert "govuk-error-summary" in refused.text and f'href="#why-{version}"' in refused.text
    assert "Say why you are downloading the statement" in refused.text
    assert f'id="why-{version}" name="why" type="text" maxlength="500" value="x"' in refused.text
    assert "Go to your home page" not in refused.text
    # Back from the step-up (test_step_up_routes): the form says to give the reason again.
    again = sides.officer.get(f"/statements/{sides.call.appointment_id}?again={version}")
    assert "Give the reason again, then download." in again.text
    download = sides.officer.post(url, data={"why": "File for the CPS"})
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["cache-control"] == "no-store"
    pdf = download.content
    assert hashlib.sha256(pdf).hexdigest() == sealed.json()["sealed_sha256"]  # type: ignore[attr-defined]
    sealer = load_sealer(settings)
    assert check_seal(pdf, sealer).intact
    assert not check_seal(pdf[:1000] + bytes([pdf[1000] ^ 1]) + pdf[1001:], sealer).intact

    exported = service.sealed_statements(db, _incident(db, sides))
    assert [(s.version, s.sha256, s.pdf) for s in exported] == [
        (version, hashlib.sha256(pdf).hexdigest(), pdf)
    ]
    with db.sessions() as session:
        downloaded = session.scalars(
            select(AuditEntry).where(AuditEntry.event == "statement.pdf_downloaded")
        ).one()
    assert (downloaded.action, downloaded.why) == ("disclosure", "File for the CPS")


def test_the_witness_downloads_a_copy_only_where_their_safe_contact_allows(
    sides: Sides, db: Database
) -> None:
    version, sha256 = _presented(sides)
    sides.sign(version, sha256)
    sides.countersign(version, sha256)
    assert sides.witness.get("/appointment/statement/copy").status_code == 403
    assert sides.witness.get("/api/appointment/statement").json()["signed"]["copy"] is False

    person_id = _person(db, sides)
    with db.transaction() as session:
        session.add(SafeContactRow(person_id=person_id, may_download_copy=True))
    assert sides.witness.get("/api/appointment/statement").json()["signed"]["copy"] is True
    copy = sides.witness.get("/appointment/statement/copy")
    assert copy.status_code == 200
    assert copy.headers["content-type"] == "application/pdf"
    assert copy.headers["content-disposition"] == 'attachment; filename="statement-v1.pdf"'
    assert copy.headers["cache-control"] == "no-store"


def test_a_read_over_is_signed_by_the_reader_before_the_officer_countersigns(
    sides: Sides,
) -> None:
    sides.officer.get(sides.api)
    body = draft(0, "I saw a man.")
    body["witness_cannot_read"] = True
    assert sides.officer.put(f"{sides.api}/draft", json=body).status_code == 200
    made = sides.present()
    version, sha256 = made["version"], made["sha256"]
    sides.sign(version, sha256)
    assert sides.countersign(version, sha256).status_code == 422  # type: ignore[attr-defined]
    reader = {"sha256": sha256, "name": "Sam Reader", "signature": data_url()}
    read = sides.officer.post(f"{sides.api}/versions/{version}/read-over", json=reader)
    assert read.status_code == 200, read.text
    assert sides.countersign(version, sha256).status_code == 200  # type: ignore[attr-defined]


def test_only_the_officers_on_the_case_supervisors_and_administrators_open_it(
    sides: Sides, client: TestClient, db: Database
) -> None:
    _presented(sides)
    page = f"/statements/{sides.call.appointment_id}"
    for role, allowed in (
        (Role.VIDEO_OFFICER, False),
        (Role.CALL_HANDLER, False),
        (Role.SUPERVISOR, True),
        (Role.ADMINISTRATOR, True),
    ):
        with browser(client) as other:
            sign_in(other, make_staff(db, role))
            assert (other.get(page).status_code == 200) is allowed, role
            assert other.get(sides.api).status_code in ({200} if role is Role.SUPERVISOR else {403})


def test_a_guest_in_the_call_cannot_read_or_sign_the_statement(
    sides: Sides, client: TestClient, db: Database
) -> None:
    version, sha256 = _presented(sides)
    sides.officer.headers["accept"] = "application/json"
    invited = sides.officer.post(
        f"/api/calls/{sides.call.appointment_id}/guests", json={"role": "interpreter"}
    )
    token = invited.json()["url"].rsplit("/j/", 1)[1]
    with browser(client) as guest:
        guest.post("/j", data={"token": token, "csrf_token": csrf_token(guest, f"/j/{token}")})
        assert guest.get("/api/appointment/statement").status_code in {401, 403}
        body = {"version": version, "sha256": sha256, "declared": True, "name": "X"}
        refused = guest.post(
            "/api/appointment/statement/sign", json={**body, "signature": data_url()}
        )
        assert refused.status_code in {401, 403}


def _incident(db: Database, sides: Sides) -> int:
    with db.sessions() as session:
        return session.get_one(Appointment, sides.call.appointment_id).incident_id


def _person(db: Database, sides: Sides) -> int:
    with db.sessions() as session:
        return session.get_one(Appointment, sides.call.appointment_id).person_id
