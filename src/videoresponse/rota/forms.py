"""Reading what a supervisor typed: local dates and times, weekly patterns, shifts, absences.

Each reader returns what it could read and puts a GOV.UK-style message for each field it
could not in `errors` (field name → message), so a page can show every problem at once
and keep everything typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import Depends, Request

from videoresponse.rota.rules import (
    OpeningHours,
    RotaError,
    ShiftTimes,
    TimeRange,
    Weekday,
    WeeklyPattern,
    check_shift_inside_opening_hours,
    expand_weekly_pattern,
)
from videoresponse.rota.team_time import TeamClock, parse_date_fields, parse_wall_clock

Errors = dict[str, str]


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


# Read in the event loop so that the route itself can stay a plain (threaded) function.
FormFields = Annotated[dict[str, str], Depends(_form_fields)]


def day_name(weekday: int) -> str:
    return Weekday(weekday).name.title()


def read_date(form: Mapping[str, str], prefix: str, what: str, errors: Errors) -> date | None:
    """GOV.UK's date input: fields `<prefix>_day`, `<prefix>_month`, `<prefix>_year`."""
    parts = [form.get(f"{prefix}_{part}", "") for part in ("day", "month", "year")]
    if not any(part.strip() for part in parts):
        errors[f"{prefix}_day"] = f"Enter {what}"
        return None
    try:
        return parse_date_fields(*parts)
    except ValueError:
        errors[f"{prefix}_day"] = f"{what[0].upper()}{what[1:]} must be a real date, like 1 12 2026"
        return None


def read_time(form: Mapping[str, str], field: str, what: str, errors: Errors) -> time | None:
    try:
        wall_clock = parse_wall_clock(form.get(field, ""))
    except ValueError:
        errors[field] = f"Enter {what} as a 24-hour time, like 14:30"
        return None
    if wall_clock is None:
        errors[field] = f"Enter {what}"
    return wall_clock


def read_moment(
    form: Mapping[str, str], prefix: str, what: str, clock: TeamClock, errors: Errors
) -> datetime | None:
    """A local date (`<prefix>_day/_month/_year`) and time (`<prefix>_time`), in UTC."""
    day = read_date(form, prefix, f"the date {what}", errors)
    wall_clock = read_time(form, f"{prefix}_time", f"the time {what}", errors)
    if day is None or wall_clock is None:
        return None
    return clock.at(day, wall_clock)


def read_pattern(
    form: Mapping[str, str], opening_hours: OpeningHours, week: date, errors: Errors
) -> dict[int, ShiftTimes]:
    """Seven rows of `starts_<weekday>` and `ends_<weekday>`; both blank is a day off.

    Each day is checked against the opening hours on its date in `week`, so the message
    can name the weekday rather than the service's sample week.
    """
    days: dict[int, ShiftTimes] = {}
    for weekday in range(7):
        name = day_name(weekday)
        typed = [form.get(f"{end}_{weekday}", "").strip() for end in ("starts", "ends")]
        if not any(typed):
            continue
        if not all(typed):
            errors[f"starts_{weekday}"] = (
                f"Enter both times for {name}, or leave both blank for a day off"
            )
            continue
        try:
            starts, ends = (parse_wall_clock(t) for t in typed)
        except ValueError:
            errors[f"starts_{weekday}"] = f"Enter {name}'s times as 24-hour times, like 08:30"
            continue
        assert starts is not None and ends is not None
        if starts == ends:
            errors[f"starts_{weekday}"] = f"{name}'s shift must end after it starts"
            continue
        times = ShiftTimes(starts, ends)
        on = week + timedelta(days=weekday)
        pattern = WeeklyPattern({weekday: times}, opening_hours.tz_name)
        try:
            for shift in expand_weekly_pattern(pattern, on, on):
                check_shift_inside_opening_hours(shift, opening_hours)
        except RotaError:
            errors[f"starts_{weekday}"] = (
                f"{name}'s shift {starts:%H:%M} to {ends:%H:%M} is outside the team's "
                f"opening hours ({opening_hours.describe()})"
            )
            continue
        days[weekday] = times
    return days


def read_officer(form: Mapping[str, str], field: str, errors: Errors) -> int | None:
    value = form.get(field, "").strip()
    if not value.isdigit():
        errors[field] = "Choose an officer"
        return None
    return int(value)


def read_shift(form: Mapping[str, str], clock: TeamClock, errors: Errors) -> TimeRange | None:
    """One shift: a local date, a start and an end; an end at or before the start is the
    next morning, as in a weekly pattern."""
    day = read_date(form, "shift", "the date of the shift", errors)
    starts = read_time(form, "shift_starts", "the time the shift starts", errors)
    ends = read_time(form, "shift_ends", "the time the shift ends", errors)
    if day is None or starts is None or ends is None:
        return None
    if starts == ends:
        errors["shift_ends"] = "The shift must end after it starts"
        return None
    end_day = day + timedelta(days=1) if ends < starts else day
    return TimeRange(clock.at(day, starts), clock.at(end_day, ends))


def read_absence(
    form: Mapping[str, str], clock: TeamClock, errors: Errors
) -> tuple[TimeRange | None, str]:
    """The absence's local start and end, and its reason."""
    starts = read_moment(form, "from", "the absence starts", clock, errors)
    ends = read_moment(form, "to", "the absence ends", clock, errors)
    reason = form.get("reason", "").strip()
    if not reason:
        errors["reason"] = "Enter the reason for the absence, like leave, training or sickness"
    if starts is None or ends is None:
        return None, reason
    if ends <= starts:
        errors["to_day"] = "The absence must end after it starts"
        return None, reason
    return TimeRange(starts, ends), reason
