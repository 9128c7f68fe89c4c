"""The supervisor's and the officer's pages in a real browser, on the demo data."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer
from videoresponse.demo import DEMO_ACCOUNTS

pytestmark = pytest.mark.browser
SCROLL_WIDTH = "document.documentElement.scrollWidth"


def sign_in(page: Page, server: LiveServer, username: str) -> None:
    account = next(a for a in DEMO_ACCOUNTS if a.username == username)
    page.goto(server.url + "/sign-in")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()


def test_a_supervisor_sees_the_queue_and_marks_an_officer_absent(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, live_server, "supervisor")
    expect(page.get_by_role("heading", name="Team overview")).to_be_visible()
    queue = page.locator("#queue")
    expect(queue.get_by_text("Deadline passed")).to_be_visible()
    expect(queue.get_by_text("Near deadline")).to_be_visible()
    page.screenshot(path="/tmp/e2e_supervisor_overview.png", full_page=True)

    page.get_by_role("link", name="Rota", exact=True).click()
    expect(page.get_by_role("heading", name="Week beginning")).to_be_visible()
    # The demo books officer1 (early shift) at 09:00 tomorrow; officer2 starts at 13:30.
    tomorrow = datetime.now(ZoneInfo("Europe/London")).date() + timedelta(days=1)
    page.locator("#absence_officer").select_option(label="PC Jo Morgan")
    for prefix in ("from", "to"):
        page.locator(f"#{prefix}_day").fill(str(tomorrow.day))
        page.locator(f"#{prefix}_month").fill(str(tomorrow.month))
        page.locator(f"#{prefix}_year").fill(str(tomorrow.year))
    page.locator("#from_time").fill("09:00")
    page.locator("#to_time").fill("10:00")
    page.locator("#reason").fill("Training")
    page.get_by_role("button", name="Mark absent").click()

    expect(page.get_by_text("Absence recorded for PC Jo Morgan.")).to_be_visible()
    outcome = page.get_by_role("table", name="What happened to their appointments")
    expect(outcome.get_by_text("Needs rebooking")).to_be_visible()
    expect(page.get_by_text("09:00–10:00 (Training)")).to_be_visible()
    page.screenshot(path="/tmp/e2e_supervisor_absence.png", full_page=True)


def test_an_officer_sees_my_day(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, "officer1")
    expect(page.get_by_text("My day", exact=True).first).to_be_visible()
    page.get_by_role("link", name="Next day").click()
    expect(page).to_have_url(live_server.url + "/officer?day=" + _tomorrow())
    page.screenshot(path="/tmp/e2e_officer_day.png", full_page=True)


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("supervisor", "/supervisor"),
        ("supervisor", "/supervisor/rota"),
        ("supervisor", "/supervisor/appointments/1"),
        ("officer1", "/officer?day={tomorrow}"),
    ],
)
def test_on_a_phone_only_the_tables_scroll_sideways(
    phone: Page, live_server: LiveServer, username: str, path: str
) -> None:
    sign_in(phone, live_server, username)
    phone.goto(live_server.url + path.format(tomorrow=_tomorrow()))
    expect(phone.locator("h1")).to_be_visible()
    name = path.strip("/").replace("/", "_").split("?")[0]
    phone.screenshot(path=f"/tmp/e2e_phone_{name}.png", full_page=True)
    assert phone.evaluate(SCROLL_WIDTH) <= 360


def _tomorrow() -> str:
    return (datetime.now(ZoneInfo("Europe/London")).date() + timedelta(days=1)).isoformat()
