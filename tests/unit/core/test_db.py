from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from tests.factories import make_staff
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.db import Database


def test_datetimes_come_back_aware_and_in_utc(db: Database) -> None:
    member = make_staff(db)
    in_london_summer = datetime(2026, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    with db.transaction() as session:
        session.get_one(StaffUser, member.id).locked_until = in_london_summer
    with db.sessions() as session:
        stored = session.scalar(select(StaffUser.locked_until).where(StaffUser.id == member.id))
    assert stored == in_london_summer
    assert stored is not None and stored.tzinfo is UTC
    assert stored.hour == 8


def test_a_naive_datetime_is_refused(db: Database) -> None:
    member = make_staff(db)
    with pytest.raises(StatementError, match="naive datetime"), db.transaction() as session:
        session.get_one(StaffUser, member.id).locked_until = datetime(2026, 7, 1, 9, 30)
        session.flush()


def test_healthz_reports_the_database(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True}
