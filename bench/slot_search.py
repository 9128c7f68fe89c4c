"""Slot search for one case: 50 officers, a 28-day horizon, 5,000 existing appointments.

Run: .venv/bin/python bench/slot_search.py
Prints p50/p99 in milliseconds and merges them into bench/results/booking.json.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_clock
from pathlib import Path

from videoresponse.booking.rules import (
    OfficerAvailability,
    PriorityBand,
    SlotRequest,
    deadline_for,
    find_slots,
)
from videoresponse.rota.rules import (
    OpeningHours,
    ShiftTimes,
    TimeRange,
    WeeklyPattern,
    check_shift_inside_opening_hours,
    expand_weekly_pattern,
    shifts_without_absences,
)

SEED = 20260329
OFFICERS = 50
HORIZON_DAYS = 28
APPOINTMENTS = 5_000
RUNS = 500
FIRST_DAY = date(2026, 3, 16)  # the horizon spans the 29 March clock change
WRITE_UP = timedelta(minutes=15)
EARLY = ShiftTimes(wall_clock(8, 30), wall_clock(17, 0))
LATE = ShiftTimes(wall_clock(13, 0), wall_clock(21, 30))
RESULTS = Path(__file__).resolve().parent / "results" / "booking.json"


def build_shifts(rng: random.Random) -> list[list[TimeRange]]:
    """Five days a week per officer, early or late, some with two days' absence."""
    last_day = FIRST_DAY + timedelta(days=HORIZON_DAYS - 1)
    opening_hours = OpeningHours()
    rota: list[list[TimeRange]] = []
    for _ in range(OFFICERS):
        days_on = rng.sample(range(7), 5)
        pattern = WeeklyPattern({day: rng.choice([EARLY, LATE]) for day in days_on})
        shifts = expand_weekly_pattern(pattern, FIRST_DAY, last_day)
        for shift in shifts:
            check_shift_inside_opening_hours(shift, opening_hours)
        if rng.random() < 0.2:
            away_from = shifts[rng.randrange(len(shifts))].start
            shifts = shifts_without_absences(
                shifts, [TimeRange(away_from, away_from + timedelta(days=2))]
            )
        rota.append(shifts)
    return rota


def build_busy(rng: random.Random, rota: list[list[TimeRange]]) -> list[list[TimeRange]]:
    """Pack 5,000 appointments of 60 or 90 minutes into shifts, 15 minutes apart at least."""
    placed: dict[tuple[int, int], list[timedelta]] = {}
    for _ in range(APPOINTMENTS):
        length = timedelta(minutes=90 if rng.random() < 0.25 else 60)
        while True:
            officer = rng.randrange(OFFICERS)
            shift_index = rng.randrange(len(rota[officer]))
            lengths = placed.setdefault((officer, shift_index), [])
            needed = sum(lengths, length) + WRITE_UP * len(lengths)
            if needed <= rota[officer][shift_index].duration:
                lengths.append(length)
                break
    busy: list[list[TimeRange]] = [[] for _ in range(OFFICERS)]
    quarter = timedelta(minutes=15)
    for (officer, shift_index), lengths in placed.items():
        shift = rota[officer][shift_index]
        slack = (shift.duration - sum(lengths, WRITE_UP * (len(lengths) - 1))) // quarter
        cuts = sorted(rng.randint(0, slack) for _ in lengths)
        start, used = shift.start, 0
        for cut, length in zip(cuts, lengths, strict=True):
            start += quarter * (cut - used)
            used = cut
            busy[officer].append(TimeRange(start, start + length))
            start += length + WRITE_UP
    return busy


def build_requests(rng: random.Random) -> list[SlotRequest]:
    horizon_start = datetime.combine(FIRST_DAY, wall_clock(0, 0), tzinfo=UTC)
    evenings = expand_weekly_pattern(
        WeeklyPattern({day: ShiftTimes(wall_clock(17, 0), wall_clock(21, 0)) for day in range(7)}),
        FIRST_DAY,
        FIRST_DAY + timedelta(days=HORIZON_DAYS),
    )
    requests: list[SlotRequest] = []
    for _ in range(RUNS):
        earliest = horizon_start + timedelta(seconds=rng.randrange(21 * 24 * 3600))
        band = rng.choice(list(PriorityBand))
        person_busy = [TimeRange(earliest + timedelta(hours=3), earliest + timedelta(hours=4))]
        requests.append(
            SlotRequest(
                earliest=earliest,
                deadline=deadline_for(band, earliest),
                duration=timedelta(minutes=rng.choice([60, 60, 60, 90])),
                safe_windows=evenings if rng.random() < 0.25 else None,
                person_busy=person_busy,
                required_gender="female" if rng.random() < 0.2 else None,
                preferred_officer_id=rng.randrange(OFFICERS) if rng.random() < 0.3 else None,
                limit=10,
            )
        )
    return requests


def save(figures: dict[str, float | int]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(figures)
    scratch = RESULTS.with_suffix(".json.tmp")
    scratch.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    os.replace(scratch, RESULTS)


def main() -> None:
    rng = random.Random(SEED)
    rota = build_shifts(rng)
    busy = build_busy(rng, rota)
    officers = [
        OfficerAvailability(
            officer_id=index,
            gender=rng.choice(["female", "male"]),
            shifts=rota[index],
            busy=busy[index],
            load=len(busy[index]),
        )
        for index in range(OFFICERS)
    ]
    requests = build_requests(rng)
    for request in requests[:20]:
        find_slots(request, officers)
    timings_ms: list[float] = []
    found = 0
    for request in requests:
        began = time.perf_counter_ns()
        options = find_slots(request, officers)
        timings_ms.append((time.perf_counter_ns() - began) / 1e6)
        found += len(options)
    centiles = statistics.quantiles(timings_ms, n=100, method="inclusive")
    p50, p99 = statistics.median(timings_ms), centiles[98]
    print(
        f"slot search: {len(requests)} runs, {OFFICERS} officers, {HORIZON_DAYS} days, "
        f"{sum(len(b) for b in busy)} appointments, {found / len(requests):.1f} options per search"
    )
    print(f"p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {max(timings_ms):.3f} ms")
    save(
        {
            "slot_search_p50_ms": round(p50, 3),
            "slot_search_p99_ms": round(p99, 3),
            "slot_search_runs": len(requests),
        }
    )


if __name__ == "__main__":
    main()
