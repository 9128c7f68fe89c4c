"""The demo's worked call: a sealed statement, a recorded DASH and evidence, made once."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import make_settings
from tests.factories import sign_in
from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth import service as accounts
from videoresponse.core.db import Database
from videoresponse.demo import DEMO_ACCOUNTS, create_demo
from videoresponse.demo_history_casework import create_casework
from videoresponse.evidence.models import EvidenceItem
from videoresponse.evidence.service import Vault
from videoresponse.evidence.store import read_plaintext
from videoresponse.risk.models import RiskAssessment
from videoresponse.statements.models import (
    SealedPdf,
    Statement,
    StatementSignature,
    StatementVersion,
)
from videoresponse.statements.seal import check_seal, load_sealer
from videoresponse.triage.models import Incident


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    """The demo made once for this module (it takes seconds); each test gets a copy."""
    folder = tmp_path_factory.mktemp("demo")
    shutil.copy(migrated_template, folder / "videoresponse.db")
    made = make_settings(folder)
    database = Database(made.database_url)
    create_demo(database, made)
    database.dispose()
    return folder


@pytest.fixture
def settings(tmp_path: Path, demo_data: Path) -> Settings:
    shutil.copytree(demo_data, tmp_path, dirs_exist_ok=True)
    return make_settings(tmp_path)


def test_the_demo_leaves_one_statement_sealed_with_a_seal_that_checks_out(
    db: Database, settings: Settings
) -> None:
    with db.sessions() as session:
        statement = session.scalars(select(Statement)).one()
        version = session.scalars(select(StatementVersion)).one()
        kinds = set(session.scalars(select(StatementSignature.kind)))
        sealed = session.scalars(select(SealedPdf)).one()
        appointment = session.get_one(Appointment, statement.appointment_id)
        incident = session.get_one(Incident, statement.incident_id)
        pdf, sha256 = sealed.pdf, sealed.sha256
    assert (incident.urn.startswith("PAST-"), incident.incident_type) == (True, "domestic_abuse")
    assert appointment.status == "completed"
    assert version.statement_id == statement.id
    assert kinds == {"witness", "officer"}
    assert hashlib.sha256(pdf).hexdigest() == sha256
    check = check_seal(pdf, load_sealer(settings))
    assert check.intact, check.problem


def test_the_demo_records_a_dash_assessment_on_the_same_call(
    db: Database, settings: Settings
) -> None:
    with db.sessions() as session:
        assessment = session.scalars(select(RiskAssessment)).one()
        statement = session.scalars(select(Statement)).one()
    assert assessment.appointment_id == statement.appointment_id
    assert assessment.status == "completed"
    assert (assessment.scored_level, assessment.level) == ("medium", "high")
    assert assessment.marac_reasons == ["professional_judgement"]
    assert assessment.marac_referral_made is True


def test_the_demo_evidence_reads_back_through_the_store_with_its_continuity(
    db: Database, settings: Settings
) -> None:
    with db.sessions() as session:
        items = session.scalars(select(EvidenceItem).order_by(EvidenceItem.id)).all()
        statement = session.scalars(select(Statement)).one()
        captured = session.scalar(
            select(AuditEntry.id).where(AuditEntry.event == "evidence.captured").limit(1)
        )
    assert len(items) == 2
    assert {item.appointment_id for item in items} == {statement.appointment_id}
    assert captured is not None
    vault = Vault.from_settings(settings)
    for item in items:
        plain = b"".join(read_plaintext(vault.store, item.storage_key, vault.keyring))
        assert plain.startswith(b"\x89PNG")
        assert hashlib.sha256(plain).hexdigest() == item.sha256
        assert item.state == "accepted"


def test_the_casework_is_made_once(db: Database, settings: Settings) -> None:
    assert create_casework(db, settings) is False
    with db.sessions() as session:
        assert len(session.scalars(select(Statement)).all()) == 1


def _worked_call(db: Database) -> tuple[int, int]:
    with db.sessions() as session:
        statement = session.scalars(select(Statement)).one()
        return statement.incident_id, statement.appointment_id


def _demo_sign_in(client: TestClient, db: Database, username: str) -> None:
    account = next(a for a in DEMO_ACCOUNTS if a.username == username)
    member = next(m for m, _ in accounts.list_users(db) if m.username == username)
    sign_in(client, member, account.password)


def test_the_supervisor_finds_the_cases_statement_evidence_and_risk_from_the_incident(
    client: TestClient, db: Database, settings: Settings
) -> None:
    incident_id, appointment_id = _worked_call(db)
    _demo_sign_in(client, db, "supervisor")

    page = client.get(f"/handler/incidents/{incident_id}").text
    assert "Statements, evidence and risk" in page
    for link in (
        f"/cases/{incident_id}/evidence",
        f"/statements/{appointment_id}",
        f"/officer/appointments/{appointment_id}/risk",
    ):
        assert f'href="{link}"' in page
        assert client.get(link).status_code == 200, link
    appointment = client.get(f"/supervisor/appointments/{appointment_id}").text
    assert f'href="/cases/{incident_id}/evidence"' in appointment


def test_a_call_handler_sees_no_statement_or_evidence_links(
    client: TestClient, db: Database, settings: Settings
) -> None:
    incident_id, appointment_id = _worked_call(db)
    _demo_sign_in(client, db, "handler")

    page = client.get(f"/handler/incidents/{incident_id}").text
    assert "Appointments" in page
    assert "Statements, evidence and risk" not in page
    assert "/evidence" not in page
    assert f"/statements/{appointment_id}" not in page
