"""The officer invites an interpreter by a link of their own: a three-way call (a mesh)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_call_flow import (
    appointment_starting_soon,
    caller_waits,
    frames_keep_increasing,
    launch_for_calls,
    officer_admits,
    two_people,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def call_browser(browser: Browser) -> Iterator[Browser]:
    launched = launch_for_calls(browser)
    yield launched
    launched.close()


def test_an_interpreter_joins_by_their_own_link_and_all_three_see_each_other(
    call_browser: Browser, live_server: LiveServer
) -> None:
    appointment_id = appointment_starting_soon(live_server)
    with two_people(call_browser, phone=True) as (caller, officer):
        caller_waits(caller, live_server, appointment_id)
        officer_admits(officer, live_server, appointment_id)
        expect(officer.locator("[data-remote] video")).to_have_count(1, timeout=15000)

        officer.get_by_role("button", name="Invite interpreter").click()
        link = officer.get_by_label(re.compile("Link for the interpreter"))
        expect(link).to_have_value(re.compile(r"/j/[A-Za-z0-9_-]+$"))
        path = "/j/" + link.input_value().rsplit("/j/", 1)[1]

        guest_context = call_browser.new_context(viewport={"width": 1024, "height": 768})
        try:
            guest = guest_context.new_page()
            guest.goto(live_server.url + path)
            guest.get_by_role("button", name="Continue").click()
            guest.goto(live_server.url + "/appointment/call")
            expect(guest.get_by_role("heading", name="Waiting to be let in")).to_be_visible()
            officer.get_by_role("button", name="Admit Interpreter").click()

            for page in (caller, officer, guest):
                expect(page.locator("[data-remote] video")).to_have_count(2, timeout=15000)
            for page in (caller, officer, guest):
                frames_keep_increasing(page)
            expect(caller.locator("[data-remote] figcaption")).to_contain_text(
                ["Officer", "Interpreter"], ignore_case=False
            )
            officer.screenshot(path="/tmp/call_three_way_officer.png", full_page=True)
        finally:
            guest_context.close()
