"""Rota rules: time ranges, opening hours, weekly shift patterns and absences.

Every instant is a timezone-aware UTC datetime and every range is half-open [start, end).
Local wall-clock times appear only in patterns and opening hours, and are turned into
UTC once per date with zoneinfo; nothing steps a local datetime by a timedelta, because
that is wall-clock arithmetic and is wrong across a clock change.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum
from operator import attrgetter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TEAM_TIMEZONE = "Europe/London"


class RotaError(ValueError):
    """A rota rule was broken; the message is fit to show to a supervisor."""


class Weekday(IntEnum):
    """Days as `date.weekday()` numbers them."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


EVERY_DAY: frozenset[int] = frozenset(Weekday)


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A half-open span of real time [start, end); both ends are stored in UTC.

    Aware datetimes in another zone are converted to UTC, so that adding a timedelta
    to an end is always real elapsed time.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise RotaError(f"A time range needs timezone-aware times: {self.start}, {self.end}")
        if self.start.tzinfo is not UTC:
            object.__setattr__(self, "start", self.start.astimezone(UTC))
        if self.end.tzinfo is not UTC:
            object.__setattr__(self, "end", self.end.astimezone(UTC))
        if self.end <= self.start:
            raise RotaError(f"A time range must end after it starts: {self.start}–{self.end}")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, other: TimeRange) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: TimeRange) -> bool:
        return self.start <= other.start and other.end <= self.end

    def intersection(self, other: TimeRange) -> TimeRange | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return TimeRange(start, end) if start < end else None


_START = attrgetter("start")


def merge_ranges(ranges: Iterable[TimeRange]) -> list[TimeRange]:
    """The union of `ranges`, sorted; overlapping or touching ranges become one."""
    merged: list[TimeRange] = []
    for current in sorted(ranges, key=_START):
        if merged and current.start <= merged[-1].end:
            if current.end > merged[-1].end:
                merged[-1] = TimeRange(merged[-1].start, current.end)
        else:
            merged.append(current)
    return merged


def subtract_ranges(ranges: Iterable[TimeRange], removals: Iterable[TimeRange]) -> list[TimeRange]:
    """What is left of each range once every removal is cut out, sorted by start.

    The pieces of different ranges are never joined, so a piece always lies inside one
    of the original ranges (one shift stays one shift even when the next one touches it).
    """
    removed = merge_ranges(removals)
    removed_ends = [r.end for r in removed]
    pieces: list[TimeRange] = []
    for current in sorted(ranges, key=_START):
        cursor = current.start
        index = bisect_right(removed_ends, cursor)
        while index < len(removed) and removed[index].start < current.end:
            if removed[index].start > cursor:
                pieces.append(TimeRange(cursor, removed[index].start))
            cursor = max(cursor, removed[index].end)
            index += 1
        if cursor < current.end:
            pieces.append(TimeRange(cursor, current.end))
    return pieces


def shifts_without_absences(
    shifts: Iterable[TimeRange], absences: Iterable[TimeRange]
) -> list[TimeRange]:
    """An officer's shifts with their absences (leave, training, sickness) cut out."""
    return subtract_ranges(shifts, absences)


def zone_named(tz_name: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise RotaError(f"Unknown time zone {tz_name!r}") from error


def local_to_utc(day: date, wall_clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which clocks in `zone` show `wall_clock` on `day`.

    Deterministic on clock-change days (PEP 495 with fold=0): an ambiguous time (it
    happens twice when clocks go back) is its first occurrence, still in summer time; a
    nonexistent time (skipped when clocks go forward) moves forward by the length of the
    gap, so 01:30 on 29 March 2026 in Europe/London is 02:30 BST.
    """
    local = datetime.combine(day, wall_clock.replace(tzinfo=None, fold=0), tzinfo=zone)
    return local.astimezone(UTC)


def _local_range(day: date, starts: time, ends: time, zone: ZoneInfo) -> TimeRange | None:
    # Ends at or before its start means the hours run past midnight into the next date.
    end_day = day + timedelta(days=1) if ends <= starts else day
    start, end = local_to_utc(day, starts, zone), local_to_utc(end_day, ends, zone)
    # Hours that fall wholly inside a spring-forward gap have no real time that day.
    return TimeRange(start, end) if start < end else None


def _check_wall_clock(*times: time) -> None:
    for wall_clock in times:
        if wall_clock.tzinfo is not None:
            raise RotaError(f"Give wall-clock times without a time zone, not {wall_clock}")


def _check_weekdays(days: Iterable[int]) -> None:
    unknown = sorted(set(days) - EVERY_DAY)
    if unknown:
        raise RotaError(f"Weekdays are numbered 0 (Monday) to 6 (Sunday), not {unknown}")


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """When the team takes appointments, in local wall-clock time on the given weekdays.

    Closing at or before opening means the team is open past midnight; opening hours
    belong to the weekday on which they start.
    """

    opens: time = time(8, 30)
    closes: time = time(21, 30)
    tz_name: str = TEAM_TIMEZONE
    weekdays: frozenset[int] = EVERY_DAY

    def __post_init__(self) -> None:
        _check_wall_clock(self.opens, self.closes)
        _check_weekdays(self.weekdays)
        if not self.weekdays:
            raise RotaError("The team must be open on at least one weekday")
        zone_named(self.tz_name)

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.tz_name)

    def on(self, day: date) -> TimeRange | None:
        """The team's opening hours that start on local date `day`, in UTC."""
        if day.weekday() not in self.weekdays:
            return None
        return _local_range(day, self.opens, self.closes, self.zone)

    def describe(self) -> str:
        days = "every day"
        if self.weekdays != EVERY_DAY:
            days = "on " + ", ".join(Weekday(d).name.title()[:3] for d in sorted(self.weekdays))
        return f"{self.opens:%H:%M}–{self.closes:%H:%M} {self.tz_name} {days}"


def check_shift_inside_opening_hours(shift: TimeRange, opening_hours: OpeningHours) -> None:
    """Raise RotaError unless the whole shift lies inside the team's opening hours."""
    zone = opening_hours.zone
    local_start, local_end = shift.start.astimezone(zone), shift.end.astimezone(zone)
    # Hours that start the day before may run past midnight into this shift.
    day = local_start.date() - timedelta(days=1)
    open_ranges: list[TimeRange] = []
    while day <= local_end.date():
        open_range = opening_hours.on(day)
        if open_range is not None:
            open_ranges.append(open_range)
        day += timedelta(days=1)
    if any(open_range.contains(shift) for open_range in merge_ranges(open_ranges)):
        return
    raise RotaError(
        f"The shift {local_start:%a %d %b %Y %H:%M}–{local_end:%H:%M} is outside the "
        f"team's opening hours ({opening_hours.describe()})"
    )


@dataclass(frozen=True, slots=True)
class ShiftTimes:
    """One day's shift in local wall-clock time; ending at or before it starts (for
    example 20:00–02:00) means it runs past midnight and ends on the next date."""

    starts: time
    ends: time

    def __post_init__(self) -> None:
        _check_wall_clock(self.starts, self.ends)
        if self.starts == self.ends:
            raise RotaError(f"A shift cannot start and end at {self.starts:%H:%M}")


@dataclass(frozen=True, slots=True)
class WeeklyPattern:
    """An officer's repeating week: the shift on each weekday they work."""

    shifts: Mapping[int, ShiftTimes] = field(default_factory=dict)
    tz_name: str = TEAM_TIMEZONE

    def __post_init__(self) -> None:
        _check_weekdays(self.shifts)
        zone_named(self.tz_name)


def expand_weekly_pattern(
    pattern: WeeklyPattern, first_day: date, last_day: date
) -> list[TimeRange]:
    """The pattern's shifts that start on local dates first_day..last_day (inclusive), in UTC.

    Each date is converted on its own, so a shift keeps its wall-clock times across a
    clock change and its real length changes instead (see `local_to_utc`).
    """
    if last_day < first_day:
        raise RotaError(f"The rota period ends ({last_day}) before it starts ({first_day})")
    zone = zone_named(pattern.tz_name)
    shifts: list[TimeRange] = []
    day = first_day
    while day <= last_day:
        times = pattern.shifts.get(day.weekday())
        if times is not None:
            shift = _local_range(day, times.starts, times.ends, zone)
            if shift is not None:
                shifts.append(shift)
        day += timedelta(days=1)
    return shifts
