"""The rota page: the week's table, patterns, publishing, shifts and absences, through HTTP."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import csrf_token, make_shift, make_staff, make_video_case, sign_in
from videoresponse.booking import service as booking
from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database
from videoresponse.rota.models import Absence, PatternDay, Shift
from videoresponse.rota.rules import local_to_utc
from videoresponse.rota.team_time import monday_of

LONDON = ZoneInfo("Europe/London")
ROTA = "/supervisor/rota"
# A summer week, so that local times and UTC differ by an hour.
SUMMER_MONDAY = date(2030, 7, 1)


@pytest.fixture
def supervisor(db: Database) -> StaffMember:
    return make_staff(db, Role.SUPERVISOR)


@pytest.fixture
def officer(db: Database) -> StaffMember:
    return make_staff(db, Role.VIDEO_OFFICER, display_name="PC Kim Shaw", gender="female")


def _post(client: TestClient, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(
        path, data={**data, "csrf_token": csrf_token(client, ROTA)}, follow_redirects=False
    )


def _pattern(officer_id: int, starts: str, ends: str) -> dict[str, str]:
    form = {"officer_id": str(officer_id), "week": SUMMER_MONDAY.isoformat()}
    for weekday in range(5):
        form |= {f"starts_{weekday}": starts, f"ends_{weekday}": ends}
    return form


def _shifts(db: Database, officer_id: int) -> list[tuple[datetime, datetime]]:
    with db.sessions() as session:
        rows = session.execute(
            select(Shift.starts_at, Shift.ends_at)
            .where(Shift.officer_id == officer_id)
            .order_by(Shift.starts_at)
        )
        return [(start, end) for start, end in rows]


def test_a_call_handler_cannot_open_the_rota(client: TestClient, db: Database) -> None:
    sign_in(client, make_staff(db, Role.CALL_HANDLER))
    assert client.get(ROTA, headers={"accept": "text/html"}).status_code == 403


def test_setting_a_pattern_and_publishing_it_creates_the_weeks_shifts(
    client: TestClient, db: Database, supervisor: StaffMember, officer: StaffMember
) -> None:
    sign_in(client, supervisor)

    saved = _post(client, ROTA + "/pattern", _pattern(officer.id, "08:30", "16:30"))
    assert saved.status_code == 303
    published = _post(
        client, ROTA + "/publish", {"week": SUMMER_MONDAY.isoformat(), "weeks_ahead": "1"}
    )
    assert published.status_code == 303

    shifts = _shifts(db, officer.id)
    assert len(shifts) == 10  # Monday to Friday, two weeks
    # 08:30 in London in July is 07:30 UTC.
    assert shifts[0] == (
        datetime(2030, 7, 1, 7, 30, tzinfo=UTC),
        datetime(2030, 7, 1, 15, 30, tzinfo=UTC),
    )
    page = client.get(published.headers["location"])
    assert "10 shifts published." in page.text
    assert "08:30–16:30" in page.text


def test_a_pattern_outside_the_opening_hours_is_refused_with_the_day_and_the_hours(
    client: TestClient, db: Database, supervisor: StaffMember, officer: StaffMember
) -> None:
    sign_in(client, supervisor)

    refused = _post(client, ROTA + "/pattern", _pattern(officer.id, "07:00", "15:00"))

    assert refused.status_code == 400
    assert (
        "Monday's shift 07:00 to 15:00 is outside the team's opening hours "
        "(08:30–21:30 Europe/London every day)" in html.unescape(refused.text)
    )
    assert f'href="#pattern-{officer.id}-starts_0"' in refused.text
    assert 'value="07:00"' in refused.text
    with db.sessions() as session:
        assert session.scalars(select(PatternDay)).all() == []


def test_a_one_off_shift_is_added_in_local_time(
    client: TestClient, db: Database, supervisor: StaffMember, officer: StaffMember
) -> None:
    sign_in(client, supervisor)
    added = _post(
        client,
        ROTA + "/shifts",
        {
            "week": SUMMER_MONDAY.isoformat(),
            "shift_officer": str(officer.id),
            "shift_day": "3",
            "shift_month": "7",
            "shift_year": "2030",
            "shift_starts": "9:00",
            "shift_ends": "1700",
        },
    )
    assert added.status_code == 303
    assert _shifts(db, officer.id) == [
        (datetime(2030, 7, 3, 8, tzinfo=UTC), datetime(2030, 7, 3, 16, tzinfo=UTC))
    ]


def test_an_absence_reallocates_what_it_can_and_lists_the_rest_for_rebooking(
    client: TestClient,
    db: Database,
    settings: Settings,
    supervisor: StaffMember,
    officer: StaffMember,
) -> None:
    colleague = make_staff(db, Role.VIDEO_OFFICER, display_name="PC Ola Reid", gender="male")
    day = datetime.now(LONDON).date() + timedelta(days=1)
    for member in (officer, colleague):
        make_shift(
            db,
            member.id,
            local_to_utc(day, time(9), LONDON),
            local_to_utc(day, time(17), LONDON),
        )
    handler = make_staff(db, Role.CALL_HANDLER)
    _, anyone = make_video_case(db, created_by=handler.id)
    _, needs_female = make_video_case(db, created_by=handler.id, preferred_officer_gender="female")
    at_ten = local_to_utc(day, time(10), LONDON)
    movable = booking.book(
        db, settings, person_id=anyone, starts_at=at_ten, officer_id=officer.id, by=handler
    )
    stuck = booking.book(
        db, settings, person_id=needs_female, starts_at=at_ten + timedelta(hours=2), by=handler
    )
    sign_in(client, supervisor)

    marked = _post(
        client,
        ROTA + "/absences",
        {
            "week": SUMMER_MONDAY.isoformat(),
            "absence_officer": str(officer.id),
            "from_day": str(day.day),
            "from_month": str(day.month),
            "from_year": str(day.year),
            "from_time": "09:00",
            "to_day": str(day.day),
            "to_month": str(day.month),
            "to_year": str(day.year),
            "to_time": "17:00",
            "reason": "Training",
        },
    )

    assert marked.status_code == 303
    assert f"week={monday_of(day).isoformat()}" in marked.headers["location"]
    page = client.get(marked.headers["location"])
    assert "Absence recorded for PC Kim Shaw." in page.text
    assert "1 moved to another officer, 1 needs rebooking" in page.text
    assert "With PC Ola Reid" in page.text
    assert f'href="/supervisor/appointments/{stuck.id}"' in page.text
    assert "All day" not in page.text and "09:00–17:00 (Training)" in page.text
    with db.sessions() as session:
        assert session.get_one(Appointment, movable.id).officer_id == colleague.id
        assert session.get_one(Appointment, stuck.id).needs_rebooking


def test_an_absence_form_with_problems_keeps_what_was_typed_and_records_nothing(
    client: TestClient, db: Database, supervisor: StaffMember, officer: StaffMember
) -> None:
    sign_in(client, supervisor)

    refused = _post(
        client,
        ROTA + "/absences",
        {
            "week": SUMMER_MONDAY.isoformat(),
            "absence_officer": str(officer.id),
            "from_day": "2",
            "from_month": "7",
            "from_year": "2030",
            "from_time": "14:00",
            "to_day": "2",
            "to_month": "7",
            "to_year": "2030",
            "to_time": "13:00",
            "reason": "",
        },
    )

    assert refused.status_code == 400
    assert "The absence must end after it starts" in refused.text
    assert "Enter the reason for the absence" in refused.text
    assert 'value="14:00"' in refused.text
    with db.sessions() as session:
        assert session.scalars(select(Absence)).all() == []


def test_the_week_table_shows_shifts_in_local_time_and_pages_by_week(
    client: TestClient, db: Database, supervisor: StaffMember, officer: StaffMember
) -> None:
    make_shift(
        db,
        officer.id,
        datetime(2030, 7, 2, 12, 30, tzinfo=UTC),
        datetime(2030, 7, 2, 20, 30, tzinfo=UTC),
    )
    sign_in(client, supervisor)

    page = client.get(f"{ROTA}?week=2030-07-03")

    assert "Week beginning Monday 1 July 2030" in page.text
    assert "13:30–21:30" in page.text
    assert "?week=2030-06-24" in page.text and "?week=2030-07-08" in page.text
