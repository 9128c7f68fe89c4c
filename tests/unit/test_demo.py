"""The demo data: enough to show every page, made once."""

from __future__ import annotations

from datetime import time

from sqlalchemy import func, select

from tests.conftest import make_settings
from videoresponse.booking import queue
from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.core.auth import service as accounts
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Base, Database, utcnow
from videoresponse.demo import create_demo
from videoresponse.rota.models import Shift
from videoresponse.rota.team_time import TeamClock
from videoresponse.triage.models import Incident


def _counts(db: Database) -> dict[str, int]:
    with db.sessions() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def _supervisor(db: Database) -> StaffMember:
    return next(m for m, _ in accounts.list_users(db) if m.username == "supervisor")


def test_running_the_demo_twice_changes_nothing_the_second_time(
    db: Database, settings: Settings
) -> None:
    assert create_demo(db, settings) is True
    first = _counts(db)

    assert create_demo(db, settings) is False
    assert _counts(db) == first


def test_the_demo_has_two_weeks_of_shifts_booked_appointments_and_a_queue(
    db: Database, settings: Settings
) -> None:
    create_demo(db, settings)
    clock = TeamClock.named(settings.timezone)
    with db.sessions() as session:
        officers = dict(
            session.execute(
                select(StaffUser.username, StaffUser.id).where(
                    StaffUser.username.in_(["officer1", "officer2"])
                )
            ).all()
        )
        # The rota from today: the demo's history (demo_history) has past shifts too.
        from_today = clock.day_range(clock.today(utcnow())).start
        shifts = session.execute(
            select(Shift.officer_id, Shift.starts_at).where(Shift.starts_at >= from_today)
        ).all()
        booked = session.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.status == "booked")
        )
    for username, starts in (("officer1", time(8, 30)), ("officer2", time(13, 30))):
        mine = [s for officer_id, s in shifts if officer_id == officers[username]]
        assert len(mine) == 14
        assert {clock.local(s).time() for s in mine} == {starts}
    assert booked and booked >= 3

    items = queue.case_queue(db, settings, now=utcnow(), by=_supervisor(db))
    assert any(item.breached for item in items)
    assert any(item.near_breach for item in items)
    assert queue.in_person_requests(db, settings, now=utcnow(), by=_supervisor(db))


def test_the_demo_still_makes_its_cases_when_no_shift_fits_the_opening_hours(
    db: Database, settings: Settings
) -> None:
    short_hours = make_settings(settings.data_dir, opening_time=time(10), closing_time=time(16))

    assert create_demo(db, short_hours) is True

    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Shift)) == 0
        assert session.scalar(select(func.count()).select_from(Appointment)) == 0
        assert session.scalar(select(func.count()).select_from(Incident)) == 9
