from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from videoresponse.rota.rules import (
    OpeningHours,
    RotaError,
    ShiftTimes,
    TimeRange,
    Weekday,
    WeeklyPattern,
    check_shift_inside_opening_hours,
    expand_weekly_pattern,
    local_to_utc,
    merge_ranges,
    shifts_without_absences,
    subtract_ranges,
)

LONDON = ZoneInfo("Europe/London")
SPRING_FORWARD = date(2026, 3, 29)  # a Sunday: 01:00 GMT becomes 02:00 BST
FALL_BACK = date(2026, 10, 25)  # a Sunday: 02:00 BST becomes 01:00 GMT
AFTERNOON = ShiftTimes(time(13, 0), time(21, 30))
OVERNIGHT = ShiftTimes(time(20, 0), time(2, 0))


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def every_day(times: ShiftTimes) -> WeeklyPattern:
    return WeeklyPattern({day: times for day in Weekday})


def only_shift_on(day: date, times: ShiftTimes) -> TimeRange:
    (shift,) = expand_weekly_pattern(WeeklyPattern({day.weekday(): times}), day, day)
    return shift


# Time ranges


def test_a_time_range_needs_timezone_aware_times() -> None:
    with pytest.raises(RotaError, match="timezone-aware"):
        TimeRange(datetime(2026, 6, 1, 9), datetime(2026, 6, 1, 10))


def test_a_time_range_must_end_after_it_starts() -> None:
    with pytest.raises(RotaError, match="end after it starts"):
        TimeRange(utc(date(2026, 6, 1), 10), utc(date(2026, 6, 1), 10))


def test_a_time_range_in_local_time_is_stored_in_utc() -> None:
    summer = TimeRange(
        datetime(2026, 6, 1, 9, tzinfo=LONDON), datetime(2026, 6, 1, 10, tzinfo=LONDON)
    )
    assert summer.start == utc(date(2026, 6, 1), 8)
    assert summer.start.tzinfo is UTC
    assert summer.end.tzinfo is UTC


def test_ranges_that_only_touch_do_not_overlap() -> None:
    morning = TimeRange(utc(date(2026, 6, 1), 9), utc(date(2026, 6, 1), 10))
    next_hour = TimeRange(utc(date(2026, 6, 1), 10), utc(date(2026, 6, 1), 11))
    assert not morning.overlaps(next_hour)
    assert morning.overlaps(TimeRange(utc(date(2026, 6, 1), 9, 59), utc(date(2026, 6, 1), 11)))


def test_a_range_contains_itself_and_ranges_inside_it_only() -> None:
    day = date(2026, 6, 1)
    shift = TimeRange(utc(day, 9), utc(day, 17))
    assert shift.contains(shift)
    assert shift.contains(TimeRange(utc(day, 16), utc(day, 17)))
    assert not shift.contains(TimeRange(utc(day, 16), utc(day, 17, 1)))


def test_merging_joins_overlapping_and_touching_ranges_in_time_order() -> None:
    day = date(2026, 6, 1)
    merged = merge_ranges(
        [
            TimeRange(utc(day, 14), utc(day, 15)),
            TimeRange(utc(day, 9), utc(day, 11)),
            TimeRange(utc(day, 10), utc(day, 12)),
            TimeRange(utc(day, 12), utc(day, 13)),
        ]
    )
    assert merged == [TimeRange(utc(day, 9), utc(day, 13)), TimeRange(utc(day, 14), utc(day, 15))]


def test_subtracting_keeps_touching_shifts_apart() -> None:
    day = date(2026, 6, 1)
    morning, afternoon = TimeRange(utc(day, 8), utc(day, 13)), TimeRange(utc(day, 13), utc(day, 18))
    assert subtract_ranges([afternoon, morning], []) == [morning, afternoon]


# Local wall-clock time to UTC


def test_a_time_skipped_when_clocks_go_forward_moves_forward_by_the_gap() -> None:
    moved = local_to_utc(SPRING_FORWARD, time(1, 30), LONDON)
    assert moved == utc(SPRING_FORWARD, 1, 30)
    assert moved.astimezone(LONDON).time() == time(2, 30)


def test_a_time_repeated_when_clocks_go_back_is_its_first_occurrence() -> None:
    first = local_to_utc(FALL_BACK, time(1, 30), LONDON)
    assert first == utc(FALL_BACK, 0, 30)
    assert first.astimezone(LONDON).utcoffset() == timedelta(hours=1)


# Expanding a weekly pattern


def test_an_afternoon_shift_in_winter_is_the_same_in_utc() -> None:
    assert only_shift_on(date(2026, 1, 12), AFTERNOON) == TimeRange(
        utc(date(2026, 1, 12), 13), utc(date(2026, 1, 12), 21, 30)
    )


def test_an_afternoon_shift_in_summer_is_an_hour_earlier_in_utc() -> None:
    assert only_shift_on(date(2026, 7, 6), AFTERNOON) == TimeRange(
        utc(date(2026, 7, 6), 12), utc(date(2026, 7, 6), 20, 30)
    )


@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK])
def test_an_afternoon_shift_on_a_clock_change_day_lasts_eight_and_a_half_hours(day: date) -> None:
    shift = only_shift_on(day, AFTERNOON)
    assert shift.duration == timedelta(hours=8, minutes=30)
    assert shift.start.astimezone(LONDON).time() == time(13, 0)
    assert shift.end.astimezone(LONDON).time() == time(21, 30)


def test_the_afternoon_shift_moves_an_hour_in_utc_across_the_spring_clock_change() -> None:
    saturday, sunday, monday = expand_weekly_pattern(
        every_day(AFTERNOON), date(2026, 3, 28), date(2026, 3, 30)
    )
    assert saturday.start == utc(date(2026, 3, 28), 13)
    assert sunday.start == utc(SPRING_FORWARD, 12)
    assert monday.start == utc(date(2026, 3, 30), 12)


def test_a_night_shift_over_the_spring_clock_change_is_an_hour_shorter() -> None:
    shift = only_shift_on(SPRING_FORWARD - timedelta(days=1), OVERNIGHT)
    assert shift == TimeRange(utc(date(2026, 3, 28), 20), utc(SPRING_FORWARD, 1))
    assert shift.duration == timedelta(hours=5)


def test_a_night_shift_over_the_autumn_clock_change_is_an_hour_longer() -> None:
    shift = only_shift_on(FALL_BACK - timedelta(days=1), OVERNIGHT)
    assert shift == TimeRange(utc(date(2026, 10, 24), 19), utc(FALL_BACK, 2))
    assert shift.duration == timedelta(hours=7)


@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK])
def test_a_night_shift_starting_on_a_clock_change_evening_lasts_six_hours(day: date) -> None:
    assert only_shift_on(day, OVERNIGHT).duration == timedelta(hours=6)


def test_a_shift_with_no_real_time_in_the_spring_gap_is_dropped() -> None:
    # 01:30 does not exist and moves to 02:30 BST, after the 02:15 end.
    pattern = WeeklyPattern({Weekday.SUNDAY: ShiftTimes(time(1, 30), time(2, 15))})
    assert expand_weekly_pattern(pattern, SPRING_FORWARD, SPRING_FORWARD) == []


def test_a_pattern_gives_shifts_only_on_its_weekdays_up_to_the_last_day_inclusive() -> None:
    pattern = WeeklyPattern({Weekday.MONDAY: AFTERNOON, Weekday.WEDNESDAY: OVERNIGHT})
    shifts = expand_weekly_pattern(pattern, date(2026, 6, 1), date(2026, 6, 10))
    assert [shift.start.astimezone(LONDON).date() for shift in shifts] == [
        date(2026, 6, 1),
        date(2026, 6, 3),
        date(2026, 6, 8),
        date(2026, 6, 10),
    ]
    assert shifts[-1].end == utc(date(2026, 6, 11), 1)


def test_a_rota_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(RotaError, match="ends"):
        expand_weekly_pattern(every_day(AFTERNOON), date(2026, 6, 2), date(2026, 6, 1))


def test_a_shift_cannot_start_and_end_at_the_same_time() -> None:
    with pytest.raises(RotaError, match="cannot start and end"):
        ShiftTimes(time(9, 0), time(9, 0))


def test_shift_times_are_wall_clock_times_without_a_zone() -> None:
    with pytest.raises(RotaError, match="wall-clock"):
        ShiftTimes(time(9, 0, tzinfo=UTC), time(17, 0))


def test_a_pattern_rejects_an_unknown_weekday_and_an_unknown_time_zone() -> None:
    with pytest.raises(RotaError, match="Weekdays"):
        WeeklyPattern({7: AFTERNOON})
    with pytest.raises(RotaError, match="Unknown time zone"):
        WeeklyPattern({0: AFTERNOON}, tz_name="Europe/Atlantis")


# Opening hours


@pytest.mark.parametrize("day", [date(2026, 6, 1), SPRING_FORWARD, FALL_BACK])
def test_a_full_team_day_is_inside_the_default_opening_hours(day: date) -> None:
    check_shift_inside_opening_hours(
        only_shift_on(day, ShiftTimes(time(8, 30), time(21, 30))), OpeningHours()
    )


def test_a_shift_starting_before_the_team_opens_is_refused() -> None:
    early = only_shift_on(date(2026, 6, 1), ShiftTimes(time(8, 0), time(16, 0)))
    with pytest.raises(
        RotaError,
        match=r"Mon 01 Jun 2026 08:00–16:00 is outside .*08:30–21:30 Europe/London every day",
    ):
        check_shift_inside_opening_hours(early, OpeningHours())


def test_a_shift_ending_after_the_team_closes_is_refused() -> None:
    late = only_shift_on(FALL_BACK, ShiftTimes(time(14, 0), time(22, 0)))
    with pytest.raises(RotaError, match="opening hours"):
        check_shift_inside_opening_hours(late, OpeningHours())


def test_a_shift_on_a_day_the_team_is_closed_is_refused() -> None:
    weekdays_only = OpeningHours(weekdays=frozenset(range(Weekday.SATURDAY)))
    with pytest.raises(RotaError, match="Mon, Tue, Wed, Thu, Fri"):
        check_shift_inside_opening_hours(only_shift_on(date(2026, 6, 6), AFTERNOON), weekdays_only)


def test_a_night_shift_fits_opening_hours_that_run_past_midnight() -> None:
    late_team = OpeningHours(opens=time(8, 0), closes=time(2, 0))
    for day in (SPRING_FORWARD - timedelta(days=1), SPRING_FORWARD, FALL_BACK):
        check_shift_inside_opening_hours(only_shift_on(day, OVERNIGHT), late_team)
    with pytest.raises(RotaError):
        check_shift_inside_opening_hours(only_shift_on(FALL_BACK, OVERNIGHT), OpeningHours())


def test_a_night_shift_fits_a_team_open_round_the_clock() -> None:
    round_the_clock = OpeningHours(opens=time(0, 0), closes=time(0, 0))
    check_shift_inside_opening_hours(only_shift_on(FALL_BACK, OVERNIGHT), round_the_clock)


def test_opening_hours_need_a_known_time_zone_and_at_least_one_day() -> None:
    with pytest.raises(RotaError, match="Unknown time zone"):
        OpeningHours(tz_name="Mars/Olympus_Mons")
    with pytest.raises(RotaError, match="at least one weekday"):
        OpeningHours(weekdays=frozenset())


def test_the_team_is_closed_on_days_outside_its_weekdays() -> None:
    weekdays_only = OpeningHours(weekdays=frozenset(range(Weekday.SATURDAY)))
    assert weekdays_only.on(date(2026, 6, 7)) is None
    assert weekdays_only.on(date(2026, 6, 8)) == TimeRange(
        utc(date(2026, 6, 8), 7, 30), utc(date(2026, 6, 8), 20, 30)
    )


# Absences


def test_an_absence_in_the_middle_of_a_shift_splits_it() -> None:
    day = date(2026, 6, 1)
    shift = TimeRange(utc(day, 8), utc(day, 16))
    training = TimeRange(utc(day, 11), utc(day, 12, 30))
    assert shifts_without_absences([shift], [training]) == [
        TimeRange(utc(day, 8), utc(day, 11)),
        TimeRange(utc(day, 12, 30), utc(day, 16)),
    ]


def test_leave_over_several_days_removes_those_shifts_and_trims_the_edges() -> None:
    shifts = expand_weekly_pattern(every_day(AFTERNOON), date(2026, 6, 1), date(2026, 6, 5))
    leave = TimeRange(utc(date(2026, 6, 2), 15), utc(date(2026, 6, 4), 14))
    assert shifts_without_absences(shifts, [leave]) == [
        shifts[0],
        TimeRange(utc(date(2026, 6, 2), 12), utc(date(2026, 6, 2), 15)),
        TimeRange(utc(date(2026, 6, 4), 14), utc(date(2026, 6, 4), 20, 30)),
        shifts[4],
    ]


def test_an_absence_outside_every_shift_changes_nothing() -> None:
    day = date(2026, 6, 1)
    shift = TimeRange(utc(day, 12), utc(day, 20, 30))
    dentist = TimeRange(utc(day, 9), utc(day, 10))
    assert shifts_without_absences([shift], [dentist]) == [shift]
