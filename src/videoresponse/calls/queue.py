"""The rapid video queue, and who is waiting: for officers' consoles and supervisors.

Rapid video (DOMAIN.md): the call handler sends a link while the caller is still on the
phone; the caller joins a queue ordered by priority band, then by time waited, and the
next free video officer takes the next one.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from videoresponse.booking import service as booking
from videoresponse.booking.models import Appointment
from videoresponse.booking.rules import ACTIVE_STATUSES, AppointmentStatus, BookingRuleError
from videoresponse.calls.models import CallEvent, RapidCall
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.notify import outbox
from videoresponse.notify.models import JoinLink
from videoresponse.notify.outbox import LinkPurpose, TextStatus
from videoresponse.notify.worker import token_hash
from videoresponse.triage.models import Incident, PersonRow

WAITING = AppointmentStatus.WAITING.value


# A text due to go later than this is held (outside the person's safe times): no use now.
_SENDS_NOW = timedelta(minutes=1)


@dataclass(frozen=True)
class RapidOpened:
    appointment_id: int
    text_status: str
    text_problem: str
    # Only when no text goes now: a link of its own, shown once to the call handler to
    # read out if that is safe. Its token is never stored; the text keeps its own link.
    read_out_url: str = ""


def open_rapid_call(
    db: Database, settings: Settings, *, person_id: int, by: StaffMember
) -> RapidOpened:
    """Queue an immediate call and text its link, which works at once."""
    with db.transaction() as session:
        row = booking.open_rapid_appointment(session, settings, person_id=person_id, by=by)
        person = session.get_one(PersonRow, person_id)
        session.add(
            RapidCall(
                appointment_id=row.id,
                priority_band=person.incident.priority_band,
                queued_at=row.starts_at,
                queued_by=by.id,
            )
        )
        link = outbox.new_link(
            session,
            person=person,
            purpose=LinkPurpose.JOIN,
            valid_until=row.ends_at,
            appointment=row,
        )
        text = outbox.queue_text(
            session,
            person=person,
            kind="call_now",
            by=by.actor,
            expires_at=row.ends_at,
            appointment=row,
            link=link,
        )
        if text.status == TextStatus.QUEUED.value and text.not_before <= utcnow() + _SENDS_NOW:
            return RapidOpened(row.id, text.status, text.last_error)
        problem = text.last_error or "held until the caller's next safe time to text"
        token = secrets.token_urlsafe(16)  # 128 random bits, as a texted link's (ASVS 7.2.3)
        spoken = JoinLink(
            person_id=person.id,
            appointment_id=row.id,
            purpose=LinkPurpose.JOIN.value,
            token_hash=token_hash(token),
            valid_until=row.ends_at,
        )
        session.add(spoken)
        session.flush()
        audit.record(
            session,
            actor=by.actor,
            action=Action.DISCLOSURE,
            event="call.link_for_reading_out",
            object_type="appointment",
            object_id=row.id,
            recipient="caller, by phone",
            detail={"link": spoken.id, "text": text.id},
        )
        base = settings.public_base_url.rstrip("/")
        # "held": queued, but only for the caller's next safe time, which is not now.
        status = "held" if text.status == TextStatus.QUEUED.value else text.status
        return RapidOpened(row.id, status, problem, f"{base}/j/{token}")


def take_next_rapid_call(db: Database, *, officer: StaffMember) -> int | None:
    """Give the officer the next rapid call, or None when the queue is empty.

    Two officers taking at once each get a different call: on PostgreSQL the row is
    claimed with FOR UPDATE SKIP LOCKED, so the second skips the first's claim instead of
    waiting for it and then finding it taken; on SQLite the transaction holds the write
    lock from its start (core.db), so the two run one after the other.
    """
    now = utcnow()
    try:
        with db.transaction() as session:
            rapid = session.scalar(
                select(RapidCall)
                .join(Appointment, Appointment.id == RapidCall.appointment_id)
                .where(
                    RapidCall.taken_at.is_(None),
                    Appointment.status == WAITING,
                    Appointment.ends_at > now,
                )
                .order_by(RapidCall.priority_band, RapidCall.queued_at, RapidCall.appointment_id)
                .limit(1)
                .with_for_update(skip_locked=True, of=RapidCall)
            )
            if rapid is None:
                return None
            row = session.get_one(Appointment, rapid.appointment_id)
            booking.give_to_officer(session, row, officer_id=officer.id, by=officer)
            rapid.taken_at, rapid.taken_by = now, officer.id
            return row.id
    except IntegrityError as error:
        # PostgreSQL's exclusion constraint: the officer was booked in the meantime.
        if "no_overlap" not in str(error.orig):
            raise
        raise BookingRuleError("You have another appointment during this call's time") from None


@dataclass(frozen=True)
class WatchedCall:
    """An appointment whose waiting room an officer's console shows."""

    appointment_id: int
    rapid: bool
    priority_band: str
    starts_at: datetime
    queued: bool  # an untaken rapid call: waiting since it was queued, caller present or not
    urn: str = ""  # the case's reference: officers may see it, and it tells calls apart


def calls_to_watch(db: Database, settings: Settings, *, officer_id: int) -> list[WatchedCall]:
    """The officer's own appointments open for joining now, and the untaken rapid calls."""
    now = utcnow()
    opens = timedelta(minutes=settings.join_opens_minutes_before)
    active = [s.value for s in ACTIVE_STATUSES]
    with db.transaction() as session:
        rows = session.execute(
            select(Appointment, Incident.priority_band, Incident.urn, RapidCall)
            .join(Incident, Incident.id == Appointment.incident_id)
            .outerjoin(RapidCall, RapidCall.appointment_id == Appointment.id)
            .where(
                Appointment.status.in_(active),
                Appointment.ends_at > now,
                (Appointment.officer_id == officer_id)
                | (
                    RapidCall.appointment_id.is_not(None)
                    & RapidCall.taken_at.is_(None)
                    & (Appointment.status == WAITING)
                ),
            )
        ).all()
    return [
        WatchedCall(
            row.id,
            rapid is not None,
            band,
            row.starts_at,
            rapid is not None and rapid.taken_at is None,
            urn,
        )
        for row, band, urn, rapid in rows
        if row.starts_at - opens <= now
    ]


def waiting_entries(
    calls: Sequence[WatchedCall],
    waiting_since: Mapping[int, datetime],
    *,
    now: datetime,
    alert_after: timedelta,
) -> list[dict[str, Any]]:
    """The console's list: calls with someone waiting, by band, then longest wait first.

    `waiting_since` gives, per appointment, when its earliest waiting socket arrived: a
    queued rapid call without one is listed too, but says its caller has not joined yet.
    """
    entries = []
    for call in calls:
        since = call.starts_at if call.queued else waiting_since.get(call.appointment_id)
        if since is None:
            continue
        entries.append(
            {
                "appointment_id": call.appointment_id,
                "kind": "rapid" if call.rapid else "appointment",
                "priority_band": call.priority_band,
                "waiting_since": since.isoformat(),
                "waiting_seconds": max(0, int((now - since).total_seconds())),
                "starts_at": call.starts_at.isoformat(),
                "late": now > call.starts_at + alert_after,
                "urn": call.urn,
                "caller_waiting": call.appointment_id in waiting_since,
            }
        )
    return sorted(entries, key=lambda e: (e["priority_band"], e["waiting_since"]))


def delayed_calls(db: Database, *, alert_after: timedelta) -> list[dict[str, Any]]:
    """For supervisors: callers in the waiting room not admitted `alert_after` after the start."""
    now = utcnow()
    with db.transaction() as session:
        first_joined = (
            select(CallEvent.appointment_id, func.min(CallEvent.at).label("since"))
            .where(CallEvent.kind == "joined", CallEvent.role == "caller")
            .group_by(CallEvent.appointment_id)
            .subquery()
        )
        rows = session.execute(
            select(
                Appointment.id,
                Appointment.officer_id,
                Appointment.starts_at,
                Incident.priority_band,
                RapidCall.appointment_id.is_not(None).label("rapid"),
                first_joined.c.since,
            )
            .join(Incident, Incident.id == Appointment.incident_id)
            .outerjoin(RapidCall, RapidCall.appointment_id == Appointment.id)
            .outerjoin(first_joined, first_joined.c.appointment_id == Appointment.id)
            .where(
                Appointment.status == WAITING,
                Appointment.starts_at <= now - alert_after,
                Appointment.ends_at > now,
            )
            .order_by(Incident.priority_band, Appointment.starts_at)
        ).all()
    return [
        {
            "appointment_id": row.id,
            "officer_id": row.officer_id,
            "kind": "rapid" if row.rapid else "appointment",
            "priority_band": row.priority_band,
            "starts_at": row.starts_at.isoformat(),
            "waiting_since": (row.since or row.starts_at).isoformat(),
            "minutes_late": int((now - row.starts_at).total_seconds() // 60),
        }
        for row in rows
    ]
