"""A text worker that dies the moment the provider has accepted a text, before it can
record it: run as its own process by test_outbox_postgres.py, which then restarts a
normal worker and checks nothing is sent twice."""

from __future__ import annotations

import os

from videoresponse.config import Settings
from videoresponse.core.db import Database
from videoresponse.notify.providers.base import OutgoingText, SendResult, SmsProvider
from videoresponse.notify.rules import load_wording
from videoresponse.notify.service import make_provider
from videoresponse.notify.worker import TextWorker


class DiesAfterSending:
    def __init__(self, provider: SmsProvider) -> None:
        self.provider = provider
        self.name = provider.name

    def send(self, text: OutgoingText) -> SendResult:
        self.provider.send(text)
        os._exit(3)

    def find_sent(self, reference: str) -> SendResult | None:
        return self.provider.find_sent(reference)


if __name__ == "__main__":
    settings = Settings()
    TextWorker(
        Database(settings.database_url),
        settings,
        DiesAfterSending(make_provider(settings)),
        load_wording(None),
    ).run_once()
