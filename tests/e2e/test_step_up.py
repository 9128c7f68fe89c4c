"""Step-up in the browser: a stale session's countersign asks for the password in a new
tab, and the officer countersigns again without leaving the call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from tests.e2e.conftest import LiveServer
from tests.e2e.test_call_flow import (
    SCREENSHOTS,
    appointment_starting_soon,
    caller_waits,
    database_of,
    launch_for_calls,
    officer_admits,
    two_people,
    wait_until,
)
from tests.e2e.test_statement_signing import WORDS, _saved, _sign_with_a_finger
from videoresponse.core.auth.models import StaffSession
from videoresponse.demo import DEMO_ACCOUNTS

pytestmark = pytest.mark.browser


def _make_stale(server: LiveServer) -> None:
    db = database_of(server)
    try:
        with db.transaction() as session:
            for staff_session in session.scalars(select(StaffSession)):
                staff_session.started_at -= timedelta(minutes=10)
                staff_session.confirmed_at = None
    finally:
        db.dispose()


def test_a_stale_countersign_asks_for_the_password_in_a_new_tab(
    browser: Browser, live_server: LiveServer
) -> None:
    call_browser = launch_for_calls(browser)
    appointment_id = appointment_starting_soon(live_server)
    try:
        with two_people(call_browser, phone=True) as (caller, officer):
            caller_waits(caller, live_server, appointment_id)
            officer_admits(officer, live_server, appointment_id)
            wait_until(caller, "window.vrCall.state === 'admitted'", timeout=20)

            panel = officer.locator("[data-statement]")
            panel.get_by_label("Occupation").fill("Teacher")
            panel.get_by_label("Statement, in the witness's own words (first person)").fill(WORDS)
            _saved(officer)
            panel.get_by_role("button", name="Ask the witness to confirm").click()
            confirm = caller.locator("[data-confirm-form]")
            expect(confirm).to_be_visible(timeout=10000)
            caller.locator("#confirm-declared").check()
            caller.get_by_label("Your full name").fill("Alex Example")
            _sign_with_a_finger(caller)
            confirm.get_by_role("button", name="Sign").click()
            expect(caller.get_by_text("Thank you — signed")).to_be_visible(timeout=10000)

            expect(panel.locator("[data-countersign]")).to_be_visible(timeout=10000)
            number = panel.get_by_label("Your rank and number")
            if number.is_visible():
                number.fill("PC 4321")
            _make_stale(live_server)
            panel.get_by_role("button", name="Countersign and seal").click()
            link = panel.get_by_role("link", name="Confirm your password to countersign")
            expect(link).to_be_visible(timeout=10000)
            expect(panel.locator("[data-versions]")).not_to_contain_text("sealed")
            officer.screenshot(path=str(SCREENSHOTS / "step_up_countersign.png"), full_page=True)

            with officer.context.expect_page() as opened:
                link.click()
            tab = opened.value
            expect(tab.get_by_role("heading", name="Confirm it's you")).to_be_visible()
            tab.get_by_label("Password").fill("not the password")
            tab.get_by_role("button", name="Confirm").click()
            expect(tab.locator(".govuk-error-summary")).to_contain_text("not right")
            password = next(a.password for a in DEMO_ACCOUNTS if a.username == "officer1")
            tab.get_by_label("Password").fill(password)
            tab.get_by_role("button", name="Confirm").click()
            expect(tab.get_by_text("You have confirmed it's you")).to_be_visible()
            tab.set_viewport_size({"width": 360, "height": 740})
            assert tab.evaluate("document.documentElement.scrollWidth") <= 360
            tab.screenshot(path=str(SCREENSHOTS / "step_up_confirmed_360.png"), full_page=True)
            tab.close()

            panel.get_by_role("button", name="Countersign and seal").click()
            expect(panel.locator("[data-versions]")).to_contain_text("sealed", timeout=30000)
    finally:
        call_browser.close()
