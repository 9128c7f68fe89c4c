"""When a text may go: safe windows, reminders, expiry and retries. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from videoresponse.rota.rules import TimeRange


def next_safe_time(
    wanted: datetime, windows: Sequence[TimeRange] | None, expires_at: datetime
) -> datetime | None:
    """The first moment at or after `wanted` inside a safe window, or None if there is none
    before the text stops being useful (NNEDV: contact only when the person said it is safe).

    `windows` None means the person gave no windows: any time is safe.
    """
    if windows is None:
        return wanted if wanted < expires_at else None
    for window in sorted(windows, key=lambda w: w.start):
        if window.end <= wanted:
            continue
        moment = max(wanted, window.start)
        return moment if moment < expires_at else None
    return None


def reminder_times(
    starts_at: datetime, minutes_before: Sequence[int], now: datetime
) -> list[datetime]:
    """Reminder moments still in the future; a reminder due in the past is not sent at all."""
    moments = (starts_at - timedelta(minutes=m) for m in sorted(set(minutes_before), reverse=True))
    return [moment for moment in moments if now < moment < starts_at]


def retry_delay(
    attempts: int, base: timedelta, cap: timedelta, retry_after: float | None = None
) -> timedelta:
    """Capped exponential backoff; a provider's Retry-After is honoured when longer."""
    delay: timedelta = min(cap, base * (2 ** max(0, attempts - 1)))
    if retry_after is not None:
        delay = max(delay, min(cap, timedelta(seconds=retry_after)))
    return delay
