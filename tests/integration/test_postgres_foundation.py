"""The foundation on a real PostgreSQL: migrations, UTC datetimes, the audit log."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from tests.factories import make_staff
from videoresponse.core import audit
from videoresponse.core.audit import Action, verify_chain
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.db import Database
from videoresponse.migrations import current_and_head, upgrade

pytestmark = pytest.mark.postgres


def test_migrate_creates_the_schema_and_is_repeatable(postgres_url: str) -> None:
    upgrade(postgres_url)
    upgrade(postgres_url)
    current, head = current_and_head(postgres_url)
    assert current == head


def test_datetimes_come_back_aware_and_in_utc(postgres_db: Database) -> None:
    member = make_staff(postgres_db)
    in_paris = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    with postgres_db.transaction() as session:
        session.get_one(StaffUser, member.id).locked_until = in_paris
    with postgres_db.sessions() as session:
        session.execute(text("SET TIME ZONE 'America/New_York'"))
        stored = session.scalar(select(StaffUser.locked_until).where(StaffUser.id == member.id))
    assert stored == in_paris
    assert stored is not None and stored.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_entry SET why = 'x'", "DELETE FROM audit_entry", "TRUNCATE audit_entry"],
)
def test_a_trigger_refuses_to_change_the_audit_log(postgres_db: Database, statement: str) -> None:
    make_staff(postgres_db)
    with pytest.raises(DatabaseError, match="append-only"), postgres_db.transaction() as session:
        session.execute(text(statement))
    with postgres_db.sessions() as session:
        assert verify_chain(session).entries_checked == 1


def test_concurrent_appends_keep_one_unbroken_chain(postgres_db: Database) -> None:
    def append(number: int) -> None:
        with postgres_db.transaction() as session:
            audit.record(
                session,
                actor=f"staff:{number}",
                action=Action.CONSULTATION,
                event="incident.viewed",
                object_id=number,
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(append, range(80)))
    with postgres_db.sessions() as session:
        report = verify_chain(session)
    assert report.intact
    assert report.entries_checked == 80


def test_verify_catches_an_edit_made_by_someone_who_disabled_the_trigger(
    postgres_db: Database,
) -> None:
    for _ in range(3):
        make_staff(postgres_db)
    with postgres_db.engine.begin() as connection:
        connection.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        connection.execute(text("UPDATE audit_entry SET actor = 'x' WHERE seq = 2"))
    with postgres_db.sessions() as session:
        assert verify_chain(session).first_bad_seq == 2
