from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from videoresponse.core import audit
from videoresponse.core.audit import Action, verify_chain
from videoresponse.core.db import Database


def _write(db: Database, count: int) -> None:
    for number in range(count):
        with db.transaction() as session:
            audit.record(
                session,
                actor="staff:1:test",
                action=Action.CONSULTATION,
                event="incident.viewed",
                object_type="incident",
                object_id=number,
                why="checking the case",
            )


def _as_attacker(db: Database, sql: str, **params: object) -> None:
    """Someone with the database file drops the guard triggers and edits rows."""
    with db.engine.connect() as connection:
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entry_no_update")
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entry_no_delete")
        connection.execute(text(sql), params)
        connection.commit()


def _verify(db: Database) -> audit.ChainReport:
    with db.sessions() as session:
        return verify_chain(session)


def test_an_untouched_chain_verifies(db: Database) -> None:
    _write(db, 5)
    report = _verify(db)
    assert report.intact
    assert report.entries_checked == 5


def test_an_empty_log_verifies(db: Database) -> None:
    assert _verify(db).intact


def test_an_edited_entry_is_caught(db: Database) -> None:
    _write(db, 5)
    _as_attacker(db, "UPDATE audit_entry SET why = 'nothing to see' WHERE seq = 3")
    report = _verify(db)
    assert report.first_bad_seq == 3
    assert "changed" in report.problem


def test_a_deleted_entry_is_caught(db: Database) -> None:
    _write(db, 5)
    _as_attacker(db, "DELETE FROM audit_entry WHERE seq = 2")
    assert _verify(db).first_bad_seq == 3


def test_an_inserted_entry_is_caught(db: Database) -> None:
    _write(db, 3)
    _as_attacker(
        db,
        "INSERT INTO audit_entry (seq, at, actor, action, event, object_type, object_id, why, "
        "recipient, detail, prev_hash, entry_hash) SELECT 4, at, actor, action, event, "
        "object_type, object_id, why, recipient, detail, prev_hash, entry_hash "
        "FROM audit_entry WHERE seq = 2",
    )
    _write(db, 1)
    assert _verify(db).first_bad_seq == 4


def test_reordered_entries_are_caught(db: Database) -> None:
    _write(db, 4)
    _as_attacker(db, "UPDATE audit_entry SET seq = -1 WHERE seq = 2")
    _as_attacker(db, "UPDATE audit_entry SET seq = 2 WHERE seq = 3")
    _as_attacker(db, "UPDATE audit_entry SET seq = 3 WHERE seq = -1")
    report = _verify(db)
    assert report.first_bad_seq is not None
    assert report.first_bad_seq in (2, 3)


def test_the_log_refuses_updates_and_deletes(db: Database) -> None:
    _write(db, 1)
    for statement in ("UPDATE audit_entry SET why = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(DatabaseError, match="append-only"), db.transaction() as session:
            session.execute(text(statement))
    assert _verify(db).entries_checked == 1


def test_an_entry_rolls_back_with_the_change_it_records(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        audit.record(session, actor="x", action=Action.COLLECTION, event="incident.created")
        raise RuntimeError("the change failed")
    assert _verify(db).entries_checked == 0
