"""The team's local time, as people read it on pages and type it into forms.

Instants are stored in UTC; staff read and type the team's wall-clock time. Each local
date is turned into UTC on its own with `local_to_utc`: adding a timedelta to an aware
local datetime is wall-clock arithmetic and goes wrong across a clock change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from videoresponse.rota.rules import TimeRange, local_to_utc, zone_named

_WALL_CLOCK = re.compile(r"(\d{1,2})\s*[:.]?\s*(\d{2})")


def parse_wall_clock(text: str) -> time | None:
    """A 24-hour time typed as 14:15, 14.15, 1415 or 9:05; None when left blank.

    Raises ValueError for anything else.
    """
    typed = text.strip()
    if not typed:
        return None
    match = _WALL_CLOCK.fullmatch(typed)
    if match is None:
        raise ValueError(typed)
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        raise ValueError(typed)
    return time(hours, minutes)


def parse_date_fields(day: str, month: str, year: str) -> date:
    """The date from GOV.UK's three date-input boxes; ValueError if it is not a real date."""
    parts = [part.strip() for part in (day, month, year)]
    if not all(part.isdigit() for part in parts) or len(parts[2]) != 4:
        raise ValueError("/".join(parts))
    return date(int(parts[2]), int(parts[1]), int(parts[0]))


def parse_iso_day(text: str) -> date:
    """A date in a link (?day=2026-12-01); ValueError if it is not one."""
    return date.fromisoformat(text.strip())


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def describe_span(span: timedelta) -> str:
    """A length of time in its two largest units: "2 days 4 hours", "3 hours 5 minutes"."""
    minutes = int(abs(span).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in units if n]
    return " ".join(words[:2]) or "less than a minute"


def describe_time_left(left: timedelta) -> str:
    return f"{describe_span(left)} left" if left > timedelta(0) else f"{describe_span(left)} ago"


@dataclass(frozen=True)
class TeamClock:
    """The team's time zone, for pages: what day it is, and instants as local text."""

    zone: ZoneInfo

    @classmethod
    def named(cls, tz_name: str) -> TeamClock:
        return cls(zone_named(tz_name))

    def today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()

    def at(self, day: date, wall_clock: time) -> datetime:
        """The UTC instant of a local date and time (see `local_to_utc` on clock changes)."""
        return local_to_utc(day, wall_clock, self.zone)

    def day_range(self, day: date) -> TimeRange:
        """The local date from midnight to midnight, in UTC: 23 or 25 hours at a clock change."""
        return TimeRange(self.at(day, time(0)), self.at(day + timedelta(days=1), time(0)))

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def time(self, instant: datetime) -> str:
        return f"{self.local(instant):%H:%M}"

    def when(self, instant: datetime) -> str:
        """Like "Tue 1 Dec 14:15"."""
        local = self.local(instant)
        return f"{local:%a} {local.day} {local:%b %H:%M}"

    def short_day(self, day: date) -> str:
        """Like "Tue 1 Dec"."""
        return f"{day:%a} {day.day} {day:%b}"

    def long_day(self, day: date) -> str:
        """Like "Tuesday 1 December 2026"."""
        return f"{day:%A} {day.day} {day:%B %Y}"
