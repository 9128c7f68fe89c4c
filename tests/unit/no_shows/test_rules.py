"""When a caller is a possible no-show, and whether the officer may phone them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from videoresponse.booking.rules import AppointmentStatus
from videoresponse.no_shows.rules import is_possible_no_show, phone_advice

START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
GRACE = timedelta(minutes=10)


def _missed(
    now: datetime,
    status: AppointmentStatus = AppointmentStatus.BOOKED,
    *,
    joined: bool = False,
    admitted: bool = False,
) -> bool:
    return is_possible_no_show(
        status, START, caller_joined=joined, admitted=admitted, now=now, grace=GRACE
    )


def test_not_a_no_show_before_the_grace_period_ends() -> None:
    assert not _missed(START + GRACE - timedelta(seconds=1))


def test_a_no_show_exactly_when_the_grace_period_ends() -> None:
    assert _missed(START + GRACE)


def test_a_no_show_after_the_grace_period() -> None:
    assert _missed(START + timedelta(hours=3))


@pytest.mark.parametrize(
    "status",
    [AppointmentStatus.BOOKED, AppointmentStatus.RESCHEDULED, AppointmentStatus.WAITING],
)
def test_booked_rescheduled_and_never_admitted_waiting_may_be_no_shows(
    status: AppointmentStatus,
) -> None:
    assert _missed(START + GRACE, status)


def test_a_caller_who_joined_is_never_a_no_show() -> None:
    assert not _missed(START + timedelta(hours=1), joined=True)
    assert not _missed(START + timedelta(hours=1), AppointmentStatus.WAITING, joined=True)


def test_waiting_but_admitted_is_not_a_no_show() -> None:
    assert not _missed(START + timedelta(hours=1), AppointmentStatus.WAITING, admitted=True)


@pytest.mark.parametrize(
    "status",
    [
        AppointmentStatus.PROPOSED,
        AppointmentStatus.IN_CALL,
        AppointmentStatus.COMPLETED,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.NO_SHOW,
    ],
)
def test_other_statuses_are_never_no_shows(status: AppointmentStatus) -> None:
    assert not _missed(START + timedelta(hours=1), status)


def test_the_grace_period_is_configurable() -> None:
    now = START + timedelta(minutes=5)
    assert is_possible_no_show(
        AppointmentStatus.BOOKED,
        START,
        caller_joined=False,
        admitted=False,
        now=now,
        grace=timedelta(minutes=5),
    )


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        is_possible_no_show(
            AppointmentStatus.BOOKED,
            START.replace(tzinfo=None),
            caller_joined=False,
            admitted=False,
            now=START,
        )


def test_phone_the_safe_number_before_the_mobile() -> None:
    advice = phone_advice(may_call=True, safe_number="07700 900999", mobile="+447700900123")
    assert advice.may_phone and advice.number == "07700 900999"


def test_phone_the_mobile_when_no_safe_number_is_set() -> None:
    advice = phone_advice(may_call=True, safe_number=" ", mobile="+447700900123")
    assert advice.may_phone and advice.number == "+447700900123"


def test_no_number_at_all_when_calls_are_not_safe() -> None:
    advice = phone_advice(may_call=False, safe_number="07700 900999", mobile="+447700900123")
    assert advice.calls_unsafe and not advice.may_phone and advice.number is None


def test_no_safe_contact_record_is_flagged_as_unknown() -> None:
    advice = phone_advice(may_call=None, safe_number=None, mobile="+447700900123")
    assert advice.unknown and advice.number == "+447700900123"
