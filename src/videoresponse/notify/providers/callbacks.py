"""Delivery receipts: the providers calling us back to say what became of a text.

Each parser checks that the caller is the provider (a shared bearer token for Notify, an
HMAC signature for Twilio) before it reads anything, and turns the provider's own status
into one of ours. Both raise CallbackRejected, which the endpoint answers with a 4xx.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator

from videoresponse.notify.providers.base import CallbackRejected, DeliveryReceipt, DeliveryStatus

# docs.notifications.service.gov.uk/rest-api.html#status-text-message
NOTIFY_STATUSES: dict[str, tuple[DeliveryStatus, str]] = {
    "created": ("sending", "Notify has queued the text"),
    "sending": ("sending", "Notify has sent the text to the phone network"),
    "pending": ("sending", "Notify is waiting for the phone network to report"),
    # International texts: some countries' networks never report delivery.
    "sent": ("sending", "sent abroad; the network may never confirm delivery"),
    "delivered": ("delivered", "delivered to the phone"),
    "permanent-failure": ("permanent_failure", "the number does not exist or cannot take texts"),
    "temporary-failure": ("temporary_failure", "the phone was off, out of signal or full"),
    # Notify's own fault: the text never left Notify, so sending again can work.
    "technical-failure": ("temporary_failure", "Notify had a technical failure"),
}

TWILIO_STATUSES: dict[str, DeliveryStatus] = {
    "accepted": "sending",
    "scheduled": "sending",
    "queued": "sending",
    "sending": "sending",
    "sent": "sending",  # handed to the carrier; "delivered" follows if the carrier reports
    "partially_delivered": "sending",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "permanent_failure",
    "failed": "permanent_failure",
    "canceled": "permanent_failure",
}

# Twilio error codes on an undelivered or failed text that say "not now" rather than
# "never" (twilio.com/docs/api/errors). 30003 is a phone switched off or out of signal:
# what Notify calls a temporary-failure, so both providers lead the worker to the same place.
TWILIO_TEMPORARY_ERRORS: dict[str, str] = {
    "30001": "Twilio's queue was full",
    "30003": "the phone was off or out of signal",
    "30008": "unknown error from the phone network",
    "30009": "part of the text went missing",
    "30017": "the phone network was congested",
}
TWILIO_PERMANENT_ERRORS: dict[str, str] = {
    "30002": "the Twilio account is suspended",
    "30004": "the person has blocked texts from this sender",
    "30005": "the number does not exist",
    "30006": "a landline or a network that takes no texts",
    "30007": "the phone network filtered the text as spam",
    "30010": "the text cost more than the price limit",
}


def parse_notify_callback(
    authorization_header: str | None, body: Mapping[str, Any], bearer_token: str
) -> DeliveryReceipt:
    """A Notify delivery receipt, from a caller holding our bearer token."""
    if not bearer_token:
        # An empty token would let "Bearer " through: refuse rather than accept anyone.
        raise CallbackRejected("no Notify callback token is configured")
    scheme, _, token = (authorization_header or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), bearer_token.encode()
    ):
        raise CallbackRejected("wrong or missing bearer token")
    notification_id, status = body.get("id"), body.get("status")
    if not isinstance(notification_id, str) or not notification_id:
        raise CallbackRejected("no notification id")
    if body.get("notification_type", "sms") != "sms":
        raise CallbackRejected("not a text message")
    if not isinstance(status, str) or status not in NOTIFY_STATUSES:
        raise CallbackRejected("unknown Notify status")
    ours, detail = NOTIFY_STATUSES[status]
    reference = body.get("reference")
    return DeliveryReceipt(
        provider_id=notification_id,
        reference=reference if isinstance(reference, str) and reference else None,
        status=ours,
        detail=detail,
    )


def parse_twilio_callback(
    url: str, form: Mapping[str, str], signature: str | None, auth_token: str
) -> DeliveryReceipt:
    """A Twilio status callback, signed with our auth token.

    `url` must be the URL exactly as Twilio called it, query string included (behind a
    proxy: the public URL, not the one the app sees), since the signature covers it.
    """
    if not auth_token or not signature:
        raise CallbackRejected("no signature, or no auth token to check it with")
    if not RequestValidator(auth_token).validate(url, form, signature):
        raise CallbackRejected("bad X-Twilio-Signature")
    sid = form.get("MessageSid") or form.get("SmsSid")
    status = form.get("MessageStatus") or form.get("SmsStatus")
    if not sid:
        raise CallbackRejected("no MessageSid")
    if not status or status not in TWILIO_STATUSES:
        raise CallbackRejected("unknown Twilio status")
    ours = TWILIO_STATUSES[status]
    detail = status
    error_code = form.get("ErrorCode") or ""
    if ours == "permanent_failure" and error_code:
        if error_code in TWILIO_TEMPORARY_ERRORS:
            ours = "temporary_failure"
        description = TWILIO_TEMPORARY_ERRORS.get(error_code) or TWILIO_PERMANENT_ERRORS.get(
            error_code, "see twilio.com/docs/api/errors"
        )
        detail = f"{status}: Twilio error {error_code}, {description}"
    references = parse_qs(urlsplit(url).query).get("reference")
    return DeliveryReceipt(
        provider_id=sid,
        reference=references[0] if references else None,
        status=ours,
        detail=detail,
    )
