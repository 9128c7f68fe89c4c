from __future__ import annotations

from datetime import UTC, datetime, timedelta

from videoresponse.notify.timing import next_safe_time, reminder_times, retry_delay
from videoresponse.rota.rules import TimeRange

NOON = datetime(2026, 12, 1, 12, tzinfo=UTC)
LATER = NOON + timedelta(days=2)


def test_a_text_with_no_safe_windows_goes_at_once() -> None:
    assert next_safe_time(NOON, None, LATER) == NOON


def test_a_text_outside_a_safe_window_is_held_until_the_next_one() -> None:
    windows = [TimeRange(NOON + timedelta(hours=3), NOON + timedelta(hours=5))]
    assert next_safe_time(NOON, windows, LATER) == NOON + timedelta(hours=3)


def test_a_text_inside_a_safe_window_goes_at_once() -> None:
    windows = [TimeRange(NOON - timedelta(hours=1), NOON + timedelta(hours=1))]
    assert next_safe_time(NOON, windows, LATER) == NOON


def test_a_text_whose_next_safe_time_is_too_late_is_not_sent() -> None:
    windows = [TimeRange(LATER + timedelta(hours=1), LATER + timedelta(hours=2))]
    assert next_safe_time(NOON, windows, LATER) is None


def test_reminders_already_past_are_dropped() -> None:
    start = NOON + timedelta(hours=2)
    assert reminder_times(start, [1440, 30], NOON) == [start - timedelta(minutes=30)]
    assert reminder_times(start + timedelta(days=2), [30, 1440], NOON) == [
        start + timedelta(days=1),
        start + timedelta(days=2, minutes=-30),
    ]


def test_retries_back_off_exponentially_up_to_a_cap_and_honour_retry_after() -> None:
    base, cap = timedelta(seconds=30), timedelta(minutes=10)
    assert [retry_delay(n, base, cap).total_seconds() for n in (1, 2, 3, 6)] == [30, 60, 120, 600]
    assert retry_delay(1, base, cap, retry_after=90) == timedelta(seconds=90)
    assert retry_delay(1, base, cap, retry_after=9999) == cap
