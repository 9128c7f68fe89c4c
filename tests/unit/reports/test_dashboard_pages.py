"""The supervisor's dashboard and its CSV files, through HTTP."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import make_appointment, make_case, make_shift, make_staff, sign_in
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database
from videoresponse.reports.figures import FIGURE_KEYS, Figure
from videoresponse.reports.models import Feedback
from videoresponse.reports.service import as_csv
from videoresponse.rota.rules import local_to_utc

LONDON = ZoneInfo("Europe/London")
TODAY = datetime.now(LONDON).date()
YESTERDAY = TODAY - timedelta(days=1)


def _at(day_offset: int, hour: int) -> datetime:
    return local_to_utc(TODAY + timedelta(days=day_offset), time(hour), LONDON)


@pytest.fixture
def supervisor(client: TestClient, db: Database) -> StaffMember:
    """A supervisor, signed in, with yesterday's work: two seen, one no-show, feedback."""
    member = make_staff(db, Role.SUPERVISOR)
    officer = make_staff(db, display_name="PC Kim Shaw")
    make_shift(db, officer.id, _at(-1, 9), _at(-1, 17))
    for hour, status, incident_type in (
        (10, "completed", "theft"),
        (12, "completed", "domestic_abuse"),
        (14, "no_show", "theft"),
    ):
        incident_id, person_id = make_case(
            db,
            created_by=member.id,
            called_at=_at(-1, 8),
            incident_type=incident_type,
            band="P1",
            deadline=timedelta(hours=24),
        )
        appointment_id = make_appointment(
            db,
            incident_id=incident_id,
            person_id=person_id,
            officer_id=officer.id,
            starts_at=_at(-1, hour),
            created_by=member.id,
            status=status,
        )
    with db.transaction() as session:
        session.add(Feedback(appointment_id=appointment_id, rating=4, at=_at(-1, 16)))
    sign_in(client, member)
    return member


def test_the_dashboard_shows_the_last_28_days_with_a_chart_and_table_per_figure(
    client: TestClient, supervisor: StaffMember
) -> None:
    page = client.get("/supervisor/dashboard")

    assert page.status_code == 200
    first = TODAY - timedelta(days=27)
    assert (
        f'name="from_day" type="text" inputmode="numeric" autocomplete="off" value="{first.day}"'
        in page.text
    )
    for key in FIGURE_KEYS:
        assert f'id="{key}"' in page.text
        assert f"/supervisor/dashboard/{key}.csv?from={first.isoformat()}" in page.text
    assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') >= 8
    assert "3 appointments from" in page.text
    assert "33.3% of appointments were no-shows" in page.text
    assert "the average is 4.0 out of 5" in page.text
    assert "PC Kim Shaw" in page.text
    assert "style=" not in page.text


def test_looking_at_the_dashboard_is_recorded_as_a_consultation(
    client: TestClient, db: Database, supervisor: StaffMember
) -> None:
    client.get("/supervisor/dashboard")
    with db.sessions() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.event == "dashboard.viewed")
        ).one()
    assert entry.action == "consultation" and entry.actor == supervisor.actor
    assert entry.why


def test_the_date_range_from_the_date_inputs_narrows_every_figure(
    client: TestClient, supervisor: StaffMember
) -> None:
    page = client.get(
        "/supervisor/dashboard",
        params={
            "from_day": TODAY.day,
            "from_month": TODAY.month,
            "from_year": TODAY.year,
            "to_day": TODAY.day,
            "to_month": TODAY.month,
            "to_year": TODAY.year,
        },
    )

    assert page.status_code == 200
    assert "0 appointments from" in page.text


def test_an_end_before_the_start_is_explained_and_the_typed_dates_kept(
    client: TestClient, supervisor: StaffMember
) -> None:
    page = client.get(
        "/supervisor/dashboard",
        params={
            "from_day": "10",
            "from_month": "11",
            "from_year": "2026",
            "to_day": "1",
            "to_month": "11",
            "to_year": "2026",
        },
    )

    assert page.status_code == 400
    assert "The end date must be the same as or after the start date" in page.text
    assert 'href="#to_day"' in page.text
    assert (
        'id="to_day" name="to_day" type="text" inputmode="numeric" autocomplete="off" value="1"'
        in page.text
    )


def test_weeks_are_shown_when_asked_for(client: TestClient, supervisor: StaffMember) -> None:
    page = client.get("/supervisor/dashboard", params={"period": "week"})
    assert "Week beginning" in page.text


def test_each_figure_downloads_as_a_csv_attachment(
    client: TestClient, db: Database, supervisor: StaffMember
) -> None:
    query = {"from": YESTERDAY.isoformat(), "to": YESTERDAY.isoformat(), "period": "day"}

    download = client.get("/supervisor/dashboard/appointments-by-outcome.csv", params=query)

    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"] == (
        "attachment; filename="
        f'"appointments-by-outcome_{YESTERDAY.isoformat()}_{YESTERDAY.isoformat()}.csv"'
    )
    table = list(csv.reader(io.StringIO(download.text)))
    assert table == [
        ["Day", "Completed", "No-show", "Total"],
        [YESTERDAY.isoformat(), "2", "1", "3"],
    ]
    with db.sessions() as session:
        events = session.scalars(select(AuditEntry.event)).all()
    assert "dashboard.figure_downloaded" in events


@pytest.mark.parametrize("key", FIGURE_KEYS)
def test_every_figure_has_its_csv(client: TestClient, supervisor: StaffMember, key: str) -> None:
    download = client.get(f"/supervisor/dashboard/{key}.csv")
    assert download.status_code == 200
    assert download.text.splitlines()[0]


def test_an_unknown_figure_is_not_found(client: TestClient, supervisor: StaffMember) -> None:
    assert client.get("/supervisor/dashboard/passwords.csv").status_code == 404


def test_only_supervisors_see_the_dashboard(client: TestClient, db: Database) -> None:
    sign_in(client, make_staff(db, Role.VIDEO_OFFICER))
    assert client.get("/supervisor/dashboard").status_code == 403
    assert client.get("/supervisor/dashboard/feedback.csv").status_code == 403


def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_defused() -> None:
    figure = Figure("f", "F", "", ["Officer", "Hours"], [["=HYPERLINK(1)", -1.5]], None)
    assert as_csv(figure) == "Officer,Hours\r\n'=HYPERLINK(1),-1.5\r\n"
