"""An officer fills in DASH from the call page, in a real browser; the supervisor sees it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer
from videoresponse.demo import DEMO_ACCOUNTS
from videoresponse.risk.checklist import load_checklist

pytestmark = pytest.mark.browser
QUESTIONS = [q.id for q in load_checklist().questions]
SCROLL_WIDTH = "document.documentElement.scrollWidth"


def _sign_in(page: Page, server: LiveServer, username: str) -> None:
    account = next(a for a in DEMO_ACCOUNTS if a.username == username)
    page.goto(server.url + "/sign-in")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _tomorrow() -> str:
    return (datetime.now(ZoneInfo("Europe/London")).date() + timedelta(days=1)).isoformat()


def _answer_safety(form: Page) -> None:
    form.get_by_label("Yes, it is safe to talk").check()
    form.get_by_label("Where is the person who is hurting you now?").fill("At work until 6pm")
    form.get_by_label("Where are any children now?").fill("At school")
    form.get_by_label("How can we contact you safely?").fill("This mobile, weekdays 9 to 3")
    form.get_by_role("button", name="Continue").click()


def _answer(form: Page, yes: int, *, start: int = 0, stop: int = len(QUESTIONS)) -> None:
    for index in range(start, stop):
        choice = "yes" if index < yes else "no"
        form.locator(f"#answer-{QUESTIONS[index]}-{choice}").check()


def test_an_officer_records_high_risk_and_the_supervisor_sees_it(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    _sign_in(page, live_server, "officer1")
    page.goto(f"{live_server.url}/officer?day={_tomorrow()}")
    page.get_by_role("link", name="Open call").first.click()
    link = page.get_by_role("link", name="Risk assessment (DASH)")
    expect(link).to_be_visible(timeout=20_000)
    expect(link).to_have_attribute("target", "_blank")
    with page.context.expect_page() as opened:
        link.click()
    form = opened.value
    expect(form.get_by_role("heading", name="Risk assessment (DASH)")).to_be_visible()
    expect(form.get_by_text("Is it safe for you to talk now?")).to_be_visible()

    _answer_safety(form)
    _answer(form, 14, stop=5)
    form.get_by_label("Note (optional) for question 1", exact=True).fill(
        "Cut lip, first time injured"
    )
    form.get_by_role("button", name="Save progress").click()
    expect(form.get_by_text("Answers saved.")).to_be_visible()
    expect(form.get_by_text("5 of 27 answered")).to_be_visible()
    expect(form.locator("#answer-current_injury-yes")).to_be_checked()
    _answer(form, 14, start=5)
    form.screenshot(path="/tmp/e2e_risk_questions.png", full_page=True)
    form.get_by_role("button", name="Save and continue").click()

    expect(form.get_by_role("heading", name="Risk summary")).to_be_visible()
    expect(form.locator("[data-risk-level]")).to_have_text("High risk")
    expect(form.locator("[data-marac]")).to_contain_text("MARAC referral due: visible high risk")
    expect(form.get_by_text("14 of 27")).to_be_visible()
    form.screenshot(path="/tmp/e2e_risk_summary.png", full_page=True)

    form.get_by_label("Medium risk").check()
    form.get_by_role("button", name="Save judgement").click()
    expect(form.get_by_text("never lower it").first).to_be_visible()

    form.locator("#referral_made-yes").check()
    form.get_by_label("Safeguarding actions taken").fill("Safety plan agreed; IDVA referral")
    form.get_by_role("button", name="Record outcome").click()
    expect(form.get_by_text("Outcome recorded.")).to_be_visible()
    expect(form.get_by_text("Cut lip, first time injured")).to_be_visible()
    expect(form.get_by_role("button", name="Record outcome")).to_have_count(0)
    form.screenshot(path="/tmp/e2e_risk_record.png", full_page=True)

    supervisor = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    _sign_in(supervisor, live_server, "supervisor")
    supervisor.get_by_role("link", name="Risk and MARAC").click()
    table = supervisor.locator("#risk-assessments")
    row = table.locator("tbody tr").first
    expect(row).to_contain_text("High risk")
    expect(row).to_contain_text("MARAC referral due: visible high risk")
    expect(row).to_contain_text("PC Jo Morgan")
    supervisor.screenshot(path="/tmp/e2e_risk_supervisor.png", full_page=True)
    expect(row.locator('a[href^="/handler/incidents/"]')).to_be_visible()
    row.get_by_role("link").first.click()
    expect(supervisor.get_by_text("Safety plan agreed; IDVA referral")).to_be_visible()
    supervisor.context.close()


def test_on_a_phone_the_form_fits_and_unsafe_to_talk_stops_it(
    phone: Page, live_server: LiveServer
) -> None:
    _sign_in(phone, live_server, "officer1")
    phone.goto(f"{live_server.url}/officer?day={_tomorrow()}")
    call = phone.get_by_role("link", name="Open call").first.get_attribute("href")
    assert call is not None
    start = live_server.url + call.replace("/officer/calls/", "/officer/appointments/") + "/risk"
    phone.goto(start)
    expect(phone.get_by_text("Is it safe for you to talk now?")).to_be_visible()
    _answer_safety(phone)
    _answer(phone, 3, stop=4)
    phone.screenshot(path="/tmp/e2e_phone_risk_questions.png", full_page=True)
    assert phone.evaluate(SCROLL_WIDTH) <= 360
    phone.get_by_role("button", name="Save and continue").click()
    expect(phone.get_by_role("heading", name="Risk summary")).to_be_visible()
    phone.screenshot(path="/tmp/e2e_phone_risk_summary.png", full_page=True)
    assert phone.evaluate(SCROLL_WIDTH) <= 360

    phone.goto(start)
    expect(phone.get_by_role("link", name="Continue the assessment")).to_be_visible()
