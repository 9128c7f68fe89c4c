"""DASH scoring and the MARAC referral criteria: pure, plain values in and out.

The numbers are the checklist's (14 yes answers is visible high risk, 10 medium, by
default) and the force's (3 incidents in 12 months is potential escalation); the rules
only say how they combine. Professional judgement may raise a level, never lower it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final


class RiskRuleError(ValueError):
    """A request the rules refuse; the message is for the officer, `field` names the input."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    NOT_KNOWN = "not_known"

    @property
    def label(self) -> str:
        return ANSWER_LABELS[self]


ANSWER_LABELS: Final = {Answer.YES: "Yes", Answer.NO: "No", Answer.NOT_KNOWN: "Not known"}


class RiskLevel(StrEnum):
    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @property
    def label(self) -> str:
        return f"{self.value.capitalize()} risk"


_RANKS: Final = {RiskLevel.STANDARD: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


class MaracReason(StrEnum):
    VISIBLE_HIGH_RISK = "visible_high_risk"
    PROFESSIONAL_JUDGEMENT = "professional_judgement"
    POTENTIAL_ESCALATION = "potential_escalation"
    REPEAT_REFERRAL = "repeat_referral"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The fewest yes answers for each level above standard."""

    medium: int
    high: int

    def __post_init__(self) -> None:
        if not 1 <= self.medium < self.high:
            raise RiskRuleError("Thresholds must satisfy 1 <= medium < high")


@dataclass(frozen=True, slots=True)
class Escalation:
    """Potential escalation: at least `incidents` in the last `months` (this one included)."""

    incidents: int = 3
    months: int = 12

    def __post_init__(self) -> None:
        if self.incidents < 1 or self.months < 1:
            raise RiskRuleError("The escalation count and window must be at least 1")


def count_yes(answers: Mapping[str, Answer]) -> int:
    """Only a yes counts: "not known" is never scored as yes, nor as no."""
    return sum(1 for answer in answers.values() if answer is Answer.YES)


def level_for(yes_answers: int, thresholds: Thresholds) -> RiskLevel:
    if yes_answers >= thresholds.high:
        return RiskLevel.HIGH
    if yes_answers >= thresholds.medium:
        return RiskLevel.MEDIUM
    return RiskLevel.STANDARD


def check_judgement(scored: RiskLevel, requested: RiskLevel, reason: str) -> RiskLevel | None:
    """The level the officer's judgement sets, or None when it keeps the score's.

    Raising needs a reason; a lower level is refused, whatever the reason.
    """
    if requested.rank < scored.rank:
        raise RiskRuleError(
            f"Professional judgement can raise the level, never lower it: the answers give "
            f"{scored.label.lower()}, so the level cannot be {requested.value}"
        )
    if requested is scored:
        return None
    if not reason.strip():
        raise RiskRuleError(
            "Say why your professional judgement raises the level", "judgement_reason"
        )
    return requested


def final_level(scored: RiskLevel, judgement: RiskLevel | None) -> RiskLevel:
    """The higher of the two: answers changed after a judgement never lower the level."""
    if judgement is None or judgement.rank <= scored.rank:
        return scored
    return judgement


def marac_reasons(
    *,
    scored: RiskLevel,
    judgement: RiskLevel | None,
    incidents_in_window: int,
    escalation: Escalation,
    referred_recently: bool,
) -> list[MaracReason]:
    """Every reason a MARAC referral is due, in the order DASH lists them; empty if none."""
    reasons: list[MaracReason] = []
    if scored is RiskLevel.HIGH:
        reasons.append(MaracReason.VISIBLE_HIGH_RISK)
    elif judgement is RiskLevel.HIGH:
        reasons.append(MaracReason.PROFESSIONAL_JUDGEMENT)
    if incidents_in_window >= escalation.incidents:
        reasons.append(MaracReason.POTENTIAL_ESCALATION)
    if referred_recently:
        reasons.append(MaracReason.REPEAT_REFERRAL)
    return reasons


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (31 March less 1 is 28 or 29
    February): "12 months" means a year, whatever its length."""
    if moment.utcoffset() is None:
        raise ValueError("Times must be timezone-aware")
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, _days_in(year, month))
    return moment.replace(year=year, month=month, day=day)


def _days_in(year: int, month: int) -> int:
    after = date(year + month // 12, month % 12 + 1, 1)
    return (after - date(year, month, 1)).days


def check_outcome(
    *,
    unanswered: Iterable[str],
    reasons: list[MaracReason],
    referral_made: bool,
    why_not: str,
    safeguarding_actions: str,
) -> None:
    """An outcome is recorded only for a complete checklist, and says why a due referral
    was not made."""
    missing = list(unanswered)
    if missing:
        raise RiskRuleError(
            f"Answer every question first ({len(missing)} left): choose Not known where "
            "the person does not know or would not say",
            "outcome",
        )
    if reasons and not referral_made and not why_not.strip():
        raise RiskRuleError("A MARAC referral is due: say why it was not made", "marac_reason")
    if not safeguarding_actions.strip():
        raise RiskRuleError(
            "Say what safeguarding actions were taken, or write none", "safeguarding_actions"
        )


@dataclass(frozen=True, slots=True)
class PersonKey:
    """What identifies a person across incidents: each incident has its own person rows."""

    person_id: int
    date_of_birth: date | None
    mobile: str | None
    name: str


def _plain(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def _digits(number: str | None) -> str:
    digits = "".join(c for c in number or "" if c.isdigit())
    # Stored numbers are E.164 (+447...); a national 07... is the same number.
    return "44" + digits[1:] if digits.startswith("0") else digits


def same_person(a: PersonKey, b: PersonKey) -> bool:
    """The same row, or the same date of birth and either the same mobile or the same name.

    A date of birth is required for any match across incidents: a shared phone or a
    common name alone would count another person's incidents as this one's.
    """
    if a.person_id == b.person_id:
        return True
    if a.date_of_birth is None or a.date_of_birth != b.date_of_birth:
        return False
    phone_a, phone_b = _digits(a.mobile), _digits(b.mobile)
    if phone_a and phone_a == phone_b:
        return True
    return bool(_plain(a.name)) and _plain(a.name) == _plain(b.name)
