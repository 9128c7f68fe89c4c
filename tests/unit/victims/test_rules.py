"""Victims' Code rules: working days, due dates, what is owed."""

from __future__ import annotations

from datetime import date

import pytest

from videoresponse.victims.rules import (
    DEFAULT_UPDATE_EVERY,
    Nation,
    Outcome,
    Standing,
    TaskKind,
    VictimsCodeError,
    add_working_days,
    check_outcome,
    first_due,
    follows_with_update,
    is_working_day,
    next_update_due,
    standing,
    tasks_owed,
)

ENGLAND, SCOTLAND = Nation.ENGLAND, Nation.SCOTLAND


def test_five_working_days_from_christmas_eve_2026_skip_christmas_and_boxing_day_in_england() -> (
    None
):
    # Thu 24 Dec; Fri 25 Christmas Day; Mon 28 Boxing Day (substitute, the 26th is a
    # Saturday); Tue 29, Wed 30, Thu 31; Fri 1 Jan New Year's Day; Mon 4, Tue 5.
    assert add_working_days(date(2026, 12, 24), 5, ENGLAND) == date(2027, 1, 5)


def test_boxing_day_substitute_monday_is_not_a_working_day() -> None:
    assert not is_working_day(date(2026, 12, 28), ENGLAND)
    assert is_working_day(date(2026, 12, 29), ENGLAND)


def test_scotland_also_takes_the_second_of_january() -> None:
    # Fri 2 Jan 2026 is a bank holiday in Scotland only.
    assert add_working_days(date(2025, 12, 31), 1, ENGLAND) == date(2026, 1, 2)
    assert add_working_days(date(2025, 12, 31), 1, SCOTLAND) == date(2026, 1, 5)


def test_wales_shares_englands_bank_holidays() -> None:
    start = date(2026, 12, 24)
    assert add_working_days(start, 5, Nation.WALES) == add_working_days(start, 5, ENGLAND)


def test_northern_ireland_takes_st_patricks_day() -> None:
    # Tue 17 Mar 2026.
    assert add_working_days(date(2026, 3, 16), 1, Nation.NORTHERN_IRELAND) == date(2026, 3, 18)
    assert add_working_days(date(2026, 3, 16), 1, ENGLAND) == date(2026, 3, 17)


def test_working_days_skip_the_weekend() -> None:
    assert add_working_days(date(2026, 11, 27), 1, ENGLAND) == date(2026, 11, 30)  # Fri -> Mon


def test_zero_working_days_is_the_day_itself_or_the_next_working_day() -> None:
    assert add_working_days(date(2026, 11, 25), 0, ENGLAND) == date(2026, 11, 25)
    assert add_working_days(date(2026, 11, 28), 0, ENGLAND) == date(2026, 11, 30)


def test_counting_backwards_is_refused() -> None:
    with pytest.raises(VictimsCodeError):
        add_working_days(date(2026, 11, 25), -1, ENGLAND)


def test_the_next_update_is_due_five_working_days_after_the_last() -> None:
    assert DEFAULT_UPDATE_EVERY == 5
    assert next_update_due(date(2026, 11, 23), ENGLAND) == date(2026, 11, 30)


def test_a_victims_chosen_frequency_sets_the_next_update() -> None:
    assert next_update_due(date(2026, 11, 23), ENGLAND, every=10) == date(2026, 12, 7)
    assert next_update_due(date(2026, 11, 23), ENGLAND, every=1) == date(2026, 11, 24)


@pytest.mark.parametrize("every", [0, 61])
def test_a_frequency_outside_one_to_sixty_working_days_is_refused(every: int) -> None:
    with pytest.raises(VictimsCodeError) as refused:
        next_update_due(date(2026, 11, 23), ENGLAND, every=every)
    assert refused.value.field == "every"


def test_a_victim_is_owed_all_four_tasks_and_a_witness_none() -> None:
    assert set(tasks_owed("victim")) == set(TaskKind)
    assert tasks_owed("witness") == ()


def test_first_due_dates_count_working_days_from_the_call() -> None:
    called = date(2026, 11, 27)  # a Friday
    assert first_due(TaskKind.WRITTEN_CONFIRMATION, called, ENGLAND, 5) == date(2026, 11, 30)
    assert first_due(TaskKind.SUPPORT_REFERRAL, called, ENGLAND, 5) == date(2026, 12, 1)
    assert first_due(TaskKind.UPDATE, called, ENGLAND, 5) == date(2026, 12, 4)
    assert first_due(TaskKind.UPDATE, called, ENGLAND, 2) == date(2026, 12, 1)


def test_only_an_outcome_of_the_tasks_kind_may_be_recorded() -> None:
    assert check_outcome(TaskKind.SUPPORT_REFERRAL, "referred") is Outcome.REFERRED
    with pytest.raises(VictimsCodeError):
        check_outcome(TaskKind.SUPPORT_REFERRAL, "updated")
    with pytest.raises(VictimsCodeError):
        check_outcome(TaskKind.UPDATE, "case_closed")


def test_an_update_given_puts_the_next_one_on_the_list_and_a_last_one_does_not() -> None:
    assert follows_with_update(TaskKind.UPDATE, Outcome.UPDATED)
    assert not follows_with_update(TaskKind.UPDATE, Outcome.NO_MORE_UPDATES)
    assert not follows_with_update(TaskKind.SUPPORT_REFERRAL, Outcome.REFERRED)


def test_a_task_is_overdue_after_its_due_date() -> None:
    today = date(2026, 11, 25)
    assert standing(date(2026, 11, 24), today) is Standing.OVERDUE
    assert standing(today, today) is Standing.DUE_TODAY
    assert standing(date(2026, 11, 26), today) is Standing.DUE
