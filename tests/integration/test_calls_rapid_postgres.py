"""The rapid queue on PostgreSQL: officers taking at once each get a different call."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import make_settings
from tests.factories import make_staff, make_video_case
from tests.unit.calls.support import make_call
from videoresponse.calls import queue, service
from videoresponse.calls.models import RapidCall
from videoresponse.calls.protocol import Role as CallRole
from videoresponse.config import Settings
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database

pytestmark = pytest.mark.postgres

CALLS = 12


def _settings(tmp_path: Path, postgres_url: str) -> Settings:
    return make_settings(tmp_path, database_url=postgres_url)


def test_officers_taking_at_the_same_moment_each_get_a_different_call_in_order(
    postgres_db: Database, postgres_url: str, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, postgres_url)
    handler = make_staff(postgres_db, Role.CALL_HANDLER)
    queued = []
    for number in range(CALLS):
        _, person = make_video_case(
            postgres_db, created_by=handler.id, band="P1" if number % 3 == 0 else "P2"
        )
        opened = queue.open_rapid_call(postgres_db, settings, person_id=person, by=handler)
        queued.append(opened.appointment_id)
    officers = [make_staff(postgres_db) for _ in range(CALLS + 2)]
    barrier = threading.Barrier(len(officers))
    taken: dict[int, int | None] = {}

    def take(officer: StaffMember) -> None:
        barrier.wait()
        taken[officer.id] = queue.take_next_rapid_call(postgres_db, officer=officer)

    threads = [threading.Thread(target=take, args=(o,)) for o in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    got = [t for t in taken.values() if t is not None]
    assert sorted(got) == sorted(queued)
    assert list(taken.values()).count(None) == 2


def test_an_officer_skips_a_call_another_officer_is_taking_instead_of_waiting_for_it(
    postgres_db: Database, postgres_url: str, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, postgres_url)
    handler = make_staff(postgres_db, Role.CALL_HANDLER)
    first, second = (
        queue.open_rapid_call(
            postgres_db,
            settings,
            person_id=make_video_case(postgres_db, created_by=handler.id)[1],
            by=handler,
        ).appointment_id
        for _ in range(2)
    )
    officer = make_staff(postgres_db)
    with ThreadPoolExecutor(1) as pool, postgres_db.transaction() as session:
        # Another officer's transaction has claimed the first call and not yet committed.
        session.execute(
            select(RapidCall).where(RapidCall.appointment_id == first).with_for_update()
        )
        taking = pool.submit(queue.take_next_rapid_call, postgres_db, officer=officer)
        # Without SKIP LOCKED this would wait for that claim, then find the call taken
        # and come back empty-handed while the second call is still queued.
        assert taking.result(timeout=10) == second


def test_waiting_lists_delays_and_call_events_work_on_postgresql(
    postgres_db: Database, postgres_url: str, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, postgres_url)
    late = make_call(postgres_db, starts_in=timedelta(minutes=-20), status="waiting")
    who = service.Participant(
        late.appointment_id, CallRole.OFFICER, f"staff:{late.officer.id}", late.officer
    )
    service.record(postgres_db, who, service.EventKind.JOINED, peer_id="p1", role=CallRole.CALLER)
    delays = queue.delayed_calls(postgres_db, alert_after=timedelta(minutes=10))
    assert [d["appointment_id"] for d in delays] == [late.appointment_id]
    watched = queue.calls_to_watch(postgres_db, settings, officer_id=late.officer.id)
    assert [w.appointment_id for w in watched] == [late.appointment_id]
    service.admitted(postgres_db, who, peer_id="p1", role=CallRole.CALLER, waited_seconds=30)
    service.end_call(postgres_db, who, peer_id="p0")
    assert queue.delayed_calls(postgres_db, alert_after=timedelta(minutes=10)) == []
