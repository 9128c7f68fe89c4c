"""A rapid call nobody could be texted about, and nobody joined: the call handler reads the
link out, the officer sees what the queue holds, ends the call and is free again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from tests.e2e.conftest import LiveServer
from tests.e2e.test_call_flow import SCREENSHOTS, database_of, launch_for_calls
from tests.e2e.test_sign_in import sign_in
from tests.factories import make_video_case
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.db import utcnow
from videoresponse.triage.models import Incident

pytestmark = pytest.mark.browser

SCROLL_WIDTH = "document.documentElement.scrollWidth"
# Where the empty stage's words and your own picture are on screen.
BOXES = """
() => {
  const box = (selector) => {
    const r = document.querySelector(selector).getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
  };
  return { text: box("[data-remote-empty]"), self: box(".vr-stage__self") };
}
"""


@pytest.fixture(scope="module")
def call_browser(browser: Browser) -> Iterator[Browser]:
    launched = launch_for_calls(browser)
    yield launched
    launched.close()


def _case_outside_safe_times(server: LiveServer) -> tuple[int, str]:
    """A video case whose only safe time to text is three days away: (incident id, URN)."""
    db = database_of(server)
    try:
        with db.sessions() as session:
            handler = session.scalar(select(StaffUser.id).where(StaffUser.username == "handler"))
        assert handler
        day = (utcnow() + timedelta(days=3)).astimezone(ZoneInfo("Europe/London")).weekday()
        incident_id, _ = make_video_case(
            db, created_by=handler, safe_windows=[(day, time(8), time(8, 30))]
        )
        with db.sessions() as session:
            return incident_id, session.get_one(Incident, incident_id).urn
    finally:
        db.dispose()


def _apart(boxes: dict[str, dict[str, float]]) -> bool:
    text, self = boxes["text"], boxes["self"]
    return (
        text["bottom"] <= self["top"]
        or self["bottom"] <= text["top"]
        or text["right"] <= self["left"]
        or self["right"] <= text["left"]
    )


def _handler_starts_the_call(page: Page, server: LiveServer, incident_id: int) -> None:
    sign_in(page, server, "handler")
    page.goto(f"{server.url}/handler/incidents/{incident_id}")
    page.get_by_role("button", name="Start a video call now").click()


def test_a_rapid_call_nobody_was_texted_about_is_read_out_then_ended_unjoined(
    call_browser: Browser, live_server: LiveServer
) -> None:
    incident_id, urn = _case_outside_safe_times(live_server)
    handler = call_browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    officer = call_browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = handler.new_page()
        _handler_starts_the_call(page, live_server, incident_id)
        expect(page.get_by_text("Read the link out only if that is safe")).to_be_visible()
        expect(page.locator("[data-read-out-link]")).to_contain_text("/j/")
        assert page.evaluate(SCROLL_WIDTH) <= 360
        page.screenshot(path=str(SCREENSHOTS / "call_rapid_read_out_phone.png"), full_page=True)

        desk = officer.new_page()
        sign_in(desk, live_server, "officer2")
        desk.goto(live_server.url + "/officer/console")
        expect(desk.locator("[data-summary]")).to_contain_text("1 rapid call not joined yet")
        rapid = desk.locator("[data-rapid]")
        expect(rapid).to_contain_text(urn)
        expect(rapid).to_contain_text("Not joined yet")
        desk.screenshot(path=str(SCREENSHOTS / "call_console_unjoined.png"), full_page=True)

        desk.get_by_role("button", name="Take next").click()
        expect(desk.locator("[data-remote-empty]")).to_be_visible(timeout=15000)
        expect(desk.locator(".vr-stage__self")).to_be_visible()
        assert _apart(desk.evaluate(BOXES)), desk.evaluate(BOXES)
        desk.screenshot(path=str(SCREENSHOTS / "call_empty_stage_officer.png"), full_page=True)
        desk.set_viewport_size({"width": 360, "height": 740})
        assert _apart(desk.evaluate(BOXES)), desk.evaluate(BOXES)
        desk.screenshot(path=str(SCREENSHOTS / "call_empty_stage_360.png"), full_page=True)
        desk.set_viewport_size({"width": 1280, "height": 900})

        desk.get_by_role("button", name="End call for everyone").click()
        expect(desk.get_by_role("heading", name="The call has ended")).to_be_visible()
        desk.goto(live_server.url + "/officer/console")
        expect(desk.locator("[data-summary]")).to_have_text("Nobody is waiting.")

        # A second unjoined rapid call: the officer is free to take it.
        second_incident, _ = _case_outside_safe_times(live_server)
        _handler_starts_the_call(page, live_server, second_incident)
        expect(desk.locator("[data-summary]")).to_contain_text("1 rapid call not joined yet")
        desk.get_by_role("button", name="Take next").click()
        expect(desk.locator("[data-remote-empty]")).to_be_visible(timeout=15000)
        desk.get_by_role("button", name="End call for everyone").click()
        expect(desk.get_by_role("heading", name="The call has ended")).to_be_visible()
    finally:
        handler.close()
        officer.close()


def test_take_next_shows_the_servers_reason_and_keeps_it(
    call_browser: Browser, live_server: LiveServer
) -> None:
    incident_id, _ = _case_outside_safe_times(live_server)
    context = call_browser.new_context(viewport={"width": 1280, "height": 900})
    second = call_browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        _handler_starts_the_call(context.new_page(), live_server, incident_id)
        desk = second.new_page()
        sign_in(desk, live_server, "officer2")
        desk.goto(live_server.url + "/officer/console")
        expect(desk.locator("[data-summary]")).to_contain_text("rapid call not joined yet")
        # Someone else takes it first: the supervisor, who has no appointments of their own
        # to clash with whatever time the tests run.
        other = context.new_page()
        sign_in(other, live_server, "supervisor")
        csrf = other.request.get(live_server.url + "/api/session").json()["csrf_token"]
        taken = other.request.post(
            live_server.url + "/api/calls/rapid/take", headers={"x-csrf-token": csrf}
        )
        assert taken.status == 200, taken.text()
        desk.get_by_role("button", name="Take next").click()
        message = desk.locator("[data-take-error]")
        expect(message).to_have_text("Nobody is waiting in the rapid queue.")
        desk.wait_for_timeout(4000)  # a poll of the waiting list has passed
        expect(message).to_have_text("Nobody is waiting in the rapid queue.")
        # The supervisor ends the call nobody joined.
        other.goto(f"{live_server.url}/officer/calls/{taken.json()['appointment_id']}")
        other.get_by_role("button", name="End call for everyone").click()
        expect(other.get_by_role("heading", name="The call has ended")).to_be_visible()
    finally:
        context.close()
        second.close()
