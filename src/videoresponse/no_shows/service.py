"""No-shows: finding them for the officer, and recording what happened.

Audit entries carry ids and outcome codes only: the note and the numbers stay in the
tables, where retention can find them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Exists, exists, select
from sqlalchemy.orm import Session

from videoresponse.booking import service as booking
from videoresponse.booking.appointment_views import record_consultation
from videoresponse.booking.models import Appointment
from videoresponse.booking.rules import AppointmentStatus, BookingRuleError
from videoresponse.calls.models import CallEvent
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database
from videoresponse.no_shows.models import NoShowOutcome
from videoresponse.no_shows.rules import (
    MAY_BE_MISSED,
    Outcome,
    PhoneAdvice,
    is_possible_no_show,
    phone_advice,
)
from videoresponse.triage.models import Incident, PersonRow, SafeContactRow

NOTE_LENGTH = 2000


class NotAllowed(PermissionError):
    """Only the appointment's officer, or a supervisor, records its no-show."""


@dataclass(frozen=True)
class PossibleNoShow:
    appointment_id: int
    starts_at: datetime
    urn: str
    person_name: str


@dataclass(frozen=True)
class RecordedOutcome:
    outcome: Outcome
    called: bool
    note: str
    at: datetime


@dataclass(frozen=True)
class NoShowCase:
    """What the no-show page shows: the appointment, whether to phone, what was recorded."""

    appointment_id: int
    incident_id: int
    person_id: int
    urn: str
    person_name: str
    starts_at: datetime
    ends_at: datetime
    deadline: datetime
    status: str
    possible: bool
    advice: PhoneAdvice
    recorded: RecordedOutcome | None
    officer_names: dict[int, str]


def _caller_joined(appointment_id: object) -> Exists:
    return exists().where(
        CallEvent.appointment_id == appointment_id,
        CallEvent.kind == "joined",
        CallEvent.role == "caller",
    )


def _anyone_admitted(appointment_id: object) -> Exists:
    return exists().where(CallEvent.appointment_id == appointment_id, CallEvent.kind == "admitted")


def possible_no_shows(
    db: Database, settings: Settings, *, officer_id: int, now: datetime, by: StaffMember
) -> list[PossibleNoShow]:
    """The officer's appointments whose caller has not joined by the start plus grace."""
    with db.transaction() as session:
        rows = session.execute(
            select(Appointment.id, Appointment.starts_at, Incident.urn, PersonRow.name)
            .join(Incident, Incident.id == Appointment.incident_id)
            .join(PersonRow, PersonRow.id == Appointment.person_id)
            .where(
                Appointment.officer_id == officer_id,
                Appointment.status.in_([s.value for s in MAY_BE_MISSED]),
                Appointment.starts_at <= now - settings.no_show_grace,
                ~_caller_joined(Appointment.id),
                ~_anyone_admitted(Appointment.id),
            )
            .order_by(Appointment.starts_at, Appointment.id)
        ).all()
        found = [PossibleNoShow(row.id, row.starts_at, row.urn, row.name) for row in rows]
        if found:
            record_consultation(
                session,
                by,
                "no_show.prompted",
                "following up callers who did not join",
                appointments=[f.appointment_id for f in found],
            )
        return found


def _appointment(session: Session, appointment_id: int, by: StaffMember) -> Appointment:
    row = session.get(Appointment, appointment_id)
    if row is None:
        raise booking.NotFound(appointment_id)
    if by.role is not Role.SUPERVISOR and row.officer_id != by.id:
        raise NotAllowed(appointment_id)
    return row


def _possible(session: Session, settings: Settings, row: Appointment, now: datetime) -> bool:
    joined = session.scalar(select(_caller_joined(row.id)))
    admitted = session.scalar(select(_anyone_admitted(row.id)))
    return is_possible_no_show(
        AppointmentStatus(row.status),
        row.starts_at,
        caller_joined=bool(joined),
        admitted=bool(admitted),
        now=now,
        grace=settings.no_show_grace,
    )


def no_show_case(
    db: Database, settings: Settings, *, appointment_id: int, now: datetime, by: StaffMember
) -> NoShowCase:
    """The page's data; raises NotFound, or NotAllowed for another officer's appointment."""
    with db.transaction() as session:
        row = _appointment(session, appointment_id, by)
        person = session.get_one(PersonRow, row.person_id)
        incident = session.get_one(Incident, row.incident_id)
        contact = session.get(SafeContactRow, row.person_id)
        advice = phone_advice(
            may_call=None if contact is None else contact.may_call,
            safe_number=None if contact is None else contact.safe_number,
            mobile=person.mobile,
        )
        saved = session.scalar(select(NoShowOutcome).where(NoShowOutcome.appointment_id == row.id))
        recorded = (
            None
            if saved is None
            else RecordedOutcome(Outcome(saved.outcome), saved.called, saved.note, saved.at)
        )
        record_consultation(
            session,
            by,
            "no_show.viewed",
            "following up a caller who did not join",
            appointment=row.id,
            person=row.person_id,
        )
        return NoShowCase(
            appointment_id=row.id,
            incident_id=incident.id,
            person_id=person.id,
            urn=incident.urn,
            person_name=person.name,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            deadline=incident.deadline,
            status=row.status,
            possible=_possible(session, settings, row, now),
            advice=advice,
            recorded=recorded,
            officer_names={
                staff_id: name
                for staff_id, name in session.execute(select(StaffUser.id, StaffUser.display_name))
            },
        )


def record_outcome(
    db: Database,
    settings: Settings,
    *,
    appointment_id: int,
    outcome: Outcome,
    called: bool,
    note: str = "",
    now: datetime,
    by: StaffMember,
) -> None:
    """Record what happened; the appointment becomes no_show, so the case is queued again.

    Two transactions: booking.service.change_status owns the status change (its history,
    its audit entry, the transition check), then the outcome is stored. The status change
    goes first because it is the guard: a second attempt fails there, before a second
    outcome could be written.
    """
    note = note.strip()
    if len(note) > NOTE_LENGTH:
        raise BookingRuleError(f"Keep the note under {NOTE_LENGTH} characters")
    with db.transaction() as session:
        row = _appointment(session, appointment_id, by)
        if not _possible(session, settings, row, now):
            raise BookingRuleError(
                "This appointment is not a no-show: the caller joined, the call took place, "
                "or the grace period has not passed"
            )
    booking.change_status(
        db,
        appointment_id=appointment_id,
        status=AppointmentStatus.NO_SHOW,
        reason=outcome.value,
        by=by,
    )
    with db.transaction() as session:
        session.add(
            NoShowOutcome(
                appointment_id=appointment_id,
                outcome=outcome.value,
                called=called,
                note=note,
                by=by.id,
                at=now,
            )
        )
        audit.record(
            session,
            actor=by.actor,
            action=Action.COLLECTION,
            event="no_show.recorded",
            object_type="appointment",
            object_id=appointment_id,
            detail={"outcome": outcome.value, "called": called},
        )
