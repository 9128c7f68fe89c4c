"""Queueing texts in the caller's transaction: the change and its text commit together."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from videoresponse.booking.models import Appointment
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.db import utcnow
from videoresponse.notify.models import JoinLink, TextMessage
from videoresponse.notify.timing import next_safe_time, reminder_times
from videoresponse.rota.rules import TimeRange, zone_named
from videoresponse.triage.models import PersonRow
from videoresponse.triage.rules import SafeWindow, Weekday, expand_safe_windows


class TextStatus(StrEnum):
    QUEUED = "queued"  # waiting for its time (or its safe window)
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"
    FAILED = "failed"  # the provider will never deliver it: phone the person
    RETRY = "retry"  # failed for now; tried again later
    UNCERTAIN = "uncertain"  # a worker stopped mid-send and the provider cannot tell
    EXPIRED = "expired"  # its moment passed before it could go: never sent late
    WITHDRAWN = "withdrawn"  # the appointment changed; a newer text replaces it
    NOT_SENT = "not_sent"  # never allowed: no safe channel or no safe time


class LinkPurpose(StrEnum):
    JOIN = "join"  # the appointment: see it, manage it, and join in its window
    CHOOSE_TIME = "choose_time"  # pick a time before the case's deadline
    GUEST = "guest"  # an interpreter or supporter the officer invited to the call


PENDING = [TextStatus.QUEUED.value, TextStatus.RETRY.value]


@dataclass(frozen=True)
class Recipient:
    number: str | None
    reason_not_texted: str
    windows: list[TimeRange] | None
    wants_reminders: bool


def recipient(person: PersonRow, horizon: TimeRange) -> Recipient:
    """Where and when a person may be texted, from their safe contact."""
    contact = person.safe_contact
    if contact is not None and not contact.may_text:
        return Recipient(None, "their safe contact says no texts", None, False)
    number = (contact.safe_number if contact and contact.safe_number else None) or person.mobile
    if not number or not number.startswith("+447"):
        return Recipient(None, "there is no mobile number that is safe to text", None, False)
    windows = None
    if contact is not None and contact.windows:
        ranges = expand_safe_windows(
            [SafeWindow(Weekday(w.weekday), w.starts, w.ends) for w in contact.windows],
            horizon.start,
            horizon.end,
            zone_named(contact.timezone),
        )
        windows = [TimeRange(start, end) for start, end in ranges]
    return Recipient(number, "", windows, bool(contact and contact.wants_reminders))


def queue_text(
    session: Session,
    *,
    person: PersonRow,
    kind: str,
    by: str,
    expires_at: datetime,
    appointment: Appointment | None = None,
    wanted_at: datetime | None = None,
    link: JoinLink | None = None,
    custom_text: str | None = None,
) -> TextMessage:
    """Queue one text for its first safe moment; record why not when there is none."""
    now = utcnow()
    wanted = max(wanted_at or now, now)
    status, reason, not_before = TextStatus.QUEUED, "", wanted
    if expires_at <= wanted:
        status, reason = TextStatus.NOT_SENT, "its moment had passed"
    else:
        who = recipient(person, TimeRange(wanted, expires_at))
        safe_time = next_safe_time(wanted, who.windows, expires_at) if who.number else None
        if who.number is None:
            status, reason = TextStatus.NOT_SENT, f"not texted: {who.reason_not_texted}"
        elif safe_time is None:
            status, reason = TextStatus.NOT_SENT, "no safe time to text before it was needed"
        else:
            not_before = safe_time
    message = TextMessage(
        reference=f"vr-{uuid.uuid4().hex[:24]}",
        person_id=person.id,
        appointment_id=appointment.id if appointment else None,
        link_id=link.id if link else None,
        kind=kind,
        custom_text=custom_text,
        status=status.value,
        not_before=not_before,
        expires_at=expires_at,
        last_error=reason,
        created_by=by,
    )
    session.add(message)
    session.flush()
    audit.record(
        session,
        actor=by,
        action=Action.COLLECTION,
        event=f"text.{status.value}",
        object_type="text_message",
        object_id=message.id,
        detail={"kind": kind, "person": person.id, "appointment": message.appointment_id},
    )
    return message


def new_link(
    session: Session,
    *,
    person: PersonRow,
    purpose: LinkPurpose,
    valid_until: datetime,
    appointment: Appointment | None = None,
) -> JoinLink:
    """A link whose token is made only when its text is sent (so it is never stored)."""
    link = JoinLink(
        person_id=person.id,
        appointment_id=appointment.id if appointment else None,
        purpose=purpose.value,
        valid_until=valid_until,
    )
    session.add(link)
    session.flush()
    return link


def withdraw_appointment_texts(session: Session, appointment_id: int) -> None:
    """A moved or cancelled appointment: its pending texts and its links die with it."""
    session.execute(
        update(TextMessage)
        .where(TextMessage.appointment_id == appointment_id, TextMessage.status.in_(PENDING))
        .values(status=TextStatus.WITHDRAWN.value, last_error="the appointment changed")
    )
    revoke_links(session, appointment_id)


def revoke_links(session: Session, appointment_id: int, purpose: LinkPurpose | None = None) -> None:
    """The appointment's links (of one purpose, or all) stop working."""
    query = update(JoinLink).where(
        JoinLink.appointment_id == appointment_id, JoinLink.revoked_at.is_(None)
    )
    if purpose is not None:
        query = query.where(JoinLink.purpose == purpose.value)
    session.execute(query.values(revoked_at=utcnow()))


def on_appointment_booked(
    session: Session,
    appointment: Appointment,
    *,
    by: str,
    reminder_minutes: list[int],
    kind: str = "confirmation",
) -> None:
    """The confirmation (or reschedule) text with the appointment's link, and reminders."""
    person = session.get_one(PersonRow, appointment.person_id)
    link = new_link(
        session,
        person=person,
        purpose=LinkPurpose.JOIN,
        valid_until=appointment.ends_at,
        appointment=appointment,
    )
    queue_text(
        session,
        person=person,
        kind=kind,
        by=by,
        expires_at=appointment.ends_at,
        appointment=appointment,
        link=link,
    )
    contact = person.safe_contact
    if contact is None or not contact.wants_reminders:
        return
    # Each text carries its own link: sending makes a new token, and a reminder must not
    # silently kill the link in the confirmation the person already has.
    for moment in reminder_times(appointment.starts_at, reminder_minutes, utcnow()):
        queue_text(
            session,
            person=person,
            kind="reminder",
            by=by,
            expires_at=appointment.starts_at,
            appointment=appointment,
            wanted_at=moment,
            link=new_link(
                session,
                person=person,
                purpose=LinkPurpose.JOIN,
                valid_until=appointment.ends_at,
                appointment=appointment,
            ),
        )


def on_appointment_rescheduled(
    session: Session, appointment: Appointment, *, by: str, reminder_minutes: list[int]
) -> None:
    withdraw_appointment_texts(session, appointment.id)
    on_appointment_booked(
        session, appointment, by=by, reminder_minutes=reminder_minutes, kind="reschedule"
    )


def on_appointment_cancelled(session: Session, appointment: Appointment, *, by: str) -> None:
    withdraw_appointment_texts(session, appointment.id)
    person = session.get_one(PersonRow, appointment.person_id)
    queue_text(
        session,
        person=person,
        kind="cancellation",
        by=by,
        appointment=appointment,
        expires_at=max(appointment.starts_at, utcnow() + timedelta(hours=1)),
    )


def invite_to_choose(
    session: Session, *, person: PersonRow, deadline: datetime, by: str
) -> TextMessage:
    """A choose-your-time text, sent instead of booking on the phone."""
    link = new_link(session, person=person, purpose=LinkPurpose.CHOOSE_TIME, valid_until=deadline)
    return queue_text(
        session, person=person, kind="invitation", by=by, expires_at=deadline, link=link
    )


def pending_for(session: Session, appointment_id: int) -> list[TextMessage]:
    return list(
        session.scalars(
            select(TextMessage)
            .where(TextMessage.appointment_id == appointment_id)
            .order_by(TextMessage.id)
        )
    )
