"""What the supervisor and the video officers read: the queue and the day.

Read-only. Each function is one transaction that also writes its CONSULTATION audit
entry (DPA 2018 s.62: who looked, and why), and returns plain dataclasses, never rows.
Audit details carry ids only, never names or numbers. One appointment with its history
is in booking.appointment_views.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, exists, func, null, select
from sqlalchemy.orm import Session

from videoresponse.booking.appointment_views import (
    DayAppointment,
    incident_type_labels,
    read_appointments,
    record_consultation,
    type_label,
)
from videoresponse.booking.models import Appointment
from videoresponse.booking.rules import ACTIVE_STATUSES, AppointmentStatus
from videoresponse.config import Settings
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database
from videoresponse.rota.team_time import TeamClock
from videoresponse.triage.models import Incident, InPersonRequest, PersonRow, RouteOfferRow

# A case with a live or finished appointment is no longer waiting to be booked.
SETTLED = [s.value for s in ACTIVE_STATUSES] + [AppointmentStatus.COMPLETED.value]
ACTIVE = [s.value for s in ACTIVE_STATUSES]
NEAR_BREACH_FLOOR = timedelta(hours=2)


class Urgency(StrEnum):
    ON_TIME = "on time"
    NEAR_DEADLINE = "near deadline"
    DEADLINE_PASSED = "deadline passed"


def deadline_urgency(time_left: timedelta, band_length: timedelta) -> Urgency:
    """How close a case is to its deadline.

    - Deadline passed: no time left.
    - Near deadline: less than a quarter of the band's length left (6 hours of a P1's
      24, 18 of a P2's 72, 42 of a P3's 7 days), or under 2 hours whatever the band, so
      that a short band a force configures still warns in time to book.
    - On time: otherwise.
    """
    if time_left <= timedelta(0):
        return Urgency.DEADLINE_PASSED
    if time_left < band_length / 4 or time_left < NEAR_BREACH_FLOOR:
        return Urgency.NEAR_DEADLINE
    return Urgency.ON_TIME


@dataclass(frozen=True)
class QueueItem:
    """A video case waiting for a time, or an appointment an absence left without an officer."""

    incident_id: int
    person_id: int
    urn: str
    incident_type: str
    person_role: str
    band: str
    deadline: datetime
    time_left: timedelta
    urgency: Urgency
    appointment_id: int | None = None
    appointment_starts_at: datetime | None = None

    @property
    def breached(self) -> bool:
        return self.urgency is Urgency.DEADLINE_PASSED

    @property
    def near_breach(self) -> bool:
        return self.urgency is Urgency.NEAR_DEADLINE

    @property
    def needs_rebooking(self) -> bool:
        return self.appointment_id is not None


@dataclass(frozen=True)
class InPersonItem:
    id: int
    incident_id: int
    urn: str
    incident_type: str
    route: str
    due_at: datetime
    overdue: bool


def case_queue(
    db: Database, settings: Settings, *, now: datetime, by: StaffMember
) -> list[QueueItem]:
    """Video cases with no appointment, and appointments needing rebooking, by deadline.

    A person is waiting when their latest route offer chose video and they have no
    appointment for that incident that is active or completed (a cancelled or missed one
    puts them back in the queue).
    """
    labels = incident_type_labels(settings)
    band_hours = {str(band): length for band, length in settings.band_hours.items()}
    with db.transaction() as session:
        rows = [*session.execute(_waiting_for_video()), *session.execute(_needing_rebooking())]
        items = []
        for row in rows:
            left = row.deadline - now
            band = band_hours.get(row.band)
            items.append(
                QueueItem(
                    incident_id=row.incident_id,
                    person_id=row.person_id,
                    urn=row.urn,
                    incident_type=type_label(labels, row.incident_type),
                    person_role=row.person_role,
                    band=row.band,
                    deadline=row.deadline,
                    time_left=left,
                    urgency=deadline_urgency(left, band or row.deadline - row.called_at),
                    appointment_id=row.appointment_id,
                    appointment_starts_at=row.appointment_starts_at,
                )
            )
        items.sort(key=lambda item: (item.deadline, item.urn, item.person_id))
        record_consultation(
            session, by, "booking.queue_viewed", "supervising the queue", cases=len(items)
        )
        return items


def _case_columns() -> tuple[Any, ...]:
    return (
        Incident.id.label("incident_id"),
        Incident.urn,
        Incident.incident_type,
        Incident.priority_band.label("band"),
        Incident.deadline,
        Incident.called_at,
        PersonRow.id.label("person_id"),
        PersonRow.role.label("person_role"),
    )


def _waiting_for_video() -> Select[Any]:
    ranked = select(
        RouteOfferRow.incident_id,
        RouteOfferRow.person_id,
        RouteOfferRow.chosen,
        func.row_number()
        .over(
            partition_by=RouteOfferRow.person_id,
            order_by=(RouteOfferRow.offered_at.desc(), RouteOfferRow.id.desc()),
        )
        .label("rank"),
    ).subquery()
    settled = exists().where(
        Appointment.person_id == ranked.c.person_id,
        Appointment.incident_id == ranked.c.incident_id,
        Appointment.status.in_(SETTLED),
    )
    return (
        select(
            *_case_columns(),
            null().label("appointment_id"),
            null().label("appointment_starts_at"),
        )
        .join(ranked, ranked.c.incident_id == Incident.id)
        .join(PersonRow, PersonRow.id == ranked.c.person_id)
        .where(ranked.c.rank == 1, ranked.c.chosen == "video", ~settled)
    )


def _needing_rebooking() -> Select[Any]:
    return (
        select(
            *_case_columns(),
            Appointment.id.label("appointment_id"),
            Appointment.starts_at.label("appointment_starts_at"),
        )
        .join(Appointment, Appointment.incident_id == Incident.id)
        .join(PersonRow, PersonRow.id == Appointment.person_id)
        .where(Appointment.needs_rebooking.is_(True), Appointment.status.in_(ACTIVE))
    )


def in_person_requests(
    db: Database, settings: Settings, *, now: datetime, by: StaffMember
) -> list[InPersonItem]:
    """Open attend and station requests, soonest due first; closing them is triage's."""
    labels = incident_type_labels(settings)
    with db.transaction() as session:
        rows = session.execute(
            select(InPersonRequest, Incident.urn, Incident.incident_type)
            .join(Incident, Incident.id == InPersonRequest.incident_id)
            .where(InPersonRequest.closed_at.is_(None))
            .order_by(InPersonRequest.due_at, InPersonRequest.id)
        ).all()
        items = [
            InPersonItem(
                request.id,
                request.incident_id,
                urn,
                type_label(labels, incident_type),
                request.route,
                request.due_at,
                request.due_at <= now,
            )
            for request, urn, incident_type in rows
        ]
        record_consultation(
            session, by, "triage.in_person_viewed", "supervising the queue", requests=len(items)
        )
        return items


def officer_day(
    db: Database, settings: Settings, *, officer_id: int, day: date, by: StaffMember
) -> list[DayAppointment]:
    """The officer's appointments that start on this local date, in time order."""
    with db.transaction() as session:
        found = _day(session, settings, day, officer_id)
        record_consultation(
            session,
            by,
            "booking.officer_day_viewed",
            "preparing the day's appointments",
            officer=officer_id,
            day=day.isoformat(),
            appointments=[a.id for a in found],
        )
        return found


def team_day(
    db: Database, settings: Settings, *, day: date, by: StaffMember
) -> list[DayAppointment]:
    """Every officer's appointments that start on this local date, in time order."""
    with db.transaction() as session:
        found = _day(session, settings, day, None)
        record_consultation(
            session,
            by,
            "booking.team_day_viewed",
            "supervising the team",
            day=day.isoformat(),
            appointments=[a.id for a in found],
        )
        return found


def _day(
    session: Session, settings: Settings, day: date, officer_id: int | None
) -> list[DayAppointment]:
    span = TeamClock.named(settings.timezone).day_range(day)
    conditions = [
        Appointment.starts_at >= span.start,
        Appointment.starts_at < span.end,
        # A proposal is an offer, not yet anyone's appointment.
        Appointment.status != AppointmentStatus.PROPOSED.value,
    ]
    if officer_id is not None:
        conditions.append(Appointment.officer_id == officer_id)
    return read_appointments(session, settings, *conditions)
