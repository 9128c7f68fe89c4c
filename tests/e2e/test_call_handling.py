"""A call handler records a domestic abuse call, offers video and books it, in Chromium."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.e2e.conftest import LiveServer
from tests.e2e.test_sign_in import sign_in
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.db import Database, utcnow
from videoresponse.rota.models import Shift

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp"
THRIVE = {
    "Threat": "Medium",
    "Harm": "High",
    "Risk": "Medium",
    "Investigation": "Low",
    "Vulnerability": "Medium",
    "Engagement": "Low",
}


def add_shifts(server: LiveServer, days: int = 8) -> None:
    """Shifts 08:30 to 21:30 UTC for the demo officers, where they have none already.

    The demo may already have a rota; only the gaps are filled, so this works either way.
    """
    db = Database(f"sqlite:///{server.data_dir / 'videoresponse.db'}")
    try:
        with db.transaction() as session:
            officers = session.scalars(
                select(StaffUser).where(StaffUser.username.in_(["officer1", "officer2"]))
            ).all()
            today = utcnow().date()
            for officer in officers:
                existing = session.scalars(
                    select(Shift).where(Shift.officer_id == officer.id)
                ).all()
                for offset in range(days):
                    day = today + timedelta(days=offset)
                    start = datetime.combine(day, time(8, 30), tzinfo=UTC)
                    end = datetime.combine(day, time(21, 30), tzinfo=UTC)
                    if any(s.starts_at < end and start < s.ends_at for s in existing):
                        continue
                    session.add(
                        Shift(officer_id=officer.id, starts_at=start, ends_at=end, created_by="e2e")
                    )
    finally:
        db.dispose()


def fill_new_incident(page: Page, urn: str) -> None:
    page.get_by_label("URN (force reference)").fill(urn)
    page.get_by_role("group", name="Type of incident").get_by_label("Domestic abuse").check()
    page.get_by_label("Summary of what was reported").fill(
        "Caller was pushed by her ex-partner, who has left. Minor bruising."
    )
    page.get_by_label("Full name").fill("Alex Example")
    birth = page.get_by_role("group", name="Date of birth")
    birth.get_by_label("Day").fill("17")
    birth.get_by_label("Month").fill("5")
    birth.get_by_label("Year").fill("1990")
    page.get_by_label("UK mobile number").fill("07700 900123")
    safe = page.get_by_role("group", name="It is safe to")
    safe.get_by_label("Text them").check()
    safe.get_by_label("Call them").check()
    first_time = page.get_by_role("group", name="Safe time 1")
    first_time.get_by_label("Days").select_option("every_day")
    first_time.get_by_label("From").fill("08:00")
    first_time.get_by_label("To").fill("21:30")
    page.get_by_label("Code word (optional)").fill("bluebell")
    page.get_by_label("Words never to use in a message (optional)").fill("court\nrefuge")
    for dimension, level in THRIVE.items():
        page.get_by_role("group", name=dimension, exact=True).get_by_label(level).check()
        page.get_by_label(f"Why this {dimension.lower()} level").fill(
            f"{dimension}: as the caller said"
        )


def test_a_call_handler_records_a_domestic_abuse_call_and_books_a_video_appointment(
    page: Page, live_server: LiveServer
) -> None:
    add_shifts(live_server)
    sign_in(page, live_server, "handler")
    page.get_by_role("button", name="Record a new incident").click()
    expect(page.get_by_role("heading", name="Record a new incident")).to_be_visible()
    urn = f"E2E/{uuid.uuid4().hex[:8].upper()}"
    fill_new_incident(page, urn)

    page.get_by_role("button", name="Work out the suggested grade").click()
    expect(page.get_by_text("THRIVE suggests grade 2 (priority) and priority P1")).to_be_visible()
    expect(
        page.get_by_role("group", name="Grade").get_by_label("Grade 2 (priority)")
    ).to_be_checked()
    expect(page.get_by_label("Full name")).to_have_value("Alex Example")
    page.get_by_role("button", name="Save incident").click()

    expect(page).to_have_url(re.compile(r"/handler/incidents/\d+$"))
    expect(page.get_by_role("heading", name=f"Incident {urn}")).to_be_visible()
    page.screenshot(path=f"{SCREENSHOTS}/call_handling_case.png", full_page=True)
    page.get_by_role("group", name="Which did you offer?").get_by_label("Video appointment").check()
    page.get_by_role("group", name="Which did you offer?").get_by_label("Officer attends").check()
    page.get_by_role("group", name="What did the caller choose?").get_by_label(
        "Video appointment"
    ).check()
    page.get_by_role("button", name="Record the choice").click()

    expect(page.get_by_role("heading", name="Choose a time with the caller")).to_be_visible()
    page.screenshot(path=f"{SCREENSHOTS}/call_handling_options.png", full_page=True)
    first = page.get_by_role("button", name=re.compile(r"^Book ")).first
    when, _, officer = (first.text_content() or "").removeprefix("Book").strip().partition(" with ")
    first.click()

    panel = page.locator(".govuk-panel")
    expect(panel).to_contain_text("Video appointment booked")
    expect(panel).to_contain_text(when)
    expect(panel).to_contain_text(f"with {officer}")
    page.screenshot(path=f"{SCREENSHOTS}/call_handling_booked.png", full_page=True)
    page.get_by_role("link", name="Back to incidents").click()
    row = page.get_by_role("row").filter(has_text=urn)
    expect(row).to_contain_text("Booked")


def test_the_new_incident_form_and_its_errors_fit_a_phone_screen(
    phone: Page, live_server: LiveServer
) -> None:
    sign_in(phone, live_server, "handler")
    phone.goto(live_server.url + "/handler/incidents/new")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=f"{SCREENSHOTS}/call_handling_new_phone.png", full_page=True)
    phone.get_by_role("button", name="Save incident").click()
    expect(phone.get_by_role("alert")).to_contain_text("Enter the incident's URN")
    expect(phone).to_have_title("Error: Record a new incident – Video Response")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=f"{SCREENSHOTS}/call_handling_errors_phone.png", full_page=True)
