"""A local Twilio: the Messages resource of the 2010-04-01 API, and signed status callbacks.

It checks HTTP basic auth (account SID and auth token), validates the form fields the way
Twilio does, and answers in Twilio's shapes, errors included:
{"code": 21211, "message": "...", "more_info": "https://www.twilio.com/docs/errors/21211",
"status": 400}. `signed_status_callback` signs a receipt exactly as Twilio does, so the
app's callback endpoint can be tested end to end.

    with FakeTwilioApi() as twilio:
        provider = TwilioSms(twilio.account_sid, twilio.auth_token, "+447700900000",
                             callback_url, api_base_url=twilio.url)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from tests.fakes.server import (
    FakeHttpApi,
    FakeRequest,
    FakeResponse,
    Fault,
    post_to_this_machine,
)

API_VERSION = "2010-04-01"
_MESSAGES = re.compile(rf"/{API_VERSION}/Accounts/(AC[0-9a-f]{{32}})/Messages\.json")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")

DEFAULT_ERRORS: dict[int, tuple[int, str]] = {
    400: (21211, "The 'To' number is not a valid phone number."),
    401: (20003, "Authenticate"),
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}


@dataclass(frozen=True)
class TwilioSmsRecord:
    """A message the fake accepted, with the form fields it came with."""

    sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None


class TwilioError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.response = twilio_error(status, code, message)


def twilio_error(status: int, code: int | None = None, message: str | None = None) -> FakeResponse:
    default_code, default_message = DEFAULT_ERRORS.get(status, (20001, "Bad request"))
    code = code or default_code
    body = {
        "code": code,
        "message": message or default_message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return FakeResponse(status, body)


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1, keyed by the auth token, of the URL followed by
    each POST parameter's name and value, sorted by name (twilio.com/docs/usage/security)."""
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class SignedCallback:
    url: str
    form: dict[str, str]
    signature: str


class FakeTwilioApi(FakeHttpApi):
    def __init__(self, *, unsubscribed: frozenset[str] = frozenset()) -> None:
        """`unsubscribed`: numbers that replied STOP (Twilio refuses them with 21610)."""
        super().__init__()
        self.account_sid = "AC" + secrets.token_hex(16)
        self.auth_token = secrets.token_hex(16)
        self.unsubscribed = unsubscribed
        self.sent: list[TwilioSmsRecord] = []
        self._sent_lock = threading.Lock()

    def fail_next(
        self,
        status: int,
        *,
        code: int | None = None,
        message: str | None = None,
        retry_after: str | None = None,
    ) -> None:
        """Answer the next request with this error (Twilio's JSON shape)."""
        response = twilio_error(status, code, message)
        if retry_after is not None:
            response = FakeResponse(status, response.body, {"Retry-After": retry_after})
        self.add_fault(Fault(response=response))

    def signed_status_callback(
        self,
        message: TwilioSmsRecord,
        status: str,
        *,
        error_code: str | None = None,
        url: str | None = None,
    ) -> SignedCallback:
        """The status callback Twilio would send about `message`, and its signature."""
        target = url or message.status_callback
        if not target:
            raise ValueError("the message has no StatusCallback and no url was given")
        form = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": message.from_ or "+447700900000",
            "MessageSid": message.sid,
            "MessageStatus": status,
            "SmsSid": message.sid,
            "SmsStatus": status,
            "To": message.to,
        }
        if message.messaging_service_sid:
            form["MessagingServiceSid"] = message.messaging_service_sid
        if error_code:
            form["ErrorCode"] = error_code
        return SignedCallback(target, form, twilio_signature(self.auth_token, target, form))

    def post_status_callback(
        self, message: TwilioSmsRecord, status: str, *, error_code: str | None = None
    ) -> int:
        """POST a signed status callback to the message's StatusCallback (this machine only)."""
        callback = self.signed_status_callback(message, status, error_code=error_code)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": callback.signature,
            "User-Agent": "TwilioProxy/1.1",
        }
        return post_to_this_machine(callback.url, urlencode(callback.form).encode(), headers)

    # --- the API -----------------------------------------------------------------------
    def handle(self, request: FakeRequest) -> FakeResponse:
        try:
            self._authenticate(request.headers.get("authorization"))
            match = _MESSAGES.fullmatch(request.path)
            if request.method != "POST" or not match or match.group(1) != self.account_sid:
                message = f"The requested resource {request.path} was not found"
                raise TwilioError(404, 20404, message)
            return self._create_message(dict(parse_qsl(request.body.decode())))
        except TwilioError as error:
            return error.response

    def _authenticate(self, header: str | None) -> None:
        scheme, _, encoded = (header or "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            user = password = ""
        good = hmac.compare_digest(f"{user}:{password}", f"{self.account_sid}:{self.auth_token}")
        if scheme != "Basic" or not good:
            raise TwilioError(401, 20003, "Authenticate")

    def _create_message(self, form: Mapping[str, str]) -> FakeResponse:
        to, body = form.get("To"), form.get("Body", "")
        from_, service = form.get("From"), form.get("MessagingServiceSid")
        if not to:
            raise TwilioError(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            raise TwilioError(400, 21603, "A 'From' phone number is required.")
        if not body:
            raise TwilioError(400, 21602, "Message body is required.")
        if not _E164.fullmatch(to):
            # Twilio quotes the number back: the adapter must not pass it on.
            raise TwilioError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if len(body) > 1600:
            message = "The concatenated message body exceeds the 1600 character limit."
            raise TwilioError(400, 21617, message)
        if to in self.unsubscribed:
            raise TwilioError(400, 21610, "Attempt to send to unsubscribed recipient")
        record = TwilioSmsRecord(
            sid="SM" + secrets.token_hex(16),
            to=to,
            from_=from_,
            messaging_service_sid=service,
            body=body,
            status_callback=form.get("StatusCallback"),
        )
        with self._sent_lock:
            self.sent.append(record)
        return FakeResponse(201, self._as_created(record))

    def _as_created(self, record: TwilioSmsRecord) -> dict[str, Any]:
        now = format_datetime(datetime.now(UTC))
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{record.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": record.body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            # With a messaging service, Twilio picks the sender later and says "accepted".
            "from": record.from_,
            "messaging_service_sid": record.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(
                1 if len(record.body) <= 160 else math.ceil(len(record.body) / 153)
            ),
            "price": None,
            "price_unit": "USD",
            "sid": record.sid,
            "status": "accepted" if record.messaging_service_sid else "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": record.to,
            "uri": f"{uri}.json",
        }
