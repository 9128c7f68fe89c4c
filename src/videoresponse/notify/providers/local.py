"""The local outbox: texts "delivered" to a file, for demos and development only.

A new installation has no account with any provider, yet staff still need to see what a
caller would have received. This provider appends each text, whole (like the phone it
pretends to be), as one JSON line to `<folder>/texts.jsonl`, and a staff page reads them
back. It holds names, times and phone numbers, so the file is readable by its owner only;
a force going live uses GOV.UK Notify or Twilio and stops writing here.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from videoresponse.notify.providers.base import (
    OutgoingText,
    PermanentFailure,
    SendResult,
    is_e164,
)

FILE_NAME = "texts.jsonl"


@dataclass(frozen=True)
class LocalText:
    reference: str
    provider_id: str
    to: str
    body: str
    template: str
    sent_at: datetime


class LocalOutbox:
    """Appends texts to a file; idempotent by reference, safe across worker processes."""

    name = "local"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / FILE_NAME

    def send(self, text: OutgoingText) -> SendResult:
        if not is_e164(text.to):
            raise PermanentFailure("the number is not in international (E.164) format")
        # The check for an earlier line and the append happen under one exclusive lock, so
        # two workers sending the same reference at once still write one line between them.
        with self._locked(exclusive=True) as file:
            lines = file.read()
            earlier = _find(lines, text.reference)
            if earlier is not None:
                return SendResult(provider_id=earlier.provider_id)
            record = {
                "reference": text.reference,
                "provider_id": str(uuid.uuid4()),
                "to": text.to,
                "body": text.body,
                "template": text.template,
                "sent_at": datetime.now(UTC).isoformat(),
            }
            # A line torn by a crash mid-write must not swallow the next one.
            separator = "\n" if lines and not lines.endswith("\n") else ""
            file.write(separator + json.dumps(record, ensure_ascii=False) + "\n")
            file.flush()
        return SendResult(provider_id=record["provider_id"])

    def find_sent(self, reference: str) -> SendResult | None:
        with self._locked(exclusive=False) as file:
            found = _find(file.read(), reference)
        return None if found is None else SendResult(provider_id=found.provider_id)

    def texts(self, limit: int = 200) -> list[LocalText]:
        """The latest texts, newest first, for the staff page."""
        with self._locked(exclusive=False) as file:
            lines = file.read()
        return list(reversed(list(_parse(lines))))[:limit]

    @contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[IO[str]]:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        with open(descriptor, "r+", encoding="utf-8") as file:
            # flock is advisory and per open file: every reader and writer here takes it.
            fcntl.flock(file, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield file
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)


def _find(lines: str, reference: str) -> LocalText | None:
    return next((text for text in _parse(lines) if text.reference == reference), None)


def _parse(lines: str) -> Iterator[LocalText]:
    for line in lines.splitlines():
        try:
            record: dict[str, Any] = json.loads(line)
            yield LocalText(
                reference=record["reference"],
                provider_id=record["provider_id"],
                to=record["to"],
                body=record["body"],
                template=record["template"],
                sent_at=datetime.fromisoformat(record["sent_at"]),
            )
        except (ValueError, KeyError, TypeError):
            continue  # a line torn by a crash: it was never reported as sent
