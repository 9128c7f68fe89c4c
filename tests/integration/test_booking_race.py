"""No double booking on PostgreSQL, whatever races: two server processes, many clients."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.factories import PASSWORD, make_case, make_shift, make_staff
from tests.live import book_once, environment, serving, signed_in_client
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database

pytestmark = pytest.mark.postgres

CLIENTS = 50
ROUNDS = 10


def _day_after_tomorrow_at(hour: int) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_fifty_clients_racing_for_one_slot_through_two_servers_book_it_once(
    postgres_db: Database, postgres_url: str, tmp_path: Path
) -> None:
    handler = make_staff(postgres_db, Role.CALL_HANDLER)
    officer = make_staff(postgres_db, Role.VIDEO_OFFICER)
    # One long shift, so that each round's slot (90 minutes apart: an hour's appointment and
    # its write-up buffer) is free when its round starts.
    make_shift(
        postgres_db,
        officer.id,
        _day_after_tomorrow_at(0),
        _day_after_tomorrow_at(0) + timedelta(days=2),
    )
    env = {**environment(tmp_path, postgres_url), "VIDEORESPONSE_COOKIE_SECURE": "false"}
    with (
        serving(env, tmp_path / "a.log") as first,
        serving(env, tmp_path / "b.log") as second,
    ):
        clients = [
            signed_in_client(url, handler.username, PASSWORD)
            for url in [first, second] * (CLIENTS // 2)
        ]
        outcomes = []
        for round_number in range(ROUNDS):
            people = [make_case(postgres_db, created_by=handler.id)[1] for _ in range(CLIENTS)]
            start = _day_after_tomorrow_at(0) + timedelta(minutes=90 * round_number)
            outcomes.append(_race(clients, people, start))
        for client in clients:
            client.close()
    assert [o.get(201, 0) for o in outcomes] == [1] * ROUNDS
    assert [o.get(409, 0) for o in outcomes] == [CLIENTS - 1] * ROUNDS
    with postgres_db.engine.connect() as connection:
        overlaps = connection.execute(
            text(
                "SELECT count(*) FROM appointment a JOIN appointment b ON a.id < b.id "
                "AND a.officer_id = b.officer_id AND a.status = 'booked' AND b.status = 'booked' "
                "AND tstzrange(a.starts_at, a.reserved_until) "
                "&& tstzrange(b.starts_at, b.reserved_until)"
            )
        ).scalar_one()
    assert overlaps == 0


def _race(clients: list[httpx.Client], people: list[int], start: datetime) -> dict[int, int]:
    barrier = threading.Barrier(len(clients))

    def attempt(pair: tuple[httpx.Client, int]) -> int:
        client, person = pair
        barrier.wait()
        body: dict[str, object] = {"person_id": person, "starts_at": start.isoformat()}
        status, _ = book_once(client, body, f"race-{person}")
        return status

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        codes = list(pool.map(attempt, zip(clients, people, strict=True)))
    counts: dict[int, int] = {}
    for code in codes:
        counts[code] = counts.get(code, 0) + 1
    return counts
