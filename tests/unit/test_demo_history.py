"""The demo's past weeks: enough for the dashboard, settled, made once."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import func, select

from tests.conftest import make_settings
from videoresponse.booking import queue
from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.core.auth import service as accounts
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Base, Database, utcnow
from videoresponse.demo import EARLY, LATE, create_demo
from videoresponse.demo_history import URN_PREFIX, create_history
from videoresponse.notify import service as texts
from videoresponse.reports import service as reports
from videoresponse.reports.figures import Period
from videoresponse.reports.models import Feedback
from videoresponse.reports.routes import default_span
from videoresponse.rota.team_time import TeamClock
from videoresponse.triage.models import Incident
from videoresponse.victims import service as victims

SHIFTS = {"officer1": EARLY, "officer2": LATE}


def _supervisor(db: Database) -> StaffMember:
    return next(m for m, _ in accounts.list_users(db) if m.username == "supervisor")


def _counts(db: Database) -> dict[str, int]:
    with db.sessions() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def test_the_history_is_made_once(db: Database, settings: Settings) -> None:
    create_demo(db, settings)
    first = _counts(db)

    assert create_history(db, settings, SHIFTS) is False
    assert _counts(db) == first


def test_several_weeks_of_every_type_and_outcome_with_feedback_and_texts(
    db: Database, settings: Settings
) -> None:
    create_demo(db, settings)
    start_of_today = (
        TeamClock.named(settings.timezone)
        .day_range(TeamClock.named(settings.timezone).today(utcnow()))
        .start
    )

    with db.sessions() as session:
        past = session.execute(
            select(Appointment.status, Incident.incident_type, Appointment.starts_at)
            .join(Incident, Incident.id == Appointment.incident_id)
            .where(Incident.urn.startswith(URN_PREFIX))
        ).all()
        feedback = session.scalar(select(func.count()).select_from(Feedback))
    assert 250 <= len(past) <= 500
    assert {status for status, _, _ in past} == {"completed", "cancelled", "no_show"}
    assert len({incident_type for _, incident_type, _ in past}) == 9
    assert all(starts_at < start_of_today for _, _, starts_at in past)
    assert min(s for _, _, s in past) < utcnow() - timedelta(weeks=7)
    assert feedback and feedback > 50
    assert _counts(db)["text_message"] > len(past)


def test_the_history_leaves_no_work_on_the_supervisors_lists(
    db: Database, settings: Settings
) -> None:
    create_demo(db, settings)
    supervisor = _supervisor(db)

    waiting = queue.case_queue(db, settings, now=utcnow(), by=supervisor)
    in_person = queue.in_person_requests(db, settings, now=utcnow(), by=supervisor)
    undelivered = texts.undelivered(db, by=supervisor)

    assert not [item for item in waiting if item.urn.startswith(URN_PREFIX)]
    assert not [item for item in in_person if item.urn.startswith(URN_PREFIX)]
    assert not [item for item in undelivered if item.urn.startswith(URN_PREFIX)]
    owed = victims.open_tasks(db, settings, by=supervisor, mine_only=False)
    past_cases = {task.urn for task in owed if task.urn.startswith(URN_PREFIX)}
    assert 0 < len(past_cases) < 120  # recent cases still owe updates; old ones are closed
    assert any(task.overdue for task in owed)


def test_the_dashboard_has_something_to_show_for_the_last_28_days(
    db: Database, settings: Settings
) -> None:
    create_demo(db, settings)
    today = TeamClock.named(settings.timezone).today(utcnow())

    figures = {
        figure.key: figure
        for figure in reports.dashboard(
            db, settings, span=default_span(today), period=Period.DAY, by=_supervisor(db)
        )
    }

    assert sum(row[-1] for row in figures["appointments-by-type"].rows) > 100
    assert {row[0] for row in figures["time-to-appointment"].rows} == {"P1", "P2", "P3"}
    assert len(figures["officer-utilisation"].rows) == 2
    assert "no caller" not in figures["feedback"].summary.lower()


def test_no_history_when_the_demo_shifts_do_not_fit_the_opening_hours(
    db: Database, settings: Settings
) -> None:
    short_hours = make_settings(settings.data_dir, opening_time=time(10), closing_time=time(16))
    create_demo(db, short_hours)

    with db.sessions() as session:
        assert not session.scalar(select(Incident.id).where(Incident.urn.startswith(URN_PREFIX)))
