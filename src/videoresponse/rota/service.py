"""The rota: weekly patterns, published shifts, absences, and officers' availability."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database
from videoresponse.rota.models import Absence, PatternDay, Shift
from videoresponse.rota.rules import (
    OpeningHours,
    RotaError,
    ShiftTimes,
    TimeRange,
    WeeklyPattern,
    check_shift_inside_opening_hours,
    expand_weekly_pattern,
    local_to_utc,
    merge_ranges,
    subtract_ranges,
    zone_named,
)


@dataclass(frozen=True)
class Officer:
    id: int
    display_name: str
    gender: str | None


@dataclass(frozen=True)
class OfficerRota:
    """One officer's shifts and absences in a period, for the rota page."""

    officer: Officer
    pattern: Mapping[int, ShiftTimes]
    shifts: list[TimeRange]
    absences: list[tuple[int, TimeRange, str]]


def officers(session: Session) -> list[Officer]:
    """Active video officers, by name."""
    rows = session.scalars(
        select(StaffUser)
        .where(StaffUser.role == Role.VIDEO_OFFICER.value, StaffUser.active.is_(True))
        .order_by(StaffUser.display_name)
    )
    return [Officer(u.id, u.display_name, u.gender) for u in rows]


def check_officer(session: Session, officer_id: int) -> Officer:
    for officer in officers(session):
        if officer.id == officer_id:
            return officer
    raise RotaError("Choose an active video officer")


def set_pattern(
    db: Database,
    *,
    officer_id: int,
    days: Mapping[int, ShiftTimes],
    opening_hours: OpeningHours,
    by: str,
) -> None:
    """Replace an officer's weekly pattern; each day must sit inside the opening hours."""
    pattern = WeeklyPattern(days, opening_hours.tz_name)
    # Check one real week of the pattern against the opening hours (a Monday in January).
    for shift in expand_weekly_pattern(pattern, date(2026, 1, 5), date(2026, 1, 11)):
        check_shift_inside_opening_hours(shift, opening_hours)
    with db.transaction() as session:
        check_officer(session, officer_id)
        session.execute(delete(PatternDay).where(PatternDay.officer_id == officer_id))
        for weekday, times in sorted(days.items()):
            session.add(
                PatternDay(
                    officer_id=officer_id, weekday=weekday, starts=times.starts, ends=times.ends
                )
            )
        audit.record(
            session,
            actor=by,
            action=Action.ALTERATION,
            event="rota.pattern_set",
            object_type="staff_user",
            object_id=officer_id,
            detail={str(d): f"{t.starts:%H:%M}-{t.ends:%H:%M}" for d, t in days.items()},
        )


def publish_shifts(
    db: Database,
    *,
    first_day: date,
    last_day: date,
    opening_hours: OpeningHours,
    by: str,
) -> int:
    """Turn every officer's pattern into shifts for these dates; days already rostered are kept."""
    created = 0
    with db.transaction() as session:
        for officer in officers(session):
            pattern = _pattern(session, officer.id)
            wanted = expand_weekly_pattern(
                WeeklyPattern(pattern, opening_hours.tz_name), first_day, last_day
            )
            existing = _shifts(session, [officer.id], _span(wanted))[officer.id] if wanted else []
            for shift in wanted:
                if any(shift.overlaps(have) for have in existing):
                    continue
                check_shift_inside_opening_hours(shift, opening_hours)
                session.add(
                    Shift(
                        officer_id=officer.id,
                        starts_at=shift.start,
                        ends_at=shift.end,
                        created_by=by,
                    )
                )
                created += 1
        audit.record(
            session,
            actor=by,
            action=Action.ALTERATION,
            event="rota.published",
            detail={
                "first_day": first_day.isoformat(),
                "last_day": last_day.isoformat(),
                "shifts": created,
            },
        )
    return created


def add_shift(
    db: Database, *, officer_id: int, shift: TimeRange, opening_hours: OpeningHours, by: str
) -> None:
    """Add one shift outside the pattern (cover, overtime)."""
    check_shift_inside_opening_hours(shift, opening_hours)
    with db.transaction() as session:
        check_officer(session, officer_id)
        if _shifts(session, [officer_id], shift)[officer_id]:
            raise RotaError("The officer already has a shift at that time")
        session.add(
            Shift(officer_id=officer_id, starts_at=shift.start, ends_at=shift.end, created_by=by)
        )
        audit.record(
            session,
            actor=by,
            action=Action.ALTERATION,
            event="rota.shift_added",
            object_type="staff_user",
            object_id=officer_id,
            detail={"start": shift.start.isoformat(), "end": shift.end.isoformat()},
        )


def record_absence(
    session: Session, *, officer_id: int, period: TimeRange, reason: str, by: str
) -> Absence:
    """Record an absence in the caller's transaction (booking reallocates around it)."""
    check_officer(session, officer_id)
    absence = Absence(
        officer_id=officer_id,
        starts_at=period.start,
        ends_at=period.end,
        reason=reason.strip(),
        created_by=by,
    )
    session.add(absence)
    session.flush()
    audit.record(
        session,
        actor=by,
        action=Action.ALTERATION,
        event="rota.absence_recorded",
        object_type="staff_user",
        object_id=officer_id,
        detail={"start": period.start.isoformat(), "end": period.end.isoformat()},
    )
    return absence


def available_shifts(
    session: Session, officer_ids: Sequence[int], horizon: TimeRange
) -> dict[int, list[TimeRange]]:
    """Each officer's shifts overlapping the horizon, less their absences."""
    shifts = _shifts(session, officer_ids, horizon)
    absences = _absences(session, officer_ids, horizon)
    return {
        officer_id: subtract_ranges(merge_ranges(shifts[officer_id]), absences[officer_id])
        for officer_id in officer_ids
    }


def rota_for(session: Session, horizon: TimeRange) -> list[OfficerRota]:
    """Every officer's pattern, shifts and absences in the horizon."""
    team = officers(session)
    ids = [o.id for o in team]
    shifts = _shifts(session, ids, horizon)
    absence_rows = session.scalars(
        select(Absence)
        .where(
            Absence.officer_id.in_(ids),
            Absence.starts_at < horizon.end,
            Absence.ends_at > horizon.start,
        )
        .order_by(Absence.starts_at)
    ).all()
    return [
        OfficerRota(
            officer,
            _pattern(session, officer.id),
            shifts[officer.id],
            [
                (a.id, TimeRange(a.starts_at, a.ends_at), a.reason)
                for a in absence_rows
                if a.officer_id == officer.id
            ],
        )
        for officer in team
    ]


def _pattern(session: Session, officer_id: int) -> dict[int, ShiftTimes]:
    rows = session.scalars(select(PatternDay).where(PatternDay.officer_id == officer_id))
    return {row.weekday: ShiftTimes(row.starts, row.ends) for row in rows}


def _span(ranges: Sequence[TimeRange]) -> TimeRange:
    return TimeRange(min(r.start for r in ranges), max(r.end for r in ranges))


def _shifts(
    session: Session, officer_ids: Sequence[int], horizon: TimeRange
) -> dict[int, list[TimeRange]]:
    found: dict[int, list[TimeRange]] = {officer_id: [] for officer_id in officer_ids}
    rows = session.execute(
        select(Shift.officer_id, Shift.starts_at, Shift.ends_at)
        .where(
            Shift.officer_id.in_(officer_ids),
            Shift.starts_at < horizon.end,
            Shift.ends_at > horizon.start,
        )
        .order_by(Shift.starts_at)
    )
    for officer_id, starts_at, ends_at in rows:
        found[officer_id].append(TimeRange(starts_at, ends_at))
    return found


def _absences(
    session: Session, officer_ids: Sequence[int], horizon: TimeRange
) -> dict[int, list[TimeRange]]:
    found: dict[int, list[TimeRange]] = {officer_id: [] for officer_id in officer_ids}
    rows = session.execute(
        select(Absence.officer_id, Absence.starts_at, Absence.ends_at).where(
            Absence.officer_id.in_(officer_ids),
            Absence.starts_at < horizon.end,
            Absence.ends_at > horizon.start,
        )
    )
    for officer_id, starts_at, ends_at in rows:
        found[officer_id].append(TimeRange(starts_at, ends_at))
    return found


def rota_week(
    db: Database, *, first_day: date, last_day: date, tz_name: str, by: str
) -> list[OfficerRota]:
    """Every officer's pattern, and the shifts and absences touching these local dates."""
    zone = zone_named(tz_name)
    horizon = TimeRange(
        local_to_utc(first_day, time(0), zone),
        local_to_utc(last_day + timedelta(days=1), time(0), zone),
    )
    with db.transaction() as session:
        team = rota_for(session, horizon)
        # Absence reasons can be health data about staff: who read them is logged.
        audit.record(
            session,
            actor=by,
            action=Action.CONSULTATION,
            event="rota.viewed",
            why="planning the rota",
            detail={"first_day": first_day.isoformat(), "last_day": last_day.isoformat()},
        )
        return team
