"""Text-message providers: where a saved message goes, and what comes back about it.

`LocalOutbox` for demos and development, `GovukNotify` and `TwilioSms` for real texts;
`parse_notify_callback` and `parse_twilio_callback` read their delivery receipts.
"""

from videoresponse.notify.providers.base import (
    CallbackRejected,
    DeliveryReceipt,
    DeliveryStatus,
    LookupUnsupported,
    OutgoingText,
    PermanentFailure,
    SendResult,
    SmsProvider,
    TemporaryFailure,
)
from videoresponse.notify.providers.callbacks import parse_notify_callback, parse_twilio_callback
from videoresponse.notify.providers.govuk_notify import GovukNotify
from videoresponse.notify.providers.local import LocalOutbox, LocalText
from videoresponse.notify.providers.twilio_sms import TwilioSms

__all__ = [
    "CallbackRejected",
    "DeliveryReceipt",
    "DeliveryStatus",
    "GovukNotify",
    "LocalOutbox",
    "LocalText",
    "LookupUnsupported",
    "OutgoingText",
    "PermanentFailure",
    "SendResult",
    "SmsProvider",
    "TemporaryFailure",
    "TwilioSms",
    "parse_notify_callback",
    "parse_twilio_callback",
]
