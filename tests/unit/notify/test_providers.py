"""Each text-message provider against a local stand-in for the real service."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from tests.fakes import FakeNotifyApi, FakeTwilioApi
from videoresponse.notify.providers import (
    GovukNotify,
    LocalOutbox,
    LookupUnsupported,
    OutgoingText,
    PermanentFailure,
    SendResult,
    SmsProvider,
    TemporaryFailure,
    TwilioSms,
)
from videoresponse.notify.providers.base import parse_retry_after

MOBILE = "+447700900123"
SENDER = "+447700900000"
CALLBACK_URL = "https://videoresponse.example.police.uk/notify/twilio/status"
TEMPLATES = {"confirmation": str(uuid.uuid4()), "reminder": str(uuid.uuid4())}
TIMEOUT = 2.0  # seconds: no test waits long on a client


def text(reference: str = "vr-msg-1", **overrides: Any) -> OutgoingText:
    values: dict[str, Any] = {
        "reference": reference,
        "to": MOBILE,
        "body": "Your video appointment is on 3 June at 10:30. Join: https://vr.example/j/abc",
        "template": "confirmation",
        "personalisation": {"date": "3 June", "time": "10:30", "link": "https://vr.example/j/abc"},
    }
    values.update(overrides)
    return OutgoingText(**values)


@pytest.fixture
def notify_api() -> Iterator[FakeNotifyApi]:
    with FakeNotifyApi() as api:
        yield api


@pytest.fixture
def notify(notify_api: FakeNotifyApi) -> GovukNotify:
    return GovukNotify(notify_api.api_key, TEMPLATES, base_url=notify_api.url, timeout=TIMEOUT)


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(unsubscribed=frozenset({"+447700900999"})) as api:
        yield api


@pytest.fixture
def twilio(twilio_api: FakeTwilioApi) -> TwilioSms:
    return TwilioSms(
        twilio_api.account_sid,
        twilio_api.auth_token,
        SENDER,
        CALLBACK_URL,
        api_base_url=twilio_api.url,
        timeout=TIMEOUT,
    )


def test_every_provider_has_a_distinct_name_that_fits_the_outbox_table(
    tmp_path: Path, notify: GovukNotify, twilio: TwilioSms
) -> None:
    providers: list[SmsProvider] = [LocalOutbox(tmp_path), notify, twilio]
    names = [provider.name for provider in providers]
    assert len(set(names)) == 3
    assert all(len(name) <= 20 for name in names)


# --- the local outbox ----------------------------------------------------------------------


def test_local_outbox_writes_the_whole_text_as_one_json_line(tmp_path: Path) -> None:
    outbox = LocalOutbox(tmp_path / "outbox")
    result = outbox.send(text())
    [line] = (tmp_path / "outbox" / "texts.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert record["provider_id"] == result.provider_id
    assert record["reference"] == "vr-msg-1"
    assert record["to"] == MOBILE
    assert record["body"] == text().body
    assert record["template"] == "confirmation"
    assert datetime.fromisoformat(record["sent_at"]).tzinfo is not None


def test_local_outbox_sends_a_reference_only_once(tmp_path: Path) -> None:
    outbox = LocalOutbox(tmp_path)
    first = outbox.send(text())
    again = outbox.send(text(body="a different body"))
    assert again == first
    assert len(outbox.texts()) == 1


def test_local_outbox_finds_what_it_sent_and_nothing_else(tmp_path: Path) -> None:
    outbox = LocalOutbox(tmp_path)
    assert outbox.find_sent("vr-msg-1") is None  # before the file exists
    result = outbox.send(text())
    assert outbox.find_sent("vr-msg-1") == result
    assert outbox.find_sent("vr-msg-2") is None


def test_local_outbox_lists_texts_newest_first_up_to_the_limit(tmp_path: Path) -> None:
    outbox = LocalOutbox(tmp_path)
    for n in range(5):
        outbox.send(text(f"vr-msg-{n}"))
    assert [t.reference for t in outbox.texts(limit=3)] == ["vr-msg-4", "vr-msg-3", "vr-msg-2"]


def test_local_outbox_refuses_a_number_not_in_international_form(tmp_path: Path) -> None:
    outbox = LocalOutbox(tmp_path)
    with pytest.raises(PermanentFailure) as refused:
        outbox.send(text(to="07700900123"))
    assert "07700900123" not in refused.value.reason
    assert outbox.texts() == []


def test_local_outbox_survives_a_line_torn_by_a_crash(tmp_path: Path) -> None:
    (tmp_path / "texts.jsonl").write_text('{"reference": "vr-msg-0", "provider_id": "ab')
    outbox = LocalOutbox(tmp_path)
    outbox.send(text())
    assert [t.reference for t in outbox.texts()] == ["vr-msg-1"]
    assert outbox.find_sent("vr-msg-0") is None


def test_local_outbox_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    outbox = LocalOutbox(tmp_path / "outbox")
    outbox.send(text())
    assert stat.S_IMODE(outbox.path.stat().st_mode) == 0o600


def _send_many(folder: str, prefix: str, count: int, start: Any) -> None:
    """One worker process: wait for the other, then send as fast as it can."""
    outbox = LocalOutbox(Path(folder))
    start.wait(10)
    for n in range(count):
        outbox.send(text(f"{prefix}-{n}", body=f"{prefix} {n} " + "é" * 3000))


def test_local_outbox_two_processes_appending_at_once_never_interleave_lines(
    tmp_path: Path,
) -> None:
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    start = context.Event()
    workers = [
        context.Process(target=_send_many, args=(str(tmp_path), prefix, 100, start))
        for prefix in "ab"
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=60)
        if worker.is_alive():
            worker.kill()
        assert worker.exitcode == 0
    lines = (tmp_path / "texts.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]  # every line whole
    assert len(records) == 200
    assert {r["reference"] for r in records} == {f"{p}-{n}" for p in "ab" for n in range(100)}
    assert all(r["body"].startswith(r["reference"].replace("-", " ")) for r in records)


def test_local_outbox_checks_and_appends_under_one_lock_so_a_racing_worker_wins_cleanly(
    tmp_path: Path,
) -> None:
    outbox = LocalOutbox(tmp_path)
    outbox.send(text("vr-msg-0"))  # creates the file
    results: list[SendResult] = []
    with outbox.path.open("a") as other_worker:
        fcntl.flock(other_worker, fcntl.LOCK_EX)
        sender = threading.Thread(target=lambda: results.append(outbox.send(text())))
        sender.start()
        sender.join(timeout=0.3)
        assert sender.is_alive()  # waiting for the other worker's lock
        line = {**json.loads(outbox.path.read_text()), "reference": "vr-msg-1", "provider_id": "x"}
        other_worker.write(json.dumps(line) + "\n")
        other_worker.flush()
        fcntl.flock(other_worker, fcntl.LOCK_UN)
    sender.join(timeout=5)
    assert results == [SendResult(provider_id="x")]
    assert len(outbox.texts()) == 2


# --- GOV.UK Notify -------------------------------------------------------------------------


def test_notify_send_returns_notifys_id_and_sends_template_personalisation_reference(
    notify: GovukNotify, notify_api: FakeNotifyApi
) -> None:
    result = notify.send(text())
    [sms] = notify_api.sent
    assert result.provider_id == sms.id
    assert sms.phone_number == MOBILE
    assert sms.template_id == TEMPLATES["confirmation"]
    assert sms.personalisation == dict(text().personalisation)
    assert sms.reference == "vr-msg-1"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_notify_server_error_is_temporary(
    notify: GovukNotify, notify_api: FakeNotifyApi, status: int
) -> None:
    notify_api.fail_next(status)
    with pytest.raises(TemporaryFailure):
        notify.send(text())
    assert notify_api.sent == []


def test_notify_rate_limit_is_temporary_and_says_when_to_retry(
    notify: GovukNotify, notify_api: FakeNotifyApi
) -> None:
    notify_api.fail_next(429, retry_after="7")
    with pytest.raises(TemporaryFailure) as failure:
        notify.send(text())
    assert failure.value.retry_after == 7.0
    assert "Exceeded rate limit" in failure.value.reason


def test_notify_dropped_connection_is_temporary(
    notify: GovukNotify, notify_api: FakeNotifyApi
) -> None:
    notify_api.drop_next()
    with pytest.raises(TemporaryFailure):
        notify.send(text())
    assert notify_api.sent == []
    assert notify.send(text()).provider_id == notify_api.sent[0].id  # the next try gets through


def test_notify_timeout_is_temporary(notify_api: FakeNotifyApi) -> None:
    impatient = GovukNotify(notify_api.api_key, TEMPLATES, base_url=notify_api.url, timeout=0.2)
    notify_api.stall_next(5)
    with pytest.raises(TemporaryFailure):
        impatient.send(text())


def test_notify_unreachable_is_temporary() -> None:
    with FakeNotifyApi() as stopped:
        url, key = stopped.url, stopped.api_key
    with pytest.raises(TemporaryFailure):
        GovukNotify(key, TEMPLATES, base_url=url, timeout=TIMEOUT).send(text())


def test_notify_invalid_number_is_permanent_with_notifys_message(
    notify: GovukNotify, notify_api: FakeNotifyApi
) -> None:
    with pytest.raises(PermanentFailure) as failure:
        notify.send(text(to="+15005550006"))
    assert failure.value.reason == "ValidationError: phone_number Not a UK mobile number"
    assert notify_api.sent == []


def test_notify_reason_never_carries_a_phone_number(
    notify: GovukNotify, notify_api: FakeNotifyApi
) -> None:
    notify_api.fail_next(400, error="BadRequestError", message="Can't send to 07700 900123")
    with pytest.raises(PermanentFailure) as failure:
        notify.send(text())
    assert "900123" not in failure.value.reason


def test_notify_bad_api_key_is_permanent(notify_api: FakeNotifyApi) -> None:
    wrong_secret = f"videoresponse_test-{notify_api.service_id}-{uuid.uuid4()}"
    with pytest.raises(PermanentFailure) as failure:
        GovukNotify(wrong_secret, TEMPLATES, base_url=notify_api.url, timeout=TIMEOUT).send(text())
    assert failure.value.reason.startswith("AuthError: Invalid token")
    assert wrong_secret[-36:] not in failure.value.reason
    assert notify_api.sent == []


def test_notify_fake_checks_the_jwt_as_notify_does(notify_api: FakeNotifyApi) -> None:
    def status_with(claims: dict[str, Any], key: str = notify_api.secret) -> int:
        token = jwt.encode(claims, key, algorithm="HS256")
        headers = {"Authorization": f"Bearer {token}"}
        return requests.get(
            f"{notify_api.url}/v2/notifications", headers=headers, timeout=2
        ).status_code

    now = int(time.time())
    assert status_with({"iss": notify_api.service_id, "iat": now}) == 200
    assert status_with({"iss": notify_api.service_id, "iat": now - 60}) == 403  # over 30 s old
    assert status_with({"iss": str(uuid.uuid4()), "iat": now}) == 403  # another service
    assert status_with({"iss": notify_api.service_id, "iat": now}, key="x" * 36) == 403


def test_notify_scripted_auth_error_is_permanent(
    notify: GovukNotify, notify_api: FakeNotifyApi
) -> None:
    notify_api.fail_next(403)
    with pytest.raises(PermanentFailure, match="AuthError"):
        notify.send(text())


def test_notify_kind_without_a_template_is_permanent_and_sends_nothing(
    notify: GovukNotify, notify_api: FakeNotifyApi
) -> None:
    with pytest.raises(PermanentFailure, match="no Notify template for cancellation"):
        notify.send(text(template="cancellation"))
    assert notify_api.requests == []


def test_notify_find_sent_finds_a_text_by_reference(
    notify: GovukNotify, notify_api: FakeNotifyApi
) -> None:
    notify.send(text("vr-msg-1"))
    second = notify.send(text("vr-msg-2"))
    assert notify.find_sent("vr-msg-2") == second
    assert notify_api.requests[-1].query == {"template_type": "sms", "reference": "vr-msg-2"}


def test_notify_find_sent_is_none_when_notify_never_had_the_reference(
    notify: GovukNotify,
) -> None:
    notify.send(text("vr-msg-1"))
    assert notify.find_sent("vr-msg-9") is None


def test_notify_after_an_answer_lost_in_transit_find_sent_prevents_a_second_text(
    notify: GovukNotify, notify_api: FakeNotifyApi
) -> None:
    notify_api.drop_next(after_accepting=True)
    with pytest.raises(TemporaryFailure):
        notify.send(text())
    found = notify.find_sent("vr-msg-1")
    assert found is not None and found.provider_id == notify_api.sent[0].id
    assert len(notify_api.sent) == 1


def test_notify_find_sent_failure_is_temporary(
    notify: GovukNotify, notify_api: FakeNotifyApi
) -> None:
    notify_api.fail_next(500)
    with pytest.raises(TemporaryFailure):
        notify.find_sent("vr-msg-1")


def test_notify_refuses_a_malformed_api_key() -> None:
    with pytest.raises(ValueError, match="API key"):
        GovukNotify("not-a-key", TEMPLATES)


# --- Twilio --------------------------------------------------------------------------------


def test_twilio_send_returns_the_sid_and_sends_body_to_from_and_callback_with_reference(
    twilio: TwilioSms, twilio_api: FakeTwilioApi
) -> None:
    result = twilio.send(text())
    [message] = twilio_api.sent
    assert result.provider_id == message.sid and message.sid.startswith("SM")
    assert (message.to, message.from_, message.body) == (MOBILE, SENDER, text().body)
    assert message.messaging_service_sid is None
    assert message.status_callback == f"{CALLBACK_URL}?reference=vr-msg-1"


def test_twilio_messaging_service_sender_goes_as_messaging_service_sid(
    twilio_api: FakeTwilioApi,
) -> None:
    service = "MG" + "0" * 32
    provider = TwilioSms(
        twilio_api.account_sid, twilio_api.auth_token, service, None, api_base_url=twilio_api.url
    )
    provider.send(text())
    [message] = twilio_api.sent
    assert (message.from_, message.messaging_service_sid) == (None, service)
    assert message.status_callback is None  # no callback URL configured, none sent


@pytest.mark.parametrize("status", [500, 503])
def test_twilio_server_error_is_temporary(
    twilio: TwilioSms, twilio_api: FakeTwilioApi, status: int
) -> None:
    twilio_api.fail_next(status)
    with pytest.raises(TemporaryFailure):
        twilio.send(text())


def _in_a_minute() -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)


@pytest.mark.parametrize(("retry_after", "seconds"), [(lambda: "3", 3.0), (_in_a_minute, 60.0)])
def test_twilio_rate_limit_is_temporary_and_says_when_to_retry(
    twilio: TwilioSms, twilio_api: FakeTwilioApi, retry_after: Callable[[], str], seconds: float
) -> None:
    twilio_api.fail_next(429, retry_after=retry_after())
    with pytest.raises(TemporaryFailure) as failure:
        twilio.send(text())
    assert failure.value.retry_after == pytest.approx(seconds, abs=2)


def test_twilio_dropped_connection_is_temporary(
    twilio: TwilioSms, twilio_api: FakeTwilioApi
) -> None:
    twilio_api.drop_next()
    with pytest.raises(TemporaryFailure):
        twilio.send(text())
    assert twilio_api.sent == []


def test_twilio_timeout_is_temporary(twilio_api: FakeTwilioApi) -> None:
    impatient = TwilioSms(
        twilio_api.account_sid,
        twilio_api.auth_token,
        SENDER,
        None,
        api_base_url=twilio_api.url,
        timeout=0.2,
    )
    twilio_api.stall_next(5)
    with pytest.raises(TemporaryFailure):
        impatient.send(text())


def test_twilio_invalid_number_is_permanent_and_the_reason_does_not_repeat_it(
    twilio: TwilioSms, twilio_api: FakeTwilioApi
) -> None:
    with pytest.raises(PermanentFailure) as failure:
        twilio.send(text(to="07700900123"))
    assert failure.value.reason == "Twilio 21211: not a valid phone number"
    assert twilio_api.sent == []


def test_twilio_unsubscribed_recipient_is_permanent(twilio: TwilioSms) -> None:
    with pytest.raises(PermanentFailure, match="21610"):
        twilio.send(text(to="+447700900999"))


def test_twilio_unknown_client_error_is_permanent_with_its_message_redacted(
    twilio: TwilioSms, twilio_api: FakeTwilioApi
) -> None:
    twilio_api.fail_next(400, code=21999, message="Cannot send to +447700900123 today")
    with pytest.raises(PermanentFailure) as failure:
        twilio.send(text())
    assert failure.value.reason == "Twilio 21999: Cannot send to [number] today"


def test_twilio_bad_credentials_are_permanent(twilio_api: FakeTwilioApi) -> None:
    provider = TwilioSms(
        twilio_api.account_sid, "0" * 32, SENDER, None, api_base_url=twilio_api.url
    )
    with pytest.raises(PermanentFailure, match="20003"):
        provider.send(text())
    assert twilio_api.sent == []


def test_twilio_cannot_look_a_text_up_by_our_reference(twilio: TwilioSms) -> None:
    with pytest.raises(LookupUnsupported):
        twilio.find_sent("vr-msg-1")


# --- Retry-After ---------------------------------------------------------------------------


def test_retry_after_reads_seconds_or_an_http_date_and_ignores_nonsense() -> None:
    now = datetime(2025, 6, 3, 10, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Tue, 03 Jun 2025 10:00:30 GMT", now) == 30.0
    assert parse_retry_after("Tue, 03 Jun 2025 09:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
