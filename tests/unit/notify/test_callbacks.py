"""Delivery receipts: only the provider's own are believed, and each status becomes ours."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest

from tests.fakes import FakeNotifyApi, FakeTwilioApi, TwilioSmsRecord
from tests.fakes.server import FakeHttpApi, FakeRequest, FakeResponse
from videoresponse.notify.providers import (
    CallbackRejected,
    DeliveryReceipt,
    GovukNotify,
    OutgoingText,
    TwilioSms,
    parse_notify_callback,
    parse_twilio_callback,
)

TOKEN = "a-long-random-callback-token"
CALLBACK_URL = "https://videoresponse.example.police.uk/notify/twilio/status"


def notify_body(status: str = "delivered", **overrides: Any) -> dict[str, Any]:
    body = {
        "id": "740e5834-3a29-46b4-9a6f-16142fde533a",
        "reference": "vr-msg-42",
        "to": "07700900123",
        "status": status,
        "created_at": "2025-06-03T10:00:00.000000Z",
        "completed_at": "2025-06-03T10:00:05.000000Z",
        "sent_at": "2025-06-03T10:00:01.000000Z",
        "notification_type": "sms",
    }
    body.update(overrides)
    return body


def outgoing(reference: str = "vr-msg-42") -> OutgoingText:
    return OutgoingText(reference, "+447700900123", "Your appointment…", "confirmation", {})


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi() as api:
        yield api


@pytest.fixture
def sent_by_twilio(twilio_api: FakeTwilioApi) -> TwilioSmsRecord:
    provider = TwilioSms(
        twilio_api.account_sid,
        twilio_api.auth_token,
        "+447700900000",
        CALLBACK_URL,
        api_base_url=twilio_api.url,
        timeout=2,
    )
    provider.send(outgoing())
    return twilio_api.sent[0]


# --- GOV.UK Notify -------------------------------------------------------------------------


def test_notify_receipt_with_our_bearer_token_is_accepted() -> None:
    receipt = parse_notify_callback(f"Bearer {TOKEN}", notify_body(), TOKEN)
    assert receipt == DeliveryReceipt(
        provider_id="740e5834-3a29-46b4-9a6f-16142fde533a",
        reference="vr-msg-42",
        status="delivered",
        detail="delivered to the phone",
    )


@pytest.mark.parametrize(
    "header", [None, "", f"Bearer {TOKEN}x", "Bearer wrong", f"Basic {TOKEN}", TOKEN]
)
def test_notify_receipt_without_our_bearer_token_is_rejected(header: str | None) -> None:
    with pytest.raises(CallbackRejected):
        parse_notify_callback(header, notify_body(), TOKEN)


def test_notify_receipts_are_all_rejected_when_no_token_is_configured() -> None:
    with pytest.raises(CallbackRejected):
        parse_notify_callback("Bearer ", notify_body(), "")


@pytest.mark.parametrize(
    ("notify_status", "ours"),
    [
        ("created", "sending"),
        ("sending", "sending"),
        ("pending", "sending"),
        ("sent", "sending"),
        ("delivered", "delivered"),
        ("permanent-failure", "permanent_failure"),
        ("temporary-failure", "temporary_failure"),
        ("technical-failure", "temporary_failure"),
    ],
)
def test_notify_statuses_become_ours(notify_status: str, ours: str) -> None:
    assert (
        parse_notify_callback(f"Bearer {TOKEN}", notify_body(notify_status), TOKEN).status == ours
    )


@pytest.mark.parametrize(
    "body",
    [
        notify_body("exploded"),
        {**notify_body(), "status": None},
        notify_body(id=None),
        notify_body(notification_type="email"),
        {},
    ],
)
def test_notify_malformed_receipt_is_rejected(body: dict[str, Any]) -> None:
    with pytest.raises(CallbackRejected):
        parse_notify_callback(f"Bearer {TOKEN}", body, TOKEN)


def test_notify_receipt_without_a_reference_still_names_the_notification() -> None:
    receipt = parse_notify_callback(f"Bearer {TOKEN}", notify_body(reference=None), TOKEN)
    assert (receipt.provider_id, receipt.reference) == (notify_body()["id"], None)


# --- Twilio --------------------------------------------------------------------------------


def test_twilio_receipt_signed_with_our_token_is_accepted_with_our_reference(
    twilio_api: FakeTwilioApi, sent_by_twilio: TwilioSmsRecord
) -> None:
    callback = twilio_api.signed_status_callback(sent_by_twilio, "delivered")
    receipt = parse_twilio_callback(
        callback.url, callback.form, callback.signature, twilio_api.auth_token
    )
    assert receipt == DeliveryReceipt(
        provider_id=sent_by_twilio.sid,
        reference="vr-msg-42",
        status="delivered",
        detail="delivered",
    )


def test_twilio_receipt_with_a_tampered_form_or_url_or_no_signature_is_rejected(
    twilio_api: FakeTwilioApi, sent_by_twilio: TwilioSmsRecord
) -> None:
    callback = twilio_api.signed_status_callback(sent_by_twilio, "failed", error_code="30005")
    token = twilio_api.auth_token
    tampered = {**callback.form, "MessageStatus": "delivered"}
    other_message = callback.url.replace("vr-msg-42", "vr-msg-43")
    for url, form, signature, auth_token in [
        (callback.url, tampered, callback.signature, token),
        (other_message, callback.form, callback.signature, token),
        (callback.url, callback.form, None, token),
        (callback.url, callback.form, "", token),
        (callback.url, callback.form, callback.signature, "another-token"),
        (callback.url, callback.form, callback.signature, ""),
    ]:
        with pytest.raises(CallbackRejected):
            parse_twilio_callback(url, form, signature, auth_token)


@pytest.mark.parametrize(
    ("twilio_status", "error_code", "ours"),
    [
        ("accepted", None, "sending"),
        ("queued", None, "sending"),
        ("sending", None, "sending"),
        ("sent", None, "sending"),
        ("delivered", None, "delivered"),
        ("undelivered", None, "permanent_failure"),
        ("undelivered", "30005", "permanent_failure"),
        ("undelivered", "30006", "permanent_failure"),
        ("undelivered", "30003", "temporary_failure"),
        ("failed", "30001", "temporary_failure"),
        ("failed", "30008", "temporary_failure"),
        ("failed", "30007", "permanent_failure"),
    ],
)
def test_twilio_statuses_and_error_codes_become_ours(
    twilio_api: FakeTwilioApi,
    sent_by_twilio: TwilioSmsRecord,
    twilio_status: str,
    error_code: str | None,
    ours: str,
) -> None:
    callback = twilio_api.signed_status_callback(
        sent_by_twilio, twilio_status, error_code=error_code
    )
    receipt = parse_twilio_callback(
        callback.url, callback.form, callback.signature, twilio_api.auth_token
    )
    assert receipt.status == ours
    if error_code:
        assert error_code in receipt.detail


def test_twilio_signed_receipt_with_an_unknown_status_is_rejected(
    twilio_api: FakeTwilioApi, sent_by_twilio: TwilioSmsRecord
) -> None:
    callback = twilio_api.signed_status_callback(sent_by_twilio, "received")
    with pytest.raises(CallbackRejected):
        parse_twilio_callback(
            callback.url, callback.form, callback.signature, twilio_api.auth_token
        )


# --- end to end over HTTP ------------------------------------------------------------------


class ReceiptEndpoint(FakeHttpApi):
    """What the app's callback routes do: rebuild the URL called, parse, answer 204 or 403."""

    def __init__(self, notify_token: str, twilio_token: str) -> None:
        super().__init__()
        self.notify_token, self.twilio_token = notify_token, twilio_token
        self.receipts: list[DeliveryReceipt] = []

    def handle(self, request: FakeRequest) -> FakeResponse:
        url = self.url + request.target
        try:
            if request.path == "/notify":
                receipt = parse_notify_callback(
                    request.headers.get("authorization"),
                    json.loads(request.body),
                    self.notify_token,
                )
            else:
                form = dict(parse_qsl(request.body.decode()))
                signature = request.headers.get("x-twilio-signature")
                receipt = parse_twilio_callback(url, form, signature, self.twilio_token)
        except CallbackRejected:
            return FakeResponse(403)
        self.receipts.append(receipt)
        return FakeResponse(204)


def test_twilio_receipt_posted_over_http_is_accepted_by_an_endpoint_that_checks_it(
    twilio_api: FakeTwilioApi,
) -> None:
    with ReceiptEndpoint(TOKEN, twilio_api.auth_token) as endpoint:
        provider = TwilioSms(
            twilio_api.account_sid,
            twilio_api.auth_token,
            "+447700900000",
            f"{endpoint.url}/twilio",
            api_base_url=twilio_api.url,
            timeout=2,
        )
        sent = provider.send(outgoing())
        assert twilio_api.post_status_callback(twilio_api.sent[0], "delivered") == 204
        assert endpoint.receipts == [
            DeliveryReceipt(sent.provider_id, "vr-msg-42", "delivered", "delivered")
        ]


def test_notify_receipt_posted_over_http_is_checked_for_the_token() -> None:
    notify_api = FakeNotifyApi()
    with notify_api, ReceiptEndpoint(TOKEN, "unused") as endpoint:
        provider = GovukNotify(
            notify_api.api_key, {"confirmation": str(uuid.uuid4())}, notify_api.url, timeout=2
        )
        sent = provider.send(outgoing())
        sms = notify_api.sent[0]
        assert notify_api.post_delivery_receipt(f"{endpoint.url}/notify", "wrong", sms, "x") == 403
        status = notify_api.post_delivery_receipt(f"{endpoint.url}/notify", TOKEN, sms, "delivered")
        assert status == 204
        assert [(r.provider_id, r.reference, r.status) for r in endpoint.receipts] == [
            (sent.provider_id, "vr-msg-42", "delivered")
        ]
