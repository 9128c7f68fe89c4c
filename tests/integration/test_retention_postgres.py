"""Retention and the Victims' Code on a real PostgreSQL: cascades, triggers, the audit."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from tests.conftest import make_settings
from tests.factories import make_appointment, make_staff
from tests.unit.retention.test_retention import NAME, make_closed_case
from videoresponse.booking.models import Appointment
from videoresponse.core.audit import verify_chain
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Base, Database, utcnow
from videoresponse.retention import service as retention
from videoresponse.victims import service as victims
from videoresponse.victims.models import CaseClosure

pytestmark = pytest.mark.postgres


def test_erasing_a_case_with_a_follow_up_leaves_no_name_and_a_verifiable_log(
    postgres_db: Database, postgres_url: str, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, database_url=postgres_url)
    incident_id, person_id, first = make_closed_case(postgres_db)
    with postgres_db.sessions() as session:
        created_by = session.get_one(Appointment, first).created_by
    follow_up = make_appointment(
        postgres_db,
        incident_id=incident_id,
        person_id=person_id,
        officer_id=None,
        starts_at=utcnow() - timedelta(days=398),
        created_by=created_by or make_staff(postgres_db, Role.SUPERVISOR).id,
        status="completed",
    )
    with postgres_db.transaction() as session:
        session.get_one(Appointment, follow_up).follow_up_of = first

    results = retention.run(postgres_db, settings, by="cli:test")

    assert {r.name: r.ids for r in results}["closed_no_crime"] == [incident_id]
    with postgres_db.sessions() as session:
        dump = [
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in session.execute(select(table))
        ]
        assert verify_chain(session).intact
    assert NAME not in "\n".join(dump)


def test_victims_tasks_are_made_once_on_postgresql(
    postgres_db: Database, postgres_url: str, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, database_url=postgres_url)
    make_closed_case(postgres_db, crime=True, ago=timedelta(days=1))
    supervisor = make_staff(postgres_db, Role.SUPERVISOR)
    with postgres_db.transaction() as session:
        session.execute(delete(CaseClosure))  # an open case, still owed everything

    first = victims.open_tasks(postgres_db, settings, by=supervisor, mine_only=False)
    again = victims.open_tasks(postgres_db, settings, by=supervisor, mine_only=False)

    assert len(first) == 4 and [t.id for t in again] == [t.id for t in first]
