"""Local stand-ins for outside services, served over real HTTP on 127.0.0.1.

`FakeNotifyApi` (GOV.UK Notify) and `FakeTwilioApi` (Twilio) let the official clients run
unchanged against a server a test controls: what it accepted (`sent`), and what goes wrong
next (`fail_next`, `drop_next`, `stall_next`).
"""

from tests.fakes.notify_api import FakeNotifyApi, NotifySms
from tests.fakes.twilio_api import FakeTwilioApi, SignedCallback, TwilioSmsRecord, twilio_signature

__all__ = [
    "FakeNotifyApi",
    "FakeTwilioApi",
    "NotifySms",
    "SignedCallback",
    "TwilioSmsRecord",
    "twilio_signature",
]
