"""Statements on PostgreSQL: signed rows refuse UPDATE, stale saves lose, erasure cascades."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DatabaseError

from tests.factories import make_appointment, make_staff, make_video_case
from tests.unit.statements.support import data_url
from videoresponse.booking.models import Appointment
from videoresponse.caller.service import CallerView
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.statements import rules, service, signing
from videoresponse.statements.models import Statement, StatementSignature, StatementVersion
from videoresponse.statements.rules import FirstPart, RestrictedPart, Stale
from videoresponse.triage.models import Incident

pytestmark = pytest.mark.postgres

FIRST = FirstPart("Alex Example", False, None, "Teacher", "I saw him.", 1)
RESTRICTED = RestrictedPart("07700 900123", "", "", "", False, False)


def _case(db: Database) -> tuple[StaffMember, int, int]:
    handler = make_staff(db, Role.CALL_HANDLER)
    officer = make_staff(db, Role.VIDEO_OFFICER)
    incident_id, person_id = make_video_case(db, created_by=handler.id)
    appointment_id = make_appointment(
        db,
        incident_id=incident_id,
        person_id=person_id,
        officer_id=officer.id,
        starts_at=utcnow(),
        created_by=handler.id,
    )
    return officer, appointment_id, incident_id


def _signed(db: Database) -> tuple[StaffMember, int, int]:
    officer, appointment_id, incident_id = _case(db)
    service.officer_state(db, appointment_id=appointment_id, by=officer)
    draft = service.Draft(0, FIRST, RESTRICTED, witness_cannot_read=False)
    service.save_draft(db, appointment_id=appointment_id, draft=draft, by=officer)
    made = service.present(db, appointment_id=appointment_id, by=officer)
    with db.sessions() as session:
        person_id = session.get_one(Appointment, appointment_id).person_id
    caller = CallerView(
        link_id=1,
        person_id=person_id,
        purpose="join",
        verified=True,
        appointment_id=appointment_id,
        starts_at=None,
        ends_at=None,
        status="booked",
        join_opens_at=None,
        may_add_to_calendar=False,
        deadline=None,
        change_closes_at=None,
    )
    signing.sign_as_witness(
        db,
        caller=caller,
        number=made["version"],
        sha256=made["sha256"],
        declared=True,
        mark=signing.Mark("Alex Example", data_url()),
    )
    return officer, appointment_id, incident_id


def test_migrations_make_the_tables_and_versions_hash_their_first_part(
    postgres_db: Database,
) -> None:
    _signed(postgres_db)
    with postgres_db.sessions() as session:
        version = session.scalars(select(StatementVersion)).one()
    assert version.content_sha256 == rules.content_sha256(FIRST)
    assert bytes(version.content) == rules.canonical_content(FIRST)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE statement_version SET content_sha256 = repeat('0', 64)",
        "UPDATE statement_signature SET name = 'Someone else'",
    ],
)
def test_a_trigger_refuses_to_change_a_version_or_signature(
    postgres_db: Database, statement: str
) -> None:
    _signed(postgres_db)
    with pytest.raises(DatabaseError, match="written once"), postgres_db.transaction() as s:
        s.execute(text(statement))


def test_of_two_windows_saving_the_same_revision_one_wins_and_one_is_told(
    postgres_db: Database,
) -> None:
    officer, appointment_id, _ = _case(postgres_db)
    service.officer_state(postgres_db, appointment_id=appointment_id, by=officer)

    def save(words: str) -> str:
        draft = service.Draft(0, replace(FIRST, body=words), RESTRICTED, False)
        try:
            service.save_draft(postgres_db, appointment_id=appointment_id, draft=draft, by=officer)
        except Stale:
            return "stale"
        return "saved"

    with ThreadPoolExecutor(4) as pool:
        results = sorted(pool.map(save, ["one", "two", "three", "four"]))
    assert results == ["saved", "stale", "stale", "stale"]
    with postgres_db.sessions() as session:
        assert session.scalar(select(Statement.revision)) == 1


def test_erasing_the_incident_takes_its_statements_with_it(postgres_db: Database) -> None:
    _, _, incident_id = _signed(postgres_db)
    with postgres_db.transaction() as session:
        session.execute(delete(Incident).where(Incident.id == incident_id))
    with postgres_db.sessions() as session:
        for table in (Statement, StatementVersion, StatementSignature):
            assert session.scalar(select(func.count()).select_from(table)) == 0
