"""A local GOV.UK Notify (API v2): enough of it for notifications-python-client to send texts.

It checks each request's JWT as Notify does (HS256 with the key's secret, `iss` the service
id, `iat` within 30 seconds; notifications_python_client.authentication is the code Notify
itself runs), validates UK mobile numbers, and answers in Notify's shapes, errors included:
{"status_code": 400, "errors": [{"error": "ValidationError", "message": "..."}]}.

    with FakeNotifyApi() as notify:
        provider = GovukNotify(notify.api_key, template_ids, base_url=notify.url)
        notify.fail_next(500)
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import (
    TokenDecodeError,
    TokenError,
    TokenExpiredError,
    TokenIssuerError,
)

from tests.fakes.server import (
    FakeHttpApi,
    FakeRequest,
    FakeResponse,
    Fault,
    post_to_this_machine,
)

# What Notify says for each status when a test does not say otherwise.
DEFAULT_ERRORS: dict[int, tuple[str, str]] = {
    400: ("ValidationError", "phone_number Not a UK mobile number"),
    403: ("AuthError", "Invalid token: API key not found"),
    429: (
        "RateLimitError",
        "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
    ),
    500: ("Exception", "Internal server error"),
}
_PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


@dataclass(frozen=True)
class NotifySms:
    """A text the fake accepted."""

    id: str
    phone_number: str
    template_id: str
    personalisation: dict[str, Any]
    reference: str | None
    body: str
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class NotifyError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.response = notify_error(status, error, message)


def notify_error(status: int, error: str | None = None, message: str | None = None) -> FakeResponse:
    default_error, default_message = DEFAULT_ERRORS.get(status, ("BadRequestError", "Error"))
    body = {
        "status_code": status,
        "errors": [{"error": error or default_error, "message": message or default_message}],
    }
    return FakeResponse(status, body)


class FakeNotifyApi(FakeHttpApi):
    def __init__(self, *, templates: Mapping[str, str] | None = None) -> None:
        """`templates`: template id → content with ((placeholders)); None accepts any id."""
        super().__init__()
        self.service_id = str(uuid.uuid4())
        self.secret = str(uuid.uuid4())
        self.templates = dict(templates) if templates is not None else None
        self.sent: list[NotifySms] = []
        self._sent_lock = threading.Lock()

    @property
    def api_key(self) -> str:
        """A key as Notify issues them: "<key name>-<service id>-<secret>"."""
        return f"videoresponse_test-{self.service_id}-{self.secret}"

    def fail_next(
        self,
        status: int,
        *,
        error: str | None = None,
        message: str | None = None,
        retry_after: str | None = None,
    ) -> None:
        """Answer the next request with this error (Notify's JSON shape)."""
        response = notify_error(status, error, message)
        if retry_after is not None:
            response = FakeResponse(status, response.body, {"Retry-After": retry_after})
        self.add_fault(Fault(response=response))

    def delivery_receipt(self, sms: NotifySms, status: str) -> dict[str, Any]:
        """The JSON Notify POSTs to a service's delivery-receipt callback URL."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {
            "id": sms.id,
            "reference": sms.reference,
            "to": sms.phone_number,
            "status": status,
            "created_at": sms.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "completed_at": now,
            "sent_at": now,
            "notification_type": "sms",
        }

    def post_delivery_receipt(
        self, url: str, bearer_token: str, sms: NotifySms, status: str
    ) -> int:
        """Call a callback URL (on this machine only) as Notify would; the HTTP status."""
        return post_to_this_machine(
            url,
            json.dumps(self.delivery_receipt(sms, status)).encode(),
            {"Content-Type": "application/json", "Authorization": f"Bearer {bearer_token}"},
        )

    # --- the API -----------------------------------------------------------------------
    def handle(self, request: FakeRequest) -> FakeResponse:
        try:
            self._authenticate(request.headers.get("authorization"))
            if request.method == "POST" and request.path == "/v2/notifications/sms":
                return self._send_sms(request)
            if request.method == "GET" and request.path == "/v2/notifications":
                return self._list(request.query)
            raise NotifyError(404, "NoResultFound", "No result found")
        except NotifyError as error:
            return error.response

    def _authenticate(self, header: str | None) -> None:
        """As notifications-api's app/authentication/auth.py: 401 without a token, else 403."""
        if not header:
            raise NotifyError(
                401, "AuthError", "Unauthorized: authentication token must be provided"
            )
        if header[:7].title() != "Bearer ":
            raise NotifyError(
                401, "AuthError", "Unauthorized: authentication bearer scheme must be used"
            )
        token = header[7:]
        try:
            issuer = get_token_issuer(token)  # type: ignore[no-untyped-call]
        except TokenIssuerError as error:
            raise NotifyError(403, "AuthError", "Invalid token: iss field not provided") from error
        except TokenDecodeError as error:
            raise NotifyError(
                403, "AuthError", "Invalid token: signature, api token is not valid"
            ) from error
        if issuer != self.service_id:
            raise NotifyError(403, "AuthError", "Invalid token: service not found")
        try:
            decode_jwt_token(token, self.secret)  # type: ignore[no-untyped-call]
        except TokenExpiredError as error:
            message = "Error: Your system clock must be accurate to within 30 seconds"
            raise NotifyError(403, "AuthError", message) from error
        except TokenDecodeError as error:
            raise NotifyError(403, "AuthError", "Invalid token: API key not found") from error
        except TokenError as error:
            raise NotifyError(403, "AuthError", "Invalid token: API key not found") from error

    def _send_sms(self, request: FakeRequest) -> FakeResponse:
        try:
            data = json.loads(request.body)
        except ValueError as error:
            message = "Invalid JSON supplied in POST data"
            raise NotifyError(400, "BadRequestError", message) from error
        if not isinstance(data, dict):
            raise NotifyError(400, "ValidationError", "POST data is not of type object")
        for required in ("phone_number", "template_id"):
            if required not in data:
                raise NotifyError(400, "ValidationError", f"{required} is a required property")
        template_id, personalisation = data["template_id"], data.get("personalisation") or {}
        reference = data.get("reference")
        if not isinstance(template_id, str) or not _UUID.fullmatch(template_id):
            raise NotifyError(400, "ValidationError", "template_id is not a valid UUID")
        if not isinstance(personalisation, dict):
            raise NotifyError(400, "ValidationError", "personalisation is not of type object")
        if reference is not None and not isinstance(reference, str):
            raise NotifyError(400, "ValidationError", "reference is not of type string")
        check_uk_mobile(str(data["phone_number"]))
        sms = NotifySms(
            id=str(uuid.uuid4()),
            phone_number=str(data["phone_number"]),
            template_id=template_id,
            personalisation=personalisation,
            reference=reference,
            body=self._render(template_id, personalisation),
        )
        with self._sent_lock:
            self.sent.append(sms)
        return FakeResponse(
            201,
            {
                "id": sms.id,
                "reference": sms.reference,
                "content": {"body": sms.body, "from_number": "VideoResp"},
                "uri": f"{self.url}/v2/notifications/{sms.id}",
                "template": {
                    "id": template_id,
                    "version": 1,
                    "uri": f"{self.url}/services/{self.service_id}/templates/{template_id}",
                },
                "scheduled_for": None,
            },
        )

    def _render(self, template_id: str, personalisation: Mapping[str, Any]) -> str:
        if self.templates is None:
            return ""
        if template_id not in self.templates:
            raise NotifyError(400, "BadRequestError", "Template not found")
        content = self.templates[template_id]
        missing = [name for name in _PLACEHOLDER.findall(content) if name not in personalisation]
        if missing:
            raise NotifyError(
                400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}"
            )
        return _PLACEHOLDER.sub(lambda match: str(personalisation[match.group(1)]), content)

    def _list(self, query: Mapping[str, str]) -> FakeResponse:
        with self._sent_lock:
            found = [
                sms
                for sms in reversed(self.sent)  # Notify lists newest first
                if query.get("template_type", "sms") == "sms"
                and ("reference" not in query or sms.reference == query["reference"])
            ]
        return FakeResponse(
            200,
            {
                "notifications": [self._as_listed(sms) for sms in found],
                "links": {"current": f"{self.url}/v2/notifications"},
            },
        )

    def _as_listed(self, sms: NotifySms) -> dict[str, Any]:
        created = sms.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {
            "id": sms.id,
            "reference": sms.reference,
            "email_address": None,
            "phone_number": sms.phone_number,
            "line_1": None,
            "postcode": None,
            "type": "sms",
            "status": "sending",
            "template": {
                "id": sms.template_id,
                "version": 1,
                "uri": f"{self.url}/v2/template/{sms.template_id}",
            },
            "body": sms.body,
            "subject": None,
            "created_at": created,
            "created_by_name": None,
            "sent_at": created,
            "completed_at": None,
            "scheduled_for": None,
        }


def check_uk_mobile(number: str) -> None:
    """Notify's rules for a UK mobile number, and its messages when one is broken."""
    digits = re.sub(r"[\s()\-.]", "", number).removeprefix("+")
    if not digits.isdigit():
        message = "phone_number Mobile numbers can only include: 0 1 2 3 4 5 6 7 8 9 ( ) + -"
        raise NotifyError(400, "ValidationError", message)
    for prefix in ("0044", "44", "0"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    if not digits.startswith("7"):
        raise NotifyError(400, "ValidationError", "phone_number Not a UK mobile number")
    if len(digits) > 10:
        raise NotifyError(400, "ValidationError", "phone_number Too many digits")
    if len(digits) < 10:
        raise NotifyError(400, "ValidationError", "phone_number Not enough digits")
