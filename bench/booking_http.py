"""Booking through HTTP on PostgreSQL: throughput and conflicts at 32 concurrent clients,
and the slot search as the service runs it (database loading included).

Run: .venv/bin/python bench/booking_http.py
Needs PostgreSQL: VIDEORESPONSE_BENCH_POSTGRES_URL (default the local test server).
Merges its figures into bench/results/booking.json.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from tests.factories import PASSWORD, make_case, make_shift, make_staff  # noqa: E402
from tests.live import book_once, environment, serving, signed_in_client  # noqa: E402

from videoresponse.booking import service  # noqa: E402
from videoresponse.config import Settings  # noqa: E402
from videoresponse.core.auth.rules import Role  # noqa: E402
from videoresponse.core.db import Database  # noqa: E402
from videoresponse.migrations import upgrade  # noqa: E402

SERVER = os.environ.get(
    "VIDEORESPONSE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CLIENTS = 32
REQUESTS_PER_CLIENT = 25
OFFICERS = 10
DAYS = 14
SEARCHES = 200
RESULTS = ROOT / "bench" / "results" / "booking.json"


def main() -> None:
    name = f"vr_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(SERVER), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        print(f"skipped: PostgreSQL is not reachable ({error.__class__.__name__})")
        return
    url = make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    try:
        figures = run(url)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    for key, value in figures.items():
        print(f"{key}: {value}")
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    saved.update(figures)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")


def run(url: str) -> dict[str, float | int]:
    upgrade(url)
    db = Database(url)
    rng = random.Random(32)
    handler = make_staff(db, Role.CALL_HANDLER, username="benchhandler")
    first_day = (datetime.now(UTC) + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    for _ in range(OFFICERS):
        officer = make_staff(db, Role.VIDEO_OFFICER, gender=rng.choice(["female", "male"]))
        for day in range(DAYS):
            start = first_day + timedelta(days=day, hours=8, minutes=30)
            make_shift(db, officer.id, start, start + timedelta(hours=13))
    people = [
        make_case(db, created_by=handler.id, deadline=timedelta(days=DAYS + 1))[1]
        for _ in range(CLIENTS * REQUESTS_PER_CLIENT)
    ]
    search = _service_search(db, handler, people[:SEARCHES])
    starts = [
        first_day + timedelta(days=d, hours=8, minutes=30 + 15 * q)
        for d in range(DAYS)
        for q in range(48)
    ]

    with tempfile.TemporaryDirectory(prefix="vr-bench-") as folder:
        env = {**environment(Path(folder), url), "VIDEORESPONSE_COOKIE_SECURE": "false"}
        with serving(env, Path(folder) / "a.log") as a, serving(env, Path(folder) / "b.log") as b:
            clients = [
                signed_in_client(u, handler.username, PASSWORD) for u in [a, b] * (CLIENTS // 2)
            ]
            codes, elapsed, retries = _load(clients, people, starts, rng)
            for client in clients:
                client.close()

    with db.engine.connect() as connection:
        double = connection.execute(
            text(
                "SELECT count(*) FROM appointment a JOIN appointment b ON a.id < b.id "
                "AND a.officer_id = b.officer_id AND a.status = 'booked' AND b.status = 'booked' "
                "AND tstzrange(a.starts_at, a.reserved_until) && "
                "tstzrange(b.starts_at, b.reserved_until)"
            )
        ).scalar_one()
    db.dispose()
    booked = codes.count(201)
    return {
        "bookings_per_s": round(booked / elapsed, 1),
        "booking_requests_per_s": round(len(codes) / elapsed, 1),
        "booking_clients": CLIENTS,
        "booking_requests": len(codes),
        "booking_successes": booked,
        "booking_conflicts": codes.count(409),
        "booking_other_errors": len(codes) - booked - codes.count(409),
        "booking_transport_retries": retries,
        "double_bookings": double,
        **search,
    }


def _service_search(db: Database, handler: object, people: list[int]) -> dict[str, float]:
    settings = Settings(secret_key="bench")
    timings = []
    for person in people:
        began = time.perf_counter()
        service.find_options(db, settings, person_id=person, limit=6, by=handler)  # type: ignore[arg-type]
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return {
        "slot_search_service_p50_ms": round(statistics.median(timings), 2),
        "slot_search_service_p99_ms": round(timings[int(len(timings) * 0.99) - 1], 2),
    }


def _load(
    clients: list[httpx.Client], people: list[int], starts: list[datetime], rng: random.Random
) -> tuple[list[int], float, int]:
    """Each client books its own people at random quarter hours: real contention."""
    plans = [
        [
            (people[c * REQUESTS_PER_CLIENT + r], rng.choice(starts))
            for r in range(REQUESTS_PER_CLIENT)
        ]
        for c in range(CLIENTS)
    ]
    barrier = threading.Barrier(CLIENTS)

    retries = [0]

    def book(client: httpx.Client, person: int, start: datetime) -> int:
        body = {"person_id": person, "starts_at": start.isoformat()}
        status, retried = book_once(client, body, f"bench-{person}-{start.isoformat()}")
        retries[0] += retried
        return status

    def client_run(index: int) -> list[int]:
        barrier.wait()
        return [book(clients[index], person, start) for person, start in plans[index]]

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(client_run, range(CLIENTS)))
    elapsed = time.perf_counter() - began
    return [code for codes in results for code in codes], elapsed, retries[0]


if __name__ == "__main__":
    main()
