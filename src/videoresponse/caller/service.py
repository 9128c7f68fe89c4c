"""What a caller does through the link in their text: no account, no app.

The link's token only locates the appointment (ASVS 6.5.4): it is exchanged, by a POST,
for a caller session cookie, and the session must confirm one fact before it sees or
changes anything. Every wrong, expired, revoked or locked token gets the same answer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from videoresponse.booking import service as booking
from videoresponse.booking.models import Appointment
from videoresponse.booking.rules import ACTIVE_STATUSES, AppointmentStatus, SlotOption
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action, CallerActor
from videoresponse.core.db import Database, utcnow
from videoresponse.notify.models import CallerSession, JoinLink
from videoresponse.notify.outbox import LinkPurpose
from videoresponse.triage.models import PersonRow


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LinkUnusable(Exception):
    """One answer for a wrong, expired, revoked, used or locked link (ASVS 6.3.8)."""


class CheckFailed(Exception):
    def __init__(self, attempts_left: int) -> None:
        super().__init__("That does not match our records.")
        self.attempts_left = attempts_left


@dataclass(frozen=True)
class CallerView:
    """What the caller's own pages may show: nothing about the incident."""

    link_id: int
    person_id: int
    purpose: str
    verified: bool
    appointment_id: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    status: str | None
    join_opens_at: datetime | None
    may_add_to_calendar: bool
    deadline: datetime | None
    change_closes_at: datetime | None

    @property
    def actor(self) -> CallerActor:
        return CallerActor(self.person_id, self.link_id)

    def can_join(self, now: datetime) -> bool:
        return (
            self.join_opens_at is not None
            and self.ends_at is not None
            and self.join_opens_at <= now < self.ends_at
            and self.status in {s.value for s in ACTIVE_STATUSES}
        )

    def can_change(self, now: datetime) -> bool:
        return (
            self.change_closes_at is not None
            and now < self.change_closes_at
            and self.status in {AppointmentStatus.BOOKED.value, AppointmentStatus.RESCHEDULED.value}
        )


def _live_link(session: Session, link: JoinLink | None, now: datetime) -> JoinLink:
    if link is None or link.revoked_at or link.locked_at or link.valid_until <= now:
        raise LinkUnusable()
    if link.appointment_id is not None:
        appointment = session.get_one(Appointment, link.appointment_id)
        if appointment.status not in {s.value for s in ACTIVE_STATUSES}:
            raise LinkUnusable()
    return link


def exchange_token(db: Database, *, token: str) -> str:
    """Swap a link's token for a new, unverified caller session."""
    now = utcnow()
    with db.transaction() as session:
        link = session.scalar(select(JoinLink).where(JoinLink.token_hash == _hash(token)))
        link = _live_link(session, link, now)
        session_token = secrets.token_urlsafe(32)
        session.add(CallerSession(token_hash=_hash(session_token), link_id=link.id))
        audit.record(
            session,
            actor=CallerActor(link.person_id, link.id).actor,
            action=Action.SECURITY,
            event="link.opened",
            object_type="join_link",
            object_id=link.id,
        )
        return session_token


def _caller_session(
    session: Session, session_token: str, now: datetime
) -> tuple[CallerSession, JoinLink]:
    caller = session.scalar(
        select(CallerSession).where(CallerSession.token_hash == _hash(session_token))
    )
    if caller is None or caller.ended_at is not None:
        raise LinkUnusable()
    link = _live_link(session, session.get(JoinLink, caller.link_id), now)
    return caller, link


def view(db: Database, settings: Settings, *, session_token: str) -> CallerView:
    """The caller's appointment as their pages show it."""
    now = utcnow()
    with db.transaction() as session:
        caller, link = _caller_session(session, session_token, now)
        person = session.get_one(PersonRow, link.person_id)
        appointment = session.get(Appointment, link.appointment_id) if link.appointment_id else None
        contact = person.safe_contact
        return CallerView(
            link_id=link.id,
            person_id=person.id,
            purpose=link.purpose,
            verified=caller.verified_at is not None,
            appointment_id=appointment.id if appointment else None,
            starts_at=appointment.starts_at if appointment else None,
            ends_at=appointment.ends_at if appointment else None,
            status=appointment.status if appointment else None,
            join_opens_at=(
                appointment.starts_at - timedelta(minutes=settings.join_opens_minutes_before)
                if appointment
                else None
            ),
            may_add_to_calendar=bool(contact and contact.may_add_to_calendar),
            deadline=person.incident.deadline,
            change_closes_at=(
                appointment.starts_at - timedelta(minutes=settings.caller_may_change_until_minutes)
                if appointment
                else None
            ),
        )


def _normalise(answer: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", answer).casefold().split())


def _expected_matches(settings: Settings, person: PersonRow, answer: str) -> bool:
    if settings.identity_check == "code_word":
        word = person.safe_contact.code_word if person.safe_contact else None
        return bool(word) and hmac.compare_digest(_normalise(answer), _normalise(word or ""))
    try:
        given = date.fromisoformat(answer)
    except ValueError:
        return False
    return person.date_of_birth is not None and given == person.date_of_birth


def end_other_sessions(session: Session, link_id: int, *, keep: int) -> None:
    """One person, one browser: only once a browser has proved who it is (or is a guest's)
    does it end the link's other sessions, so the link alone cannot cut a caller off."""
    session.execute(
        update(CallerSession)
        .where(
            CallerSession.link_id == link_id,
            CallerSession.ended_at.is_(None),
            CallerSession.id != keep,
        )
        .values(ended_at=utcnow())
    )


def check_identity(db: Database, settings: Settings, *, session_token: str, answer: str) -> None:
    """Confirm the one fact; after too many wrong answers the link locks and staff are told."""
    now = utcnow()
    with db.transaction() as session:
        caller, link = _caller_session(session, session_token, now)
        # Concurrent wrong answers must each count: the row is locked for the check, and a
        # right answer does not reset the count (ASVS 6.6.3).
        session.refresh(link, with_for_update=True)
        _live_link(session, link, now)
        person = session.get_one(PersonRow, link.person_id)
        actor = CallerActor(person.id, link.id).actor
        if _expected_matches(settings, person, answer):
            caller.verified_at = now
            end_other_sessions(session, link.id, keep=caller.id)
            audit.record(
                session,
                actor=actor,
                action=Action.SECURITY,
                event="link.verified",
                object_type="join_link",
                object_id=link.id,
            )
            return
        link.failed_checks += 1
        left = settings.identity_check_attempts - link.failed_checks
        if left <= 0:
            link.locked_at = now
        audit.record(
            session,
            actor=actor,
            action=Action.SECURITY,
            event="link.locked" if left <= 0 else "link.check_failed",
            object_type="join_link",
            object_id=link.id,
            detail={"failures": link.failed_checks},
        )
    if left <= 0:
        raise LinkUnusable()
    raise CheckFailed(left)


def _verified(db: Database, settings: Settings, session_token: str) -> CallerView:
    caller = view(db, settings, session_token=session_token)
    if not caller.verified:
        raise LinkUnusable()
    return caller


def options(
    db: Database, settings: Settings, *, session_token: str, limit: int = 8
) -> list[SlotOption]:
    """Times the caller may choose: only before the case's deadline."""
    caller = _verified(db, settings, session_token)
    found, _ = booking.find_options(
        db, settings, person_id=caller.person_id, limit=limit, by=caller.actor
    )
    return found


def choose_time(
    db: Database, settings: Settings, *, session_token: str, starts_at: datetime
) -> booking.BookedAppointment:
    """Book (choose-your-time link) or move (appointment link) to a time the caller picked."""
    caller = _verified(db, settings, session_token)
    if caller.purpose == LinkPurpose.CHOOSE_TIME.value:
        booked = booking.book(
            db, settings, person_id=caller.person_id, starts_at=starts_at, by=caller.actor
        )
        _spend_choose_link(db, caller.link_id)
        return booked
    if caller.appointment_id is None or not caller.can_change(utcnow()):
        raise LinkUnusable()
    return booking.reschedule(
        db,
        settings,
        appointment_id=caller.appointment_id,
        starts_at=starts_at,
        reason="the caller chose another time",
        by=caller.actor,
    )


def _spend_choose_link(db: Database, link_id: int) -> None:
    """A choose-your-time link books once; the confirmation text brings the next link."""
    with db.transaction() as session:
        session.get_one(JoinLink, link_id).revoked_at = utcnow()


def cancel(db: Database, settings: Settings, *, session_token: str) -> None:
    """The caller cancels their appointment; staff see it in the queue."""
    caller = _verified(db, settings, session_token)
    if caller.appointment_id is None or not caller.can_change(utcnow()):
        raise LinkUnusable()
    booking.change_status(
        db,
        appointment_id=caller.appointment_id,
        status=AppointmentStatus.CANCELLED,
        reason="the caller cancelled",
        by=caller.actor,
    )


def end_session(db: Database, *, session_token: str) -> None:
    """ "Exit this page": the session ends at once, whatever state it was in."""
    with db.transaction() as session:
        session.execute(
            update(CallerSession)
            .where(CallerSession.token_hash == _hash(session_token))
            .values(ended_at=utcnow())
        )


def calendar_file(db: Database, settings: Settings, *, session_token: str) -> str:
    """An .ics entry, only where a calendar entry on the phone is safe. Neutral words only."""
    caller = _verified(db, settings, session_token)
    if not caller.may_add_to_calendar or caller.starts_at is None or caller.ends_at is None:
        raise LinkUnusable()
    with db.transaction() as session:
        audit.record(
            session,
            actor=caller.actor.actor,
            action=Action.DISCLOSURE,
            event="appointment.calendar_downloaded",
            object_type="appointment",
            object_id=caller.appointment_id or "",
            recipient="the person",
        )
    stamp = "%Y%m%dT%H%M%SZ"
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//videoresponse//EN",
            "BEGIN:VEVENT",
            f"UID:appointment-{caller.appointment_id}@videoresponse",
            f"DTSTAMP:{utcnow():{stamp}}",
            f"DTSTART:{caller.starts_at:{stamp}}",
            f"DTEND:{caller.ends_at:{stamp}}",
            "SUMMARY:Appointment",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
