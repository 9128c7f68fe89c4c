"""The outbox on PostgreSQL with GOV.UK Notify's real client against a local Notify:
two workers, a worker killed mid-send, a provider that is down for a while."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from sqlalchemy import func, select

from tests.factories import make_case, make_staff
from tests.fakes.notify_api import FakeNotifyApi
from tests.live import environment
from videoresponse.config import Settings
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database, utcnow
from videoresponse.notify import outbox
from videoresponse.notify.models import TextMessage
from videoresponse.notify.rules import load_wording
from videoresponse.notify.service import make_provider
from videoresponse.notify.worker import TextWorker
from videoresponse.triage.models import PersonRow

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def notify() -> Iterator[FakeNotifyApi]:
    with FakeNotifyApi() as fake:
        yield fake


def _env(tmp_path: Path, url: str, notify: FakeNotifyApi, **extra: str) -> dict[str, str]:
    return {
        **environment(tmp_path, url),
        "VIDEORESPONSE_SMS_PROVIDER": "govuk_notify",
        "VIDEORESPONSE_NOTIFY_API_KEY": notify.api_key,
        "VIDEORESPONSE_NOTIFY_BASE_URL": notify.url,
        "VIDEORESPONSE_NOTIFY_TEMPLATE_IDS": json.dumps(
            {
                kind: f"00000000-0000-4000-8000-00000000000{n}"
                for n, kind in enumerate(
                    [
                        "confirmation",
                        "reminder",
                        "reschedule",
                        "cancellation",
                        "invitation",
                        "custom",
                    ]
                )
            }
        ),
        "VIDEORESPONSE_WORKER_INTERVAL_SECONDS": "0.1",
        **extra,
    }


def _settings(env: dict[str, str]) -> Settings:
    """Settings read from the environment exactly as a worker process reads them."""
    with mock.patch.dict(os.environ, env, clear=True):
        return Settings()


def _queue(db: Database, count: int) -> list[str]:
    staff = make_staff(db, Role.CALL_HANDLER)
    references = []
    for _ in range(count):
        _, person_id = make_case(db, created_by=staff.id)
        with db.transaction() as session:
            person = session.get_one(PersonRow, person_id)
            message = outbox.queue_text(
                session,
                person=person,
                kind="custom",
                by="test",
                expires_at=utcnow() + timedelta(hours=1),
                custom_text="Please call us back.",
            )
            references.append(message.reference)
    return references


def _count(db: Database, status: str) -> int:
    with db.sessions() as session:
        return (
            session.scalar(
                select(func.count()).select_from(TextMessage).where(TextMessage.status == status)
            )
            or 0
        )


def test_two_worker_processes_send_each_of_500_texts_exactly_once(
    postgres_db: Database, postgres_url: str, tmp_path: Path, notify: FakeNotifyApi
) -> None:
    references = _queue(postgres_db, 500)
    env = _env(tmp_path, postgres_url, notify)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "videoresponse.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 120
        while _count(postgres_db, "sent") < 500 and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
    sent = [sms.reference for sms in notify.sent]
    assert len(sent) == 500
    assert sorted(sent) == sorted(references)
    assert _count(postgres_db, "sent") == 500


def test_a_worker_killed_between_sending_and_recording_sends_nothing_twice(
    postgres_db: Database, postgres_url: str, tmp_path: Path, notify: FakeNotifyApi
) -> None:
    [reference] = _queue(postgres_db, 1)
    env = _env(tmp_path, postgres_url, notify, VIDEORESPONSE_TEXT_SEND_LEASE_SECONDS="1")
    crashed = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "integration" / "crashing_worker.py")],
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert crashed.returncode == 3, crashed.stderr
    assert [sms.reference for sms in notify.sent] == [reference]
    assert _count(postgres_db, "sending") == 1
    time.sleep(1.2)  # past the lease
    restarted = subprocess.run(
        [sys.executable, "-m", "videoresponse.cli", "worker", "--once"],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
        text=True,
    )
    assert restarted.returncode == 0, restarted.stderr
    assert [sms.reference for sms in notify.sent] == [reference]
    assert _count(postgres_db, "sent") == 1


def test_a_provider_down_for_a_while_gets_every_text_once_when_it_returns(
    postgres_db: Database, postgres_url: str, tmp_path: Path, notify: FakeNotifyApi
) -> None:
    references = _queue(postgres_db, 20)
    settings = _settings(
        _env(
            tmp_path,
            postgres_url,
            notify,
            VIDEORESPONSE_TEXT_RETRY_BASE_SECONDS="1",
            VIDEORESPONSE_TEXT_RETRY_CAP_SECONDS="2",
            VIDEORESPONSE_TEXT_MAX_ATTEMPTS="20",
        )
    )
    for _ in range(25):
        notify.fail_next(500)
    for _ in range(5):
        notify.drop_next()
    notify.fail_next(429, retry_after="1")
    worker = TextWorker(postgres_db, settings, make_provider(settings), load_wording(None))
    deadline = time.monotonic() + 60
    while _count(postgres_db, "sent") < 20 and time.monotonic() < deadline:
        worker.run_once()
        time.sleep(0.2)
    assert sorted(sms.reference for sms in notify.sent) == sorted(references)
    assert _count(postgres_db, "sent") == 20
