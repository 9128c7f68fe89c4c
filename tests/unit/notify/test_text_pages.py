"""Texts through HTTP: staff pages, the API, and providers' delivery receipts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import make_settings
from tests.factories import make_case, make_shift, make_staff, sign_in
from tests.fakes.notify_api import FakeNotifyApi
from tests.fakes.twilio_api import FakeTwilioApi, twilio_signature
from videoresponse.app import create_app
from videoresponse.booking import service as booking
from videoresponse.config import Settings
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database
from videoresponse.notify.models import TextMessage
from videoresponse.notify.providers.local import LocalOutbox
from videoresponse.notify.rules import load_wording
from videoresponse.notify.worker import TextWorker


def _tomorrow_at(hour: int) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def booked(db: Database, settings: Settings):  # type: ignore[no-untyped-def]
    handler = make_staff(db, Role.SUPERVISOR)
    officer = make_staff(db, Role.VIDEO_OFFICER)
    make_shift(db, officer.id, _tomorrow_at(9), _tomorrow_at(17))
    _, person = make_case(db, created_by=handler.id)
    appointment = booking.book(
        db, settings, person_id=person, starts_at=_tomorrow_at(10), by=handler
    )
    return handler, appointment.id


def _send_all(db: Database, settings: Settings) -> LocalOutbox:
    outbox = LocalOutbox(settings.data_dir / "outbox")
    TextWorker(db, settings, outbox, load_wording(None)).run_once()
    return outbox


def test_the_local_outbox_page_shows_each_text_with_its_link(
    client: TestClient, db: Database, settings: Settings, booked
) -> None:
    handler, _ = booked
    _send_all(db, settings)
    sign_in(client, handler)
    page = client.get("/texts/outbox")
    assert "Demo only" in page.text
    assert 'href="http://127.0.0.1:8000/j/' in page.text


def test_staff_see_an_appointments_texts_and_resend_them(
    client: TestClient, db: Database, settings: Settings, booked
) -> None:
    handler, appointment = booked
    sign_in(client, handler)
    client.headers["x-csrf-token"] = client.get("/api/session").json()["csrf_token"]
    assert client.post(f"/api/appointments/{appointment}/texts/resend").status_code == 201
    texts = client.get(f"/api/appointments/{appointment}/texts").json()
    assert [t["kind"] for t in texts] == ["confirmation", "confirmation"]
    page = client.get(f"/appointments/{appointment}/texts")
    assert "Queued" in page.text


def test_a_custom_text_with_an_unsafe_word_is_refused_and_nothing_queued(
    client: TestClient, db: Database, booked
) -> None:
    handler, appointment = booked
    sign_in(client, handler)
    client.headers["x-csrf-token"] = client.get("/api/session").json()["csrf_token"]
    refused = client.post(
        f"/api/appointments/{appointment}/texts", json={"text": "About your police statement"}
    )
    assert refused.status_code == 422
    assert "police" in refused.json()["detail"]
    linked = client.post(
        f"/api/appointments/{appointment}/texts", json={"text": "See www.example.org"}
    )
    assert linked.status_code == 422
    fine = client.post(
        f"/api/appointments/{appointment}/texts", json={"text": "Running 5 minutes late, sorry."}
    )
    assert fine.status_code == 201
    with db.sessions() as session:
        assert session.scalars(select(TextMessage.kind)).all() == ["confirmation", "custom"]


def test_a_notify_delivery_receipt_needs_the_bearer_token_and_is_idempotent(
    tmp_path: Path, migrated_template: Path, db: Database
) -> None:
    import shutil

    shutil.copy(migrated_template, tmp_path / "videoresponse.db")
    with FakeNotifyApi() as notify:
        settings = make_settings(
            tmp_path,
            sms_provider="govuk_notify",
            notify_api_key=notify.api_key,
            notify_base_url=notify.url,
            notify_callback_token="receipt-token",
            notify_template_ids={"confirmation": "00000000-0000-4000-8000-000000000001"},
        )
        database = Database(settings.database_url)
        handler = make_staff(database, Role.SUPERVISOR)
        officer = make_staff(database, Role.VIDEO_OFFICER)
        make_shift(database, officer.id, _tomorrow_at(9), _tomorrow_at(17))
        _, person = make_case(database, created_by=handler.id)
        booking.book(database, settings, person_id=person, starts_at=_tomorrow_at(10), by=handler)
        app = create_app(settings, database)
        TextWorker(database, settings, app.state.sms_provider, load_wording(None)).run_once()
        [sms] = notify.sent
        receipt = notify.delivery_receipt(sms, "delivered")
        with TestClient(app, base_url="https://testserver") as client:
            wrong = client.post(
                "/callbacks/notify", json=receipt, headers={"authorization": "Bearer nope"}
            )
            assert wrong.status_code == 401
            for _ in range(2):
                right = client.post(
                    "/callbacks/notify",
                    json=receipt,
                    headers={"authorization": "Bearer receipt-token"},
                )
                assert right.json() == {"matched": True}
            late_echo = notify.delivery_receipt(sms, "sending")
            client.post(
                "/callbacks/notify",
                json=late_echo,
                headers={"authorization": "Bearer receipt-token"},
            )
        with database.sessions() as session:
            assert session.scalars(select(TextMessage.status)).one() == "delivered"
        database.dispose()


def test_a_twilio_failure_receipt_puts_the_text_on_the_follow_up_list(
    tmp_path: Path, migrated_template: Path
) -> None:
    import shutil

    shutil.copy(migrated_template, tmp_path / "videoresponse.db")
    with FakeTwilioApi() as twilio:
        settings = make_settings(
            tmp_path,
            sms_provider="twilio",
            twilio_account_sid=twilio.account_sid,
            twilio_auth_token=twilio.auth_token,
            twilio_sender="+447700900999",
            twilio_api_base_url=twilio.url,
            public_base_url="https://testserver",
        )
        database = Database(settings.database_url)
        supervisor = make_staff(database, Role.SUPERVISOR)
        officer = make_staff(database, Role.VIDEO_OFFICER)
        make_shift(database, officer.id, _tomorrow_at(9), _tomorrow_at(17))
        _, person = make_case(database, created_by=supervisor.id)
        booking.book(
            database, settings, person_id=person, starts_at=_tomorrow_at(10), by=supervisor
        )
        app = create_app(settings, database)
        TextWorker(database, settings, app.state.sms_provider, load_wording(None)).run_once()
        [sms] = twilio.sent
        callback = twilio.signed_status_callback(sms, "undelivered", error_code="30005")
        path = callback.url.removeprefix("https://testserver")
        with TestClient(app, base_url="https://testserver") as client:
            forged = client.post(path, data=callback.form, headers={"x-twilio-signature": "AAAA"})
            assert forged.status_code == 401
            accepted = client.post(
                path, data=callback.form, headers={"x-twilio-signature": callback.signature}
            )
            assert accepted.json() == {"matched": True}
            sign_in(client, supervisor)
            page = client.get("/supervisor/texts")
            assert "Could not text: phone the person" in page.text
        assert twilio_signature(settings.twilio_auth_token, callback.url, callback.form) == (
            callback.signature
        )
        database.dispose()


def test_text_kinds_are_labelled_in_words() -> None:
    from videoresponse.core.web import make_templates

    parts = make_templates().env.get_template("notify/parts.html").module
    labels = {kind: str(parts.kind_label(kind)) for kind in ("call_now", "confirmation")}  # type: ignore[attr-defined]
    assert labels == {"call_now": "Video call now", "confirmation": "Confirmation"}


def test_the_short_text_form_mentions_the_code_word_only_as_conditional(
    client: TestClient, booked
) -> None:
    handler, appointment = booked
    sign_in(client, handler)
    page = client.get(f"/appointments/{appointment}/texts").text
    assert "it starts with their code word" not in page
    assert "if they have a code word it starts with that" in page
