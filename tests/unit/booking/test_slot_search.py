from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from videoresponse.booking.rules import (
    ACTIVE_STATUSES,
    DEFAULT_BAND_HOURS,
    AppointmentStatus,
    BookingRuleError,
    OfficerAvailability,
    PriorityBand,
    SlotOption,
    SlotReason,
    SlotRequest,
    check_transition,
    check_within_deadline,
    deadline_for,
    duration_for,
    find_slots,
)
from videoresponse.rota.rules import (
    ShiftTimes,
    TimeRange,
    WeeklyPattern,
    expand_weekly_pattern,
    merge_ranges,
)

MONDAY = datetime(2026, 6, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
LONDON = ZoneInfo("Europe/London")


def at(clock: str, day: int = 0) -> datetime:
    """A UTC instant on the test week's Monday (day 0) or a later day."""
    hours, minutes = map(int, clock.split(":"))
    return MONDAY + timedelta(days=day, hours=hours, minutes=minutes)


def span(start: str, end: str, day: int = 0) -> TimeRange:
    return TimeRange(at(start, day), at(end, day))


def officer(
    officer_id: int,
    *shifts: TimeRange,
    busy: Sequence[TimeRange] = (),
    gender: str | None = None,
    load: int = 0,
) -> OfficerAvailability:
    return OfficerAvailability(officer_id, gender, list(shifts), list(busy), load)


def request(
    earliest: datetime = MONDAY,
    deadline: datetime = MONDAY + timedelta(days=7),
    duration: timedelta = HOUR,
    **rules: Any,
) -> SlotRequest:
    return SlotRequest(earliest, deadline, duration, **rules)


def starts(options: list[SlotOption]) -> list[datetime]:
    return [option.start for option in options]


# Shifts, buffers and busy time


def test_slots_lie_inside_the_shift_and_may_end_when_it_ends() -> None:
    options = find_slots(request(), [officer(1, span("09:00", "11:00"))])
    assert starts(options) == [at("09:00"), at("09:15"), at("09:30"), at("09:45"), at("10:00")]
    assert options[-1].end == at("11:00")


def test_a_slot_never_spans_two_touching_shifts() -> None:
    options = find_slots(request(), [officer(1, span("09:00", "10:30"), span("10:30", "12:00"))])
    assert at("10:00") not in starts(options)
    assert starts(options) == [
        at("09:00"),
        at("09:15"),
        at("09:30"),
        at("10:30"),
        at("10:45"),
        at("11:00"),
    ]


def test_overlapping_shifts_of_one_officer_count_as_one_shift() -> None:
    options = find_slots(request(), [officer(1, span("09:00", "10:30"), span("10:00", "11:00"))])
    assert starts(options) == [at("09:00"), at("09:15"), at("09:30"), at("09:45"), at("10:00")]


def test_write_up_buffer_is_kept_before_and_after_an_existing_appointment() -> None:
    busy_officer = officer(1, span("08:00", "14:00"), busy=[span("10:00", "11:00")])
    options = find_slots(request(), [busy_officer])
    # Ends by 09:45 leaves 15 minutes before the 10:00 call; starts from 11:15 after it.
    assert starts(options) == [
        at("08:00"),
        at("08:15"),
        at("08:30"),
        at("08:45"),
        at("11:15"),
        at("11:30"),
        at("11:45"),
        at("12:00"),
        at("12:15"),
        at("12:30"),
    ]


def test_a_busy_officer_is_never_double_booked() -> None:
    full_day = officer(1, span("09:00", "17:00"), busy=[span("09:00", "17:00")])
    assert find_slots(request(), [full_day]) == []


def test_no_write_up_buffer_gives_back_to_back_slots() -> None:
    busy_officer = officer(1, span("09:00", "12:00"), busy=[span("10:00", "11:00")])
    options = find_slots(request(buffer=timedelta(0)), [busy_officer])
    assert starts(options) == [at("09:00"), at("11:00")]


def test_an_appointment_running_past_the_shift_still_blocks_the_next_shift() -> None:
    overrun = officer(
        1, span("09:00", "10:00"), span("10:00", "12:00"), busy=[span("09:30", "10:45")]
    )
    assert starts(find_slots(request(), [overrun])) == [at("11:00")]


# Time limits and the grid


def test_p1_case_is_never_offered_a_slot_after_its_deadline() -> None:
    called_at = at("10:05")
    deadline = deadline_for(PriorityBand.P1, called_at)
    team = [officer(1, *(span("08:30", "21:30", day) for day in range(4)))]
    options = find_slots(request(earliest=called_at, deadline=deadline, limit=500), team)
    assert options
    assert all(option.end <= deadline for option in options)
    assert options[-1].end == at("10:00", day=1)


def test_no_slot_starts_before_the_earliest_time_and_starts_round_up_to_the_grid() -> None:
    options = find_slots(
        request(earliest=at("09:07"), limit=2), [officer(1, span("09:00", "12:00"))]
    )
    assert starts(options) == [at("09:15"), at("09:30")]


def test_the_grid_is_aligned_to_utc_quarter_hours_not_to_the_shift_start() -> None:
    options = find_slots(request(limit=2), [officer(1, span("09:05", "12:00"))])
    assert starts(options) == [at("09:15"), at("09:30")]


def test_a_coarser_grid_offers_fewer_start_times() -> None:
    options = find_slots(request(grid=timedelta(minutes=30)), [officer(1, span("09:00", "11:00"))])
    assert starts(options) == [at("09:00"), at("09:30"), at("10:00")]


def test_the_earliest_slots_are_found_across_days_in_time_order() -> None:
    team = [
        officer(1, span("13:00", "14:30", day=2), span("09:00", "10:00", day=0)),
        officer(2, span("10:00", "11:30", day=1)),
    ]
    options = find_slots(request(limit=5), team)
    assert starts(options) == [
        at("09:00"),
        at("10:00", day=1),
        at("10:15", day=1),
        at("10:30", day=1),
        at("13:00", day=2),
    ]


def test_nothing_is_offered_when_nothing_fits() -> None:
    short_shift = officer(1, span("09:00", "09:45"))
    assert find_slots(request(), [short_shift]) == []
    assert find_slots(request(), []) == []
    assert find_slots(request(earliest=at("12:00"), deadline=at("11:00")), [short_shift]) == []


def test_slots_on_the_spring_clock_change_day_follow_the_local_shift() -> None:
    spring_forward = date(2026, 3, 29)
    pattern = WeeklyPattern({6: ShiftTimes(time(13, 0), time(21, 30))})
    shifts = expand_weekly_pattern(pattern, spring_forward, spring_forward)
    options = find_slots(
        SlotRequest(
            earliest=datetime.combine(spring_forward, time(0, 0), tzinfo=LONDON),
            deadline=datetime.combine(
                spring_forward + timedelta(days=1), time(0, 0), tzinfo=LONDON
            ),
            duration=timedelta(minutes=90),
            limit=100,
        ),
        [officer(1, *shifts)],
    )
    assert options[0].start.astimezone(LONDON).time() == time(13, 0)
    assert options[-1].end.astimezone(LONDON).time() == time(21, 30)
    assert len(options) == 29


# The person's constraints


def test_slots_lie_wholly_inside_the_persons_safe_times() -> None:
    evening = [span("18:00", "19:30"), span("18:00", "19:30", day=1)]
    team = [officer(1, span("08:30", "21:30"), span("08:30", "21:30", day=1))]
    options = find_slots(request(safe_windows=evening), team)
    assert starts(options) == [
        at("18:00"),
        at("18:15"),
        at("18:30"),
        at("18:00", day=1),
        at("18:15", day=1),
        at("18:30", day=1),
    ]


def test_no_safe_time_means_no_slot() -> None:
    assert find_slots(request(safe_windows=[]), [officer(1, span("09:00", "17:00"))]) == []


def test_slots_avoid_the_persons_other_appointments() -> None:
    other_case = [span("09:30", "10:30")]
    options = find_slots(request(person_busy=other_case), [officer(1, span("09:00", "12:00"))])
    assert starts(options) == [at("10:30"), at("10:45"), at("11:00")]


# Choosing the officer


def test_only_officers_of_the_requested_gender_are_offered() -> None:
    team = [
        officer(1, span("09:00", "10:00"), gender="male"),
        officer(2, span("11:00", "12:00"), gender="female"),
    ]
    options = find_slots(request(required_gender="female"), team)
    assert [(option.start, option.officer_id) for option in options] == [(at("11:00"), 2)]


def test_a_follow_up_goes_to_the_same_officer_when_free() -> None:
    team = [officer(1, span("09:00", "10:30"), load=0), officer(7, span("09:00", "10:00"), load=9)]
    options = find_slots(request(preferred_officer_id=7), team)
    assert [(option.officer_id, option.reason) for option in options] == [
        (7, SlotReason.SAME_OFFICER),
        (1, SlotReason.LEAST_LOADED),
        (1, SlotReason.LEAST_LOADED),
    ]
    assert options[0].reason == "same officer as before"


def test_at_each_start_the_least_loaded_officer_is_chosen_ties_to_lower_id() -> None:
    team = [
        officer(3, span("09:00", "10:00"), load=4),
        officer(2, span("09:00", "10:00"), load=1),
        officer(1, span("09:00", "10:00"), load=1),
    ]
    (option,) = find_slots(request(), team)
    assert (option.officer_id, option.reason) == (1, "least loaded")


def test_each_start_time_is_offered_once() -> None:
    team = [officer(n, span("09:00", "10:30")) for n in range(1, 6)]
    assert starts(find_slots(request(), team)) == [at("09:00"), at("09:15"), at("09:30")]


# The request itself


def test_a_request_needs_timezone_aware_times() -> None:
    with pytest.raises(BookingRuleError, match="timezone-aware"):
        SlotRequest(datetime(2026, 6, 1), datetime(2026, 6, 2), HOUR)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"duration": timedelta(0)}, "longer than zero"),
        ({"buffer": timedelta(minutes=-5)}, "negative"),
        ({"grid": timedelta(0)}, "grid"),
        ({"limit": 0}, "at least one"),
    ],
)
def test_a_request_with_impossible_rules_is_refused(rules: dict[str, Any], message: str) -> None:
    with pytest.raises(BookingRuleError, match=message):
        request(**rules)


def test_a_request_in_local_time_is_searched_in_utc() -> None:
    local = request(earliest=datetime(2026, 6, 1, 10, tzinfo=LONDON))
    assert local.earliest == at("09:00")
    assert local.earliest.tzinfo is UTC


# Priority bands and deadlines


@pytest.mark.parametrize(
    ("band", "hours"), [(PriorityBand.P1, 24), (PriorityBand.P2, 72), (PriorityBand.P3, 168)]
)
def test_the_deadline_runs_from_the_time_of_the_call(band: PriorityBand, hours: int) -> None:
    assert deadline_for(band, at("10:00")) == at("10:00") + timedelta(hours=hours)


def test_band_deadlines_are_configurable_and_returned_in_utc() -> None:
    faster = {**DEFAULT_BAND_HOURS, PriorityBand.P1: timedelta(hours=12)}
    called_at = datetime(2026, 6, 1, 10, tzinfo=LONDON)
    assert deadline_for(PriorityBand.P1, called_at, faster) == at("21:00")
    with pytest.raises(BookingRuleError, match="No deadline"):
        deadline_for(PriorityBand.P3, called_at, {PriorityBand.P1: HOUR})


def test_a_slot_after_the_deadline_needs_a_recorded_reason() -> None:
    with pytest.raises(BookingRuleError, match="after the case's deadline"):
        check_within_deadline(at("11:00"), at("10:00"), None)
    with pytest.raises(BookingRuleError, match="Record why"):
        check_within_deadline(at("11:00"), at("10:00"), "   ")
    check_within_deadline(at("11:00"), at("10:00"), "Caller asked for after work")
    check_within_deadline(at("10:00"), at("10:00"), None)


def test_domestic_abuse_appointments_last_ninety_minutes_and_others_an_hour() -> None:
    assert duration_for("domestic_abuse") == timedelta(minutes=90)
    assert duration_for("criminal_damage") == timedelta(minutes=60)
    assert duration_for("fraud", {"fraud": timedelta(minutes=45)}) == timedelta(minutes=45)


# Appointment statuses

S = AppointmentStatus


def test_statuses_have_the_stored_lower_case_values() -> None:
    assert [status.value for status in S] == [
        "proposed",
        "booked",
        "rescheduled",
        "waiting",
        "in_call",
        "completed",
        "cancelled",
        "no_show",
    ]


def test_only_booked_and_live_appointments_occupy_an_officers_time() -> None:
    assert {S.BOOKED, S.RESCHEDULED, S.WAITING, S.IN_CALL} == ACTIVE_STATUSES


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.PROPOSED, S.BOOKED),
        (S.PROPOSED, S.CANCELLED),
        (S.BOOKED, S.RESCHEDULED),
        (S.BOOKED, S.WAITING),
        (S.BOOKED, S.NO_SHOW),
        (S.BOOKED, S.CANCELLED),
        (S.RESCHEDULED, S.RESCHEDULED),
        (S.RESCHEDULED, S.WAITING),
        (S.RESCHEDULED, S.CANCELLED),
        (S.WAITING, S.IN_CALL),
        (S.WAITING, S.NO_SHOW),
        (S.WAITING, S.CANCELLED),
        (S.IN_CALL, S.COMPLETED),
        (S.IN_CALL, S.WAITING),
    ],
)
def test_an_appointment_moves_along_its_life(
    current: AppointmentStatus, new: AppointmentStatus
) -> None:
    check_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        (
            S.PROPOSED,
            S.IN_CALL,
            "proposed cannot become in_call; it can become booked or cancelled",
        ),
        (S.BOOKED, S.COMPLETED, "booked cannot become completed"),
        (S.BOOKED, S.BOOKED, "booked cannot become booked"),
        (S.IN_CALL, S.CANCELLED, "in_call cannot become cancelled"),
        (S.COMPLETED, S.BOOKED, "completed and can no longer change"),
        (S.CANCELLED, S.BOOKED, "cancelled and can no longer change"),
        (S.NO_SHOW, S.WAITING, "no_show and can no longer change"),
    ],
)
def test_an_illegal_status_change_is_refused_with_a_reason(
    current: AppointmentStatus, new: AppointmentStatus, message: str
) -> None:
    with pytest.raises(BookingRuleError, match=message):
        check_transition(current, new)


# Property: the search against a plain reading of the rules


def every_valid_option(slots: SlotRequest, team: list[OfficerAvailability]) -> list[SlotOption]:
    """Each grid start checked against each rule directly: slow and obviously right."""
    safe = None if slots.safe_windows is None else merge_ranges(slots.safe_windows)
    start = slots.earliest + (MONDAY - slots.earliest) % slots.grid
    options: list[SlotOption] = []
    while start + slots.duration <= slots.deadline and len(options) < slots.limit:
        slot = TimeRange(start, start + slots.duration)
        buffered = TimeRange(slot.start - slots.buffer, slot.end + slots.buffer)
        free = [
            member
            for member in team
            if slots.required_gender in (None, member.gender)
            and any(shift.contains(slot) for shift in member.shifts)
            and not any(buffered.overlaps(busy) for busy in member.busy)
        ]
        person_free = (safe is None or any(window.contains(slot) for window in safe)) and not any(
            slot.overlaps(other) for other in slots.person_busy
        )
        if free and person_free:
            preferred = [m for m in free if m.officer_id == slots.preferred_officer_id]
            if preferred:
                options.append(
                    SlotOption(
                        slot.start, slot.end, preferred[0].officer_id, SlotReason.SAME_OFFICER
                    )
                )
            else:
                chosen = min(free, key=lambda m: (m.load, m.officer_id))
                options.append(
                    SlotOption(slot.start, slot.end, chosen.officer_id, SlotReason.LEAST_LOADED)
                )
        start += slots.grid
    return options


# Five-minute steps over a day and a half: dense enough that most searches find something.
minutes = st.integers(min_value=0, max_value=36 * 12).map(lambda n: timedelta(minutes=5 * n))


@st.composite
def ranges(draw: st.DrawFn, max_size: int = 6) -> list[TimeRange]:
    offsets = draw(st.lists(minutes, max_size=max_size))
    lengths = draw(st.lists(st.integers(1, 24), min_size=len(offsets), max_size=len(offsets)))
    return [
        TimeRange(MONDAY + offset, MONDAY + offset + timedelta(minutes=5 * length))
        for offset, length in zip(offsets, lengths, strict=True)
    ]


@st.composite
def disjoint_shifts(draw: st.DrawFn) -> list[TimeRange]:
    edges = sorted(draw(st.lists(minutes, min_size=2, max_size=12, unique=True)))
    pairs = list(zip(edges[::2], edges[1::2], strict=False))
    return [TimeRange(MONDAY + start, MONDAY + end) for start, end in pairs]


@st.composite
def teams(draw: st.DrawFn) -> list[OfficerAvailability]:
    size = draw(st.integers(0, 4)) if draw(st.booleans()) else 4
    return [
        OfficerAvailability(
            officer_id=officer_id,
            gender=draw(st.sampled_from(["female", "male", None])),
            shifts=draw(disjoint_shifts()),
            busy=draw(ranges()),
            load=draw(st.integers(0, 3)),
        )
        for officer_id in draw(st.permutations(range(1, size + 1)))
    ]


@st.composite
def slot_requests(draw: st.DrawFn) -> SlotRequest:
    earliest = MONDAY + draw(minutes) / 3 + timedelta(seconds=draw(st.integers(0, 299)))
    return SlotRequest(
        earliest=earliest,
        deadline=earliest + draw(minutes) * 2,
        duration=timedelta(minutes=draw(st.sampled_from([15, 25, 60, 90]))),
        buffer=timedelta(minutes=draw(st.sampled_from([0, 5, 15, 30]))),
        grid=timedelta(minutes=draw(st.sampled_from([5, 15, 30, 60]))),
        safe_windows=draw(st.sampled_from([None, None, []]) | ranges(max_size=12)),
        person_busy=draw(ranges(max_size=3)),
        required_gender=draw(st.sampled_from([None, None, "female"])),
        preferred_officer_id=draw(st.none() | st.integers(1, 4)),
        limit=draw(st.integers(1, 8)),
    )


@settings(max_examples=300, deadline=None)
@given(slots=slot_requests(), team=teams())
def test_every_slot_offered_keeps_every_rule(
    slots: SlotRequest, team: list[OfficerAvailability]
) -> None:
    options = find_slots(slots, team)
    by_id = {member.officer_id: member for member in team}
    for option in options:
        chosen = by_id[option.officer_id]
        slot = TimeRange(option.start, option.end)
        buffered = TimeRange(option.start - slots.buffer, option.end + slots.buffer)
        assert option.end - option.start == slots.duration
        assert slots.earliest <= option.start and option.end <= slots.deadline
        assert any(shift.contains(slot) for shift in chosen.shifts)
        assert not any(buffered.overlaps(busy) for busy in chosen.busy)
        assert not any(slot.overlaps(other) for other in slots.person_busy)
        assert (option.start - MONDAY) % slots.grid == timedelta(0)
    assert starts(options) == sorted(set(starts(options)))
    assert options == every_valid_option(slots, team)


def test_an_option_survives_the_round_trip_through_a_form() -> None:
    from datetime import timezone

    from videoresponse.booking.rules import SlotOption, SlotReason, parse_slot_value

    start = datetime(2026, 3, 29, 14, 15, tzinfo=timezone(timedelta(hours=1)))
    option = SlotOption(start, start + timedelta(hours=1), 7, SlotReason.LEAST_LOADED)
    assert parse_slot_value(option.value) == (start, 7)
    for bad in ("", "2026-03-29T13:15|x", "2026-03-29T13:15|7", "soon|7"):
        assert parse_slot_value(bad) is None
