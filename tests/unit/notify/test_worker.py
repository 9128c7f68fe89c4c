"""The text worker on SQLite with the local outbox: what goes, when, and once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.factories import make_case, make_shift, make_staff
from videoresponse.booking import service as booking
from videoresponse.config import Settings
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database
from videoresponse.notify.models import JoinLink, TextMessage
from videoresponse.notify.providers.base import (
    OutgoingText,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
)
from videoresponse.notify.providers.local import LocalOutbox
from videoresponse.notify.rules import load_wording
from videoresponse.notify.worker import Pass, TextWorker
from videoresponse.triage.models import SafeContactRow

LONDON = ZoneInfo("Europe/London")


def _in_days(days: int, hour: int) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def team(db: Database):  # type: ignore[no-untyped-def]
    handler = make_staff(db, Role.CALL_HANDLER)
    officer = make_staff(db, Role.VIDEO_OFFICER)
    for days in (1, 2, 3):
        make_shift(db, officer.id, _in_days(days, 8), _in_days(days, 20))
    return handler


def _worker(db: Database, settings: Settings, provider=None, **kwargs) -> TextWorker:  # type: ignore[no-untyped-def]
    return TextWorker(
        db,
        settings,
        provider or LocalOutbox(settings.data_dir / "outbox"),
        load_wording(None),
        **kwargs,
    )


def _statuses(db: Database) -> list[tuple[str, str]]:
    with db.sessions() as session:
        return [
            (m.kind, m.status)
            for m in session.scalars(select(TextMessage).order_by(TextMessage.id))
        ]


def _set_contact(db: Database, person_id: int, **values: object) -> None:
    with db.transaction() as session:
        contact = session.get(SafeContactRow, person_id) or SafeContactRow(
            person_id=person_id, may_text=True, may_call=True, words_never_to_use=[]
        )
        for name, value in values.items():
            setattr(contact, name, value)
        session.add(contact)


def test_a_booking_sends_one_discreet_confirmation_whose_link_works(
    db: Database, settings: Settings, team
) -> None:
    _, person = make_case(db, created_by=team.id)
    _set_contact(db, person, code_word="Bluebell")
    booking.book(db, settings, person_id=person, starts_at=_in_days(1, 10), by=team)
    outbox = LocalOutbox(settings.data_dir / "outbox")
    assert _worker(db, settings, outbox).run_once().sent == 1
    assert _worker(db, settings, outbox).run_once().sent == 0
    [text] = outbox.texts()
    assert text.body.startswith("Bluebell: ")
    assert "police" not in text.body.lower()
    token = text.body.split("/j/")[1].split()[0]
    with db.sessions() as session:
        stored = session.scalars(select(JoinLink.token_hash)).one()
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(_statuses(db))
    assert _statuses(db) == [("confirmation", "sent")]


def test_reminders_go_only_to_people_who_agreed_and_never_late(
    db: Database, settings: Settings, team
) -> None:
    _, quiet = make_case(db, created_by=team.id)
    _, reminded = make_case(db, created_by=team.id)
    _set_contact(db, reminded, wants_reminders=True)
    booking.book(db, settings, person_id=quiet, starts_at=_in_days(2, 10), by=team)
    start = _in_days(2, 14)
    booking.book(db, settings, person_id=reminded, starts_at=start, by=team)
    assert sorted(_statuses(db)) == sorted(
        [
            ("confirmation", "queued"),
            ("confirmation", "queued"),
            ("reminder", "queued"),
            ("reminder", "queued"),
        ]
    )
    after_the_start = _worker(db, settings, clock=lambda: start + timedelta(minutes=5))
    done = after_the_start.run_once()
    # The afternoon appointment is still on, so its confirmation goes; the morning one is
    # over, and both reminders' moments have passed: none of those is ever sent late.
    assert done.sent == 1
    assert done.expired == 3


def test_a_text_outside_the_safe_window_is_held_then_sent_inside_it(
    db: Database, settings: Settings, team
) -> None:
    _, person = make_case(db, created_by=team.id)
    tomorrow = _in_days(1, 0).astimezone(LONDON).date()
    with db.transaction() as session:
        from videoresponse.triage.models import SafeWindowRow

        session.add(
            SafeContactRow(person_id=person, may_text=True, may_call=False, words_never_to_use=[])
        )
        session.flush()
        session.add(
            SafeWindowRow(
                person_id=person, weekday=tomorrow.weekday(), starts=time(9), ends=time(17)
            )
        )
    booking.book(db, settings, person_id=person, starts_at=_in_days(1, 12), by=team)
    assert _worker(db, settings).run_once().sent == 0
    window_opens = datetime.combine(tomorrow, time(9), LONDON).astimezone(UTC)
    with db.sessions() as session:
        held = session.scalars(select(TextMessage)).one()
    assert held.status == "queued" and held.not_before == window_opens
    inside = _worker(db, settings, clock=lambda: window_opens + timedelta(minutes=1))
    assert inside.run_once().sent == 1


def test_no_text_where_safe_contact_says_no_texts(db: Database, settings: Settings, team) -> None:
    _, person = make_case(db, created_by=team.id)
    _set_contact(db, person, may_text=False)
    booking.book(db, settings, person_id=person, starts_at=_in_days(1, 10), by=team)
    assert _statuses(db) == [("confirmation", "not_sent")]


class _FlakyProvider:
    """Fails as a provider does, then recovers; remembers what it accepted."""

    name = "flaky"

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.accepted: dict[str, OutgoingText] = {}

    def send(self, text: OutgoingText) -> SendResult:
        if self.failures:
            raise self.failures.pop(0)
        self.accepted.setdefault(text.reference, text)
        return SendResult(f"id-{text.reference}")

    def find_sent(self, reference: str) -> SendResult | None:
        return SendResult(f"id-{reference}") if reference in self.accepted else None


def test_temporary_failures_retry_with_backoff_then_succeed(
    db: Database, settings: Settings, team
) -> None:
    _, person = make_case(db, created_by=team.id)
    booking.book(db, settings, person_id=person, starts_at=_in_days(1, 10), by=team)
    provider = _FlakyProvider([TemporaryFailure("500"), TemporaryFailure("429", retry_after=120)])
    now = datetime.now(UTC)
    moments = iter([now, now + timedelta(seconds=31), now + timedelta(seconds=200)])
    clock_now = {"t": now}

    def clock() -> datetime:
        return clock_now["t"]

    worker = _worker(db, settings, provider, clock=clock)
    for moment in moments:
        clock_now["t"] = moment
        worker.run_once()
    assert len(provider.accepted) == 1
    assert _statuses(db) == [("confirmation", "sent")]


def test_a_permanent_failure_stops_at_once_and_lists_the_text_for_follow_up(
    db: Database, settings: Settings, team
) -> None:
    _, person = make_case(db, created_by=team.id)
    booking.book(db, settings, person_id=person, starts_at=_in_days(1, 10), by=team)
    provider = _FlakyProvider([PermanentFailure("not a mobile number")])
    done = _worker(db, settings, provider).run_once()
    assert done.failed == 1
    assert _worker(db, settings, provider).run_once().sent == 0
    from videoresponse.notify import service

    [item] = service.undelivered(db, by=team)
    assert item.text.last_error == "not a mobile number"


def test_a_worker_that_died_mid_send_never_sends_twice(
    db: Database, settings: Settings, team
) -> None:
    _, person = make_case(db, created_by=team.id)
    booking.book(db, settings, person_id=person, starts_at=_in_days(1, 10), by=team)
    provider = _FlakyProvider([])
    worker = _worker(db, settings, provider, lease=timedelta(0))
    message_id, _, _ = worker._claim()[0]
    outgoing = worker._prepare(message_id, Pass())
    assert outgoing is not None
    provider.send(outgoing)  # accepted... and the worker dies before recording it
    done = _worker(db, settings, provider, lease=timedelta(0)).run_once()
    assert done.reconciled == 1 and done.sent == 0
    assert len(provider.accepted) == 1
    assert _statuses(db) == [("confirmation", "sent")]


def test_moving_an_appointment_withdraws_its_pending_texts_and_sends_a_new_one(
    db: Database, settings: Settings, team
) -> None:
    _, person = make_case(db, created_by=team.id)
    booked = booking.book(db, settings, person_id=person, starts_at=_in_days(1, 10), by=team)
    booking.reschedule(
        db,
        settings,
        appointment_id=booked.id,
        starts_at=_in_days(1, 14),
        reason="caller asked",
        by=team,
    )
    assert _statuses(db) == [("confirmation", "withdrawn"), ("reschedule", "queued")]
    with db.sessions() as session:
        links = session.scalars(select(JoinLink).order_by(JoinLink.id)).all()
    assert links[0].revoked_at is not None and links[1].revoked_at is None


def test_when_the_code_word_is_the_identity_check_texts_leave_it_out(
    db: Database, settings: Settings, team
) -> None:
    settings = settings.model_copy(update={"identity_check": "code_word"})
    _, person = make_case(db, created_by=team.id)
    _set_contact(db, person, code_word="Bluebell")
    booking.book(db, settings, person_id=person, starts_at=_in_days(1, 10), by=team)
    outbox = LocalOutbox(settings.data_dir / "outbox")
    _worker(db, settings, outbox).run_once()
    [text] = outbox.texts()
    assert "Bluebell" not in text.body
