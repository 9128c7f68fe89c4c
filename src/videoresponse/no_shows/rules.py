"""No-shows: when a caller counts as missing, and whether the officer may phone them.

Pure: plain values in, plain values out. Every instant is UTC-aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from videoresponse.booking.rules import AppointmentStatus

DEFAULT_GRACE: Final = timedelta(minutes=10)

# Waiting counts only while nobody was admitted: a rapid video appointment starts as
# waiting before the caller has opened their link.
MAY_BE_MISSED: Final = frozenset(
    {AppointmentStatus.BOOKED, AppointmentStatus.RESCHEDULED, AppointmentStatus.WAITING}
)


class Outcome(StrEnum):
    """What happened when the officer tried to reach the caller."""

    NO_ANSWER = "no_answer"
    REBOOKED = "rebooked"
    DECLINED = "declined"
    UNSAFE_TO_TALK = "unsafe_to_talk"


OUTCOME_LABELS: Final = MappingProxyType(
    {
        Outcome.NO_ANSWER: "No answer",
        Outcome.REBOOKED: "Rebooked",
        Outcome.DECLINED: "Declined another appointment",
        Outcome.UNSAFE_TO_TALK: "Unsafe to talk",
    }
)


def is_possible_no_show(
    status: AppointmentStatus,
    starts_at: datetime,
    *,
    caller_joined: bool,
    admitted: bool,
    now: datetime,
    grace: timedelta = DEFAULT_GRACE,
) -> bool:
    """True when the caller has not joined by the start plus the grace period.

    A caller who joined at any point is never a no-show (they may have dropped out and be
    coming back), nor is an appointment where anyone was admitted.
    """
    if starts_at.utcoffset() is None or now.utcoffset() is None:
        raise ValueError("Times must be timezone-aware")
    if status not in MAY_BE_MISSED or caller_joined or admitted:
        return False
    return now >= starts_at + grace


@dataclass(frozen=True, slots=True)
class PhoneAdvice:
    """Whether the officer may phone the caller, and on which number."""

    calls_unsafe: bool
    number: str | None
    # No safe contact recorded: nobody has asked the caller whether calls are safe.
    unknown: bool = False

    @property
    def may_phone(self) -> bool:
        return not self.calls_unsafe and self.number is not None


def phone_advice(
    *, may_call: bool | None, safe_number: str | None, mobile: str | None
) -> PhoneAdvice:
    """The safe number first, else the mobile; no number at all when calls are not safe.

    `may_call` is None when the person has no safe contact record.
    """
    if may_call is False:
        return PhoneAdvice(calls_unsafe=True, number=None)
    number = (safe_number or "").strip() or (mobile or "").strip() or None
    return PhoneAdvice(calls_unsafe=False, number=number, unknown=may_call is None)
