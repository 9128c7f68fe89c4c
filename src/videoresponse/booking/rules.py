"""Booking rules: priority bands and deadlines, appointment statuses, slot search.

Pure: plain dataclasses in, plain dataclasses out. Every instant is UTC and every range
half-open [start, end), as in rota.rules.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from heapq import heapify, heappop, heapreplace
from itertools import accumulate
from operator import attrgetter
from types import MappingProxyType

from videoresponse.rota.rules import TimeRange, merge_ranges, subtract_ranges


class BookingRuleError(ValueError):
    """A booking rule was broken; the message is fit to show to the person booking."""


class PriorityBand(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


DEFAULT_BAND_HOURS: Mapping[PriorityBand, timedelta] = MappingProxyType(
    {
        PriorityBand.P1: timedelta(hours=24),
        PriorityBand.P2: timedelta(hours=72),
        PriorityBand.P3: timedelta(days=7),
    }
)


def deadline_for(
    band: PriorityBand,
    called_at: datetime,
    band_hours: Mapping[PriorityBand, timedelta] = DEFAULT_BAND_HOURS,
) -> datetime:
    """The latest time, in UTC, by which a case in `band` should have been seen."""
    if called_at.utcoffset() is None:
        raise BookingRuleError(f"The time of the call must be timezone-aware: {called_at}")
    if band not in band_hours:
        raise BookingRuleError(f"No deadline is configured for priority band {band}")
    return called_at.astimezone(UTC) + band_hours[band]


def check_within_deadline(
    option_end: datetime, deadline: datetime, late_reason: str | None
) -> None:
    """Raise BookingRuleError for a slot that ends after the deadline with no recorded reason."""
    if option_end <= deadline or (late_reason is not None and late_reason.strip()):
        return
    raise BookingRuleError(
        f"This slot ends at {option_end:%d %b %Y %H:%M} UTC, after the case's deadline of "
        f"{deadline:%d %b %Y %H:%M} UTC. Record why a later time is needed (for example, "
        "the caller asked for it) before booking it."
    )


class AppointmentStatus(StrEnum):
    PROPOSED = "proposed"
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    WAITING = "waiting"
    IN_CALL = "in_call"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# A proposal holds no time: it is an offer, and booking it checks the officer again.
ACTIVE_STATUSES: frozenset[AppointmentStatus] = frozenset(
    {
        AppointmentStatus.BOOKED,
        AppointmentStatus.RESCHEDULED,
        AppointmentStatus.WAITING,
        AppointmentStatus.IN_CALL,
    }
)
FINAL_STATUSES: frozenset[AppointmentStatus] = frozenset(
    {AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW}
)

_S = AppointmentStatus
ALLOWED_TRANSITIONS: Mapping[AppointmentStatus, frozenset[AppointmentStatus]] = MappingProxyType(
    {
        _S.PROPOSED: frozenset({_S.BOOKED, _S.CANCELLED}),
        _S.BOOKED: frozenset({_S.RESCHEDULED, _S.WAITING, _S.CANCELLED, _S.NO_SHOW}),
        _S.RESCHEDULED: frozenset({_S.RESCHEDULED, _S.WAITING, _S.CANCELLED, _S.NO_SHOW}),
        # No-show from the waiting room: the caller left before being admitted and did not
        # come back within the grace period.
        _S.WAITING: frozenset({_S.IN_CALL, _S.CANCELLED, _S.NO_SHOW}),
        # Back to waiting when the call drops and the caller opens the link again.
        _S.IN_CALL: frozenset({_S.COMPLETED, _S.WAITING}),
        _S.COMPLETED: frozenset(),
        _S.CANCELLED: frozenset(),
        _S.NO_SHOW: frozenset(),
    }
)


def check_transition(current: AppointmentStatus, new: AppointmentStatus) -> None:
    """Raise BookingRuleError unless an appointment may move from `current` to `new`."""
    allowed = ALLOWED_TRANSITIONS[current]
    if new in allowed:
        return
    if not allowed:
        raise BookingRuleError(f"The appointment is {current} and can no longer change")
    choices = " or ".join(sorted(allowed))
    raise BookingRuleError(
        f"An appointment that is {current} cannot become {new}; it can become {choices}"
    )


DEFAULT_APPOINTMENT_LENGTH = timedelta(minutes=60)
DEFAULT_INCIDENT_DURATIONS: Mapping[str, timedelta] = MappingProxyType(
    {"domestic_abuse": timedelta(minutes=90)}
)


def duration_for(
    incident_type: str,
    durations: Mapping[str, timedelta] = DEFAULT_INCIDENT_DURATIONS,
    default: timedelta = DEFAULT_APPOINTMENT_LENGTH,
) -> timedelta:
    """How long an appointment for this type of incident lasts."""
    return durations.get(incident_type, default)


@dataclass(frozen=True, slots=True)
class OfficerAvailability:
    """One officer, as the slot search sees them.

    `shifts` already have absences removed; `busy` are the officer's active appointments
    without buffers; `load` counts their appointments in the horizon.
    """

    officer_id: int
    gender: str | None
    shifts: Sequence[TimeRange]
    busy: Sequence[TimeRange] = ()
    load: int = 0


@dataclass(frozen=True, slots=True)
class SlotRequest:
    """What the caller's case needs from a slot.

    Starts lie on a grid aligned to the UTC epoch (00:00, 00:15, ... UTC for the default
    15 minutes), which are also local quarter hours in Europe/London and in every zone
    whose offset is a whole number of quarter hours. `safe_windows` of None means the
    person may be contacted at any time.
    """

    earliest: datetime
    deadline: datetime
    duration: timedelta
    buffer: timedelta = timedelta(minutes=15)
    grid: timedelta = timedelta(minutes=15)
    safe_windows: Sequence[TimeRange] | None = None
    person_busy: Sequence[TimeRange] = ()
    required_gender: str | None = None
    preferred_officer_id: int | None = None
    limit: int = 10

    def __post_init__(self) -> None:
        if self.earliest.utcoffset() is None or self.deadline.utcoffset() is None:
            raise BookingRuleError("The earliest time and the deadline must be timezone-aware")
        # UTC so that adding a duration is elapsed time, not wall-clock time.
        object.__setattr__(self, "earliest", self.earliest.astimezone(UTC))
        object.__setattr__(self, "deadline", self.deadline.astimezone(UTC))
        if self.duration <= timedelta(0):
            raise BookingRuleError("An appointment must last longer than zero minutes")
        if self.buffer < timedelta(0):
            raise BookingRuleError("The write-up buffer cannot be negative")
        if self.grid <= timedelta(0):
            raise BookingRuleError("The slot grid must be longer than zero minutes")
        if self.limit < 1:
            raise BookingRuleError("Ask for at least one slot")


class SlotReason(StrEnum):
    SAME_OFFICER = "same officer as before"
    LEAST_LOADED = "least loaded"


@dataclass(frozen=True, slots=True)
class SlotOption:
    start: datetime
    end: datetime
    officer_id: int
    reason: SlotReason

    @property
    def value(self) -> str:
        """The option as a form sends it back: "start|officer" (see parse_slot_value)."""
        return f"{self.start.isoformat()}|{self.officer_id}"


def parse_slot_value(value: str) -> tuple[datetime, int] | None:
    """The start (aware, UTC) and officer of a SlotOption.value; None if it is not one."""
    moment, _, officer = value.partition("|")
    try:
        start = datetime.fromisoformat(moment.strip())
    except ValueError:
        return None
    if start.utcoffset() is None or not officer.strip().isdigit():
        return None
    return start.astimezone(UTC), int(officer)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_START = attrgetter("start")


def find_slots(request: SlotRequest, officers: Sequence[OfficerAvailability]) -> list[SlotOption]:
    """The earliest `request.limit` slots, one officer per start time, ordered by start.

    A slot [s, s + duration) for an officer:
    - lies inside one of the officer's shifts (its write-up buffer need not: writing up
      after the shift ends is the officer's call, not the caller's problem);
    - has [s - buffer, s + duration + buffer) clear of the officer's busy ranges, so
      there is write-up time after each call, before and after this one;
    - starts on the grid, at or after `earliest`, and ends by `deadline`;
    - lies inside one safe window (touching or overlapping windows count as one) and
      clear of the person's other appointments;
    - has an officer of `required_gender`, when one is asked for.
    For each start the preferred officer is chosen when free, else the least-loaded
    officer (ties to the lower officer_id). Loads are not raised by earlier options in
    the list: they are alternatives, and only one will be booked.
    """
    person_free = _person_free_times(request)
    if not person_free:
        return []
    eligible = [
        officer
        for officer in officers
        if request.required_gender is None or officer.gender == request.required_gender
    ]
    person_ends = [part.end for part in person_free]
    officer_windows = [
        _start_windows(officer, request, person_free, person_ends) for officer in eligible
    ]
    # The heap merges each officer's start windows in time order: (next start, officer, last start).
    heap: list[tuple[datetime, int, datetime]] = []
    for index, windows in enumerate(officer_windows):
        first = next(windows, None)
        if first is not None:
            heap.append((first[0], index, first[1]))
    heapify(heap)
    options: list[SlotOption] = []
    while heap and len(options) < request.limit:
        start = heap[0][0]
        free_officers: list[OfficerAvailability] = []
        while heap and heap[0][0] == start:
            _, index, last = heap[0]
            free_officers.append(eligible[index])
            following = start + request.grid
            if following <= last:
                heapreplace(heap, (following, index, last))
                continue
            window = next(officer_windows[index], None)
            if window is None:
                heappop(heap)
            else:
                heapreplace(heap, (window[0], index, window[1]))
        options.append(_choose_officer(start, request, free_officers))
    return options


def _choose_officer(
    start: datetime, request: SlotRequest, free_officers: list[OfficerAvailability]
) -> SlotOption:
    end = start + request.duration
    for officer in free_officers:
        if officer.officer_id == request.preferred_officer_id:
            return SlotOption(start, end, officer.officer_id, SlotReason.SAME_OFFICER)
    chosen = min(free_officers, key=lambda officer: (officer.load, officer.officer_id))
    return SlotOption(start, end, chosen.officer_id, SlotReason.LEAST_LOADED)


def _person_free_times(request: SlotRequest) -> list[TimeRange]:
    """When the person could meet: safe, clear of their appointments, earliest..deadline."""
    if request.deadline <= request.earliest:
        return []
    horizon = TimeRange(request.earliest, request.deadline)
    safe = [horizon] if request.safe_windows is None else merge_ranges(request.safe_windows)
    inside = [part for window in safe if (part := window.intersection(horizon)) is not None]
    return subtract_ranges(inside, request.person_busy)


def _start_windows(
    officer: OfficerAvailability,
    request: SlotRequest,
    person_free: list[TimeRange],
    person_ends: list[datetime],
) -> Iterator[tuple[datetime, datetime]]:
    """Yield (first start, last start) of each run of valid grid starts, in time order.

    Lazy: it walks forward from the first free moment and stops when the caller has
    enough options, so a search touches only the days it needs.
    """
    buffer = request.buffer
    walk_from, walk_to = person_free[0].start, person_free[-1].end
    shifts = sorted(officer.shifts, key=_START)
    busy = sorted(officer.busy, key=_START)
    # Running maxima of ends let bisect skip everything that is over before walk_from,
    # even when ranges overlap.
    shift_ends = list(accumulate((shift.end for shift in shifts), max))
    busy_ends = list(accumulate((booked.end for booked in busy), max))
    next_shift = bisect_right(shift_ends, walk_from)
    next_busy = bisect_right(busy_ends, walk_from - buffer)
    blocked_until = walk_from
    while next_shift < len(shifts):
        shift_start, shift_end = shifts[next_shift].start, shifts[next_shift].end
        next_shift += 1
        # Overlapping shifts are one shift; touching shifts stay two.
        while next_shift < len(shifts) and shifts[next_shift].start < shift_end:
            shift_end = max(shift_end, shifts[next_shift].end)
            next_shift += 1
        if shift_start >= walk_to:
            return
        free_from = max(shift_start, blocked_until)
        while next_busy < len(busy) and busy[next_busy].start - buffer < shift_end:
            blocked_from = busy[next_busy].start - buffer
            blocked_to = busy[next_busy].end + buffer
            next_busy += 1
            if blocked_from > free_from:
                yield from _grid_runs(free_from, blocked_from, person_free, person_ends, request)
            free_from = max(free_from, blocked_to)
            blocked_until = max(blocked_until, blocked_to)
        if free_from < shift_end:
            yield from _grid_runs(free_from, shift_end, person_free, person_ends, request)


def _grid_runs(
    free_from: datetime,
    free_to: datetime,
    person_free: list[TimeRange],
    person_ends: list[datetime],
    request: SlotRequest,
) -> Iterator[tuple[datetime, datetime]]:
    """Runs of grid starts whose slot fits in [free_from, free_to) and in one person-free range."""
    if free_to - free_from < request.duration:
        return
    index = bisect_right(person_ends, free_from)
    while index < len(person_free) and person_free[index].start < free_to:
        run_from = max(free_from, person_free[index].start)
        last_start = min(free_to, person_free[index].end) - request.duration
        first_start = run_from + (_EPOCH - run_from) % request.grid
        if first_start <= last_start:
            yield first_start, last_start
        index += 1
