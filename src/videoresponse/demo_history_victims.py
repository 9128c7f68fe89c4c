"""The demo history's Victims' Code work: done on time mostly, the odd one late.

Cases quiet for more than ten days are closed (most as a recorded crime), so the lists
show what a team has open: the current updates of recent cases, some of them overdue.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.rota.team_time import TeamClock
from videoresponse.triage.models import Incident
from videoresponse.victims.models import CaseClosure, VictimTask
from videoresponse.victims.rules import (
    DEFAULT_UPDATE_EVERY,
    OUTCOMES,
    Nation,
    Outcome,
    TaskKind,
    first_due,
    next_update_due,
    tasks_owed,
)

QUIET_DAYS = 10
ONE_OFF = (TaskKind.WRITTEN_CONFIRMATION, TaskKind.SUPPORT_REFERRAL, TaskKind.PERSONAL_STATEMENT)


@dataclass(frozen=True)
class _Victim:
    incident: Incident
    officer_id: int
    called_on: date
    closed_on: date | None


def settle_victims(
    session: Session,
    settings: Settings,
    incidents: Sequence[Incident],
    today: date,
    rng: random.Random,
) -> None:
    """Tasks, done or open, and closures for every victim in these (flushed) incidents."""
    clock = TeamClock.named(settings.timezone)
    nation = Nation(settings.bank_holidays_nation)
    seen = session.execute(
        select(Appointment.incident_id, Appointment.ends_at, Appointment.officer_id)
        .where(Appointment.incident_id.in_([incident.id for incident in incidents]))
        .order_by(Appointment.ends_at)
    ).all()
    last_seen = {incident_id: (ends_at, officer) for incident_id, ends_at, officer in seen}
    for number, incident in enumerate(incidents, start=1):
        if not tasks_owed(incident.people[0].role):
            continue
        ends_at, officer_id = last_seen.get(incident.id, (incident.called_at, None))
        last = clock.local(ends_at).date()
        closed_on = None
        if (today - last).days > QUIET_DAYS:
            closed_on = min(today - timedelta(days=1), last + timedelta(days=rng.randint(3, 9)))
        victim = _Victim(
            incident,
            officer_id or incident.created_by,
            clock.local(incident.called_at).date(),
            closed_on,
        )
        if closed_on is not None:
            crime = rng.random() < 0.75
            session.add(
                CaseClosure(
                    incident_id=incident.id,
                    crime_recorded=crime,
                    crime_reference=f"CRN/{number:05d}/26" if crime else "",
                    closed_at=_at(clock, closed_on, rng),
                    closed_by=victim.officer_id,
                )
            )
        session.add_all(_tasks(victim, clock, nation, today, rng))
    session.flush()


def _tasks(
    victim: _Victim, clock: TeamClock, nation: Nation, today: date, rng: random.Random
) -> list[VictimTask]:
    made = []
    for kind in ONE_OFF:
        due = first_due(kind, victim.called_on, nation, DEFAULT_UPDATE_EVERY)
        done = _done_day(due, victim.called_on, rng)
        outcome = rng.choice(OUTCOMES[kind])
        made.append(
            _task(victim, kind, 0, due, done if done < today else None, outcome, clock, rng)
        )
    sequence = 1
    due = first_due(TaskKind.UPDATE, victim.called_on, nation, DEFAULT_UPDATE_EVERY)
    while True:
        if victim.closed_on is not None and due > victim.closed_on:
            made.append(
                _task(
                    victim,
                    TaskKind.UPDATE,
                    sequence,
                    due,
                    victim.closed_on,
                    Outcome.CASE_CLOSED,
                    clock,
                    rng,
                )
            )
            return made
        done = _done_day(due, victim.called_on, rng)
        if done >= today:
            made.append(
                _task(victim, TaskKind.UPDATE, sequence, due, None, Outcome.UPDATED, clock, rng)
            )
            return made
        made.append(
            _task(victim, TaskKind.UPDATE, sequence, due, done, Outcome.UPDATED, clock, rng)
        )
        sequence, due = sequence + 1, next_update_due(done, nation, DEFAULT_UPDATE_EVERY)


def _task(
    victim: _Victim,
    kind: TaskKind,
    sequence: int,
    due: date,
    done: date | None,
    outcome: Outcome,
    clock: TeamClock,
    rng: random.Random,
) -> VictimTask:
    return VictimTask(
        incident_id=victim.incident.id,
        person_id=victim.incident.people[0].id,
        kind=kind.value,
        sequence=sequence,
        due_on=due,
        created_at=victim.incident.called_at,
        done_at=_at(clock, done, rng) if done else None,
        done_by=victim.officer_id if done else None,
        outcome=outcome.value if done else "",
    )


def _done_day(due: date, called_on: date, rng: random.Random) -> date:
    """Mostly on or a day before the due date; one in ten a day or three late."""
    if rng.random() < 0.1:
        return due + timedelta(days=rng.randint(1, 3))
    return max(called_on, due - timedelta(days=rng.choice((0, 0, 1))))


def _at(clock: TeamClock, day: date, rng: random.Random) -> datetime:
    return clock.at(day, time(rng.randint(9, 17), rng.choice((0, 15, 30, 45))))
