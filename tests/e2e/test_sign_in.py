"""Every role signs in through the real page and lands on its own home page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer
from videoresponse.demo import DEMO_ACCOUNTS

pytestmark = pytest.mark.browser

HOMES = {
    "handler": "/handler",
    "officer1": "/officer",
    "supervisor": "/supervisor",
    "admin": "/admin",
}


def sign_in(page: Page, server: LiveServer, username: str) -> None:
    account = next(a for a in DEMO_ACCOUNTS if a.username == username)
    page.goto(server.url + "/sign-in")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("username", list(HOMES))
def test_each_role_signs_in_and_lands_on_its_home(
    page: Page, live_server: LiveServer, username: str
) -> None:
    sign_in(page, live_server, username)
    expect(page).to_have_url(live_server.url + HOMES[username])
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def test_a_wrong_password_shows_an_error_summary_on_a_phone(
    phone: Page, live_server: LiveServer
) -> None:
    phone.goto(live_server.url + "/sign-in")
    phone.get_by_label("Username").fill("handler")
    phone.get_by_label("Password").fill("not the password")
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("alert")).to_contain_text("There is a problem")
    expect(phone).to_have_title("Error: Sign in – Video Response")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
