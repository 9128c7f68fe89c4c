"""Texts as staff and providers see them: the provider in use, what was sent and how it
went, resending, custom texts, delivery receipts and undelivered texts to follow up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from videoresponse.booking.models import Appointment
from videoresponse.booking.rules import ACTIVE_STATUSES
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action, Actor
from videoresponse.core.db import Database, utcnow
from videoresponse.notify import outbox
from videoresponse.notify.models import JoinLink, TextMessage
from videoresponse.notify.outbox import LinkPurpose, TextStatus
from videoresponse.notify.providers.base import DeliveryReceipt, SmsProvider
from videoresponse.notify.providers.govuk_notify import GovukNotify
from videoresponse.notify.providers.local import LocalOutbox
from videoresponse.notify.providers.twilio_sms import TwilioSms
from videoresponse.notify.rules import MessageKind, find_unsafe_words
from videoresponse.triage.models import PersonRow


class TextRefused(ValueError):
    """A text staff asked for that the safe rules do not allow; the message says why."""


class NotFound(LookupError):
    pass


def make_provider(settings: Settings) -> SmsProvider:
    """The configured SMS provider; the local outbox unless a force set up another."""
    if settings.sms_provider == "govuk_notify":
        if settings.notify_base_url:
            return GovukNotify(
                settings.notify_api_key, settings.notify_template_ids, settings.notify_base_url
            )
        return GovukNotify(settings.notify_api_key, settings.notify_template_ids)
    if settings.sms_provider == "twilio":
        return TwilioSms(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_sender,
            f"{settings.public_base_url.rstrip('/')}/callbacks/twilio",
            settings.twilio_api_base_url or None,
        )
    return LocalOutbox(settings.data_dir / "outbox")


@dataclass(frozen=True)
class TextSummary:
    id: int
    kind: str
    status: str
    not_before: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    attempts: int
    last_error: str
    person_id: int
    appointment_id: int | None
    incident_id: int


def _summary(message: TextMessage) -> TextSummary:
    return TextSummary(
        message.id,
        message.kind,
        message.status,
        message.not_before,
        message.sent_at,
        message.delivered_at,
        message.attempts,
        message.last_error,
        message.person_id,
        message.appointment_id,
        message.person.incident_id,
    )


def texts_for_appointment(db: Database, *, appointment_id: int, by: Actor) -> list[TextSummary]:
    """Every text about one appointment, oldest first."""
    with db.transaction() as session:
        if session.get(Appointment, appointment_id) is None:
            raise NotFound("There is no such appointment")
        audit.record(
            session,
            actor=by.actor,
            action=Action.CONSULTATION,
            event="texts.viewed",
            object_type="appointment",
            object_id=appointment_id,
            why="checking texts",
        )
        return [_summary(m) for m in outbox.pending_for(session, appointment_id)]


def _active_appointment(session: Session, appointment_id: int) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound("There is no such appointment")
    if appointment.status not in {s.value for s in ACTIVE_STATUSES}:
        raise TextRefused("The appointment is no longer going ahead: there is nothing to resend")
    return appointment


def resend(db: Database, *, appointment_id: int, by: Actor) -> TextSummary:
    """Send the appointment's details again, with a new link, under the safe rules."""
    with db.transaction() as session:
        appointment = _active_appointment(session, appointment_id)
        person = session.get_one(PersonRow, appointment.person_id)
        # The old texts may be on a phone the person no longer controls: their links die.
        outbox.revoke_links(session, appointment.id, LinkPurpose.JOIN)
        link = outbox.new_link(
            session,
            person=person,
            purpose=LinkPurpose.JOIN,
            valid_until=appointment.ends_at,
            appointment=appointment,
        )
        message = outbox.queue_text(
            session,
            person=person,
            kind=MessageKind.CONFIRMATION.value,
            by=by.actor,
            expires_at=appointment.ends_at,
            appointment=appointment,
            link=link,
        )
        return _summary(message)


def send_custom(db: Database, *, appointment_id: int, text: str, by: Actor) -> TextSummary:
    """A short text from staff, checked against the person's unsafe words before queueing."""
    text = " ".join(text.split())
    if not text:
        raise TextRefused("Enter the text to send")
    if len(text) > 300:
        raise TextRefused("Keep the text under 300 characters")
    if "http" in text.lower() or "www." in text.lower():
        raise TextRefused("Leave out web addresses: a link only ever comes from the service")
    with db.transaction() as session:
        appointment = _active_appointment(session, appointment_id)
        person = session.get_one(PersonRow, appointment.person_id)
        contact = person.safe_contact
        unsafe = find_unsafe_words(
            text,
            may_mention_police=bool(contact and contact.may_mention_police),
            words_never_to_use=contact.words_never_to_use if contact else (),
        )
        if unsafe:
            raise TextRefused("The text uses words it must not: " + ", ".join(sorted(set(unsafe))))
        message = outbox.queue_text(
            session,
            person=person,
            kind=MessageKind.CUSTOM.value,
            by=by.actor,
            expires_at=appointment.ends_at,
            appointment=appointment,
            custom_text=text,
        )
        return _summary(message)


def invite_to_choose(db: Database, *, person_id: int, by: Actor) -> TextSummary:
    """Text a choose-your-time link instead of booking on the phone."""
    with db.transaction() as session:
        person = session.get(PersonRow, person_id)
        if person is None:
            raise NotFound("There is no such person")
        if not person.incident.suitable_for_video:
            raise TextRefused("This case was assessed as not suitable for video")
        message = outbox.invite_to_choose(
            session, person=person, deadline=person.incident.deadline, by=by.actor
        )
        return _summary(message)


# A later receipt never moves a text back: "delivered" after "failed" is news, but
# "sending" after "delivered" is a late echo.
_RANK = {"sending": 0, "temporary_failure": 1, "permanent_failure": 1, "delivered": 2}


def record_receipt(db: Database, *, receipt: DeliveryReceipt, provider: str) -> bool:
    """Apply a delivery receipt; True if it matched a text. Safe to receive twice."""
    with db.transaction() as session:
        message = session.scalar(
            select(TextMessage).where(TextMessage.provider_id == receipt.provider_id)
        )
        if message is None and receipt.reference:
            message = session.scalar(
                select(TextMessage).where(TextMessage.reference == receipt.reference)
            )
        if message is None:
            return False
        current = {"delivered": 2, "failed": 1}.get(message.status, 0)
        if _RANK[receipt.status] < current:
            return True
        message.provider = provider
        message.provider_id = receipt.provider_id
        if receipt.status == "delivered":
            message.status, message.delivered_at = TextStatus.DELIVERED.value, utcnow()
        elif receipt.status == "sending":
            message.status = TextStatus.SENT.value
            message.sent_at = message.sent_at or utcnow()
        else:
            # The provider has already retried delivery; what is left is for a person.
            message.status, message.last_error = TextStatus.FAILED.value, receipt.detail
        audit.record(
            session,
            actor=f"provider:{provider}",
            action=Action.ALTERATION,
            event=f"text.{message.status}",
            object_type="text_message",
            object_id=message.id,
        )
        return True


@dataclass(frozen=True)
class UndeliveredText:
    text: TextSummary
    incident_id: int
    urn: str


def undelivered(db: Database, *, by: Actor) -> list[UndeliveredText]:
    """Texts that could not go and nobody has followed up: phone the person, where safe."""
    problem = [TextStatus.FAILED.value, TextStatus.UNCERTAIN.value, TextStatus.NOT_SENT.value]
    with db.transaction() as session:
        rows = session.execute(
            select(TextMessage, PersonRow)
            .join(PersonRow, PersonRow.id == TextMessage.person_id)
            .where(TextMessage.status.in_(problem), TextMessage.followed_up_at.is_(None))
            .order_by(TextMessage.created_at)
        ).all()
        audit.record(
            session,
            actor=by.actor,
            action=Action.CONSULTATION,
            event="texts.undelivered_viewed",
            why="following up texts that did not arrive",
            detail={"count": len(rows)},
        )
        return [
            UndeliveredText(_summary(message), person.incident_id, person.incident.urn)
            for message, person in rows
        ]


def mark_followed_up(db: Database, *, text_id: int, note: str, by: Actor) -> None:
    """Someone phoned the person (or decided it was not safe to): off the list."""
    if not note.strip():
        raise TextRefused("Say what you did: for example, phoned and gave the time")
    with db.transaction() as session:
        message = session.get(TextMessage, text_id)
        if message is None:
            raise NotFound("There is no such text")
        message.followed_up_at, message.followed_up_by = utcnow(), by.actor
        audit.record(
            session,
            actor=by.actor,
            action=Action.ALTERATION,
            event="text.followed_up",
            object_type="text_message",
            object_id=text_id,
            why=note.strip(),
        )


def locked_links(db: Database) -> list[tuple[int, int | None, datetime]]:
    """Links locked after too many wrong answers: (person, appointment, when)."""
    with db.transaction() as session:
        rows = session.execute(
            select(JoinLink.person_id, JoinLink.appointment_id, JoinLink.locked_at)
            .where(JoinLink.locked_at.is_not(None), JoinLink.revoked_at.is_(None))
            .order_by(JoinLink.locked_at.desc())
        ).all()
        return [(p, a, at) for p, a, at in rows if at is not None]
