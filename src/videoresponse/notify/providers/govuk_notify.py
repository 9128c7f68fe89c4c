"""GOV.UK Notify, through its official client (notifications-python-client).

Notify sends its own copy of each template with our placeholders filled in, so it gets the
template id for the message kind and the personalisation, never our rendered body.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

import requests
from notifications_python_client.errors import APIError, HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from videoresponse.notify.providers.base import (
    OutgoingText,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    parse_retry_after,
    redact_numbers,
)

# The client's own default base URL (BaseAPIClient.__init__).
NOTIFY_BASE_URL: Final = "https://api.notifications.service.gov.uk"
# Notify's API key is "<key name>-<service id (uuid)>-<secret (uuid)>"; the client slices it.
_UUID_LENGTH = 36


class _NotifyClient(Protocol):
    """The part of NotificationsAPIClient (v13) used here, typed: the client is not."""

    def send_sms_notification(
        self,
        phone_number: str,
        template_id: str,
        personalisation: dict[str, str] | None = None,
        reference: str | None = None,
        sms_sender_id: str | None = None,
    ) -> Any: ...

    def get_all_notifications(
        self,
        status: str | None = None,
        template_type: str | None = None,
        reference: str | None = None,
        older_than: str | None = None,
        include_jobs: bool | None = None,
    ) -> Any: ...


class GovukNotify:
    name = "govuk_notify"

    def __init__(
        self,
        api_key: str,
        template_ids: Mapping[str, str],
        base_url: str = NOTIFY_BASE_URL,
        *,
        timeout: float = 10.0,
    ) -> None:
        if len(api_key) < 2 * _UUID_LENGTH + 1:
            raise ValueError("a GOV.UK Notify API key ends with the service id and the secret")
        self._api_key = api_key
        self._template_ids = dict(template_ids)
        self._base_url = base_url
        self._timeout = timeout
        # The client keeps a requests.Session and says it is not thread-safe: one per thread.
        self._local = threading.local()

    def send(self, text: OutgoingText) -> SendResult:
        template_id = self._template_ids.get(text.template)
        if not template_id:
            raise PermanentFailure(f"no Notify template for {text.template}")
        response = self._call(
            lambda client: client.send_sms_notification(
                phone_number=text.to,
                template_id=template_id,
                personalisation=dict(text.personalisation),
                reference=text.reference,
            )
        )
        return SendResult(provider_id=_notification_id(response))

    def find_sent(self, reference: str) -> SendResult | None:
        """Notify keeps the reference we sent; it lists notifications by it (7 days' retention)."""
        response = self._call(
            lambda client: client.get_all_notifications(template_type="sms", reference=reference)
        )
        notifications = response.get("notifications") if isinstance(response, dict) else None
        if not isinstance(notifications, list):
            raise TemporaryFailure("Notify gave an unexpected response to a lookup")
        if not notifications:
            return None
        return SendResult(provider_id=_notification_id(notifications[0]))

    def _client(self) -> _NotifyClient:
        client: _NotifyClient | None = getattr(self._local, "client", None)
        if client is None:
            client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
                self._api_key, base_url=self._base_url, timeout=self._timeout
            )
            self._local.client = client
        return client

    def _call(self, request: Callable[[_NotifyClient], Any]) -> Any:
        try:
            return request(self._client())
        except HTTPError as error:
            raise _failure_from(error) from error
        except APIError as error:  # InvalidResponse: a success that was not JSON
            raise TemporaryFailure("Notify gave a response that was not JSON") from error


def _failure_from(error: HTTPError) -> TemporaryFailure | PermanentFailure:
    response: requests.Response | None = error.response
    if response is None:
        # The client wraps every requests exception (refused, reset, timed out) in an
        # HTTPError with no response and calls it a 503.
        cause = type(error.__cause__).__name__ if error.__cause__ else "no response"
        return TemporaryFailure(f"Notify unreachable ({cause})")
    status = response.status_code
    message = _error_text(error)
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return TemporaryFailure(f"Notify {status}: {message}", retry_after=retry_after)
    return PermanentFailure(message)


def _error_text(error: HTTPError) -> str:
    """Notify's errors, e.g. "ValidationError: phone_number Not a UK mobile number"."""
    message = error.message
    if isinstance(message, list):
        parts = [
            f"{item.get('error', 'Error')}: {item.get('message', '')}"
            for item in message
            if isinstance(item, dict)
        ]
        message = "; ".join(parts) or f"HTTP {error.status_code}"
    return redact_numbers(str(message))


def _notification_id(notification: Any) -> str:
    if isinstance(notification, dict) and isinstance(notification.get("id"), str):
        return str(notification["id"])
    raise TemporaryFailure("Notify gave a response without a notification id")
