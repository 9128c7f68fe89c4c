"""`videoresponse retention run`: erasing what is past its date, and the audit of it."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.factories import make_appointment, make_case, make_staff, update_person
from videoresponse.cli import app
from videoresponse.config import Settings, get_settings
from videoresponse.core.audit import AuditEntry, verify_chain
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Base, Database, utcnow
from videoresponse.notify.models import CallerSession, JoinLink, TextMessage
from videoresponse.reports.models import Feedback
from videoresponse.retention import service as retention
from videoresponse.victims.models import CaseClosure

NAME = "Zebedee Quartermain"
LONG_AGO = timedelta(days=400)


def make_closed_case(
    db: Database, *, ago: timedelta = LONG_AGO, crime: bool = False, status: str = "completed"
) -> tuple[int, int, int]:
    """A case seen and closed `ago`, with a text, a link, a caller session and feedback."""
    staff = make_staff(db, Role.SUPERVISOR)
    then = utcnow() - ago
    incident_id, person_id = make_case(db, created_by=staff.id, called_at=then)
    update_person(db, person_id, name=NAME)
    appointment_id = make_appointment(
        db,
        incident_id=incident_id,
        person_id=person_id,
        officer_id=None,
        starts_at=then + timedelta(hours=5),
        created_by=staff.id,
        status=status,
    )
    with db.transaction() as session:
        link = JoinLink(
            person_id=person_id,
            appointment_id=appointment_id,
            purpose="join",
            valid_until=then + timedelta(hours=6),
        )
        session.add(link)
        session.flush()
        session.add(
            CallerSession(
                token_hash=hashlib.sha256(NAME.encode()).hexdigest(),
                link_id=link.id,
                started_at=then,
            )
        )
        session.add(_text(person_id, appointment_id, then, link.id))
        session.add(
            Feedback(
                appointment_id=appointment_id,
                rating=4,
                comment=f"Thanks from {NAME}",
                at=then + timedelta(hours=7),
            )
        )
        session.add(
            CaseClosure(
                incident_id=incident_id,
                crime_recorded=crime,
                crime_reference="CRN/1/25" if crime else "",
                closed_at=then + timedelta(days=1),
                closed_by=staff.id,
            )
        )
    return incident_id, person_id, appointment_id


def _text(
    person_id: int,
    appointment_id: int | None,
    at: object,
    link_id: int | None = None,
    status: str = "delivered",
    followed_up: bool = False,
) -> TextMessage:
    return TextMessage(
        reference=f"vr-{hashlib.sha256(repr((person_id, at, status)).encode()).hexdigest()[:20]}",
        person_id=person_id,
        appointment_id=appointment_id,
        link_id=link_id,
        kind="confirmation",
        status=status,
        not_before=at,
        expires_at=at,
        followed_up_at=at if followed_up else None,
        created_by="test",
        created_at=at,
    )


def _everything(db: Database) -> str:
    """Every row of every table, as text: where a name could still hide."""
    dump = []
    with db.sessions() as session:
        for table in Base.metadata.sorted_tables:
            dump += [repr(tuple(row)) for row in session.execute(select(table))]
    return "\n".join(dump)


def _count(db: Database, model: type) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_erased_persons_name_is_gone_and_the_audit_chain_still_verifies(
    db: Database, settings: Settings
) -> None:
    incident_id, person_id, appointment_id = make_closed_case(db)
    assert NAME in _everything(db)

    results = retention.run(db, settings, by="cli:test")

    erased = {r.name: r for r in results}
    assert erased["closed_no_crime"].ids == [incident_id]
    assert erased["closed_no_crime"].related == {
        "people": [person_id],
        "appointments": [appointment_id],
    }
    assert NAME not in _everything(db)
    with db.sessions() as session:
        report = verify_chain(session)
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "erasure")).all()
    assert report.intact
    assert [e.object_type for e in entries] == ["closed_no_crime"]
    assert f'"ids":[{incident_id}]' in entries[0].detail
    assert NAME not in " ".join(e.detail + e.why for e in entries)
    # The rating stays for the figures, linked to no one.
    with db.sessions() as session:
        kept = session.scalars(select(Feedback)).one()
    assert (kept.rating, kept.comment, kept.appointment_id) == (4, "", None)


def test_the_file_itself_no_longer_holds_the_name(db: Database, settings: Settings) -> None:
    make_closed_case(db)
    retention.run(db, settings, by="cli:test")
    db.dispose()

    database_file = Path(settings.database_url.removeprefix("sqlite:///"))
    with closing(sqlite3.connect(database_file)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert NAME.encode() not in database_file.read_bytes()


def test_a_dry_run_lists_what_it_would_erase_and_changes_nothing(
    db: Database, settings: Settings
) -> None:
    incident_id, _, _ = make_closed_case(db)
    before = _everything(db)
    with db.sessions() as session:
        entries_before = session.scalar(select(func.count()).select_from(AuditEntry))

    results = retention.run(db, settings, by="cli:test", dry_run=True)

    assert {r.name: r.ids for r in results}["closed_no_crime"] == [incident_id]
    assert _everything(db) == before
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == entries_before


@pytest.mark.parametrize(
    "case",
    [{"crime": True}, {"ago": timedelta(days=30)}, {"status": "booked"}],
    ids=["a recorded crime", "closed lately", "an appointment still booked"],
)
def test_cases_that_must_be_kept_are_kept(
    db: Database, settings: Settings, case: dict[str, object]
) -> None:
    make_closed_case(db, **case)  # type: ignore[arg-type]

    results = retention.run(db, settings, by="cli:test")

    assert {r.name: r.ids for r in results}["closed_no_crime"] == []
    assert NAME in _everything(db)


def test_old_settled_texts_go_and_problems_nobody_followed_up_stay(
    db: Database, settings: Settings
) -> None:
    staff = make_staff(db, Role.CALL_HANDLER)
    _, person_id = make_case(db, created_by=staff.id)
    old, recent = utcnow() - timedelta(days=100), utcnow() - timedelta(days=10)
    with db.transaction() as session:
        texts = [
            _text(person_id, None, old),
            _text(person_id, None, old, status="failed"),
            _text(person_id, None, old, status="not_sent", followed_up=True),
            _text(person_id, None, old, status="queued"),
            _text(person_id, None, recent),
        ]
        session.add_all(texts)
        session.flush()
        ids = [t.id for t in texts]

    results = retention.run(db, settings, by="cli:test")

    assert {r.name: r.ids for r in results}["texts"] == [ids[0], ids[2]]
    with db.sessions() as session:
        left = session.scalars(select(TextMessage.id).order_by(TextMessage.id)).all()
    assert left == [ids[1], ids[3], ids[4]]


def test_old_caller_sessions_go(db: Database, settings: Settings) -> None:
    make_closed_case(db, crime=True, ago=timedelta(days=40))

    results = retention.run(db, settings, by="cli:test")

    assert len({r.name: r.ids for r in results}["caller_sessions"]) == 1
    assert _count(db, CallerSession) == 0


def test_a_class_kept_for_zero_days_is_kept_for_ever(db: Database, settings: Settings) -> None:
    make_closed_case(db)
    keep = settings.model_copy(
        update={
            "retain_closed_no_crime_days": 0,
            "retain_texts_days": 0,
            "retain_caller_sessions_days": 0,
            "retain_feedback_days": 0,
        }
    )

    results = retention.run(db, keep, by="cli:test")

    assert all(r.kept_for_ever and r.ids == [] for r in results)
    assert NAME in _everything(db)


def test_the_command_has_a_dry_run_that_names_each_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDEORESPONSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VIDEORESPONSE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        runner.invoke(app, ["migrate"])
        make_closed_case(db := Database(get_settings().database_url))
        db.dispose()

        dry = runner.invoke(app, ["retention", "run", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "dry run: nothing changed" in dry.output
        for name in ("closed_no_crime", "texts", "caller_sessions", "feedback"):
            assert name in dry.output
        assert "Would erase" in dry.output

        done = runner.invoke(app, ["retention", "run"])
        assert done.exit_code == 0, done.output
        assert "Erased" in done.output
        verified = runner.invoke(app, ["audit", "verify"])
        assert verified.exit_code == 0 and "intact" in verified.output
    finally:
        get_settings.cache_clear()
