"""Evidence after the security review: one completion per upload, HEAD only reports,
abandoned uploads, the per-uploader cap, and the officer's list being audited."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests.integration.evidence_support import as_caller, as_staff
from tests.integration.test_evidence_uploads import PHOTO
from tests.unit.calls.support import make_call
from videoresponse.booking.models import Appointment
from videoresponse.cli import app
from videoresponse.config import Settings, get_settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.db import Database, utcnow
from videoresponse.evidence import reading, uploads
from videoresponse.evidence.envelope import Tampered
from videoresponse.evidence.models import ContinuityEntry, EvidenceItem
from videoresponse.evidence.rules import MAX_ARRIVING
from videoresponse.evidence.service import Vault
from videoresponse.evidence.store import write_object
from videoresponse.evidence.uploads import sweep_abandoned


@dataclass(frozen=True)
class Sender:
    actor: str
    staff_id: int | None = None


def _state(db: Database) -> list[str]:
    with db.sessions() as session:
        return list(session.scalars(select(EvidenceItem.state).order_by(EvidenceItem.id)))


def _all_bytes_in_but_not_completed(vault: Vault, url: str, body: bytes) -> str:
    """What a server stopped between the last byte and the completion leaves behind."""
    upload_id = url.rsplit("/", 1)[1]
    with vault.staging.appender(upload_id, 0) as appender:
        appender.write(body)
        appender.commit()
    return upload_id


def test_head_only_reports_and_a_patch_of_no_bytes_completes_what_a_stopped_server_left(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    tus = as_caller(client, db, settings, call.appointment_id)
    url = tus.start(call.appointment_id, PHOTO)
    # Claiming to be at the end while bytes are missing is an offset mismatch, not a retry.
    assert tus.patch(url, len(PHOTO), b"").status_code == 409
    _all_bytes_in_but_not_completed(client.app.state.evidence_vault, url, PHOTO)  # type: ignore[attr-defined]
    assert tus.offset(url) == len(PHOTO)
    assert tus.offset(url) == len(PHOTO)
    assert _state(db) == ["receiving"]  # HEAD changed nothing
    retried = tus.patch(url, len(PHOTO), b"")
    assert retried.status_code == 204, retried.text
    assert retried.headers["upload-offset"] == str(len(PHOTO))
    assert _state(db) == ["received"]
    # Sent again (the answer was lost): the same answer's status, nothing done twice.
    assert tus.patch(url, len(PHOTO), b"").status_code == 410


@pytest.mark.parametrize("which", ["db", "postgres_db"])
def test_completions_started_at_once_complete_the_upload_once(
    request: pytest.FixtureRequest, settings: Settings, which: str
) -> None:
    from videoresponse.app import create_app

    database: Database = request.getfixturevalue(which)
    with TestClient(create_app(settings, database), base_url="https://testserver") as client:
        call = make_call(database)
        tus = as_caller(client, database, settings, call.appointment_id)
        url = tus.start(call.appointment_id, PHOTO)
        vault: Vault = client.app.state.evidence_vault  # type: ignore[attr-defined]
    upload_id = _all_bytes_in_but_not_completed(vault, url, PHOTO)
    with database.sessions() as session:
        actor = session.scalars(select(EvidenceItem.uploaded_by)).one()
    start = threading.Barrier(4)
    results: list[Any] = []

    def complete() -> None:
        start.wait()
        try:
            results.append(uploads.complete(database, settings, vault, upload_id, Sender(actor)))
        except Exception as error:
            results.append(error)

    threads = [threading.Thread(target=complete) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = [r for r in results if isinstance(r, dict)]
    assert len(done) == 1, results
    assert results.count(None) == 3, results
    assert _state(database) == ["received"]
    with database.sessions() as session:
        events = list(session.scalars(select(ContinuityEntry.event)))
    assert events == ["arrived", "hashed", "scanned"]
    assert done[0]["sha256"] == hashlib.sha256(PHOTO).hexdigest()


def test_the_officers_list_of_a_calls_evidence_is_audited_like_the_item_page(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    assert (
        as_caller(client, db, settings, call.appointment_id)
        .send(call.appointment_id, PHOTO)[1]
        .status_code
        == 204
    )
    as_staff(client, db, call.officer)
    listed = client.get(f"/api/appointments/{call.appointment_id}/evidence")
    assert listed.status_code == 200 and listed.json()["items"][0]["name"] == "photo.jpg"
    with db.sessions() as session:
        opened = session.scalars(
            select(AuditEntry).where(AuditEntry.event == "evidence.call_list_opened")
        ).all()
    assert [(e.actor, e.object_type, e.object_id) for e in opened] == [
        (call.officer.actor, "appointment", str(call.appointment_id))
    ]


def test_an_original_that_no_longer_matches_its_arrival_hash_is_cut_short_and_recorded(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    as_caller(client, db, settings, call.appointment_id).send(call.appointment_id, PHOTO)
    vault: Vault = client.app.state.evidence_vault  # type: ignore[attr-defined]
    with db.sessions() as session:
        item = session.scalars(select(EvidenceItem)).one()
    # Re-sealed under its own key with other bytes: only the hash can tell.
    vault.store.delete(item.storage_key)
    write_object(vault.store, item.storage_key, iter([PHOTO[:-1] + b"!"]), vault.keyring)
    opened = reading.open_original(
        db, vault, item_id=item.id, by=call.officer, why="Checking the photo", download=True
    )
    sent = bytearray()
    with pytest.raises(Tampered, match="does not match the SHA-256"):
        for chunk in opened.chunks:
            sent += chunk
    assert 0 < len(sent) < len(PHOTO)  # the end is held back: never taken for the whole
    with db.sessions() as session:
        events = list(session.scalars(select(ContinuityEntry.event).order_by(ContinuityEntry.seq)))
    assert events[-2:] == ["downloaded", "hash_mismatch_on_read"]


def test_one_sender_may_have_only_so_many_files_arriving_at_once(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    tus = as_caller(client, db, settings, call.appointment_id)
    for _ in range(MAX_ARRIVING):
        tus.start(call.appointment_id, b"x" * 100)
    refused = tus.create(call.appointment_id, 100)
    assert refused.status_code == 429
    assert "10 of your files are still arriving" in refused.text
    # The officer (another sender) is not held up by the caller's uploads.
    assert as_staff(client, db, call.officer).create(call.appointment_id, 100).status_code == 201


def test_uploads_abandoned_after_the_appointment_are_withdrawn_and_their_bytes_discarded(
    client: TestClient, db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = make_call(db)
    tus = as_caller(client, db, settings, call.appointment_id)
    url = tus.start(call.appointment_id, PHOTO)
    assert tus.patch(url, 0, PHOTO[:5000]).status_code == 204
    staging = settings.data_dir / "evidence" / "staging"
    assert list(staging.iterdir())
    vault: Vault = client.app.state.evidence_vault  # type: ignore[attr-defined]
    assert sweep_abandoned(db, vault, hours=24, by="cli:test") == []  # the call is on now
    with db.transaction() as session:
        appointment = session.get_one(Appointment, call.appointment_id)
        appointment.starts_at = utcnow() - timedelta(hours=27)
        appointment.ends_at = utcnow() - timedelta(hours=26)
    monkeypatch.setenv("VIDEORESPONSE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("VIDEORESPONSE_SECRET_KEY", str(settings.secret_key))
    monkeypatch.delenv("VIDEORESPONSE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["evidence", "sweep", "--hours", "24"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0 and "Withdrew 1 abandoned upload(s)" in result.output
    assert _state(db) == ["withdrawn"] and not list(staging.iterdir())
    with db.sessions() as session:
        [entry] = session.scalars(
            select(AuditEntry).where(AuditEntry.event == "evidence.upload_abandoned")
        ).all()
    assert entry.actor.startswith("cli:") and entry.action == "erasure"
