"""The text worker: claims due texts, composes them, sends them once.

Why each step is where it is:
- Claiming commits before sending, so a text is never held by a transaction that waits
  on a provider; on PostgreSQL the claim uses FOR UPDATE SKIP LOCKED, so two workers
  never take the same row (on SQLite the IMMEDIATE transaction serialises claims).
- A join link's token is made and its hash committed before sending: if the worker
  dies after the provider accepted the text, the link in it still works.
- A worker that dies between sending and recording leaves a row in `sending`. The next
  pass asks the provider whether it has that reference: yes → recorded as sent; no →
  sent again; cannot tell (Twilio) → `uncertain`, for a person to check. Never twice.
- Only failures that can succeed on retry are retried, with capped exponential backoff.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.db import Database, utcnow
from videoresponse.notify.models import JoinLink, TextMessage
from videoresponse.notify.outbox import PENDING, TextStatus, recipient
from videoresponse.notify.providers.base import (
    LookupUnsupported,
    OutgoingText,
    PermanentFailure,
    SmsProvider,
    TemporaryFailure,
)
from videoresponse.notify.rules import (
    ComposedText,
    MessageKind,
    UnsafeMessage,
    Wording,
    compose,
    load_wording,
)
from videoresponse.notify.timing import next_safe_time, retry_delay
from videoresponse.rota.rules import TimeRange, zone_named
from videoresponse.triage.models import PersonRow

log = logging.getLogger(__name__)
ACTOR = "system:text-worker"


@dataclass
class Pass:
    """What one pass of the worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0
    expired: int = 0
    reconciled: int = 0
    errors: list[str] = field(default_factory=list)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TextWorker:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        provider: SmsProvider,
        wording: Wording,
        *,
        batch: int = 20,
        lease: timedelta = timedelta(minutes=2),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.settings = settings
        self.provider = provider
        self.wording = wording
        self.batch = batch
        self.lease = lease
        self.clock = clock

    def run_once(self) -> Pass:
        done = Pass()
        self._expire(done)
        self._reconcile(done)
        for message_id, attempts, reference in self._claim():
            if attempts > 1 and self._already_accepted(message_id, reference, done):
                continue
            self._send(message_id, done)
        return done

    def run_until(self, stop: threading.Event) -> None:
        """Loop until `stop` is set; one failing pass does not end the loop."""
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("text worker pass failed; trying again")
            stop.wait(self.settings.worker_interval_seconds)

    def _expire(self, done: Pass) -> None:
        with self.db.transaction() as session:
            expired = session.scalars(
                update(TextMessage)
                .where(TextMessage.status.in_(PENDING), TextMessage.expires_at <= self.clock())
                .values(status=TextStatus.EXPIRED.value, last_error="its moment passed")
                .returning(TextMessage.id)
            ).all()
            done.expired += len(expired)

    def _reconcile(self, done: Pass) -> None:
        """Settle texts a stopped worker left half-sent."""
        with self.db.transaction() as session:
            stale = _locked(
                session,
                select(TextMessage).where(
                    TextMessage.status == TextStatus.SENDING.value,
                    TextMessage.claimed_at < self.clock() - self.lease,
                ),
            )
            for message in stale:
                try:
                    found = self.provider.find_sent(message.reference)
                except LookupUnsupported:
                    message.status = TextStatus.UNCERTAIN.value
                    message.last_error = "the worker stopped while sending; check before resending"
                    continue
                except TemporaryFailure:
                    continue
                if found is None:
                    message.status = TextStatus.RETRY.value
                else:
                    message.status = TextStatus.SENT.value
                    message.provider_id = found.provider_id
                    message.sent_at = self.clock()
                done.reconciled += 1

    def _already_accepted(self, message_id: int, reference: str, done: Pass) -> bool:
        """Before a retry: a timed-out try may still have reached the provider."""
        try:
            found = self.provider.find_sent(reference)
        except (LookupUnsupported, TemporaryFailure):
            return False
        if found is None:
            return False
        with self.db.transaction() as session:
            message = session.get_one(TextMessage, message_id)
            message.status = TextStatus.SENT.value
            message.provider, message.provider_id = self.provider.name, found.provider_id
            message.sent_at = self.clock()
        done.reconciled += 1
        return True

    def _claim(self) -> list[tuple[int, int, str]]:
        now = self.clock()
        with self.db.transaction() as session:
            due = _locked(
                session,
                select(TextMessage)
                .where(
                    TextMessage.status.in_(PENDING),
                    TextMessage.not_before <= now,
                    TextMessage.expires_at > now,
                )
                .order_by(TextMessage.not_before, TextMessage.id)
                .limit(self.batch),
            )
            for message in due:
                message.status = TextStatus.SENDING.value
                message.claimed_at = now
                message.attempts += 1
            return [(message.id, message.attempts, message.reference) for message in due]

    def _send(self, message_id: int, done: Pass) -> None:
        outgoing = self._prepare(message_id, done)
        if outgoing is None:
            return
        try:
            result = self.provider.send(outgoing)
        except TemporaryFailure as error:
            self._record_retry(message_id, str(error), error.retry_after, done)
            return
        except PermanentFailure as error:
            self._record_failure(message_id, error.reason, done)
            return
        with self.db.transaction() as session:
            message = session.get_one(TextMessage, message_id)
            message.status = TextStatus.SENT.value
            message.provider = self.provider.name
            message.provider_id = result.provider_id
            message.sent_at = self.clock()
            message.last_error = ""
            audit.record(
                session,
                actor=ACTOR,
                action=Action.DISCLOSURE,
                event="text.sent",
                object_type="text_message",
                object_id=message_id,
                why="contacting the person",
                recipient=f"person:{message.person_id} via {self.provider.name}",
                detail={"kind": message.kind},
            )
        done.sent += 1

    def _prepare(self, message_id: int, done: Pass) -> OutgoingText | None:
        """Check again that texting is safe now, compose, and make the link's token."""
        now = self.clock()
        with self.db.transaction() as session:
            message = session.get_one(TextMessage, message_id)
            person = session.get_one(PersonRow, message.person_id)
            who = recipient(
                person, TimeRange(now, max(message.expires_at, now + timedelta(days=1)))
            )
            if who.number is None:
                _settle(message, TextStatus.NOT_SENT, f"not texted: {who.reason_not_texted}")
                done.failed += 1
                return None
            moment = next_safe_time(now, who.windows, message.expires_at)
            if moment is None:
                _settle(message, TextStatus.EXPIRED, "no safe time to text before it was needed")
                done.expired += 1
                return None
            if moment > now:
                message.status, message.not_before = TextStatus.QUEUED.value, moment
                done.held += 1
                return None
            link_url = self._new_link_url(session, message)
            try:
                text = self._compose(session, message, person, link_url)
            except UnsafeMessage:
                # The words themselves (perhaps a suspect's name) are not kept here.
                _settle(message, TextStatus.NOT_SENT, "the text would use words it must not")
                done.failed += 1
                return None
            # A force's Notify account has one template per kind and variant.
            template = (
                message.kind if text.variant == "discreet" else f"{message.kind}_{text.variant}"
            )
            return OutgoingText(
                reference=message.reference,
                to=who.number,
                body=text.body,
                template=template,
                personalisation=text.personalisation,
            )

    def _new_link_url(self, session: Session, message: TextMessage) -> str | None:
        if message.link_id is None:
            return None
        link = session.get_one(JoinLink, message.link_id)
        token = secrets.token_urlsafe(16)  # 128 random bits (ASVS 7.2.3)
        link.token_hash = token_hash(token)
        return f"{self.settings.public_base_url.rstrip('/')}/j/{token}"

    def _compose(
        self, session: Session, message: TextMessage, person: PersonRow, link_url: str | None
    ) -> ComposedText:
        contact = person.safe_contact
        when: datetime | None = None
        if message.appointment_id is not None:
            when = session.get_one(Appointment, message.appointment_id).starts_at
        return compose(
            MessageKind(message.kind),
            wording=self.wording,
            when=when,
            link=link_url,
            phone=self.settings.force_phone,
            # When the code word is what a caller answers, it must not ride in the text.
            code_word=(
                contact.code_word
                if contact and self.settings.identity_check != "code_word"
                else None
            ),
            may_mention_police=bool(contact and contact.may_mention_police),
            force_name=self.settings.force_name,
            tz=zone_named(contact.timezone if contact else self.settings.timezone),
            custom_text=message.custom_text,
            words_never_to_use=contact.words_never_to_use if contact else (),
        )

    def _record_retry(
        self, message_id: int, error: str, retry_after: float | None, done: Pass
    ) -> None:
        with self.db.transaction() as session:
            message = session.get_one(TextMessage, message_id)
            if message.attempts >= self.settings.text_max_attempts:
                _settle(
                    message, TextStatus.FAILED, f"gave up after {message.attempts} tries: {error}"
                )
                done.failed += 1
                return
            delay = retry_delay(
                message.attempts,
                timedelta(seconds=self.settings.text_retry_base_seconds),
                timedelta(seconds=self.settings.text_retry_cap_seconds),
                retry_after,
            )
            message.status = TextStatus.RETRY.value
            message.not_before = self.clock() + delay
            message.last_error = error
            done.retried += 1

    def _record_failure(self, message_id: int, reason: str, done: Pass) -> None:
        with self.db.transaction() as session:
            _settle(session.get_one(TextMessage, message_id), TextStatus.FAILED, reason)
        done.failed += 1


@asynccontextmanager
async def embedded_worker(app: FastAPI) -> AsyncIterator[None]:
    """The embedded default: `serve` sends texts itself, no second process needed."""
    settings: Settings = app.state.settings
    if not settings.embedded_worker:
        yield
        return
    worker = TextWorker(
        app.state.db,
        settings,
        app.state.sms_provider,
        load_wording(settings.wording_file),
        lease=timedelta(seconds=settings.text_send_lease_seconds),
    )
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_until, args=(stop,), name="text-worker")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def _settle(message: TextMessage, status: TextStatus, reason: str) -> None:
    message.status = status.value
    message.last_error = reason


def _locked(session: Session, query):  # type: ignore[no-untyped-def]
    """Rows for this worker alone: SKIP LOCKED on PostgreSQL; SQLite already holds the lock."""
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))
