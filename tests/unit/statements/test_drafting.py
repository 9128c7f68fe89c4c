"""Writing, presenting and versions through HTTP: autosave, stale tabs, immutability."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError

from tests.unit.statements.conftest import RESTRICTED_WORDS, Sides, draft
from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.db import Database
from videoresponse.statements import rules
from videoresponse.statements.models import Statement, StatementVersion, WrittenOnce
from videoresponse.statements.rules import FirstPart


def test_the_draft_starts_from_the_case_and_every_save_survives_a_restart(
    sides: Sides, settings: Settings
) -> None:
    opened = sides.officer.get(sides.api).json()
    assert opened["revision"] == 0
    assert opened["first_part"]["statement_of"] == "Alex Example"
    assert opened["taken_by"] == sides.call.officer.display_name
    assert opened["versions"] == []

    saved = sides.save(0, "I was at home when I heard glass break.")
    assert saved["revision"] == 1

    restarted = Database(settings.database_url)
    try:
        with restarted.sessions() as session:
            row = session.scalars(select(Statement)).one()
        assert (row.body, row.contact_details, row.revision) == (
            "I was at home when I heard glass break.",
            RESTRICTED_WORDS,
            1,
        )
    finally:
        restarted.dispose()


def test_a_save_from_a_stale_window_is_refused_and_loses_nothing(sides: Sides) -> None:
    sides.officer.get(sides.api)
    sides.save(0, "Newer words")
    stale = sides.officer.put(f"{sides.api}/draft", json=draft(0, "Older words"))
    assert stale.status_code == 409
    assert "another window" in stale.json()["detail"]
    assert sides.officer.get(sides.api).json()["first_part"]["body"] == "Newer words"


def test_bad_values_get_a_clear_message(sides: Sides) -> None:
    sides.officer.get(sides.api)
    response = sides.officer.put(
        f"{sides.api}/draft", json=draft(0, "Words", under_18=True, age=40)
    )
    assert response.status_code == 422
    assert "Age" in response.json()["detail"]


def test_presenting_makes_an_immutable_version_with_the_hash_of_its_first_part(
    sides: Sides, db: Database
) -> None:
    sides.officer.get(sides.api)
    sides.save(0, "I saw him.\r\nHe ran.")
    made = sides.present()
    expected = FirstPart("Alex Example", False, None, "Teacher", "I saw him.\nHe ran.", 1)
    assert made == {"version": 1, "sha256": rules.content_sha256(expected)}

    sides.save(1, "I saw him. He ran away.")
    assert sides.present()["version"] == 2
    history = sides.officer.get(sides.api).json()["versions"]
    assert [v["number"] for v in history] == [2, 1]
    assert {v["made_by"] for v in history} == {sides.call.officer.display_name}

    with db.sessions() as session:
        first = session.scalars(select(StatementVersion).where(StatementVersion.number == 1)).one()
        assert json.loads(first.restricted)["contact_details"] == RESTRICTED_WORDS
        first.content_sha256 = "0" * 64
        with pytest.raises(WrittenOnce):
            session.flush()
        session.rollback()
        with pytest.raises(WrittenOnce):
            session.delete(session.get_one(StatementVersion, first.id))
            session.flush()
    with pytest.raises(DatabaseError), db.transaction() as session:
        session.execute(update(StatementVersion).values(content_sha256="0" * 64))


def test_nothing_can_be_presented_without_words(sides: Sides) -> None:
    sides.officer.get(sides.api)
    response = sides.officer.post(f"{sides.api}/versions")
    assert response.status_code == 422
    assert "Write the statement" in response.json()["detail"]


def test_audit_entries_name_ids_never_the_words(sides: Sides, db: Database) -> None:
    sides.officer.get(sides.api)
    sides.save(0, "Secret words of the statement")
    sides.present()
    with db.sessions() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.event.like("statement.%"))
        ).all()
        raw = session.execute(text("SELECT detail, why FROM audit_entry")).all()
    assert [e.event for e in entries] == [
        "statement.started",
        "statement.opened",
        "statement.draft_saved",
        "statement.version_made",
    ]
    assert all("Secret" not in d and RESTRICTED_WORDS not in d for d, _ in raw)
