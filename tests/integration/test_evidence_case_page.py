"""The case evidence page: exporting the bundle from the web, officers adding files."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import make_staff
from tests.integration.evidence_support import as_caller, as_staff
from tests.integration.test_evidence_uploads import PHOTO, photo
from tests.unit.calls.support import make_call
from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database
from videoresponse.evidence.export import verify_bundle
from videoresponse.evidence.models import EvidenceItem

WHY = "Full file for the charging decision"


def _accepted_item(client: TestClient, db: Database, settings: Settings) -> tuple[object, int]:
    call = make_call(db)
    as_caller(client, db, settings, call.appointment_id).send(call.appointment_id, PHOTO)
    client.cookies.clear()
    officer = as_staff(client, db, call.officer)
    with db.sessions() as session:
        item = session.scalars(select(EvidenceItem)).one()
    accepted = client.post(
        f"/api/evidence/{item.id}/decision", json={"accept": True}, headers=officer.headers()
    )
    assert accepted.status_code == 200
    return call, item.id


def test_the_case_bundle_streams_from_the_case_page_and_its_manifest_hash_is_shown(
    client: TestClient, db: Database, settings: Settings, tmp_path: object
) -> None:
    call, item_id = _accepted_item(client, db, settings)
    with db.sessions() as session:
        incident_id = session.get_one(Appointment, call.appointment_id).incident_id
    page = client.get(f"/cases/{incident_id}/evidence")
    assert "Export case bundle" in page.text
    csrf = as_staff(client, db, call.officer).csrf
    with client.stream(
        "POST",
        f"/cases/{incident_id}/evidence/export",
        data={"why": WHY, "recipient": "CPS – Crown Court case 123", "csrf_token": csrf},
    ) as response:
        assert response.status_code == 200
        body = b"".join(response.iter_bytes())
        headers = response.headers
    assert headers["cache-control"] == "no-store"
    assert headers["content-type"] == "application/zip"
    disposition = headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="evidence-case-{incident_id}-bundle-')
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        manifest_sha256 = hashlib.sha256(bundle.read("manifest.json")).hexdigest()
        assert bundle.read(f"evidence/item-{item_id}.png") == PHOTO
    assert headers["x-manifest-sha256"] == manifest_sha256
    with db.sessions() as session:
        [entry] = session.scalars(
            select(AuditEntry).where(AuditEntry.event == "evidence.bundle_exported")
        ).all()
    assert (entry.action, entry.recipient, entry.why) == (
        "disclosure",
        "CPS – Crown Court case 123",
        WHY,
    )
    assert json.loads(entry.detail)["manifest_sha256"] == manifest_sha256
    path = tmp_path / "bundle.zip"  # type: ignore[operator]
    path.write_bytes(body)
    assert verify_bundle(path, expect_manifest=manifest_sha256).problems == []
    # Afterwards the page lists the export with its manifest hash, and so does the item.
    assert manifest_sha256 in client.get(f"/cases/{incident_id}/evidence").text
    assert manifest_sha256 in client.get(f"/evidence/{item_id}").text


def test_an_export_needs_a_reason_and_a_recipient_and_the_right_person(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call, _ = _accepted_item(client, db, settings)
    with db.sessions() as session:
        incident_id = session.get_one(Appointment, call.appointment_id).incident_id
    officer = as_staff(client, db, call.officer)
    missing = client.post(
        f"/cases/{incident_id}/evidence/export",
        data={"why": WHY, "recipient": " ", "csrf_token": officer.csrf},
    )
    assert missing.status_code == 400 and "Say who the bundle is for" in missing.text
    assert 'value="' not in missing.text.split('name="recipient"')[0][-200:]  # nothing leaks
    no_reason = client.post(
        f"/cases/{incident_id}/evidence/export",
        data={"why": "x", "recipient": "CPS", "csrf_token": officer.csrf},
    )
    assert no_reason.status_code == 400 and "Say why you need this" in no_reason.text
    for role in (Role.ADMINISTRATOR, Role.VIDEO_OFFICER):
        client.cookies.clear()
        other = as_staff(client, db, make_staff(db, role))
        refused = client.post(
            f"/cases/{incident_id}/evidence/export",
            data={"why": WHY, "recipient": "CPS", "csrf_token": other.csrf},
        )
        assert refused.status_code == 403, role
    with db.sessions() as session:
        assert not session.scalars(
            select(AuditEntry).where(AuditEntry.event == "evidence.bundle_exported")
        ).all()


def test_an_officer_adds_a_file_to_the_case_after_the_call_has_ended(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    with db.transaction() as session:
        appointment = session.get_one(Appointment, call.appointment_id)
        appointment.status = "completed"
        incident_id = appointment.incident_id
    officer = as_staff(client, db, call.officer)
    page = client.get(f"/cases/{incident_id}/evidence")
    assert "data-evidence-staff-upload" in page.text
    assert '<script type="module" src="/static/evidence/staff_upload.js">' in page.text
    body = photo(3)
    _, sent = officer.send(call.appointment_id, body)
    assert sent.status_code == 204, sent.text
    with db.sessions() as session:
        item = session.scalars(select(EvidenceItem)).one()
    assert (item.state, item.uploaded_by) == ("received", call.officer.actor)
    assert item.sha256 == hashlib.sha256(body).hexdigest()


def test_the_caller_and_staff_pages_share_one_upload_module() -> None:
    from videoresponse.core.web import STATIC_DIR

    shared = (STATIC_DIR / "evidence" / "uploader.js").read_text()
    assert "export function startUploads" in shared
    for page in ("caller_upload.js", "staff_upload.js"):
        script = (STATIC_DIR / "evidence" / page).read_text()
        assert 'import { startUploads } from "/static/evidence/uploader.js"' in script
        assert "new window.tus.Upload" not in script
    assert "localStorage" not in shared and "sessionStorage" not in shared


def test_the_case_page_names_the_case_its_appointments_and_people_and_flags_every_export_error(
    client: TestClient, db: Database, settings: Settings
) -> None:
    from datetime import timedelta

    from tests.factories import make_appointment
    from videoresponse.core.auth.models import StaffUser
    from videoresponse.core.db import utcnow
    from videoresponse.triage.models import Incident

    call, item_id = _accepted_item(client, db, settings)
    with db.transaction() as session:
        appointment = session.get_one(Appointment, call.appointment_id)
        incident_id = appointment.incident_id
        urn = session.get_one(Incident, incident_id).urn
        session.get_one(StaffUser, call.officer.id).rank_and_number = "PC 4417"
        person_id = appointment.person_id
    earlier = make_appointment(
        db,
        incident_id=incident_id,
        person_id=person_id,
        officer_id=call.officer.id,
        starts_at=utcnow() - timedelta(days=2),
        created_by=call.handler.id,
        status="completed",
    )
    officer = as_staff(client, db, call.officer)
    page = client.get(f"/cases/{incident_id}/evidence").text
    assert f"Evidence for case {urn}" in page
    # An officer may not open the incident page: the link is to their own call.
    assert f'href="/officer/calls/{call.appointment_id}"' in page
    assert f'href="/handler/incidents/{incident_id}"' not in page
    assert "From the appointment" in page
    # Files go to the appointment under way, not the case's first.
    assert f'<option value="{call.appointment_id}" selected>' in page
    assert f'<option value="{earlier}">' in page
    # Continuity names the officer as statements do, not by username.
    item_page = client.get(f"/evidence/{item_id}").text
    assert f"{call.officer.display_name} (PC 4417)" in item_page
    both = client.post(
        f"/cases/{incident_id}/evidence/export",
        data={"why": "", "recipient": "", "csrf_token": officer.csrf},
    )
    assert both.status_code == 400
    summary = both.text.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    assert 'href="#why"' in summary and 'href="#recipient"' in summary
    assert "disclosure to the CPS for the charging decision" in summary
    assert "injury photo" not in both.text
    client.cookies.clear()
    as_staff(client, db, make_staff(db, Role.SUPERVISOR))
    supervisor_page = client.get(f"/cases/{incident_id}/evidence").text
    assert f'href="/handler/incidents/{incident_id}"' in supervisor_page
