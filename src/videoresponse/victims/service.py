"""Victims' Code tasks: made when first needed, listed until done, each change audited.

Each public function is one transaction with its audit entry (DPA 2018 s.62). Audit
details carry ids, kinds and outcome codes: never a name, a note or a crime reference.

The first tasks of a victim are made lazily, by `ensure_tasks`, inside the transaction
of every list: whatever recorded the incident (the call handler's page, the API, the
demo), its victims are on the lists the first time anyone looks. Due dates count from
the day of the call, so when they are made does not change when they fall due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Exists, and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute, Session

from videoresponse.booking.appointment_views import incident_type_labels, type_label
from videoresponse.booking.models import Appointment
from videoresponse.booking.rules import AppointmentStatus
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.rota.team_time import TeamClock
from videoresponse.triage.models import Incident, PersonRow
from videoresponse.victims.models import CaseClosure, UpdateFrequency, VictimTask
from videoresponse.victims.rules import (
    DEFAULT_UPDATE_EVERY,
    NOTE_MAX_LENGTH,
    OUTCOMES,
    VICTIM,
    Nation,
    Outcome,
    Standing,
    TaskKind,
    VictimsCodeError,
    check_outcome,
    check_update_every,
    first_due,
    follows_with_update,
    next_update_due,
    standing,
    tasks_owed,
)

SYSTEM = "system:victims_code"
# Appointments at which the officer met the victim: a follow-up can be booked from them.
MET = [
    AppointmentStatus.WAITING.value,
    AppointmentStatus.IN_CALL.value,
    AppointmentStatus.COMPLETED.value,
]
WHY = "keeping the Victims' Code"
CRIME_REFERENCE_MAX_LENGTH = 40


class NotFound(LookupError):
    pass


class NotYours(PermissionError):
    """An officer asked for a victim they have no appointment with (ASVS 8.2.2)."""


@dataclass(frozen=True)
class TaskItem:
    id: int
    kind: TaskKind
    sequence: int
    due_on: date
    standing: Standing
    person_id: int
    person_name: str
    incident_id: int
    urn: str
    incident_type: str
    update_every: int

    @property
    def label(self) -> str:
        if self.kind is TaskKind.UPDATE and self.sequence > 1:
            return f"{self.kind.label} (number {self.sequence})"
        return self.kind.label

    @property
    def overdue(self) -> bool:
        return self.standing is Standing.OVERDUE


@dataclass(frozen=True)
class DoneTask:
    kind: TaskKind
    sequence: int
    due_on: date
    done_at: datetime
    outcome: Outcome
    note: str


@dataclass(frozen=True)
class TaskDetail:
    task: TaskItem
    outcomes: tuple[Outcome, ...]
    done: list[DoneTask]
    update_every_chosen: bool
    closure: Closure | None
    follow_up_from: int | None  # the latest appointment a follow-up can be booked from


@dataclass(frozen=True)
class Closure:
    crime_recorded: bool
    crime_reference: str
    closed_at: datetime


def nation_of(settings: Settings) -> Nation:
    return Nation(settings.bank_holidays_nation)


def ensure_tasks(session: Session, settings: Settings, *, now: datetime) -> int:
    """Make the first tasks of every victim who has none yet; how many victims got them.

    Safe to repeat: a victim with any task is left alone, and the unique key refuses a
    second set made by a transaction that raced this one (on PostgreSQL).
    """
    has_tasks = exists().where(VictimTask.person_id == PersonRow.id)
    closed = exists().where(CaseClosure.incident_id == PersonRow.incident_id)
    rows = session.execute(
        select(PersonRow.id, PersonRow.role, Incident.id, Incident.called_at)
        .join(Incident, Incident.id == PersonRow.incident_id)
        .where(PersonRow.role == VICTIM, ~has_tasks, ~closed)
        .order_by(PersonRow.id)
    ).all()
    if not rows:
        return 0
    clock = TeamClock.named(settings.timezone)
    nation = nation_of(settings)
    chosen = _frequencies(session, [person_id for person_id, *_ in rows])
    for person_id, role, incident_id, called_at in rows:
        called_on = clock.local(called_at).date()
        every = chosen.get(person_id, DEFAULT_UPDATE_EVERY)
        kinds = tasks_owed(role)
        for kind in kinds:
            session.add(
                VictimTask(
                    incident_id=incident_id,
                    person_id=person_id,
                    kind=kind.value,
                    sequence=1 if kind is TaskKind.UPDATE else 0,
                    due_on=first_due(kind, called_on, nation, every),
                    created_at=now,
                )
            )
        session.flush()
        audit.record(
            session,
            actor=SYSTEM,
            action=Action.COLLECTION,
            event="victim_tasks.created",
            object_type="person",
            object_id=person_id,
            why=WHY,
            detail={"incident": incident_id, "kinds": [kind.value for kind in kinds]},
        )
    return len(rows)


def open_tasks(
    db: Database, settings: Settings, *, by: StaffMember, mine_only: bool
) -> list[TaskItem]:
    """Tasks not yet done, soonest due first: every victim's, or the officer's own people."""
    try:
        return _open_tasks(db, settings, by=by, mine_only=mine_only)
    except IntegrityError:
        # Two first looks at once on PostgreSQL both made a victim's tasks; the unique key
        # kept one set. Looking again finds it.
        return _open_tasks(db, settings, by=by, mine_only=mine_only)


def _open_tasks(
    db: Database, settings: Settings, *, by: StaffMember, mine_only: bool
) -> list[TaskItem]:
    now = utcnow()
    with db.transaction() as session:
        ensure_tasks(session, settings, now=now)
        conditions: list[ColumnElement[bool]] = [VictimTask.done_at.is_(None)]
        if mine_only:
            conditions.append(_with_officer(VictimTask.person_id, by.id))
        items = _items(session, settings, now, *conditions)
        audit.record(
            session,
            actor=by.actor,
            action=Action.CONSULTATION,
            event="victim_tasks.viewed",
            why=WHY,
            detail={"mine_only": mine_only, "tasks": [item.id for item in items]},
        )
        return items


def task_detail(db: Database, settings: Settings, *, task_id: int, by: StaffMember) -> TaskDetail:
    """One task with what was done before for the same victim; NotFound or NotYours."""
    now = utcnow()
    with db.transaction() as session:
        task = _task(session, task_id, by)
        found = _items(session, settings, now, VictimTask.id == task_id)
        done_rows = session.scalars(
            select(VictimTask)
            .where(VictimTask.person_id == task.person_id, VictimTask.done_at.is_not(None))
            .order_by(VictimTask.done_at, VictimTask.id)
        ).all()
        closure = session.get(CaseClosure, task.incident_id)
        chosen = session.get(UpdateFrequency, task.person_id)
        seen = select(Appointment.id).where(
            Appointment.person_id == task.person_id, Appointment.status.in_(MET)
        )
        if by.role is not Role.SUPERVISOR:
            seen = seen.where(Appointment.officer_id == by.id)
        follow_up_from = session.scalar(seen.order_by(Appointment.starts_at.desc()).limit(1))
        audit.record(
            session,
            actor=by.actor,
            action=Action.CONSULTATION,
            event="victim_task.viewed",
            object_type="victim_task",
            object_id=task_id,
            why=WHY,
            detail={"person": task.person_id},
        )
        return TaskDetail(
            task=found[0],
            outcomes=OUTCOMES[TaskKind(task.kind)] if task.done_at is None else (),
            done=[
                DoneTask(
                    TaskKind(row.kind),
                    row.sequence,
                    row.due_on,
                    row.done_at,
                    Outcome(row.outcome),
                    row.note,
                )
                for row in done_rows
                if row.done_at is not None
            ],
            update_every_chosen=chosen is not None,
            closure=Closure(closure.crime_recorded, closure.crime_reference, closure.closed_at)
            if closure
            else None,
            follow_up_from=follow_up_from,
        )


def complete_task(
    db: Database,
    settings: Settings,
    *,
    task_id: int,
    outcome: str,
    note: str,
    by: StaffMember,
) -> int | None:
    """Mark a task done with its outcome; the id of the next update if one now falls due."""
    if len(note.strip()) > NOTE_MAX_LENGTH:
        raise VictimsCodeError(
            f"The note must be {NOTE_MAX_LENGTH} characters or fewer", field="note"
        )
    now = utcnow()
    with db.transaction() as session:
        task = _task(session, task_id, by, for_update=True)
        if task.done_at is not None:
            raise VictimsCodeError("This task is already done", field="outcome")
        kind = TaskKind(task.kind)
        chosen = check_outcome(kind, outcome)
        _finish(session, task, chosen, note.strip(), by, now)
        if not follows_with_update(kind, chosen):
            return None
        today = TeamClock.named(settings.timezone).today(now)
        following = VictimTask(
            incident_id=task.incident_id,
            person_id=task.person_id,
            kind=TaskKind.UPDATE.value,
            sequence=task.sequence + 1,
            due_on=next_update_due(today, nation_of(settings), _every(session, task.person_id)),
            created_at=now,
        )
        session.add(following)
        session.flush()
        audit.record(
            session,
            actor=by.actor,
            action=Action.COLLECTION,
            event="victim_task.created",
            object_type="victim_task",
            object_id=following.id,
            why=WHY,
            detail={"person": task.person_id, "kind": following.kind, "after": task.id},
        )
        return following.id


def set_update_frequency(
    db: Database, settings: Settings, *, task_id: int, every: int, by: StaffMember
) -> date | None:
    """Record how often the victim chose to be updated; the open update's new due date."""
    check_update_every(every)
    now = utcnow()
    with db.transaction() as session:
        task = _task(session, task_id, by)
        row = session.get(UpdateFrequency, task.person_id)
        if row is None:
            row = UpdateFrequency(person_id=task.person_id, every_working_days=every)
            session.add(row)
        row.every_working_days, row.recorded_at, row.recorded_by = every, now, by.id
        session.flush()
        audit.record(
            session,
            actor=by.actor,
            action=Action.ALTERATION,
            event="victim_update_frequency.recorded",
            object_type="person",
            object_id=task.person_id,
            why="the victim chose how often to be updated",
            detail={"every_working_days": every},
        )
        pending = session.scalar(
            select(VictimTask).where(
                VictimTask.person_id == task.person_id,
                VictimTask.kind == TaskKind.UPDATE.value,
                VictimTask.done_at.is_(None),
            )
        )
        if pending is None:
            return None
        pending.due_on = next_update_due(
            _last_update_day(session, settings, pending), nation_of(settings), every
        )
        audit.record(
            session,
            actor=by.actor,
            action=Action.ALTERATION,
            event="victim_task.due_changed",
            object_type="victim_task",
            object_id=pending.id,
            why="the victim chose how often to be updated",
            detail={"due_on": pending.due_on.isoformat()},
        )
        return pending.due_on


def close_case(
    db: Database,
    *,
    task_id: int,
    crime_recorded: bool,
    crime_reference: str,
    by: StaffMember,
) -> int:
    """Close the task's case; end its updates (and, with no crime, all it still owes).

    Returns the number of tasks it closed.
    """
    reference = crime_reference.strip()
    if crime_recorded and not reference:
        raise VictimsCodeError("Enter the crime reference number", field="crime_reference")
    if len(reference) > CRIME_REFERENCE_MAX_LENGTH:
        raise VictimsCodeError(
            f"The crime reference must be {CRIME_REFERENCE_MAX_LENGTH} characters or fewer",
            field="crime_reference",
        )
    now = utcnow()
    with db.transaction() as session:
        task = _task(session, task_id, by)
        if session.get(CaseClosure, task.incident_id) is not None:
            raise VictimsCodeError("This case is already closed", field="crime_recorded")
        session.add(
            CaseClosure(
                incident_id=task.incident_id,
                crime_recorded=crime_recorded,
                crime_reference=reference if crime_recorded else "",
                closed_at=now,
                closed_by=by.id,
            )
        )
        session.flush()
        audit.record(
            session,
            actor=by.actor,
            action=Action.COLLECTION,
            event="case.closed",
            object_type="incident",
            object_id=task.incident_id,
            why=WHY,
            detail={"crime_recorded": crime_recorded},
        )
        ending = [VictimTask.incident_id == task.incident_id, VictimTask.done_at.is_(None)]
        if crime_recorded:
            ending.append(VictimTask.kind == TaskKind.UPDATE.value)
        closed = session.scalars(select(VictimTask).where(*ending)).all()
        outcome = Outcome.CASE_CLOSED if crime_recorded else Outcome.NOT_OWED
        for row in closed:
            _finish(session, row, outcome, "", by, now)
        return len(closed)


def _finish(
    session: Session,
    task: VictimTask,
    outcome: Outcome,
    note: str,
    by: StaffMember,
    now: datetime,
) -> None:
    task.done_at, task.done_by, task.outcome, task.note = now, by.id, outcome.value, note
    session.flush()
    audit.record(
        session,
        actor=by.actor,
        action=Action.ALTERATION,
        event="victim_task.done",
        object_type="victim_task",
        object_id=task.id,
        why=WHY,
        detail={"kind": task.kind, "outcome": outcome.value, "fields": ["outcome", "note"]},
    )


def _task(
    session: Session, task_id: int, by: StaffMember, *, for_update: bool = False
) -> VictimTask:
    task = session.get(VictimTask, task_id, with_for_update=for_update)
    if task is None:
        raise NotFound("There is no such task")
    if by.role is not Role.SUPERVISOR:
        mine = session.scalar(select(_with_officer(task.person_id, by.id)))
        if not mine:
            raise NotYours("This victim has no appointment with you")
    return task


def _with_officer(person_id: int | QueryableAttribute[int], officer_id: int) -> Exists:
    """Whether the person has (or had) an appointment with the officer: their people."""
    return exists().where(
        and_(
            Appointment.person_id == person_id,
            Appointment.officer_id == officer_id,
            Appointment.status != AppointmentStatus.PROPOSED.value,
        )
    )


def _frequencies(session: Session, person_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(UpdateFrequency.person_id, UpdateFrequency.every_working_days).where(
            UpdateFrequency.person_id.in_(person_ids)
        )
    )
    return {person_id: every for person_id, every in rows}


def _every(session: Session, person_id: int) -> int:
    return _frequencies(session, [person_id]).get(person_id, DEFAULT_UPDATE_EVERY)


def _last_update_day(session: Session, settings: Settings, pending: VictimTask) -> date:
    """The day of the last update given, or of the call when there has been none."""
    clock = TeamClock.named(settings.timezone)
    last = session.scalar(
        select(VictimTask.done_at)
        .where(
            VictimTask.person_id == pending.person_id,
            VictimTask.kind == TaskKind.UPDATE.value,
            VictimTask.done_at.is_not(None),
        )
        .order_by(VictimTask.done_at.desc())
        .limit(1)
    )
    if last is not None:
        return clock.local(last).date()
    called_at = session.get_one(Incident, pending.incident_id).called_at
    return clock.local(called_at).date()


def _items(
    session: Session, settings: Settings, now: datetime, *conditions: object
) -> list[TaskItem]:
    labels = incident_type_labels(settings)
    today = TeamClock.named(settings.timezone).today(now)
    rows = session.execute(
        select(VictimTask, PersonRow.name, Incident.urn, Incident.incident_type)
        .join(PersonRow, PersonRow.id == VictimTask.person_id)
        .join(Incident, Incident.id == VictimTask.incident_id)
        .where(*conditions)  # type: ignore[arg-type]
        .order_by(VictimTask.due_on, Incident.urn, VictimTask.id)
    ).all()
    chosen = _frequencies(session, list({task.person_id for task, *_ in rows}))
    return [
        TaskItem(
            id=task.id,
            kind=TaskKind(task.kind),
            sequence=task.sequence,
            due_on=task.due_on,
            standing=standing(task.due_on, today),
            person_id=task.person_id,
            person_name=name,
            incident_id=task.incident_id,
            urn=urn,
            incident_type=type_label(labels, incident_type),
            update_every=chosen.get(task.person_id, DEFAULT_UPDATE_EVERY),
        )
        for task, name, urn, incident_type in rows
    ]
