"""Demo data for a fresh `make run`: made once, left alone after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from videoresponse.booking import service as booking
from videoresponse.booking.rules import BookingRuleError
from videoresponse.config import Settings
from videoresponse.core.auth import service as accounts
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.demo_cases import URN_PREFIX, DemoCase, demo_cases, insert_case
from videoresponse.demo_history import create_history
from videoresponse.demo_history_casework import create_casework
from videoresponse.rota import service as rota
from videoresponse.rota.rules import RotaError, ShiftTimes
from videoresponse.rota.team_time import TeamClock
from videoresponse.triage.models import Incident

DEMO_ACTOR = "demo"
ROSTER_DAYS = 14
EARLY = ShiftTimes(time(8, 30), time(16, 30))
LATE = ShiftTimes(time(13, 30), time(21, 30))


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    password: str
    gender: str | None = None
    number: str | None = None


# Published on purpose: these exist only in a demo database, never in a force's.
DEMO_ACCOUNTS = [
    DemoAccount("handler", "Sam Patel", Role.CALL_HANDLER, "demo-handler-pass"),
    DemoAccount(
        "officer1", "PC Jo Morgan", Role.VIDEO_OFFICER, "demo-officer-pass", "female", "PC 4417"
    ),
    DemoAccount(
        "officer2", "PC Alex Reid", Role.VIDEO_OFFICER, "demo-officer-pass", "male", "PC 5230"
    ),
    DemoAccount(
        "supervisor", "Sgt Chris Lee", Role.SUPERVISOR, "demo-supervisor-pass", number="PS 812"
    ),
    DemoAccount("admin", "Dana Hughes", Role.ADMINISTRATOR, "demo-admin-password"),
]


def create_demo(db: Database, settings: Settings) -> bool:
    """Create the demo accounts, rota and cases if they are not there; say whether it did.

    Each part is made only when it is missing, so a second run changes nothing, not even
    the audit log.
    """
    made_accounts = _create_accounts(db)
    create_history(db, settings, {"officer1": EARLY, "officer2": LATE})
    made_casework = create_casework(db, settings)
    with db.sessions() as session:
        if session.scalar(select(Incident.id).where(Incident.urn.startswith(URN_PREFIX))):
            return made_accounts or made_casework
    team = {member.username: member for member, _ in accounts.list_users(db)}
    now = utcnow()
    _roster(db, settings, team, now)
    _cases(db, settings, team, now)
    return True


def _create_accounts(db: Database) -> bool:
    with db.sessions() as session:
        if session.scalar(select(StaffUser.id).where(StaffUser.username == "handler")):
            return False
    for account in DEMO_ACCOUNTS:
        accounts.add_user(
            db,
            username=account.username,
            display_name=account.display_name,
            role=account.role,
            password=account.password,
            gender=account.gender,
            rank_and_number=account.number,
            by=DEMO_ACTOR,
        )
    return True


def _roster(db: Database, settings: Settings, team: dict[str, StaffMember], now: datetime) -> None:
    """officer1 on earlies and officer2 on lates every day, published for two weeks."""
    today = TeamClock.named(settings.timezone).today(now)
    try:
        for username, shift in (("officer1", EARLY), ("officer2", LATE)):
            rota.set_pattern(
                db,
                officer_id=team[username].id,
                days=dict.fromkeys(range(7), shift),
                opening_hours=settings.opening_hours,
                by=DEMO_ACTOR,
            )
        rota.publish_shifts(
            db,
            first_day=today,
            last_day=today + timedelta(days=ROSTER_DAYS - 1),
            opening_hours=settings.opening_hours,
            by=DEMO_ACTOR,
        )
    except RotaError:
        # A force's own opening hours may not fit the demo's shifts: cases still come.
        return


def _cases(db: Database, settings: Settings, team: dict[str, StaffMember], now: datetime) -> None:
    handler = team["handler"]
    clock = TeamClock.named(settings.timezone)
    cases = demo_cases(clock.today(now))
    with db.transaction() as session:
        people = {
            case.number: insert_case(
                session, case, now=now, settings=settings, handler_id=handler.id
            )
            for case in cases
        }
    for case in cases:
        if case.book is not None:
            _book(db, settings, case, people[case.number], team, clock, now)


def _book(
    db: Database,
    settings: Settings,
    case: DemoCase,
    person_id: int,
    team: dict[str, StaffMember],
    clock: TeamClock,
    now: datetime,
) -> None:
    """Book at the wanted time, else at the first free time; leave it unbooked if none
    is left before the deadline (the demo may run late in the evening)."""
    assert case.book is not None
    days_ahead, wanted, username = case.book
    handler = team["handler"]
    earliest = now
    if wanted is not None:
        starts_at = clock.at(clock.today(now) + timedelta(days=days_ahead), wanted)
        earliest = max(now, starts_at)
        try:
            booking.book(
                db,
                settings,
                person_id=person_id,
                starts_at=starts_at,
                officer_id=team[username].id if username else None,
                by=handler,
            )
            return
        except (booking.SlotTaken, BookingRuleError):
            pass
    options, _ = booking.find_options(
        db, settings, person_id=person_id, limit=1, earliest=earliest, by=handler
    )
    if not options:
        return
    try:
        booking.book(db, settings, person_id=person_id, starts_at=options[0].start, by=handler)
    except (booking.SlotTaken, BookingRuleError):
        return
