"""The supervisor's dashboard in a real browser, on the demo's history."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_supervisor import SCROLL_WIDTH, sign_in

pytestmark = pytest.mark.browser


def test_a_supervisor_changes_the_dates_sees_the_charts_and_downloads_a_csv(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, live_server, "supervisor")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name="Appointments by incident type")).to_be_visible()
    expect(page.get_by_role("img", name="No-show rate")).to_be_visible()

    today = datetime.now(ZoneInfo("Europe/London")).date()
    first, last = today - timedelta(days=14), today - timedelta(days=1)
    for prefix, day in (("from", first), ("to", last)):
        page.locator(f"#{prefix}_day").fill(str(day.day))
        page.locator(f"#{prefix}_month").fill(str(day.month))
        page.locator(f"#{prefix}_year").fill(str(day.year))
    page.get_by_label("Week").check()
    page.get_by_role("button", name="Show these dates").click()

    expect(page.get_by_text(f"{last:%A} {last.day} {last:%B %Y}").first).to_be_visible()
    section = page.locator("#appointments-by-outcome")
    expect(section.get_by_role("img", name="Appointments by outcome")).to_be_visible()
    section.get_by_text("The figures as a table").click()
    expect(section.get_by_role("columnheader", name="Week beginning")).to_be_visible()
    expect(section.get_by_role("columnheader", name="Completed")).to_be_visible()
    page.screenshot(path="/tmp/e2e_dashboard.png", full_page=True)

    with page.expect_download() as download_info:
        section.get_by_role("link", name="Download appointments by outcome as CSV").click()
    download = download_info.value
    assert download.suggested_filename == (
        f"appointments-by-outcome_{first.isoformat()}_{last.isoformat()}.csv"
    )
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    assert rows[0][0] == "Week beginning" and rows[0][-1] == "Total"
    assert sum(int(row[-1]) for row in rows[1:]) > 20


def test_on_a_phone_the_dashboard_scrolls_only_inside_its_charts(
    phone: Page, live_server: LiveServer
) -> None:
    sign_in(phone, live_server, "supervisor")
    phone.goto(live_server.url + "/supervisor/dashboard")
    expect(phone.get_by_role("img", name="Officer utilisation")).to_be_visible()
    phone.screenshot(path="/tmp/e2e_phone_dashboard.png", full_page=True)
    assert phone.evaluate(SCROLL_WIDTH) <= 360


def test_an_officer_sees_their_victims_code_tasks(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, "officer1")
    page.get_by_role("link", name="Victims' Code").click()
    expect(page.get_by_role("heading", name="Victims' Code")).to_be_visible()
    expect(page.get_by_role("table", name="Tasks owed, soonest due first")).to_be_visible()
