"""Booking: finding options, booking without double booking, moving and cancelling.

Each public function is one transaction. On SQLite that transaction holds the write lock
from its start (see core.db), so the re-check before each write is the truth; on
PostgreSQL the exclusion constraints make an overlap impossible whatever races.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from videoresponse.booking.models import Appointment, AppointmentEvent, IdempotencyKey
from videoresponse.booking.rules import (
    ACTIVE_STATUSES,
    AppointmentStatus,
    BookingRuleError,
    OfficerAvailability,
    SlotOption,
    SlotReason,
    SlotRequest,
    check_transition,
    check_within_deadline,
    duration_for,
    find_slots,
)
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action, Actor
from videoresponse.core.db import Database, utcnow
from videoresponse.notify import outbox
from videoresponse.rota import service as rota
from videoresponse.rota.rules import TimeRange, zone_named
from videoresponse.triage.models import Incident, PersonRow, RouteOfferRow
from videoresponse.triage.rules import SafeWindow, Weekday, expand_safe_windows

ACTIVE = [status.value for status in ACTIVE_STATUSES]
# Appointments this close outside a search's horizon still matter: their write-up buffer
# reaches into it. Wider than any buffer a force would set.
BUFFER_MARGIN = timedelta(hours=4)
# How far past the deadline a search may look when the caller asks for a later time.
LATE_HORIZON = timedelta(days=14)


class SlotTaken(Exception):
    """The slot went to someone else between the offer and the booking."""

    def __init__(self, fresh_options: list[SlotOption]) -> None:
        super().__init__("That time has just been taken. Choose one of the times shown now.")
        self.fresh_options = fresh_options


class NotFound(LookupError):
    pass


class IdempotencyConflict(ValueError):
    pass


@dataclass(frozen=True)
class BookedAppointment:
    id: int
    incident_id: int
    person_id: int
    officer_id: int | None
    starts_at: datetime
    ends_at: datetime
    status: str
    officer_reason: str

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["starts_at"] = self.starts_at.isoformat()
        data["ends_at"] = self.ends_at.isoformat()
        return data


def _booked(row: Appointment) -> BookedAppointment:
    return BookedAppointment(
        row.id,
        row.incident_id,
        row.person_id,
        row.officer_id,
        row.starts_at,
        row.ends_at,
        row.status,
        row.officer_reason,
    )


@dataclass(frozen=True)
class _Case:
    incident: Incident
    person: PersonRow
    duration: timedelta


def _case(session: Session, person_id: int, settings: Settings) -> _Case:
    person = session.get(PersonRow, person_id)
    if person is None:
        raise NotFound("There is no such person")
    incident = person.incident
    duration = duration_for(
        incident.incident_type,
        settings.durations,
        timedelta(minutes=settings.appointment_minutes),
    )
    return _Case(incident, person, duration)


def _safe_windows(person: PersonRow, horizon: TimeRange) -> list[TimeRange] | None:
    contact = person.safe_contact
    if contact is None or not contact.windows:
        return None
    windows = [SafeWindow(Weekday(w.weekday), w.starts, w.ends) for w in contact.windows]
    return [
        TimeRange(start, end)
        for start, end in expand_safe_windows(
            windows, horizon.start, horizon.end, zone_named(contact.timezone)
        )
    ]


def _active_ranges(
    session: Session,
    column: InstrumentedAttribute[Any],
    ids: Sequence[int],
    horizon: TimeRange,
    excluding: int | None,
) -> dict[int, list[TimeRange]]:
    """Each owner's (officer's or person's) active appointments near the horizon."""
    query = select(column, Appointment.starts_at, Appointment.ends_at).where(
        column.in_(ids),
        Appointment.status.in_(ACTIVE),
        Appointment.starts_at < horizon.end + BUFFER_MARGIN,
        Appointment.ends_at > horizon.start - BUFFER_MARGIN,
    )
    if excluding is not None:
        query = query.where(Appointment.id != excluding)
    found: dict[int, list[TimeRange]] = {i: [] for i in ids}
    for owner, starts_at, ends_at in session.execute(query):
        found[owner].append(TimeRange(starts_at, ends_at))
    return found


def _search(
    session: Session,
    settings: Settings,
    case: _Case,
    *,
    earliest: datetime,
    until: datetime,
    limit: int,
    only_officer: int | None = None,
    excluding: int | None = None,
    preferred_officer: int | None = None,
) -> list[SlotOption]:
    if until <= earliest:
        return []
    horizon = TimeRange(earliest, until)
    team = rota.officers(session)
    if only_officer is not None:
        team = [o for o in team if o.id == only_officer]
    ids = [o.id for o in team]
    shifts = rota.available_shifts(session, ids, horizon)
    busy = _active_ranges(session, Appointment.officer_id, ids, horizon, excluding)
    loads = dict(
        session.execute(
            select(Appointment.officer_id, func.count())
            .where(
                Appointment.officer_id.in_(ids),
                Appointment.status.in_(ACTIVE),
                Appointment.starts_at >= earliest - timedelta(days=7),
                Appointment.starts_at < until,
            )
            .group_by(Appointment.officer_id)
        ).all()
    )
    person_busy = _active_ranges(
        session, Appointment.person_id, [case.person.id], horizon, excluding
    )[case.person.id]
    request = SlotRequest(
        earliest=earliest,
        deadline=until,
        duration=case.duration,
        buffer=settings.write_up_buffer,
        grid=settings.slot_grid,
        safe_windows=_safe_windows(case.person, horizon),
        person_busy=person_busy,
        required_gender=case.person.preferred_officer_gender,
        preferred_officer_id=preferred_officer,
        limit=limit,
    )
    availability = [
        OfficerAvailability(o.id, o.gender, shifts[o.id], busy[o.id], loads.get(o.id, 0))
        for o in team
    ]
    return find_slots(request, availability)


def _follow_up_officer(session: Session, follow_up_of: int | None) -> int | None:
    if follow_up_of is None:
        return None
    earlier = session.get(Appointment, follow_up_of)
    return earlier.officer_id if earlier else None


def find_options(
    db: Database,
    settings: Settings,
    *,
    person_id: int,
    limit: int = 6,
    earliest: datetime | None = None,
    after_deadline: bool = False,
    follow_up_of: int | None = None,
    by: Actor,
) -> tuple[list[SlotOption], datetime]:
    """The earliest options for the person's case, and the case's deadline.

    After the deadline only when asked (the caller wants a later time), and then a reason
    must be given to book.
    """
    now = utcnow()
    with db.transaction() as session:
        case = _case(session, person_id, settings)
        start = max(earliest or now, now)
        until = case.incident.deadline + LATE_HORIZON if after_deadline else case.incident.deadline
        options = _search(
            session,
            settings,
            case,
            earliest=start,
            until=until,
            limit=limit,
            preferred_officer=_follow_up_officer(session, follow_up_of),
        )
        audit.record(
            session,
            actor=by.actor,
            action=Action.CONSULTATION,
            event="booking.options_searched",
            object_type="person",
            object_id=person_id,
            why="finding an appointment",
            detail={"options": len(options)},
        )
        return options, case.incident.deadline


def book(
    db: Database,
    settings: Settings,
    *,
    person_id: int,
    starts_at: datetime,
    officer_id: int | None = None,
    late_reason: str = "",
    follow_up_of: int | None = None,
    by: Actor,
    idempotency_key: str | None = None,
) -> BookedAppointment:
    """Book the person's video appointment at `starts_at`; raise SlotTaken if it is gone."""
    request_hash = _request_hash(person_id, starts_at, officer_id, late_reason, follow_up_of)
    try:
        with db.transaction() as session:
            if idempotency_key:
                earlier = _earlier_answer(session, _staff(by), idempotency_key, request_hash)
                if earlier is not None:
                    return earlier
            booked = _book_in(
                session,
                settings,
                person_id=person_id,
                starts_at=starts_at,
                officer_id=officer_id,
                late_reason=late_reason,
                follow_up_of=follow_up_of,
                by=by,
            )
            if idempotency_key:
                session.add(
                    IdempotencyKey(
                        staff_id=_staff(by),
                        key=idempotency_key,
                        request_hash=request_hash,
                        status_code=201,
                        body=json.dumps(booked.as_json()),
                    )
                )
                session.flush()
            return booked
    except IntegrityError as error:
        with db.transaction() as session:
            if idempotency_key:
                earlier = _earlier_answer(session, _staff(by), idempotency_key, request_hash)
                if earlier is not None:
                    return earlier
            if "no_overlap" not in str(error.orig):
                raise
            case = _case(session, person_id, settings)
            raise SlotTaken(
                _search(
                    session,
                    settings,
                    case,
                    earliest=max(utcnow(), starts_at - timedelta(hours=2)),
                    until=case.incident.deadline,
                    limit=6,
                )
            ) from None


def _staff(by: Actor) -> int:
    if by.staff_id is None:
        raise BookingRuleError("Only staff requests carry an Idempotency-Key")
    return by.staff_id


def _request_hash(*parts: object) -> str:
    import hashlib

    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()


def _earlier_answer(
    session: Session, staff_id: int, key: str, request_hash: str
) -> BookedAppointment | None:
    row = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.staff_id == staff_id, IdempotencyKey.key == key)
    )
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise IdempotencyConflict(
            "This Idempotency-Key was already used for a different booking. "
            "Use a new key for a new request."
        )
    data = json.loads(row.body)
    return BookedAppointment(
        data["id"],
        data["incident_id"],
        data["person_id"],
        data["officer_id"],
        datetime.fromisoformat(data["starts_at"]),
        datetime.fromisoformat(data["ends_at"]),
        data["status"],
        data["officer_reason"],
    )


def _book_in(
    session: Session,
    settings: Settings,
    *,
    person_id: int,
    starts_at: datetime,
    officer_id: int | None,
    late_reason: str,
    follow_up_of: int | None,
    by: Actor,
) -> BookedAppointment:
    case = _case(session, person_id, settings)
    check_video_may_be_booked(session, case)
    ends_at = starts_at + case.duration
    check_within_deadline(ends_at, case.incident.deadline, late_reason)
    option = _recheck(session, settings, case, starts_at, officer_id, follow_up_of)
    row = Appointment(
        incident_id=case.incident.id,
        person_id=person_id,
        officer_id=option.officer_id,
        starts_at=option.start,
        ends_at=option.end,
        reserved_until=option.end + settings.write_up_buffer,
        status=AppointmentStatus.BOOKED.value,
        officer_reason=str(option.reason) if officer_id is None else "chosen by the booker",
        late_reason=late_reason.strip(),
        follow_up_of=follow_up_of,
        created_by=by.staff_id,
    )
    session.add(row)
    session.flush()
    _history(session, row, by.actor, "booked", None, reason=late_reason)
    outbox.on_appointment_booked(
        session, row, by=by.actor, reminder_minutes=settings.reminder_minutes_before
    )
    audit.record(
        session,
        actor=by.actor,
        action=Action.COLLECTION,
        event="appointment.booked",
        object_type="appointment",
        object_id=row.id,
        detail={"person": person_id, "officer": row.officer_id, "start": row.starts_at.isoformat()},
    )
    return _booked(row)


def check_video_may_be_booked(session: Session, case: _Case) -> None:
    """Only a case assessed as suitable, never a grade 1, and only once the caller chose video."""
    if not case.incident.suitable_for_video:
        raise BookingRuleError("This case was assessed as not suitable for video")
    # DOMAIN.md: a grade 1 is never offered video instead of attendance.
    if case.incident.grade == 1:
        raise BookingRuleError(
            "A grade 1 (emergency) incident cannot have a video appointment: an officer must attend"
        )
    latest = session.scalar(
        select(RouteOfferRow.chosen)
        .where(RouteOfferRow.person_id == case.person.id)
        .order_by(RouteOfferRow.offered_at.desc(), RouteOfferRow.id.desc())
        .limit(1)
    )
    if latest != "video":
        raise BookingRuleError(
            "Record that the caller chose a video appointment before booking one"
        )


def _recheck(
    session: Session,
    settings: Settings,
    case: _Case,
    starts_at: datetime,
    officer_id: int | None,
    follow_up_of: int | None,
    excluding: int | None = None,
    late: bool = True,
) -> SlotOption:
    """Search again inside the transaction: the slot must still be free right now."""
    until = starts_at + case.duration
    options = _search(
        session,
        settings,
        case,
        earliest=starts_at,
        until=until,
        limit=1,
        only_officer=officer_id,
        excluding=excluding,
        preferred_officer=_follow_up_officer(session, follow_up_of),
    )
    if not options or options[0].start != starts_at:
        fresh = _search(
            session,
            settings,
            case,
            earliest=max(utcnow(), starts_at - timedelta(hours=2)),
            until=max(case.incident.deadline, starts_at + timedelta(days=1)),
            limit=6,
            excluding=excluding,
        )
        raise SlotTaken(fresh)
    return options[0]


def _history(
    session: Session,
    row: Appointment,
    actor: str,
    event: str,
    from_status: str | None,
    reason: str = "",
) -> None:
    session.add(
        AppointmentEvent(
            appointment_id=row.id,
            by=actor,
            event=event,
            from_status=from_status,
            to_status=row.status,
            starts_at=row.starts_at,
            officer_id=row.officer_id,
            reason=reason.strip(),
        )
    )


def _appointment(session: Session, appointment_id: int) -> Appointment:
    row = session.get(Appointment, appointment_id, with_for_update=True)
    if row is None:
        raise NotFound("There is no such appointment")
    return row


def reschedule(
    db: Database,
    settings: Settings,
    *,
    appointment_id: int,
    starts_at: datetime,
    reason: str,
    officer_id: int | None = None,
    late_reason: str = "",
    by: Actor,
) -> BookedAppointment:
    """Move an appointment to a new time (and maybe officer), keeping its history."""
    if not reason.strip():
        raise BookingRuleError("Say why the appointment is moving")
    try:
        with db.transaction() as session:
            row = _appointment(session, appointment_id)
            check_transition(AppointmentStatus(row.status), AppointmentStatus.RESCHEDULED)
            case = _case(session, row.person_id, settings)
            check_within_deadline(starts_at + case.duration, case.incident.deadline, late_reason)
            option = _recheck(
                session,
                settings,
                case,
                starts_at,
                officer_id,
                row.follow_up_of,
                excluding=row.id,
            )
            before = row.status
            row.starts_at, row.ends_at = option.start, option.end
            row.reserved_until = option.end + settings.write_up_buffer
            row.officer_id = option.officer_id
            row.status = AppointmentStatus.RESCHEDULED.value
            row.needs_rebooking = False
            row.late_reason = late_reason.strip()
            session.flush()
            _history(session, row, by.actor, "rescheduled", before, reason)
            outbox.on_appointment_rescheduled(
                session, row, by=by.actor, reminder_minutes=settings.reminder_minutes_before
            )
            audit.record(
                session,
                actor=by.actor,
                action=Action.ALTERATION,
                event="appointment.rescheduled",
                object_type="appointment",
                object_id=row.id,
                why=reason.strip(),
                detail={"start": row.starts_at.isoformat(), "officer": row.officer_id},
            )
            return _booked(row)
    except IntegrityError as error:
        if "no_overlap" not in str(error.orig):
            raise
        raise SlotTaken([]) from None


def change_status(
    db: Database,
    *,
    appointment_id: int,
    status: AppointmentStatus,
    reason: str = "",
    by: Actor,
) -> BookedAppointment:
    """Move an appointment along its life (cancel, waiting, in call, completed, no-show)."""
    if status is AppointmentStatus.CANCELLED and not reason.strip():
        raise BookingRuleError("Say why the appointment is cancelled")
    with db.transaction() as session:
        row = _appointment(session, appointment_id)
        before = row.status
        check_transition(AppointmentStatus(before), status)
        row.status = status.value
        if status is AppointmentStatus.CANCELLED:
            row.needs_rebooking = False
        session.flush()
        _history(session, row, by.actor, status.value, before, reason)
        if status is AppointmentStatus.CANCELLED:
            outbox.on_appointment_cancelled(session, row, by=by.actor)
        audit.record(
            session,
            actor=by.actor,
            action=Action.ALTERATION,
            event=f"appointment.{status.value}",
            object_type="appointment",
            object_id=row.id,
            why=reason.strip(),
        )
        return _booked(row)


@dataclass(frozen=True)
class Reallocation:
    appointment_id: int
    new_officer_id: int | None


def mark_officer_absent(
    db: Database,
    settings: Settings,
    *,
    officer_id: int,
    period: TimeRange,
    reason: str,
    by: Actor,
) -> list[Reallocation]:
    """Record an absence; give each affected appointment to another free officer at the
    same time, or list it for a supervisor to rebook."""
    with db.transaction() as session:
        rota.record_absence(
            session, officer_id=officer_id, period=period, reason=reason, by=by.actor
        )
        affected = session.scalars(
            select(Appointment)
            .where(
                Appointment.officer_id == officer_id,
                Appointment.status.in_(ACTIVE),
                Appointment.starts_at < period.end,
                Appointment.ends_at > period.start,
            )
            .order_by(Appointment.starts_at)
            .with_for_update()
        ).all()
        results = []
        for row in affected:
            case = _case(session, row.person_id, settings)
            options = _search(
                session,
                settings,
                case,
                earliest=row.starts_at,
                until=row.ends_at,
                limit=1,
                excluding=row.id,
            )
            before = row.officer_id
            if options and options[0].start == row.starts_at:
                row.officer_id = options[0].officer_id
                row.officer_reason = f"reallocated: {SlotReason.LEAST_LOADED}"
                event = "reallocated"
            else:
                row.officer_id = None
                row.needs_rebooking = True
                event = "needs_rebooking"
            session.flush()
            _history(session, row, by.actor, event, row.status, reason)
            audit.record(
                session,
                actor=by.actor,
                action=Action.ALTERATION,
                event=f"appointment.{event}",
                object_type="appointment",
                object_id=row.id,
                why="officer absent",
                detail={"from": before, "to": row.officer_id},
            )
            results.append(Reallocation(row.id, row.officer_id))
        return results


def open_rapid_appointment(
    session: Session, settings: Settings, *, person_id: int, by: Actor
) -> Appointment:
    """Rapid video: an appointment from now, with no officer until one takes it.

    In the caller's transaction, so that its queue entry and its text commit with it. The
    caller goes straight to the waiting room, so it starts as waiting.
    """
    now = utcnow()
    case = _case(session, person_id, settings)
    check_video_may_be_booked(session, case)
    ends_at = now + case.duration
    clash = session.scalar(
        select(Appointment.id)
        .where(
            Appointment.person_id == person_id,
            Appointment.status.in_(ACTIVE),
            Appointment.starts_at < ends_at,
            Appointment.ends_at > now,
        )
        .limit(1)
    )
    if clash is not None:
        raise BookingRuleError("This person has an appointment now: use the link it already has")
    row = Appointment(
        incident_id=case.incident.id,
        person_id=person_id,
        officer_id=None,
        starts_at=now,
        ends_at=ends_at,
        reserved_until=ends_at + settings.write_up_buffer,
        status=AppointmentStatus.WAITING.value,
        officer_reason="rapid video: the next free officer",
        created_by=by.staff_id,
    )
    session.add(row)
    session.flush()
    _history(session, row, by.actor, "rapid", None)
    audit.record(
        session,
        actor=by.actor,
        action=Action.COLLECTION,
        event="appointment.rapid",
        object_type="appointment",
        object_id=row.id,
        detail={"person": person_id},
    )
    return row


def give_to_officer(session: Session, row: Appointment, *, officer_id: int, by: Actor) -> None:
    """An officer takes an appointment that has none (rapid video), if it fits their day."""
    clash = session.scalar(
        select(Appointment.id)
        .where(
            Appointment.officer_id == officer_id,
            Appointment.status.in_(ACTIVE),
            Appointment.id != row.id,
            Appointment.starts_at < row.reserved_until,
            Appointment.reserved_until > row.starts_at,
        )
        .limit(1)
    )
    if clash is not None:
        raise BookingRuleError(
            "You have another appointment during this call's time: finish or move it first"
        )
    row.officer_id = officer_id
    row.officer_reason = "taken from the rapid queue"
    session.flush()
    _history(session, row, by.actor, "taken", row.status)
    audit.record(
        session,
        actor=by.actor,
        action=Action.ALTERATION,
        event="appointment.taken",
        object_type="appointment",
        object_id=row.id,
        detail={"officer": officer_id},
    )
