"""Appointments as staff read them: with the person's needs, the officer, the history.

Read-only, like booking.queue: each public function is one transaction with its
CONSULTATION audit entry (ids only in its detail), and returns dataclasses, never rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from videoresponse.booking.models import Appointment, AppointmentEvent
from videoresponse.booking.service import NotFound
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database
from videoresponse.rota import service as rota
from videoresponse.rota.team_time import TeamClock
from videoresponse.triage.models import Incident, PersonRow
from videoresponse.triage.rules import incident_types_from_config, is_under_18


@dataclass(frozen=True)
class DayAppointment:
    """An appointment with what the officer needs to know before the call."""

    id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    officer_id: int | None
    officer_name: str | None
    needs_rebooking: bool
    incident_id: int
    urn: str
    incident_type: str
    band: str
    deadline: datetime
    person_id: int
    person_name: str
    person_role: str
    interpreter_language: str | None
    accessibility_needs: str
    preferred_officer_gender: str | None
    under_18: bool


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    by: str
    event: str
    from_status: str | None
    to_status: str
    starts_at: datetime
    officer_name: str | None
    reason: str


@dataclass(frozen=True)
class AppointmentDetail:
    appointment: DayAppointment
    history: list[HistoryEntry]
    officers: list[rota.Officer]


def incident_type_labels(settings: Settings) -> dict[str, str]:
    return {t.code: t.label for t in incident_types_from_config(settings.incident_types)}


def type_label(labels: dict[str, str], code: str) -> str:
    return labels.get(code, code.replace("_", " ").capitalize())


def record_consultation(
    session: Session, by: StaffMember, event: str, why: str, **detail: object
) -> None:
    audit.record(
        session,
        actor=by.actor,
        action=Action.CONSULTATION,
        event=event,
        why=why,
        detail=dict(detail),
    )


def appointment_detail(
    db: Database, settings: Settings, *, appointment_id: int, by: StaffMember
) -> AppointmentDetail:
    """One appointment, its history and the officers it could move to; NotFound if none."""
    with db.transaction() as session:
        found = read_appointments(session, settings, Appointment.id == appointment_id)
        if not found:
            raise NotFound("There is no such appointment")
        names = _officer_names(session)
        events = session.scalars(
            select(AppointmentEvent)
            .where(AppointmentEvent.appointment_id == appointment_id)
            .order_by(AppointmentEvent.at, AppointmentEvent.id)
        )
        history = [
            HistoryEntry(
                e.at,
                e.by,
                e.event,
                e.from_status,
                e.to_status,
                e.starts_at,
                names.get(e.officer_id) if e.officer_id is not None else None,
                e.reason,
            )
            for e in events
        ]
        officers = rota.officers(session)
        record_consultation(
            session,
            by,
            "booking.appointment_viewed",
            "managing an appointment",
            appointment=appointment_id,
        )
        return AppointmentDetail(found[0], history, officers)


def appointments_by_id(
    db: Database, settings: Settings, *, appointment_ids: Sequence[int], by: StaffMember
) -> list[DayAppointment]:
    """These appointments as they are now (after a reallocation, say), in time order."""
    with db.transaction() as session:
        found = read_appointments(session, settings, Appointment.id.in_(appointment_ids))
        record_consultation(
            session,
            by,
            "booking.appointments_viewed",
            "checking a reallocation",
            appointments=[a.id for a in found],
        )
        return found


def _officer_names(session: Session) -> dict[int, str]:
    rows = session.execute(select(StaffUser.id, StaffUser.display_name))
    return {staff_id: name for staff_id, name in rows}


def read_appointments(
    session: Session, settings: Settings, *conditions: object
) -> list[DayAppointment]:
    labels = incident_type_labels(settings)
    clock = TeamClock.named(settings.timezone)
    rows = session.execute(
        select(Appointment, Incident, PersonRow, StaffUser.display_name)
        .join(Incident, Incident.id == Appointment.incident_id)
        .join(PersonRow, PersonRow.id == Appointment.person_id)
        .outerjoin(StaffUser, StaffUser.id == Appointment.officer_id)
        .where(*conditions)  # type: ignore[arg-type]
        .order_by(Appointment.starts_at, Appointment.id)
    ).all()
    return [
        DayAppointment(
            id=appointment.id,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            status=appointment.status,
            officer_id=appointment.officer_id,
            officer_name=officer_name,
            needs_rebooking=appointment.needs_rebooking,
            incident_id=incident.id,
            urn=incident.urn,
            incident_type=type_label(labels, incident.incident_type),
            band=incident.priority_band,
            deadline=incident.deadline,
            person_id=person.id,
            person_name=person.name,
            person_role=person.role,
            interpreter_language=person.language if person.interpreter_needed else None,
            accessibility_needs=person.accessibility_needs.strip(),
            preferred_officer_gender=person.preferred_officer_gender,
            under_18=person.date_of_birth is not None
            and is_under_18(person.date_of_birth, clock.local(appointment.starts_at).date()),
        )
        for appointment, incident, person, officer_name in rows
    ]
