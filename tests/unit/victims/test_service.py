"""Victims' Code tasks through the service: made once, listed until done, audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_appointment, make_case, make_staff, update_person
from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry, verify_chain
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.rota.team_time import TeamClock
from videoresponse.victims import service
from videoresponse.victims.models import CaseClosure, VictimTask
from videoresponse.victims.rules import Nation, TaskKind, VictimsCodeError, next_update_due

CALLED = datetime(2026, 11, 18, 10, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def supervisor(db: Database) -> StaffMember:
    return make_staff(db, Role.SUPERVISOR)


@pytest.fixture
def officer(db: Database) -> StaffMember:
    return make_staff(db, Role.VIDEO_OFFICER)


def _victim(db: Database, created_by: int, officer_id: int | None = None) -> tuple[int, int]:
    incident_id, person_id = make_case(db, created_by=created_by, called_at=CALLED)
    if officer_id is not None:
        make_appointment(
            db,
            incident_id=incident_id,
            person_id=person_id,
            officer_id=officer_id,
            starts_at=CALLED + timedelta(hours=5),
            created_by=created_by,
            status="completed",
        )
    return incident_id, person_id


def _task(db: Database, person_id: int, kind: TaskKind) -> VictimTask:
    """The victim's open task of this kind."""
    with db.sessions() as session:
        found = session.scalars(
            select(VictimTask).where(
                VictimTask.person_id == person_id,
                VictimTask.kind == kind.value,
                VictimTask.done_at.is_(None),
            )
        ).first()
        assert found is not None
        return found


def test_a_victim_is_owed_four_tasks_due_in_working_days_from_the_call(
    db: Database, settings: Settings, supervisor: StaffMember
) -> None:
    _, person_id = _victim(db, supervisor.id)

    tasks = service.open_tasks(db, settings, by=supervisor, mine_only=False)

    due = {task.kind: task.due_on for task in tasks if task.person_id == person_id}
    assert due == {
        TaskKind.WRITTEN_CONFIRMATION: date(2026, 11, 19),
        TaskKind.SUPPORT_REFERRAL: date(2026, 11, 20),
        TaskKind.PERSONAL_STATEMENT: date(2026, 11, 25),
        TaskKind.UPDATE: date(2026, 11, 25),
    }
    assert all(task.overdue for task in tasks)  # those dates are in the past
    assert tasks == sorted(tasks, key=lambda task: task.due_on)


def test_a_witness_is_owed_nothing(
    db: Database, settings: Settings, supervisor: StaffMember
) -> None:
    _, person_id = _victim(db, supervisor.id)
    update_person(db, person_id, role="witness")

    assert service.open_tasks(db, settings, by=supervisor, mine_only=False) == []


def test_looking_again_makes_no_second_set_of_tasks(
    db: Database, settings: Settings, supervisor: StaffMember
) -> None:
    _victim(db, supervisor.id)
    service.open_tasks(db, settings, by=supervisor, mine_only=False)
    service.open_tasks(db, settings, by=supervisor, mine_only=False)

    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(VictimTask)) == 4
        created = session.scalars(
            select(AuditEntry.event).where(AuditEntry.event == "victim_tasks.created")
        ).all()
    assert len(created) == 1


def test_an_officer_sees_only_the_victims_they_have_met(
    db: Database, settings: Settings, supervisor: StaffMember, officer: StaffMember
) -> None:
    _, mine = _victim(db, supervisor.id, officer.id)
    _, theirs = _victim(db, supervisor.id, make_staff(db, Role.VIDEO_OFFICER).id)

    listed = service.open_tasks(db, settings, by=officer, mine_only=True)

    assert {task.person_id for task in listed} == {mine}
    everyone = service.open_tasks(db, settings, by=supervisor, mine_only=False)
    assert {task.person_id for task in everyone} == {mine, theirs}


def test_an_officer_cannot_open_a_task_of_a_victim_they_have_not_met(
    db: Database, settings: Settings, supervisor: StaffMember, officer: StaffMember
) -> None:
    _, person_id = _victim(db, supervisor.id)
    service.open_tasks(db, settings, by=supervisor, mine_only=False)
    task = _task(db, person_id, TaskKind.SUPPORT_REFERRAL)

    with pytest.raises(service.NotYours):
        service.task_detail(db, settings, task_id=task.id, by=officer)
    with pytest.raises(service.NotYours):
        service.complete_task(
            db, settings, task_id=task.id, outcome="referred", note="", by=officer
        )


def test_giving_an_update_puts_the_next_one_on_the_list_five_working_days_on(
    db: Database, settings: Settings, supervisor: StaffMember, officer: StaffMember
) -> None:
    _, person_id = _victim(db, supervisor.id, officer.id)
    service.open_tasks(db, settings, by=officer, mine_only=True)
    first = _task(db, person_id, TaskKind.UPDATE)

    following = service.complete_task(
        db, settings, task_id=first.id, outcome="updated", note="Phoned", by=officer
    )

    assert following is not None
    today = TeamClock.named(settings.timezone).today(utcnow())
    second = _task(db, person_id, TaskKind.UPDATE)
    assert second.id == following
    assert second.sequence == 2
    assert second.due_on == next_update_due(today, Nation.ENGLAND)
    with db.sessions() as session:
        assert session.get_one(VictimTask, first.id).outcome == "updated"


def test_the_last_update_puts_no_other_on_the_list(
    db: Database, settings: Settings, supervisor: StaffMember
) -> None:
    _, person_id = _victim(db, supervisor.id)
    service.open_tasks(db, settings, by=supervisor, mine_only=False)
    update = _task(db, person_id, TaskKind.UPDATE)

    assert (
        service.complete_task(
            db, settings, task_id=update.id, outcome="no_more_updates", note="", by=supervisor
        )
        is None
    )
    kinds = {t.kind for t in service.open_tasks(db, settings, by=supervisor, mine_only=False)}
    assert TaskKind.UPDATE not in kinds


def test_a_task_is_done_once_with_an_outcome_of_its_kind(
    db: Database, settings: Settings, supervisor: StaffMember
) -> None:
    _, person_id = _victim(db, supervisor.id)
    service.open_tasks(db, settings, by=supervisor, mine_only=False)
    referral = _task(db, person_id, TaskKind.SUPPORT_REFERRAL)

    with pytest.raises(VictimsCodeError):
        service.complete_task(
            db, settings, task_id=referral.id, outcome="updated", note="", by=supervisor
        )
    service.complete_task(
        db, settings, task_id=referral.id, outcome="referral_declined", note="", by=supervisor
    )
    with pytest.raises(VictimsCodeError):
        service.complete_task(
            db, settings, task_id=referral.id, outcome="referred", note="", by=supervisor
        )
    detail = service.task_detail(db, settings, task_id=referral.id, by=supervisor)
    assert [(d.kind, d.outcome.value) for d in detail.done] == [
        (TaskKind.SUPPORT_REFERRAL, "referral_declined")
    ]


def test_a_victims_chosen_frequency_moves_the_open_updates_due_date(
    db: Database, settings: Settings, supervisor: StaffMember
) -> None:
    _, person_id = _victim(db, supervisor.id)
    service.open_tasks(db, settings, by=supervisor, mine_only=False)
    update = _task(db, person_id, TaskKind.UPDATE)

    due = service.set_update_frequency(db, settings, task_id=update.id, every=10, by=supervisor)

    # Ten working days from the call (Wed 18 Nov 2026): Wed 2 Dec.
    assert due == date(2026, 12, 2)
    listed = service.open_tasks(db, settings, by=supervisor, mine_only=False)
    assert {t.update_every for t in listed if t.person_id == person_id} == {10}


def test_closing_as_no_crime_ends_everything_still_owed(
    db: Database, settings: Settings, supervisor: StaffMember
) -> None:
    incident_id, person_id = _victim(db, supervisor.id)
    service.open_tasks(db, settings, by=supervisor, mine_only=False)
    task = _task(db, person_id, TaskKind.WRITTEN_CONFIRMATION)

    closed = service.close_case(
        db, task_id=task.id, crime_recorded=False, crime_reference="", by=supervisor
    )

    assert closed == 4
    assert service.open_tasks(db, settings, by=supervisor, mine_only=False) == []
    with db.sessions() as session:
        closure = session.get_one(CaseClosure, incident_id)
        assert closure.crime_recorded is False


def test_closing_a_recorded_crime_ends_only_the_updates_and_needs_its_reference(
    db: Database, settings: Settings, supervisor: StaffMember
) -> None:
    _, person_id = _victim(db, supervisor.id)
    service.open_tasks(db, settings, by=supervisor, mine_only=False)
    task = _task(db, person_id, TaskKind.UPDATE)

    with pytest.raises(VictimsCodeError) as refused:
        service.close_case(
            db, task_id=task.id, crime_recorded=True, crime_reference=" ", by=supervisor
        )
    assert refused.value.field == "crime_reference"
    service.close_case(
        db, task_id=task.id, crime_recorded=True, crime_reference="CRN/1/26", by=supervisor
    )

    kinds = {t.kind for t in service.open_tasks(db, settings, by=supervisor, mine_only=False)}
    assert kinds == {
        TaskKind.WRITTEN_CONFIRMATION,
        TaskKind.SUPPORT_REFERRAL,
        TaskKind.PERSONAL_STATEMENT,
    }


def test_every_change_is_audited_without_names_or_notes(
    db: Database, settings: Settings, supervisor: StaffMember
) -> None:
    _, person_id = _victim(db, supervisor.id)
    service.open_tasks(db, settings, by=supervisor, mine_only=False)
    task = _task(db, person_id, TaskKind.SUPPORT_REFERRAL)
    service.complete_task(
        db,
        settings,
        task_id=task.id,
        outcome="referred",
        note="Referred to Hope Trust",
        by=supervisor,
    )

    with db.sessions() as session:
        entries = session.scalars(select(AuditEntry)).all()
        assert verify_chain(session).intact
    done = [e for e in entries if e.event == "victim_task.done"]
    assert len(done) == 1 and done[0].object_id == str(task.id)
    assert '"outcome":"referred"' in done[0].detail
    text = " ".join(e.detail + e.why for e in entries)
    assert "Alex Example" not in text and "Hope Trust" not in text
    assert any(e.event == "victim_tasks.viewed" and e.action == "consultation" for e in entries)
