"""How triage values are said on the call handler's pages: local times, safe times, labels."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from itertools import groupby
from zoneinfo import ZoneInfo

import phonenumbers

from videoresponse.booking.rules import SlotReason
from videoresponse.triage.rules import Grade, IncidentType, ResponseRoute, Weekday
from videoresponse.triage.views import SafeTimeView

GRADE_HINTS: dict[Grade, str] = {
    Grade.EMERGENCY: "Immediate attendance. Never a video appointment.",
    Grade.PRIORITY: "Prompt attendance, or a video appointment if suitable.",
    Grade.SCHEDULED: "An appointment.",
    Grade.RESOLVED_WITHOUT_DEPLOYMENT: "No deployment needed.",
}
ROUTE_NAMES: dict[str, str] = {
    ResponseRoute.VIDEO: "Video appointment",
    ResponseRoute.ATTEND: "Officer attends",
    ResponseRoute.STATION: "Station visit",
}
SLOT_REASONS: dict[str, str] = {
    SlotReason.LEAST_LOADED: "has the fewest appointments",
    SlotReason.SAME_OFFICER: "saw them before",
}
_WEEKDAYS = tuple(Weekday)


class Wording:
    """Bound to the team's time zone and incident types; templates call it as ``say``."""

    def __init__(self, timezone: str, incident_types: Sequence[IncidentType]) -> None:
        self.zone = ZoneInfo(timezone)
        self.type_labels = {t.code: t.label for t in incident_types}

    def when(self, moment: datetime | None) -> str:
        """ "Tue 1 Dec 14:15" in the team's time zone."""
        if moment is None:
            return ""
        local = moment.astimezone(self.zone)
        return f"{local:%a} {local.day} {local:%b %H:%M}"

    def day(self, value: date | None) -> str:
        return f"{value.day} {value:%B %Y}" if value else "Not given"

    def incident_type(self, code: str) -> str:
        return self.type_labels.get(code, code.replace("_", " ").capitalize())

    def grade(self, value: int) -> str:
        return Grade(value).label.capitalize()

    def phone(self, e164: str | None) -> str:
        """A stored E.164 number as people read it: "07700 900123"."""
        if not e164:
            return ""
        try:
            number = phonenumbers.parse(e164, "GB")
        except phonenumbers.NumberParseException:
            return e164
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)

    def slot_reason(self, reason: str, officer_name: str) -> str:
        """Why this officer: "PC Jo Morgan has the fewest appointments"."""
        return f"{officer_name} {SLOT_REASONS.get(reason, reason)}"

    def route(self, value: str) -> str:
        return ROUTE_NAMES.get(value, value)

    def safe_times(self, times: Sequence[SafeTimeView]) -> list[str]:
        """Weekly safe times, days with the same hours said together: "Every day 08:00 to 21:30"."""
        lines = []
        ordered = sorted(times, key=lambda t: (t.starts, t.ends, t.weekday))
        for (starts, ends), same in groupby(ordered, key=lambda t: (t.starts, t.ends)):
            days = sorted({t.weekday for t in same})
            lines.append(f"{_days(days)} {starts:%H:%M} to {ends:%H:%M}")
        return lines


def _days(days: list[int]) -> str:
    if len(days) == len(_WEEKDAYS):
        return "Every day"
    if days == [0, 1, 2, 3, 4]:
        return "Weekdays"
    if days == [5, 6]:
        return "Weekends"
    return ", ".join(Weekday(d).name.capitalize() for d in days)


def age_on(date_of_birth: date | None, today: date) -> int | None:
    if date_of_birth is None:
        return None
    birthday_passed = (today.month, today.day) >= (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - (0 if birthday_passed else 1)
