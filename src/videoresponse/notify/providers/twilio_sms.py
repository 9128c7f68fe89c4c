"""Twilio Programmable Messaging, through its official client (twilio).

Twilio sends our rendered body as it is. It has no idempotency key and cannot find a
message by a reference of ours, so `find_sent` cannot answer; instead the reference rides
in the status-callback URL, and the delivery receipt for a message tells the worker that
Twilio had it. A worker unsure whether a send got through waits for that receipt rather
than risk texting a victim twice.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from videoresponse.notify.providers.base import (
    LookupUnsupported,
    OutgoingText,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    parse_retry_after,
    redact_numbers,
)

RATE_LIMITED = 20429  # "Too Many Requests", whatever the HTTP status it comes with

# What our staff should read for Twilio's commonest refusals (twilio.com/docs/api/errors).
# Twilio's own text is not used as it is: 21211's quotes the number it refused.
ERROR_CODES = {
    20003: "Twilio refused the account SID or auth token",
    20404: "Twilio account or resource not found",
    21211: "not a valid phone number",
    21408: "sending to this region is not enabled on the Twilio account",
    21602: "the message has no body",
    21606: "the sender is not an SMS-capable number on the Twilio account",
    21610: "the person has replied STOP to this sender",
    21612: "Twilio cannot route a text to this number",
    21614: "not a mobile number",
    21617: "the message is longer than 1,600 characters",
}


class _HeaderKeepingHttpClient:
    """Twilio's own HTTP client, keeping each response's headers to read Retry-After.

    TwilioRestException carries the status, code and message but drops the headers.
    """

    is_async = False  # twilio.rest.Client checks this before any async call

    def __init__(self, timeout: float) -> None:
        self._inner = TwilioHttpClient(timeout=timeout)
        self._last = threading.local()  # one worker thread's response is not another's

    def request(self, *args: Any, **kwargs: Any) -> Response:
        self._last.headers = None
        response: Response = self._inner.request(*args, **kwargs)
        self._last.headers = response.headers
        return response

    def last_header(self, name: str) -> str | None:
        headers = getattr(self._last, "headers", None)
        return None if headers is None else headers.get(name)


class TwilioSms:
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        status_callback_url: str | None,
        api_base_url: str | None = None,
        *,
        timeout: float = 10.0,
    ) -> None:
        self._sender = sender
        self._status_callback_url = status_callback_url
        self._http = _HeaderKeepingHttpClient(timeout=timeout)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        if api_base_url is not None:
            # Every v2010 resource (Messages included) is built from this Domain's base_url.
            self._client.api.base_url = api_base_url
            # TWILIO_EDGE / TWILIO_REGION would rewrite the host to api.<edge>.<region>...
            self._client.edge = None
            self._client.region = None

    def send(self, text: OutgoingText) -> SendResult:
        fields: dict[str, str] = {"to": text.to, "body": text.body}
        if self._sender.startswith("MG"):
            fields["messaging_service_sid"] = self._sender
        else:
            fields["from_"] = self._sender
        if self._status_callback_url:
            fields["status_callback"] = self._callback_url(self._status_callback_url, text)
        try:
            message = self._client.messages.create(**fields)
        except (TwilioRestException, TwilioServiceException) as error:
            raise self._failure_from(error) from error
        except requests.RequestException as error:
            raise TemporaryFailure(f"Twilio unreachable ({type(error).__name__})") from error
        except ValueError as error:  # a 2xx whose body was not JSON
            raise TemporaryFailure("Twilio gave a response that was not JSON") from error
        if not message.sid:
            raise TemporaryFailure("Twilio gave a response without a message sid")
        return SendResult(provider_id=message.sid)

    def find_sent(self, reference: str) -> SendResult | None:
        raise LookupUnsupported(
            "Twilio cannot find a message by our reference; wait for its status callback"
        )

    @staticmethod
    def _callback_url(base: str, text: OutgoingText) -> str:
        joiner = "&" if "?" in base else "?"
        return f"{base}{joiner}reference={quote(text.reference, safe='')}"

    def _failure_from(
        self, error: TwilioRestException | TwilioServiceException
    ) -> TemporaryFailure | PermanentFailure:
        status, code = error.status, error.code or error.status
        reason = f"Twilio {code}: {_describe(error)}"
        if status == 429 or code == RATE_LIMITED or status >= 500:
            retry_after = parse_retry_after(self._http.last_header("Retry-After"))
            return TemporaryFailure(reason, retry_after=retry_after)
        return PermanentFailure(reason)


def _describe(error: TwilioRestException | TwilioServiceException) -> str:
    if error.code in ERROR_CODES:
        return ERROR_CODES[error.code]
    if isinstance(error, TwilioServiceException):
        return redact_numbers(error.title)
    # The client prefixes Twilio's message with what it was doing.
    return redact_numbers(str(error.msg).removeprefix("Unable to create record: "))
