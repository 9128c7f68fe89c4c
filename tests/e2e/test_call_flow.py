"""A caller and an officer meet on video, in two Chromium contexts with fake cameras.

The caller opens the link from the local outbox, confirms their date of birth, checks
their camera and waits; the officer signs in, opens the console and admits them; both
see the other's video, with decoded frames increasing (getStats). The helpers here are
shared by the other test_call_* files.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer
from tests.e2e.test_sign_in import sign_in
from tests.factories import make_case
from videoresponse.booking.models import Appointment
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.db import Database, utcnow
from videoresponse.notify.models import TextMessage
from videoresponse.notify.outbox import on_appointment_booked

pytestmark = pytest.mark.browser

# Host candidates on 127.0.0.1: a sandbox may have no other interface.
CALL_ARGS = [*CHROMIUM_ARGS, "--allow-loopback-in-peer-connection"]
SCREENSHOTS = Path("/tmp")


def launch_for_calls(browser: Browser, extra: list[str] | None = None) -> Browser:
    """A second Chromium from the session's Playwright, with the call's flags."""
    return browser.browser_type.launch(executable_path=CHROMIUM, args=[*CALL_ARGS, *(extra or [])])


@pytest.fixture(scope="module")
def call_browser(browser: Browser) -> Iterator[Browser]:
    launched = launch_for_calls(browser)
    yield launched
    launched.close()


@contextmanager
def two_people(browser: Browser, phone: bool = False) -> Iterator[tuple[Page, Page]]:
    """The caller's context (a phone when asked) and the officer's, both closed after."""
    caller_options: dict[str, object] = {"viewport": {"width": 1024, "height": 768}}
    if phone:
        caller_options = {
            "viewport": {"width": 360, "height": 740},
            "is_mobile": True,
            "has_touch": True,
        }
    contexts: list[BrowserContext] = [
        browser.new_context(**caller_options),  # type: ignore[arg-type]
        browser.new_context(viewport={"width": 1280, "height": 900}),
    ]
    try:
        yield contexts[0].new_page(), contexts[1].new_page()
    finally:
        for context in contexts:
            context.close()


def database_of(server: LiveServer) -> Database:
    return Database(f"sqlite:///{server.data_dir / 'videoresponse.db'}")


def appointment_starting_soon(
    server: LiveServer, officer: str = "officer1", starts_in_minutes: int = 5
) -> int:
    """officer's appointment starting in 5 minutes (the join window is open), texted now.

    Written straight into the live server's database: the slot search would refuse a time
    outside the team's opening hours, and these tests run at any hour.
    """
    db = database_of(server)
    try:
        with db.sessions() as session:
            officer_id = session.scalar(select(StaffUser.id).where(StaffUser.username == officer))
            handler_id = session.scalar(select(StaffUser.id).where(StaffUser.username == "handler"))
        assert officer_id and handler_id
        incident_id, person_id = make_case(db, created_by=handler_id)
        with db.transaction() as session:
            starts = utcnow() + timedelta(minutes=starts_in_minutes)
            row = Appointment(
                incident_id=incident_id,
                person_id=person_id,
                officer_id=officer_id,
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                reserved_until=starts + timedelta(hours=1, minutes=15),
                status="booked",
                created_by=handler_id,
            )
            session.add(row)
            session.flush()
            on_appointment_booked(session, row, by="e2e", reminder_minutes=[])
            return row.id
    finally:
        db.dispose()


def link_from_outbox(server: LiveServer, appointment_id: int, timeout: float = 30) -> str:
    """The path of the link in the appointment's text, once the server's worker sent it."""
    db = database_of(server)
    try:
        with db.sessions() as session:
            reference = session.scalars(
                select(TextMessage.reference).where(TextMessage.appointment_id == appointment_id)
            ).first()
    finally:
        db.dispose()
    outbox = server.data_dir / "outbox" / "texts.jsonl"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if outbox.exists():
            for line in outbox.read_text().splitlines():
                if line.strip() and (text := json.loads(line))["reference"] == reference:
                    found = re.search(r"/j/[A-Za-z0-9_-]+", text["body"])
                    assert found, text["body"]
                    return found.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no text for appointment {appointment_id} in {outbox}")


def caller_opens_link(page: Page, server: LiveServer, link: str) -> None:
    page.goto(server.url + link)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Day").fill("17")
    page.get_by_label("Month").fill("5")
    page.get_by_label("Year").fill("1990")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your appointment")).to_be_visible()


def caller_waits(page: Page, server: LiveServer, appointment_id: int, audio: bool = False) -> None:
    """Straight to the waiting room (the full journey is in the first test)."""
    caller_opens_link(page, server, link_from_outbox(server, appointment_id))
    page.goto(server.url + "/appointment/call" + ("?audio=1" if audio else ""))
    expect(page.get_by_role("heading", name="Waiting to be let in")).to_be_visible()


def officer_admits(page: Page, server: LiveServer, appointment_id: int) -> None:
    sign_in(page, server, "officer1")
    page.goto(f"{server.url}/officer/calls/{appointment_id}")
    page.get_by_role("button", name="Admit Caller").click()


def wait_until(page: Page, expression: str, timeout: float = 10) -> None:
    """Polls an expression from here: Playwright's wait_for_function evaluates strings
    inside the page, which the pages' CSP (no 'unsafe-eval') rightly refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(100)


def frames_keep_increasing(page: Page, within: float = 10, over: float = 2) -> None:
    """Fails unless, within `within` seconds, decoded video frames rise over `over` seconds."""
    deadline = time.monotonic() + within
    seen = []
    while time.monotonic() < deadline:
        before = page.evaluate("window.vrCall.framesDecoded()")
        page.wait_for_timeout(over * 1000)
        after = page.evaluate("window.vrCall.framesDecoded()")
        seen.append((before, after))
        if after > before > 0:
            return
    raise AssertionError(f"decoded frames did not increase: {seen}")


def both_see_each_other(caller: Page, officer: Page) -> None:
    for page in (caller, officer):
        expect(page.locator("[data-remote] video")).to_have_count(1, timeout=15000)
    for page in (caller, officer):
        frames_keep_increasing(page)


def test_a_caller_joins_from_their_text_and_the_officer_admits_them(
    call_browser: Browser, live_server: LiveServer
) -> None:
    appointment_id = appointment_starting_soon(live_server)
    link = link_from_outbox(live_server, appointment_id)
    with two_people(call_browser, phone=True) as (caller, officer):
        caller_opens_link(caller, live_server, link)
        caller.get_by_role("link", name="Check your camera and join").click()
        expect(
            caller.get_by_role("heading", name="Check your camera and microphone")
        ).to_be_visible()
        caller.get_by_role("button", name="Start the check").click()
        expect(caller.get_by_text("Your camera works")).to_be_visible()
        expect(caller.get_by_text("Your microphone works")).to_be_visible(timeout=15000)
        expect(caller.locator("[data-connection-result]")).to_contain_text("connection")
        caller.screenshot(path=str(SCREENSHOTS / "call_devices_phone.png"), full_page=True)
        caller.get_by_role("button", name="Go to the waiting room").click()
        expect(caller.get_by_role("heading", name="Waiting to be let in")).to_be_visible()

        sign_in(officer, live_server, "officer1")
        officer.goto(live_server.url + "/officer/console")
        waiting = officer.get_by_role("table", name="Appointments with someone waiting")
        open_call = waiting.locator(f'a[href="/officer/calls/{appointment_id}"]')
        expect(open_call).to_be_visible(timeout=10000)
        officer.screenshot(path=str(SCREENSHOTS / "call_console.png"), full_page=True)
        open_call.click()
        expect(officer.get_by_role("button", name="Admit Caller")).to_be_visible()

        officer.get_by_label("Message to people waiting").fill("I'll be with you in 5 minutes")
        officer.get_by_role("button", name="Send message").click()
        expect(caller.get_by_text("I'll be with you in 5 minutes")).to_be_visible()
        caller.screenshot(path=str(SCREENSHOTS / "call_waiting_phone.png"), full_page=True)

        officer.get_by_role("button", name="Admit Caller").click()
        both_see_each_other(caller, officer)
        assert caller.evaluate("window.vrCall.state") == "admitted"

        officer.get_by_label("Type a message").fill("Can you hear me?")
        officer.get_by_role("button", name="Send", exact=True).click()
        expect(caller.locator("[data-chat-log]")).to_contain_text("Can you hear me?")
        caller.get_by_label("Type a message").fill("Yes")
        caller.get_by_role("button", name="Send", exact=True).click()
        expect(officer.locator("[data-chat-log]")).to_contain_text("Yes")
        expect(caller.locator("[data-chat-log]")).to_contain_text("You")
        caller.screenshot(path=str(SCREENSHOTS / "call_live_phone.png"), full_page=True)
        officer.screenshot(path=str(SCREENSHOTS / "call_live_officer.png"), full_page=True)
        assert caller.evaluate("document.documentElement.scrollWidth") <= 360

        officer.get_by_role("button", name="End call for everyone").click()
        expect(caller.get_by_role("heading", name="The appointment has ended")).to_be_visible()
        expect(caller.locator("video:visible")).to_have_count(0)


def test_a_caller_not_let_in_on_time_is_flagged_to_the_officer_and_supervisor(
    call_browser: Browser, live_server: LiveServer
) -> None:
    appointment_id = appointment_starting_soon(live_server, starts_in_minutes=-15)
    with two_people(call_browser) as (caller, staff):
        caller_waits(caller, live_server, appointment_id)
        expect(caller.get_by_text("If nobody lets you in within a few minutes")).to_be_visible()
        call_link = f'a[href="/officer/calls/{appointment_id}"]'

        sign_in(staff, live_server, "officer1")
        staff.goto(live_server.url + "/officer/console")
        waiting = staff.get_by_role("table", name="Appointments with someone waiting")
        row = waiting.get_by_role("row").filter(has=staff.locator(call_link))
        expect(row.get_by_text("Late")).to_be_visible(timeout=10000)
        expect(row).to_contain_text("Alex Example")
        staff.get_by_role("button", name="Sign out").click()

        sign_in(staff, live_server, "supervisor")
        staff.goto(live_server.url + "/officer/console")
        late = staff.get_by_role("table", name="Callers still waiting after the start")
        expect(late.locator(call_link)).to_be_visible(timeout=10000)
        expect(late).to_contain_text("with PC Jo Morgan")
        staff.screenshot(path=str(SCREENSHOTS / "call_console_supervisor.png"), full_page=True)
