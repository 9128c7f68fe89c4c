"""The Victims' Code tasks: what is owed to a victim, and when, in working days.

Pure: dates in, dates out. Working days skip weekends and the bank holidays of the
force's nation, from the maintained `holidays` package (not a hand-written list).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

import holidays


class VictimsCodeError(ValueError):
    """A Victims' Code rule was broken; the message is fit to show to the officer.

    `field` names the form field it belongs to.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Nation(StrEnum):
    """Bank holidays differ by nation; England and Wales share theirs."""

    ENGLAND = "england"
    WALES = "wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern_ireland"

    @property
    def subdivision(self) -> str:
        """The ISO 3166-2:GB code the holidays package uses."""
        return {
            Nation.ENGLAND: "ENG",
            Nation.WALES: "WLS",
            Nation.SCOTLAND: "SCT",
            Nation.NORTHERN_IRELAND: "NIR",
        }[self]


class TaskKind(StrEnum):
    """What the Victims' Code gives every victim of a reported crime."""

    WRITTEN_CONFIRMATION = "written_confirmation"  # right 3: acknowledgement of the report
    SUPPORT_REFERRAL = "support_referral"  # right 4: referral to support services
    UPDATE = "update"  # right 6: updates on the investigation
    PERSONAL_STATEMENT = "personal_statement"  # right 7: Victim Personal Statement

    @property
    def label(self) -> str:
        return {
            TaskKind.WRITTEN_CONFIRMATION: "Written confirmation of the report",
            TaskKind.SUPPORT_REFERRAL: "Offer a referral to support services",
            TaskKind.UPDATE: "Update on the investigation",
            TaskKind.PERSONAL_STATEMENT: "Offer a Victim Personal Statement",
        }[self]


class Outcome(StrEnum):
    """How a task was done. Each kind has its own few outcomes (OUTCOMES)."""

    SENT = "sent"
    VICTIM_DECLINED_CONFIRMATION = "declined_confirmation"
    REFERRED = "referred"
    REFERRAL_DECLINED = "referral_declined"
    UPDATED = "updated"
    NO_MORE_UPDATES = "no_more_updates"
    STATEMENT_MADE = "statement_made"
    STATEMENT_DECLINED = "statement_declined"
    STATEMENT_LATER = "statement_later"
    CASE_CLOSED = "case_closed"
    NOT_OWED = "not_owed"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS: Mapping[Outcome, str] = MappingProxyType(
    {
        Outcome.SENT: "Sent, by a channel the victim said is safe",
        Outcome.VICTIM_DECLINED_CONFIRMATION: "The victim asked not to receive it",
        Outcome.REFERRED: "Offered and accepted: referred",
        Outcome.REFERRAL_DECLINED: "Offered and declined",
        Outcome.UPDATED: "Update given",
        Outcome.NO_MORE_UPDATES: "Update given; the victim wants no more",
        Outcome.STATEMENT_MADE: "Offered: the victim made a statement",
        Outcome.STATEMENT_DECLINED: "Offered: the victim declined",
        Outcome.STATEMENT_LATER: "Offered: the victim may make one later",
        Outcome.CASE_CLOSED: "The case was closed",
        Outcome.NOT_OWED: "Not owed: no crime was recorded",
    }
)

# What an officer may choose when marking a task done. CASE_CLOSED and NOT_OWED are set
# only by closing the case.
OUTCOMES: Mapping[TaskKind, tuple[Outcome, ...]] = MappingProxyType(
    {
        TaskKind.WRITTEN_CONFIRMATION: (Outcome.SENT, Outcome.VICTIM_DECLINED_CONFIRMATION),
        TaskKind.SUPPORT_REFERRAL: (Outcome.REFERRED, Outcome.REFERRAL_DECLINED),
        TaskKind.UPDATE: (Outcome.UPDATED, Outcome.NO_MORE_UPDATES),
        TaskKind.PERSONAL_STATEMENT: (
            Outcome.STATEMENT_MADE,
            Outcome.STATEMENT_DECLINED,
            Outcome.STATEMENT_LATER,
        ),
    }
)

DEFAULT_UPDATE_EVERY = 5  # working days (Victims' Code right 6, as DOMAIN.md states it)
MAX_UPDATE_EVERY = 60
# Force defaults for the one-off tasks, in working days from the day of the call. The Code
# asks for confirmation "without unnecessary delay" and the referral within 2 working days.
DUE_WORKING_DAYS: Mapping[TaskKind, int] = MappingProxyType(
    {
        TaskKind.WRITTEN_CONFIRMATION: 1,
        TaskKind.SUPPORT_REFERRAL: 2,
        TaskKind.PERSONAL_STATEMENT: 5,
    }
)
VICTIM = "victim"
NOTE_MAX_LENGTH = 500


@lru_cache(maxsize=64)
def bank_holidays(nation: Nation, year: int) -> frozenset[date]:
    """The nation's bank holidays in one year, substitute days included."""
    found = holidays.country_holidays("GB", subdiv=nation.subdivision, years=year)
    return frozenset(found.keys())


def is_working_day(day: date, nation: Nation) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(nation, day.year)


def add_working_days(start: date, days: int, nation: Nation) -> date:
    """The date `days` working days after `start` (which itself does not count).

    Zero days gives `start` itself when it is a working day, else the next working day.
    """
    if days < 0:
        raise VictimsCodeError("Count working days forwards, from zero up", field="every")
    day = start
    if days == 0:
        while not is_working_day(day, nation):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, nation):
            counted += 1
    return day


def check_update_every(every: int) -> None:
    """Raise unless `every` working days is a frequency an officer may record."""
    if not 1 <= every <= MAX_UPDATE_EVERY:
        raise VictimsCodeError(
            f"Updates must be every 1 to {MAX_UPDATE_EVERY} working days; "
            "record the victim's choice as a number of working days",
            field="every",
        )


def next_update_due(last: date, nation: Nation, every: int = DEFAULT_UPDATE_EVERY) -> date:
    """When the next update is due, counted from the last one (or from the call)."""
    check_update_every(every)
    return add_working_days(last, every, nation)


def tasks_owed(person_role: str) -> tuple[TaskKind, ...]:
    """Which tasks a person is owed: all four to a victim, none to a witness."""
    return tuple(TaskKind) if person_role == VICTIM else ()


def first_due(kind: TaskKind, called_on: date, nation: Nation, every: int) -> date:
    """When a victim's task first falls due, counted from the day of the call."""
    if kind is TaskKind.UPDATE:
        return next_update_due(called_on, nation, every)
    return add_working_days(called_on, DUE_WORKING_DAYS[kind], nation)


def check_outcome(kind: TaskKind, outcome: str) -> Outcome:
    """The outcome, if the officer may record it for this kind of task."""
    for allowed in OUTCOMES[kind]:
        if allowed.value == outcome:
            return allowed
    raise VictimsCodeError("Select what happened", field="outcome")


def follows_with_update(kind: TaskKind, outcome: Outcome) -> bool:
    """Whether doing this task puts the next update on the list."""
    return kind is TaskKind.UPDATE and outcome is Outcome.UPDATED


class Standing(StrEnum):
    DUE = "due"
    DUE_TODAY = "due today"
    OVERDUE = "overdue"


def standing(due_on: date, today: date) -> Standing:
    if due_on < today:
        return Standing.OVERDUE
    if due_on == today:
        return Standing.DUE_TODAY
    return Standing.DUE
