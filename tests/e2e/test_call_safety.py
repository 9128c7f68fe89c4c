"""The caller's safety in the call: one tap blanks the screen; Exit this page leaves at once
and ends the session; every caller page fits a 360-pixel phone screen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_call_flow import (
    SCREENSHOTS,
    appointment_starting_soon,
    both_see_each_other,
    caller_opens_link,
    caller_waits,
    launch_for_calls,
    link_from_outbox,
    officer_admits,
    two_people,
)

pytestmark = pytest.mark.browser

NEUTRAL_SITE = "https://www.bbc.co.uk/weather"  # Settings.exit_url's default
SCROLL_WIDTH = "document.documentElement.scrollWidth"
# Clicks Hang up and, in the same task, before the browser could paint again, counts what
# is still showing: no video with a picture source, and the page says "You have left".
HANG_UP_AND_LOOK = """
() => {
  document.querySelector('[data-action="hang-up"]').click();
  const showing = [...document.querySelectorAll("video")].filter(
    (v) => v.srcObject !== null && v.getClientRects().length > 0,
  );
  const left = document.querySelector('[data-section="left"]');
  return { showing: showing.length, leftShown: !left.hidden };
}
"""


@pytest.fixture(scope="module")
def call_browser(browser: Browser) -> Iterator[Browser]:
    launched = launch_for_calls(browser)
    yield launched
    launched.close()


def _answer_exit_here(page: Page) -> list[str]:
    """Runs the real /exit, but stops its redirect to the neutral site at the browser.

    Tests reach no address off this machine, and Playwright cannot intercept the target of
    a redirect; so /exit is fetched as it is (ending the session, clearing the site's data)
    and the browser gets, in place of the redirect, a page standing in for the neutral
    site. Returns the redirect targets seen.
    """
    targets: list[str] = []

    def handle(route: Route) -> None:
        response = route.fetch(max_redirects=0)
        targets.append(response.headers.get("location", ""))
        headers = {
            k: v for k, v in response.headers.items() if k not in ("location", "content-length")
        }
        headers["content-type"] = "text/html; charset=utf-8"
        route.fulfill(status=200, headers=headers, body="<title>Weather</title>Weather")

    page.context.route("**/exit", handle)
    return targets


def test_hang_up_blanks_the_callers_screen_at_once(
    call_browser: Browser, live_server: LiveServer
) -> None:
    appointment_id = appointment_starting_soon(live_server)
    with two_people(call_browser, phone=True) as (caller, officer):
        caller_waits(caller, live_server, appointment_id)
        officer_admits(officer, live_server, appointment_id)
        both_see_each_other(caller, officer)

        seen = caller.evaluate(HANG_UP_AND_LOOK)

        assert seen == {"showing": 0, "leftShown": True}
        expect(caller.get_by_role("heading", name="You have left")).to_be_focused()
        assert caller.evaluate("window.vrCall.state") == "left"
        caller.screenshot(path=str(SCREENSHOTS / "call_hung_up_phone.png"), full_page=True)
        # The officer's screen loses the caller; the caller is not called back.
        expect(officer.locator("[data-remote] video")).to_have_count(0, timeout=10000)
        # Coming back on purpose means waiting to be let in again.
        caller.get_by_role("link", name="Go back").click()
        caller.goto(live_server.url + "/appointment/call")
        expect(caller.get_by_role("heading", name="Waiting to be let in")).to_be_visible()
        expect(officer.get_by_role("button", name="Admit Caller")).to_be_visible()


def test_exit_this_page_leaves_for_a_neutral_site_and_ends_the_session(
    call_browser: Browser, live_server: LiveServer
) -> None:
    appointment_id = appointment_starting_soon(live_server)
    with two_people(call_browser, phone=True) as (caller, officer):
        exits = _answer_exit_here(caller)
        caller_waits(caller, live_server, appointment_id)
        officer_admits(officer, live_server, appointment_id)
        both_see_each_other(caller, officer)

        for _ in range(3):
            caller.keyboard.press("Shift")

        expect(caller).to_have_title("Weather")
        assert exits == [NEUTRAL_SITE]
        expect(officer.locator("[data-remote] video")).to_have_count(0, timeout=10000)
        # The officer is told, and warned not to phone back unsafely; "Connected." is gone.
        status = officer.locator("[data-status]")
        expect(status).to_contain_text("The caller has left the call")
        expect(status).to_contain_text("do not call them back unless their safe contact")
        officer.screenshot(path=str(SCREENSHOTS / "call_caller_left_officer.png"), full_page=True)
        caller.goto(live_server.url + "/appointment")
        expect(caller.get_by_role("heading", name="This link cannot be used")).to_be_visible()
        caller.goto(live_server.url + "/appointment/call")
        expect(caller).to_have_url(live_server.url + "/appointment")


def test_the_exit_button_works_from_the_waiting_room(
    call_browser: Browser, live_server: LiveServer
) -> None:
    appointment_id = appointment_starting_soon(live_server)
    with two_people(call_browser) as (caller, _):
        exits = _answer_exit_here(caller)
        caller_waits(caller, live_server, appointment_id)
        caller.get_by_role("button", name="Exit this page").click()
        expect(caller).to_have_title("Weather")
        assert exits == [NEUTRAL_SITE]
        caller.goto(live_server.url + "/appointment")
        expect(caller.get_by_role("heading", name="This link cannot be used")).to_be_visible()


@pytest.mark.parametrize(("width", "height", "name"), [(360, 740, "phone"), (1280, 900, "desktop")])
def test_the_caller_pages_fit_the_screen(
    call_browser: Browser, live_server: LiveServer, width: int, height: int, name: str
) -> None:
    appointment_id = appointment_starting_soon(live_server)
    with two_people(call_browser, phone=width == 360) as (caller, officer):
        caller.set_viewport_size({"width": width, "height": height})
        caller_opens_link(caller, live_server, link_from_outbox(live_server, appointment_id))
        pages = {
            "appointment": "/appointment",
            "devices": "/appointment/check-devices",
            "waiting": "/appointment/call?audio=1",
        }
        for label, path in pages.items():
            caller.goto(live_server.url + path)
            if label == "devices":
                caller.get_by_role("button", name="Start the check").click()
                expect(caller.get_by_text("Your camera works")).to_be_visible()
            if label == "waiting":
                expect(caller.get_by_text("You will be let in soon")).to_be_visible()
            assert caller.evaluate(SCROLL_WIDTH) <= width, label
            caller.screenshot(path=str(SCREENSHOTS / f"call_{label}_{name}.png"), full_page=True)
        officer_admits(officer, live_server, appointment_id)
        expect(caller.get_by_role("button", name="Turn video back on")).to_be_visible()
        expect(caller.locator("[data-remote] figure")).to_have_count(1, timeout=15000)
        assert caller.evaluate(SCROLL_WIDTH) <= width
        caller.screenshot(path=str(SCREENSHOTS / f"call_audio_only_{name}.png"), full_page=True)
        caller.get_by_role("button", name="Turn video back on").click()
        both_see_each_other(caller, officer)
        assert caller.evaluate(SCROLL_WIDTH) <= width
        caller.screenshot(path=str(SCREENSHOTS / f"call_video_{name}.png"), full_page=True)
