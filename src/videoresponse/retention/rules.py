"""Retention rules: when a record is past its date. Pure: plain values in, answers out.

A record class is kept for a number of days that the force configures; 0 keeps it for
ever. Each rule answers "is this record due for erasure at this cutoff?" from the few
facts that decide it, so the selection can be tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# A text in one of these states still needs a person, or is still on its way: it is never
# erased, however old, until someone has followed it up or it has settled.
UNSETTLED_TEXTS = frozenset({"queued", "retry", "sending"})
NEEDS_FOLLOW_UP = frozenset({"failed", "uncertain", "not_sent"})


def cutoff(now: datetime, keep_days: int) -> datetime | None:
    """Records from before this instant are past their date; None when kept for ever."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if keep_days <= 0:
        return None
    return now - timedelta(days=keep_days)


@dataclass(frozen=True)
class ClosedCase:
    """An incident closed as no crime, with what its appointments say."""

    incident_id: int
    crime_recorded: bool
    closed_at: datetime
    active_appointments: int
    last_appointment_end: datetime | None


def closed_case_is_due(case: ClosedCase, before: datetime) -> bool:
    """Due when closed as no crime before the cutoff, with nothing live or recent.

    A crime keeps its records under the force's MoPI review, not this class.
    """
    if case.crime_recorded or case.active_appointments:
        return False
    latest = max(case.closed_at, case.last_appointment_end or case.closed_at)
    return latest < before


def text_is_due(status: str, created_at: datetime, followed_up: bool, before: datetime) -> bool:
    """Due when created before the cutoff and settled (a problem text once followed up)."""
    if status in UNSETTLED_TEXTS or (status in NEEDS_FOLLOW_UP and not followed_up):
        return False
    return created_at < before


def caller_session_is_due(started_at: datetime, before: datetime) -> bool:
    return started_at < before


def feedback_is_due(at: datetime, already_anonymous: bool, before: datetime) -> bool:
    """Due for anonymising (the comment and the link go, the rating stays)."""
    return not already_anonymous and at < before
