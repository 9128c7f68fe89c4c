"""The call's use cases: who may join, what happened in the call, and invited guests.

Each public function is one transaction (booking.change_status, where used, is its own).
Audit entries carry ids only: never a token, a name or a chat message.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from videoresponse.booking import service as booking
from videoresponse.booking.models import Appointment
from videoresponse.booking.rules import ACTIVE_STATUSES, AppointmentStatus, BookingRuleError
from videoresponse.caller import service as caller_service
from videoresponse.calls.models import CallEvent, CallGuest
from videoresponse.calls.protocol import CloseCode, Role
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action, Actor
from videoresponse.core.auth import service as accounts
from videoresponse.core.auth.rules import Role as StaffRole
from videoresponse.core.auth.rules import SessionLimits
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.notify.models import CallerSession, JoinLink
from videoresponse.notify.outbox import LinkPurpose

GUEST_LINK = LinkPurpose.GUEST.value
GUEST_ROLES = ("interpreter", "supporter")
_ACTIVE = {s.value for s in ACTIVE_STATUSES}
NEVER_CONNECTED = "the officer ended the call before the caller was admitted"


class EventKind(StrEnum):
    JOINED = "joined"
    ADMITTED = "admitted"
    CONNECTED = "connected"
    RECONNECTED = "reconnected"
    LEFT = "left"
    ENDED = "ended"


class NotAllowed(Exception):
    """Refused; `code` is the WebSocket close code (or maps to an HTTP status)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class GuestActor:
    """An interpreter or supporter, acting through the link the officer gave them."""

    link_id: int

    @property
    def actor(self) -> str:
        return f"guest:link:{self.link_id}"

    @property
    def staff_id(self) -> int | None:
        return None


@dataclass(frozen=True)
class Participant:
    """Who is behind a socket: their role in the call and the same identity on reconnect."""

    appointment_id: int
    role: Role
    identity: str
    by: Actor
    guest_role: str = ""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(
    db: Database,
    settings: Settings,
    *,
    appointment_id: int,
    staff_token: str,
    caller_token: str,
) -> Participant:
    """The staff session, else the caller's (or guest's) session, must fit this appointment."""
    if staff_token:
        member = accounts.current_member(
            db,
            token=staff_token,
            limits=SessionLimits(settings.session_idle, settings.session_absolute),
        )
        if member is not None:
            return _staff_participant(db, appointment_id, member)
    if caller_token:
        return _caller_participant(db, settings, appointment_id, caller_token)
    raise NotAllowed(CloseCode.UNAUTHENTICATED, "Sign in, or open your link again.")


def _staff_participant(db: Database, appointment_id: int, member: StaffMember) -> Participant:
    with db.transaction() as session:
        row = session.get(Appointment, appointment_id)
        officer_id = row.officer_id if row else None
        active = row is not None and row.status in _ACTIVE
    own = member.role is StaffRole.VIDEO_OFFICER and officer_id == member.id
    if not active or not (own or member.role is StaffRole.SUPERVISOR):
        raise NotAllowed(CloseCode.FORBIDDEN, "This is not one of your calls.")
    return Participant(appointment_id, Role.OFFICER, f"staff:{member.id}", member)


def _caller_participant(
    db: Database, settings: Settings, appointment_id: int, token: str
) -> Participant:
    try:
        view = caller_service.view(db, settings, session_token=token)
    except caller_service.LinkUnusable:
        raise NotAllowed(CloseCode.UNAUTHENTICATED, "Open your link again.") from None
    if not view.verified:
        raise NotAllowed(CloseCode.UNAUTHENTICATED, "Confirm who you are first.")
    if view.appointment_id != appointment_id or not view.can_join(utcnow()):
        raise NotAllowed(CloseCode.FORBIDDEN, "This call cannot be joined now.")
    identity = f"link:{view.link_id}"
    if view.purpose != GUEST_LINK:
        return Participant(appointment_id, Role.CALLER, identity, view.actor)
    with db.transaction() as session:
        guest = session.get(CallGuest, view.link_id)
        guest_role = guest.role if guest else "guest"
    return Participant(appointment_id, Role.GUEST, identity, GuestActor(view.link_id), guest_role)


def record(
    db: Database,
    who: Participant,
    kind: EventKind,
    *,
    peer_id: str,
    role: Role | None = None,
    seconds: float | None = None,
) -> None:
    """Store one call event and audit it (ids only). `role` defaults to who's own."""
    with db.transaction() as session:
        _record(session, who, kind, peer_id, role or who.role, seconds)


def _record(
    session: Session,
    who: Participant,
    kind: EventKind,
    peer_id: str,
    role: Role,
    seconds: float | None,
) -> None:
    whole = None if seconds is None else max(0, round(seconds))
    session.add(
        CallEvent(
            appointment_id=who.appointment_id,
            at=utcnow(),
            kind=kind.value,
            role=role.value,
            peer_id=peer_id,
            seconds=whole,
        )
    )
    audit.record(
        session,
        actor=who.by.actor,
        action=Action.COLLECTION,
        event=f"call.{kind.value}",
        object_type="appointment",
        object_id=who.appointment_id,
        detail={"peer": peer_id, "role": role.value, "seconds": whole},
    )


def arrived(db: Database, who: Participant, *, peer_id: str, reconnected: bool) -> None:
    """A socket joined; the caller's first arrival puts the appointment in waiting."""
    record(db, who, EventKind.RECONNECTED if reconnected else EventKind.JOINED, peer_id=peer_id)
    if who.role is Role.CALLER:
        _move(db, who, {AppointmentStatus.BOOKED, AppointmentStatus.RESCHEDULED}, "waiting")


def admitted(
    db: Database, who: Participant, *, peer_id: str, role: Role, waited_seconds: float
) -> None:
    """The officer (`who`) admitted a peer: admitting the caller starts the call."""
    record(db, who, EventKind.ADMITTED, peer_id=peer_id, role=role, seconds=waited_seconds)
    if role is Role.CALLER:
        _move(db, who, {AppointmentStatus.WAITING}, "in_call")


def end_call(db: Database, who: Participant, *, peer_id: str) -> None:
    """The officer ended the call for everyone: its length is from the first admission."""
    with db.transaction() as session:
        first = session.scalar(
            select(func.min(CallEvent.at)).where(
                CallEvent.appointment_id == who.appointment_id,
                CallEvent.kind == EventKind.ADMITTED.value,
            )
        )
        seconds = (utcnow() - first).total_seconds() if first else None
        _record(session, who, EventKind.ENDED, peer_id, who.role, seconds)
    _move(db, who, {AppointmentStatus.IN_CALL}, "completed")
    # Never connected (a rapid call nobody joined, a caller never admitted): a no-show, as
    # no_shows/ records one, so the case is queued again and the officer is free.
    _move(
        db,
        who,
        {AppointmentStatus.BOOKED, AppointmentStatus.RESCHEDULED, AppointmentStatus.WAITING},
        "no_show",
        reason=NEVER_CONNECTED,
    )


def _move(
    db: Database, who: Participant, when: set[AppointmentStatus], to: str, reason: str = ""
) -> None:
    with db.transaction() as session:
        row = session.get(Appointment, who.appointment_id)
        current = AppointmentStatus(row.status) if row else None
    if current not in when:
        return
    try:
        booking.change_status(
            db,
            appointment_id=who.appointment_id,
            status=AppointmentStatus(to),
            reason=reason,
            by=who.by,
        )
    except BookingRuleError:
        # Another socket moved it first (two processes, one caller reconnecting): fine.
        return


@dataclass(frozen=True)
class GuestInvite:
    url: str
    role: str
    valid_until: datetime


def invite_guest(
    db: Database, settings: Settings, *, appointment_id: int, role: str, by: StaffMember
) -> GuestInvite:
    """A link of their own for an interpreter or supporter; its token is shown once."""
    if role not in GUEST_ROLES:
        raise NotAllowed(422, "A guest is an interpreter or a supporter.")
    with db.transaction() as session:
        row = session.get(Appointment, appointment_id)
        own = row is not None and row.officer_id == by.id
        if row is None or row.status not in _ACTIVE or not (own or by.role is StaffRole.SUPERVISOR):
            raise NotAllowed(404, "There is no such call of yours.")
        token = secrets.token_urlsafe(32)
        link = JoinLink(
            person_id=row.person_id,
            appointment_id=row.id,
            purpose=GUEST_LINK,
            token_hash=_hash(token),
            valid_until=row.ends_at,
        )
        session.add(link)
        session.flush()
        session.add(CallGuest(link_id=link.id, appointment_id=row.id, role=role, invited_by=by.id))
        audit.record(
            session,
            actor=by.actor,
            action=Action.DISCLOSURE,
            event="call.guest_invited",
            object_type="appointment",
            object_id=row.id,
            recipient=role,
            detail={"link": link.id},
        )
        base = settings.public_base_url.rstrip("/")
        return GuestInvite(f"{base}/j/{token}", role, row.ends_at)


def start_guest_session(db: Database, *, session_token: str) -> None:
    """A guest's link skips the identity check: the officer gave it to a known person, and
    there is no fact of theirs to confirm. Any other link is left as it is."""
    with db.transaction() as session:
        found = session.execute(
            select(CallerSession, JoinLink)
            .join(JoinLink, JoinLink.id == CallerSession.link_id)
            .where(CallerSession.token_hash == _hash(session_token))
        ).first()
        if found is None or found[1].purpose != GUEST_LINK:
            return
        caller_session, link = found
        caller_session.verified_at = utcnow()
        caller_service.end_other_sessions(session, link.id, keep=caller_session.id)
        audit.record(
            session,
            actor=GuestActor(link.id).actor,
            action=Action.SECURITY,
            event="link.guest_opened",
            object_type="join_link",
            object_id=link.id,
        )


def is_guest(view: caller_service.CallerView) -> bool:
    return view.purpose == GUEST_LINK
