"""What every text-message provider offers the worker, and the failures it may raise.

The worker saves a message first and sends it afterwards (as GOV.UK Notify does), so a
provider only has to say which of three things happened: accepted (`SendResult`), worth
trying again (`TemporaryFailure`) or never going to work (`PermanentFailure`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal, Protocol

# ITU-T E.164: a plus, a country code that does not start with 0, at most 15 digits.
E164 = re.compile(r"\+[1-9][0-9]{6,14}")

# A provider's error text may quote the number it refused (Twilio's 21211 does); a run of
# seven or more digits, perhaps with a plus, spaces or dashes, is treated as a number.
_NUMBER_LIKE = re.compile(r"\+?\d[\d ()\-]{5,}\d")
_REASON_LIMIT = 200


@dataclass(frozen=True)
class OutgoingText:
    reference: str  # our idempotency reference, e.g. "vr-msg-42"; unique per message
    to: str  # E.164, e.g. "+447700900123"
    body: str  # the full rendered text (the local outbox and Twilio send this)
    # "confirmation", "reminder", "reschedule", "cancellation", "invitation", "custom"
    template: str
    personalisation: Mapping[str, str]  # the placeholders' values (Notify sends these)


@dataclass(frozen=True)
class SendResult:
    provider_id: str  # the provider's id for the message


class TemporaryFailure(Exception):
    """May succeed on retry: 5xx, 429, timeouts, connection errors.

    A timeout or a dropped connection does not prove the provider never got the message.
    Where the provider can look a message up (`find_sent`), ask it before sending again.
    """

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after  # seconds, from Retry-After when the provider gives one


class PermanentFailure(Exception):
    """Will never succeed: bad number, rejected content, auth or configuration error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # short, no secrets, no phone numbers


class LookupUnsupported(Exception):
    """The provider cannot tell whether it has a message with a given reference."""


class SmsProvider(Protocol):
    name: str

    def send(self, text: OutgoingText) -> SendResult: ...

    def find_sent(self, reference: str) -> SendResult | None:
        """After a crash between sending and recording: has the provider got this reference?

        None means it certainly has not. Raise LookupUnsupported if the provider cannot tell.
        """
        ...


DeliveryStatus = Literal["sending", "delivered", "permanent_failure", "temporary_failure"]


@dataclass(frozen=True)
class DeliveryReceipt:
    provider_id: str
    reference: str | None
    status: DeliveryStatus
    detail: str


class CallbackRejected(Exception):
    """A delivery receipt with a bad token or signature, or a malformed body."""


def is_e164(number: str) -> bool:
    return E164.fullmatch(number) is not None


def redact_numbers(text: str) -> str:
    """A provider's error text, fit for our logs and tables: no phone numbers, bounded."""
    return _NUMBER_LIKE.sub("[number]", text)[:_REASON_LIMIT]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait, from Retry-After's delay-seconds or HTTP-date (RFC 9110 s.10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
