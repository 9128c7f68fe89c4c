"""Eight weeks of past work for the demo, so the dashboard shows something real.

Inserted as rows, as the service would have left them: the booking service refuses a
time in the past. Every case is settled (seen, or handed to an officer in person), so
the supervisor's queue shows only the demo's current cases. Fictional people, numbers
in Ofcom's 07700 900xxx drama range, a fixed seed: the same history each time, made
once (its URNs start PAST-).
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from videoresponse.booking.models import Appointment, AppointmentEvent
from videoresponse.booking.rules import PriorityBand, deadline_for
from videoresponse.config import Settings
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.db import Database, utcnow
from videoresponse.demo_history_victims import settle_victims
from videoresponse.notify.models import TextMessage
from videoresponse.reports.models import Feedback
from videoresponse.rota.models import Shift
from videoresponse.rota.rules import (
    RotaError,
    ShiftTimes,
    TimeRange,
    check_shift_inside_opening_hours,
)
from videoresponse.rota.team_time import TeamClock
from videoresponse.triage.models import (
    Incident,
    InPersonRequest,
    PersonRow,
    RouteOfferRow,
    SafeContactRow,
    ThriveScoreRow,
)

URN_PREFIX = "PAST-"
DAYS = 56
SEED = 8
ACTOR = "demo"
# Starts that leave a 90-minute appointment and its write-up inside each demo shift.
SLOTS = {
    time(8, 30): (time(8, 45), time(10, 30), time(12, 15), time(14, 30)),
    time(13, 30): (time(13, 45), time(15, 30), time(17, 15), time(19, 30)),
}
TYPES = {
    "domestic_abuse": 24,
    "anti_social_behaviour": 16,
    "violence": 13,
    "criminal_damage": 12,
    "theft": 12,
    "fraud": 8,
    "harassment": 7,
    "hate_crime": 5,
    "other": 3,
}
SUMMARIES = {
    "domestic_abuse": "Former partner sent threatening messages; caller is now safe.",
    "anti_social_behaviour": "Groups gathering and shouting outside the caller's home at night.",
    "violence": "Caller was assaulted in the street; minor injuries, no hospital treatment.",
    "criminal_damage": "Car damaged overnight outside the caller's home.",
    "theft": "Bicycle stolen from outside a shop.",
    "fraud": "Caller paid for goods online that never arrived.",
    "harassment": "Repeated unwanted calls and messages from an acquaintance.",
    "hate_crime": "Abusive graffiti targeting the caller's family.",
    "other": "Caller reports a lost bag that may have been taken.",
}
# (hours from the call to the appointment: low, high, most likely) per band
WAITS = {"P1": (2.0, 30.0, 10.0), "P2": (6.0, 90.0, 30.0), "P3": (12.0, 200.0, 60.0)}
FIRST = (
    "Sam",
    "Alex",
    "Jamie",
    "Robin",
    "Charlie",
    "Taylor",
    "Jordan",
    "Casey",
    "Morgan",
    "Avery",
    "Riley",
    "Quinn",
    "Rowan",
    "Harper",
    "Elliot",
    "Frankie",
    "Reese",
    "Skye",
)
LAST = (
    "Ashdown",
    "Brook",
    "Carver",
    "Dale",
    "Ellery",
    "Fenwick",
    "Garland",
    "Hollis",
    "Ingram",
    "Jessop",
    "Kendal",
    "Lowther",
    "Marsh",
    "Norbury",
    "Oakes",
    "Pryor",
)
COMMENTS = (
    "Much easier than waiting in for an officer.",
    "The officer was kind and did not rush me.",
    "Took a while to connect but fine after that.",
    "I could do it from home, which mattered to me.",
    "The picture kept freezing on my phone.",
    "Clear about what happens next.",
)


@dataclass
class _Visit:
    """A past appointment, before it is inserted."""

    incident: Incident
    person: PersonRow
    row: Appointment
    follow_up_of: _Visit | None = None


@dataclass
class _InPerson:
    incident: Incident
    person: PersonRow
    route: str
    at: datetime
    hours_to_close: float


@dataclass
class _Plan:
    """What the walk through the past slots made, in memory."""

    incidents: list[Incident] = field(default_factory=list)
    visits: list[_Visit] = field(default_factory=list)
    in_person: list[_InPerson] = field(default_factory=list)


def create_history(db: Database, settings: Settings, shifts: Mapping[str, ShiftTimes]) -> bool:
    """Insert the past weeks once; False when they are there or cannot fit this force.

    `shifts` are the demo officers' shifts by username (the demo's rota).
    """
    clock = TeamClock.named(settings.timezone)
    with db.transaction() as session:
        if session.scalar(select(Incident.id).where(Incident.urn.startswith(URN_PREFIX))):
            return False
        staff = dict(session.execute(select(StaffUser.username, StaffUser.id)).all())
        if "handler" not in staff or any(name not in staff for name in shifts):
            return False
        today = clock.today(utcnow())
        days = [today - timedelta(days=n) for n in range(DAYS, 0, -1)]
        rosters = _rosters(clock, settings, shifts, staff, days)
        if rosters is None:
            return False
        rng = random.Random(SEED)  # noqa: S311 - repeatable demo data, no secret
        plan = _walk(rng, clock, settings, shifts, staff, days, today)
        session.add_all(rosters)
        _insert(session, plan, staff["handler"], rng)
        settle_victims(session, settings, plan.incidents, today, rng)
        return True


def _rosters(
    clock: TeamClock,
    settings: Settings,
    shifts: Mapping[str, ShiftTimes],
    staff: Mapping[str, int],
    days: list[date],
) -> list[Shift] | None:
    made = []
    for day in days:
        for username, times in shifts.items():
            span = TimeRange(clock.at(day, times.starts), clock.at(day, times.ends))
            try:
                check_shift_inside_opening_hours(span, settings.opening_hours)
            except RotaError:
                return None
            made.append(
                Shift(
                    officer_id=staff[username],
                    starts_at=span.start,
                    ends_at=span.end,
                    created_by=ACTOR,
                )
            )
    return made


def _walk(
    rng: random.Random,
    clock: TeamClock,
    settings: Settings,
    shifts: Mapping[str, ShiftTimes],
    staff: Mapping[str, int],
    days: list[date],
    today: date,
) -> _Plan:
    """Fill most past slots in time order: follow-ups due, rebookings due, new cases."""
    plan = _Plan()
    rebook: deque[tuple[date, _Visit]] = deque()
    follow: dict[int, deque[tuple[date, _Visit]]] = {staff[u]: deque() for u in shifts}
    for day in days:
        busy = 0.8 if day.weekday() < 5 else 0.6
        starts = sorted(
            (clock.at(day, start), staff[username])
            for username, times in shifts.items()
            for start in SLOTS.get(times.starts, ())
        )
        for starts_at, officer_id in starts:
            if rng.random() > busy:
                continue
            if follow[officer_id] and follow[officer_id][0][0] <= day:
                _, earlier = follow[officer_id].popleft()
                _visit(
                    plan, settings, earlier.incident, starts_at, officer_id, "completed", earlier
                )
                continue
            if rebook and rebook[0][0] <= day:
                _, missed = rebook.popleft()
                _visit(plan, settings, missed.incident, starts_at, officer_id, "completed")
                continue
            incident = _incident(plan, rng, settings, starts_at)
            status = _outcome(len(plan.incidents), (today - day).days)
            made = _visit(plan, settings, incident, starts_at, officer_id, status)
            if status == "no_show" or (status == "cancelled" and rng.random() < 0.5):
                rebook.append((day + timedelta(days=rng.randint(1, 3)), made))
            elif status == "cancelled":
                # The caller then asked for an officer to come instead.
                plan.in_person.append(
                    _InPerson(incident, made.person, "attend", starts_at, rng.uniform(2, 30))
                )
            elif rng.random() < 0.08:
                follow[officer_id].append((day + timedelta(days=rng.randint(3, 8)), made))
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            called = clock.at(day, time(9)) + timedelta(hours=rng.uniform(0, 11))
            incident = _incident(plan, rng, settings, called, video=False)
            route = rng.choice(("attend", "attend", "station"))
            plan.in_person.append(
                _InPerson(incident, incident.people[0], route, called, rng.uniform(2, 30))
            )
    return plan


def _outcome(number: int, days_ago: int) -> str:
    """About one case in 14 missed and one in 16 cancelled, spread evenly over the weeks.

    The last week is all seen: a miss then would still be waiting to be rebooked.
    """
    if days_ago <= 7:
        return "completed"
    if number % 14 == 5:
        return "no_show"
    if number % 16 == 9:
        return "cancelled"
    return "completed"


def _incident(
    plan: _Plan, rng: random.Random, settings: Settings, around: datetime, video: bool = True
) -> Incident:
    codes = [c for c in TYPES if not settings.incident_types or c in settings.incident_types]
    if codes:
        code = rng.choices(codes, weights=[TYPES[c] for c in codes])[0]
    else:
        code = rng.choice(sorted(settings.incident_types))
    band = rng.choices(("P1", "P2", "P3"), weights=(3, 4, 3))[0]
    low, high, mode = WAITS[band]
    called_at = around - timedelta(hours=rng.triangular(low, high, mode)) if video else around
    incident = Incident(
        urn=f"{URN_PREFIX}{len(plan.incidents) + 1:04d}",
        incident_type=code,
        summary=SUMMARIES.get(code, SUMMARIES["other"]),
        called_at=called_at,
        grade=3 if band == "P3" else 2,
        grade_reason="",
        priority_band=band,
        deadline=deadline_for(PriorityBand(band), called_at, settings.band_hours),
        suitable_for_video=video,
        suitability_flags=[] if video else ["in_person_examination"],
        suitability_reason="Agreed to video; has a private room" if video else "",
        created_at=called_at,
        thrive=[
            ThriveScoreRow(
                dimension=dimension,
                level=rng.choice(("low", "medium")),
                rationale="Assessed on the call.",
            )
            for dimension in THRIVE
        ],
    )
    person = PersonRow(
        role="victim" if rng.random() < 0.85 else "witness",
        name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        date_of_birth=date(rng.randint(1950, 2006), rng.randint(1, 12), rng.randint(1, 28)),
        mobile=f"+447700900{rng.randint(200, 999):03d}",
    )
    person.safe_contact = SafeContactRow(
        may_text=True, may_call=True, words_never_to_use=[], timezone=settings.timezone
    )
    incident.people.append(person)
    plan.incidents.append(incident)
    return incident


def _visit(
    plan: _Plan,
    settings: Settings,
    incident: Incident,
    starts_at: datetime,
    officer_id: int,
    status: str,
    follow_up_of: _Visit | None = None,
) -> _Visit:
    minutes = settings.appointment_minutes_by_type.get(
        incident.incident_type, settings.appointment_minutes
    )
    ends_at = starts_at + timedelta(minutes=minutes)
    row = Appointment(
        route="video",
        starts_at=starts_at,
        ends_at=ends_at,
        reserved_until=ends_at + settings.write_up_buffer,
        status=status,
        officer_id=officer_id,
        officer_reason="same officer as before" if follow_up_of else "least loaded",
        created_at=max(incident.called_at + timedelta(minutes=15), starts_at - timedelta(days=6)),
    )
    visit = _Visit(incident, incident.people[0], row, follow_up_of)
    plan.visits.append(visit)
    return visit


def _insert(session: Session, plan: _Plan, handler_id: int, rng: random.Random) -> None:
    """Incidents first (for their ids), then all that hangs off them."""
    for incident in plan.incidents:
        incident.created_by = handler_id
    session.add_all(plan.incidents)
    session.flush()
    for incident in plan.incidents:
        chosen = "video" if incident.suitable_for_video else "attend"
        session.add(_offer(incident, chosen, incident.called_at, handler_id))
    for request in plan.in_person:
        if request.incident.suitable_for_video:
            session.add(_offer(request.incident, request.route, request.at, handler_id))
        session.add(
            InPersonRequest(
                incident_id=request.incident.id,
                person_id=request.person.id,
                route=request.route,
                due_at=request.at + timedelta(hours=48),
                created_at=request.at + timedelta(minutes=30),
                closed_at=request.at + timedelta(hours=request.hours_to_close),
                closed_by=handler_id,
                outcome="Seen in person; statement taken",
            )
        )
    for visit in plan.visits:
        visit.row.incident_id, visit.row.person_id = visit.incident.id, visit.person.id
        visit.row.created_by = handler_id
    session.add_all([visit.row for visit in plan.visits])
    session.flush()
    for visit in plan.visits:
        if visit.follow_up_of is not None:
            visit.row.follow_up_of = visit.follow_up_of.row.id
        session.add_all(_around(visit.row, rng))
    session.flush()


def _offer(incident: Incident, chosen: str, at: datetime, handler_id: int) -> RouteOfferRow:
    return RouteOfferRow(
        incident_id=incident.id,
        person_id=incident.people[0].id,
        offered=["video", "attend", "station"] if incident.suitable_for_video else ["attend"],
        chosen=chosen,
        reason="The caller's choice",
        offered_by=handler_id,
        offered_at=at + timedelta(minutes=10),
    )


def _around(row: Appointment, rng: random.Random) -> list[object]:
    """The appointment's history, its confirmation text, and feedback after some calls."""
    final_at = {
        "completed": row.ends_at,
        "no_show": row.starts_at + timedelta(minutes=10),
        "cancelled": row.starts_at - timedelta(hours=rng.uniform(2, 30)),
    }[row.status]
    made: list[object] = [
        _event(row, "booked", None, row.created_at),
        _event(row, row.status, "booked", final_at),
        _text(row, rng.random()),
    ]
    if row.status == "completed" and rng.random() < 0.35:
        comment = rng.choice(COMMENTS) if rng.random() < 0.3 else ""
        made.append(
            Feedback(
                appointment_id=row.id,
                rating=rng.choices((5, 4, 3, 2, 1), weights=(50, 30, 10, 6, 4))[0],
                comment=comment,
                at=row.ends_at + timedelta(minutes=rng.randint(5, 300)),
            )
        )
    return made


def _event(row: Appointment, event: str, from_status: str | None, at: datetime) -> AppointmentEvent:
    return AppointmentEvent(
        appointment_id=row.id,
        at=at,
        by=ACTOR,
        event=event,
        from_status=from_status,
        to_status=event,
        starts_at=row.starts_at,
        officer_id=row.officer_id,
        reason="the caller cancelled" if event == "cancelled" else "",
    )


def _text(row: Appointment, draw: float) -> TextMessage:
    """Most delivered; a few failed or not sent, each already followed up by phone."""
    status = next(s for limit, s in TEXT_OUTCOMES if draw < limit)
    followed_up = status in {"failed", "not_sent"}
    at = row.created_at
    return TextMessage(
        reference=f"vr-{uuid.uuid4().hex[:24]}",
        person_id=row.person_id,
        appointment_id=row.id,
        kind="confirmation",
        status=status,
        not_before=at,
        expires_at=row.ends_at,
        attempts=0 if status == "not_sent" else 1,
        provider="local",
        sent_at=at if status in {"delivered", "sent"} else None,
        delivered_at=at + timedelta(seconds=20) if status == "delivered" else None,
        last_error=TEXT_ERRORS.get(status, ""),
        followed_up_at=at + timedelta(hours=2) if followed_up else None,
        followed_up_by=ACTOR if followed_up else "",
        created_by=ACTOR,
        created_at=at,
    )


TEXT_OUTCOMES = (
    (0.9, "delivered"),
    (0.93, "sent"),
    (0.96, "failed"),
    (0.98, "not_sent"),
    (1.01, "expired"),
)
TEXT_ERRORS = {"failed": "number not in service", "not_sent": "no safe time to text"}
THRIVE = ("threat", "harm", "risk", "investigation", "vulnerability", "engagement")
