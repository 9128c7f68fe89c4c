"""A rota week as the supervisor reads it: one row per officer, one cell per local date."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from videoresponse.rota.service import Officer, OfficerRota
from videoresponse.rota.team_time import TeamClock


@dataclass(frozen=True)
class Absent:
    when: str
    reason: str


@dataclass(frozen=True)
class DayCell:
    day: date
    shifts: list[str]
    absences: list[Absent]


@dataclass(frozen=True)
class OfficerWeek:
    officer: Officer
    days: list[DayCell]
    # Weekday → ("08:30", "16:30"), to fill in the pattern form.
    pattern: dict[int, tuple[str, str]]


def week_days(monday: date) -> list[date]:
    return [monday + timedelta(days=offset) for offset in range(7)]


def week_table(team: Sequence[OfficerRota], monday: date, clock: TeamClock) -> list[OfficerWeek]:
    """Shifts under the local date they start on (a late shift stays on its own day);
    absences on every date they touch, cut to that date."""
    days = week_days(monday)
    spans = [clock.day_range(day) for day in days]
    table = []
    for rota in team:
        cells = []
        for day, span in zip(days, spans, strict=True):
            shifts = [
                f"{clock.time(shift.start)}–{clock.time(shift.end)}"
                for shift in rota.shifts
                if clock.local(shift.start).date() == day
            ]
            absences = []
            for _, period, reason in rota.absences:
                part = period.intersection(span)
                if part is None:
                    continue
                if part == span:
                    when = "All day"
                elif part.start == span.start:
                    when = f"Until {clock.time(part.end)}"
                elif part.end == span.end:
                    when = f"From {clock.time(part.start)}"
                else:
                    when = f"{clock.time(part.start)}–{clock.time(part.end)}"
                absences.append(Absent(when, reason))
            cells.append(DayCell(day, shifts, absences))
        pattern = {
            weekday: (f"{times.starts:%H:%M}", f"{times.ends:%H:%M}")
            for weekday, times in rota.pattern.items()
        }
        table.append(OfficerWeek(rota.officer, cells, pattern))
    return table
