"""DASH scoring and the MARAC criteria, at every boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from videoresponse.risk.rules import (
    Answer,
    Escalation,
    MaracReason,
    PersonKey,
    RiskLevel,
    RiskRuleError,
    Thresholds,
    check_judgement,
    check_outcome,
    count_yes,
    final_level,
    level_for,
    marac_reasons,
    months_before,
    same_person,
)

DASH = Thresholds(medium=10, high=14)
DEFAULT_ESCALATION = Escalation()


def _answers(yes: int, no: int = 0, not_known: int = 0) -> dict[str, Answer]:
    given = [Answer.YES] * yes + [Answer.NO] * no + [Answer.NOT_KNOWN] * not_known
    return {f"q{n}": answer for n, answer in enumerate(given)}


def _reasons(
    scored: RiskLevel = RiskLevel.STANDARD,
    judgement: RiskLevel | None = None,
    incidents: int = 1,
    referred: bool = False,
    escalation: Escalation = DEFAULT_ESCALATION,
) -> list[MaracReason]:
    return marac_reasons(
        scored=scored,
        judgement=judgement,
        incidents_in_window=incidents,
        escalation=escalation,
        referred_recently=referred,
    )


@pytest.mark.parametrize(
    ("yes", "level"),
    [
        (0, RiskLevel.STANDARD),
        (9, RiskLevel.STANDARD),
        (10, RiskLevel.MEDIUM),
        (13, RiskLevel.MEDIUM),
        (14, RiskLevel.HIGH),
        (27, RiskLevel.HIGH),
    ],
)
def test_the_level_follows_the_yes_count_at_each_threshold(yes: int, level: RiskLevel) -> None:
    assert level_for(count_yes(_answers(yes, no=27 - yes)), DASH) is level


def test_not_known_never_counts_as_yes() -> None:
    answers = _answers(13, not_known=14)

    assert count_yes(answers) == 13
    assert level_for(count_yes(answers), DASH) is RiskLevel.MEDIUM
    assert level_for(count_yes(_answers(9, not_known=18)), DASH) is RiskLevel.STANDARD


def test_a_force_can_set_its_own_thresholds() -> None:
    assert level_for(5, Thresholds(medium=3, high=5)) is RiskLevel.HIGH
    with pytest.raises(RiskRuleError):
        Thresholds(medium=14, high=14)


def test_judgement_raises_the_level_with_a_reason() -> None:
    raised = check_judgement(RiskLevel.MEDIUM, RiskLevel.HIGH, "Strangled last week")

    assert raised is RiskLevel.HIGH
    assert final_level(RiskLevel.MEDIUM, raised) is RiskLevel.HIGH


def test_raising_without_a_reason_is_refused() -> None:
    with pytest.raises(RiskRuleError, match="Say why") as refused:
        check_judgement(RiskLevel.STANDARD, RiskLevel.MEDIUM, "  ")
    assert refused.value.field == "judgement_reason"


def test_judgement_never_lowers_the_level_whatever_the_reason() -> None:
    with pytest.raises(RiskRuleError, match="never lower it: the answers give high risk"):
        check_judgement(RiskLevel.HIGH, RiskLevel.MEDIUM, "They seemed calm")


def test_the_same_level_is_no_judgement_at_all() -> None:
    assert check_judgement(RiskLevel.MEDIUM, RiskLevel.MEDIUM, "") is None


def test_answers_changed_after_a_judgement_never_lower_the_level() -> None:
    assert final_level(RiskLevel.HIGH, RiskLevel.MEDIUM) is RiskLevel.HIGH
    assert final_level(RiskLevel.STANDARD, None) is RiskLevel.STANDARD


def test_no_reason_means_no_marac_referral() -> None:
    assert _reasons(RiskLevel.MEDIUM, incidents=2) == []


def test_visible_high_risk_alone_makes_a_referral_due() -> None:
    assert _reasons(RiskLevel.HIGH) == [MaracReason.VISIBLE_HIGH_RISK]


def test_judgement_raised_to_high_alone_makes_a_referral_due() -> None:
    assert _reasons(RiskLevel.MEDIUM, RiskLevel.HIGH) == [MaracReason.PROFESSIONAL_JUDGEMENT]


def test_judgement_raised_only_to_medium_is_not_a_reason() -> None:
    assert _reasons(RiskLevel.STANDARD, RiskLevel.MEDIUM) == []


def test_potential_escalation_alone_at_three_incidents_not_two() -> None:
    assert _reasons(incidents=3) == [MaracReason.POTENTIAL_ESCALATION]
    assert _reasons(incidents=2) == []


def test_the_escalation_count_is_the_forces() -> None:
    assert _reasons(incidents=2, escalation=Escalation(incidents=2)) == [
        MaracReason.POTENTIAL_ESCALATION
    ]


def test_repeat_referral_alone_makes_a_referral_due() -> None:
    assert _reasons(referred=True) == [MaracReason.REPEAT_REFERRAL]


def test_every_reason_is_listed_when_all_apply() -> None:
    assert _reasons(RiskLevel.HIGH, RiskLevel.HIGH, incidents=5, referred=True) == [
        MaracReason.VISIBLE_HIGH_RISK,
        MaracReason.POTENTIAL_ESCALATION,
        MaracReason.REPEAT_REFERRAL,
    ]


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 11, 28, 9, tzinfo=UTC), 12, datetime(2025, 11, 28, 9, tzinfo=UTC)),
        (datetime(2025, 3, 31, tzinfo=UTC), 1, datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2024, 3, 31, tzinfo=UTC), 1, datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2025, 2, 28, tzinfo=UTC), 12, datetime(2024, 2, 28, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 13, datetime(2024, 12, 15, tzinfo=UTC)),
    ],
)
def test_months_before_counts_calendar_months(
    moment: datetime, months: int, expected: datetime
) -> None:
    assert months_before(moment, months) == expected


def test_months_before_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        months_before(datetime(2026, 1, 1), 12)


BORN = date(1990, 5, 17)


@pytest.mark.parametrize(
    ("other", "same"),
    [
        (PersonKey(2, BORN, "+447700900123", "Someone Else"), True),
        (PersonKey(2, BORN, None, "  alex   EXAMPLE "), True),
        (PersonKey(2, BORN, "07700 900123", "A. Example"), True),
        (PersonKey(2, date(1991, 5, 17), "+447700900123", "Alex Example"), False),
        (PersonKey(2, None, "+447700900123", "Alex Example"), False),
        (PersonKey(2, BORN, "+447700900999", "Sam Other"), False),
        (PersonKey(1, None, None, ""), True),
    ],
)
def test_the_same_person_needs_the_same_birth_date_and_phone_or_name(
    other: PersonKey, same: bool
) -> None:
    subject = PersonKey(1, BORN, "+447700900123", "Alex Example")

    assert same_person(subject, other) is same


def test_an_outcome_needs_every_question_answered() -> None:
    with pytest.raises(RiskRuleError, match=r"2 left"):
        check_outcome(
            unanswered=["a", "b"],
            reasons=[],
            referral_made=False,
            why_not="",
            safeguarding_actions="none",
        )


def test_a_due_referral_not_made_needs_a_reason() -> None:
    with pytest.raises(RiskRuleError, match="say why it was not made") as refused:
        check_outcome(
            unanswered=[],
            reasons=[MaracReason.VISIBLE_HIGH_RISK],
            referral_made=False,
            why_not=" ",
            safeguarding_actions="Safety plan",
        )
    assert refused.value.field == "marac_reason"
    check_outcome(
        unanswered=[],
        reasons=[],
        referral_made=False,
        why_not="",
        safeguarding_actions="none",
    )


def test_an_outcome_says_what_safeguarding_was_done() -> None:
    with pytest.raises(RiskRuleError, match="safeguarding actions"):
        check_outcome(
            unanswered=[],
            reasons=[MaracReason.VISIBLE_HIGH_RISK],
            referral_made=True,
            why_not="",
            safeguarding_actions="",
        )
