"""Retention selection rules, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from videoresponse.retention.rules import (
    ClosedCase,
    caller_session_is_due,
    closed_case_is_due,
    cutoff,
    feedback_is_due,
    text_is_due,
)

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
BEFORE = NOW - timedelta(days=365)
LONG_AGO = NOW - timedelta(days=400)
LATELY = NOW - timedelta(days=30)


def test_the_cutoff_is_the_kept_days_before_now() -> None:
    assert cutoff(NOW, 90) == NOW - timedelta(days=90)


def test_zero_days_keeps_a_class_for_ever() -> None:
    assert cutoff(NOW, 0) is None


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        cutoff(datetime(2026, 11, 28), 30)


def _case(**changes: object) -> ClosedCase:
    values: dict[str, object] = {
        "incident_id": 1,
        "crime_recorded": False,
        "closed_at": LONG_AGO,
        "active_appointments": 0,
        "last_appointment_end": LONG_AGO - timedelta(days=3),
    }
    values.update(changes)
    return ClosedCase(**values)  # type: ignore[arg-type]


def test_a_case_closed_as_no_crime_before_the_cutoff_is_due() -> None:
    assert closed_case_is_due(_case(), BEFORE)
    assert closed_case_is_due(_case(last_appointment_end=None), BEFORE)


@pytest.mark.parametrize(
    "changes",
    [
        {"crime_recorded": True},
        {"closed_at": LATELY},
        {"active_appointments": 1},
        {"last_appointment_end": LATELY},
    ],
    ids=["a crime", "closed lately", "an appointment still active", "seen lately"],
)
def test_a_case_is_kept_while_any_reason_to_keep_it_remains(changes: dict[str, object]) -> None:
    assert not closed_case_is_due(_case(**changes), BEFORE)


@pytest.mark.parametrize("status", ["delivered", "sent", "expired", "withdrawn"])
def test_an_old_settled_text_is_due(status: str) -> None:
    assert text_is_due(status, LONG_AGO, False, BEFORE)


@pytest.mark.parametrize("status", ["queued", "retry", "sending"])
def test_a_text_still_on_its_way_is_never_due(status: str) -> None:
    assert not text_is_due(status, LONG_AGO, True, BEFORE)


@pytest.mark.parametrize("status", ["failed", "uncertain", "not_sent"])
def test_a_problem_text_is_due_only_once_someone_followed_it_up(status: str) -> None:
    assert not text_is_due(status, LONG_AGO, False, BEFORE)
    assert text_is_due(status, LONG_AGO, True, BEFORE)


def test_a_recent_text_is_not_due() -> None:
    assert not text_is_due("delivered", LATELY, False, BEFORE)


def test_caller_sessions_and_feedback_are_due_by_age() -> None:
    assert caller_session_is_due(LONG_AGO, BEFORE)
    assert not caller_session_is_due(LATELY, BEFORE)
    assert feedback_is_due(LONG_AGO, False, BEFORE)
    assert not feedback_is_due(LONG_AGO, True, BEFORE)
    assert not feedback_is_due(LATELY, False, BEFORE)
