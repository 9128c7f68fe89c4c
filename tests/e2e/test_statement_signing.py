"""The witness statement from both ends of a call, in two Chromium contexts.

The officer writes beside the video; the witness, on a 360 px phone, watches the first
part arrive live (never the restricted second part), asks for a change, then signs the
presented version with a finger. The officer countersigns, and the sealed PDF taken from
the statement's page passes the seal check, and fails it with one byte changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import make_settings
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
from videoresponse.booking.models import Appointment
from videoresponse.statements.seal import check_seal, load_sealer
from videoresponse.triage.models import SafeContactRow

pytestmark = pytest.mark.browser

RESTRICTED = "Flat 9, Quiet Lane RESTRICTED"
WORDS = "On Monday evening I was at home when I heard the front window break."


def _copy_allowed(server: LiveServer, appointment_id: int) -> None:
    db = database_of(server)
    try:
        with db.transaction() as session:
            person_id = session.get_one(Appointment, appointment_id).person_id
            contact = session.get(SafeContactRow, person_id)
            if contact is None:
                session.add(SafeContactRow(person_id=person_id, may_download_copy=True))
            else:
                contact.may_download_copy = True
    finally:
        db.dispose()


def _sign_with_a_finger(page: Page) -> None:
    """Real touch input (CDP touch events), as a finger on a phone's screen."""
    canvas = page.locator('[data-pad="witness"] canvas')
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None and box["width"] <= 360
    cdp = page.context.new_cdp_session(page)
    x0, y0 = box["x"] + 20, box["y"] + box["height"] * 0.7
    points = [(x0 + i * 12, y0 - (i % 5) * 14) for i in range(20)]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [_at(points[0])]})
    for point in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [_at(point)]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def _at(point: tuple[float, float]) -> dict[str, float]:
    return {"x": point[0], "y": point[1]}


def _saved(officer: Page) -> None:
    expect(officer.locator("[data-save-status]")).to_contain_text("Saved at", timeout=10000)


def test_a_witness_reads_asks_for_a_change_signs_and_the_sealed_pdf_checks(
    browser: Browser, live_server: LiveServer
) -> None:
    call_browser = launch_for_calls(browser)
    appointment_id = appointment_starting_soon(live_server)
    _copy_allowed(live_server, appointment_id)
    try:
        with two_people(call_browser, phone=True) as (caller, officer):
            caller_waits(caller, live_server, appointment_id)
            officer_admits(officer, live_server, appointment_id)
            wait_until(caller, "window.vrCall.state === 'admitted'", timeout=20)

            panel = officer.locator("[data-statement]")
            expect(panel.get_by_label("Statement of", exact=True)).to_have_value("Alex Example")
            panel.get_by_label("Occupation").fill("Teacher")
            panel.get_by_label("Statement, in the witness's own words (first person)").fill(WORDS)
            panel.get_by_text("Restricted: not shown to the witness").click()
            panel.get_by_label("Contact details (home, work, mobile, email, preferred means)").fill(
                RESTRICTED
            )
            panel.get_by_label("Victim Personal Statement offered").check()
            _saved(officer)

            review = caller.get_by_role("region", name="Your statement as written so far")
            expect(review).to_contain_text(WORDS, timeout=10000)
            expect(review).to_contain_text("Teacher")
            assert RESTRICTED not in caller.content()

            caller.get_by_label("Ask for a change").fill("It was Tuesday, not Monday")
            caller.get_by_role("button", name="Ask for a change").click()
            asked = officer.locator("[data-corrections-list] li")
            expect(asked).to_contain_text("It was Tuesday, not Monday", timeout=10000)
            expect(asked).to_contain_text("The witness asked at")
            asked.get_by_role("button", name="Mark done").click()
            expect(asked).to_contain_text("Done")

            corrected = WORDS.replace("Monday", "Tuesday")
            panel.get_by_label("Statement, in the witness's own words (first person)").fill(
                corrected
            )
            _saved(officer)
            expect(review).to_contain_text(corrected, timeout=10000)
            panel.get_by_role("button", name="Ask the witness to confirm").click()
            expect(panel.locator("[data-versions]")).to_contain_text("Version 1")

            confirm = caller.locator("[data-confirm-form]")
            expect(confirm).to_be_visible(timeout=10000)
            expect(confirm).to_contain_text("consisting of 1 page each signed by me")
            caller.screenshot(path=str(SCREENSHOTS / "statement_confirm_phone.png"), full_page=True)
            caller.locator("#confirm-declared").check()
            caller.get_by_label("Your full name").fill("Alex Example")
            confirm.get_by_role("button", name="Sign").click()
            expect(caller.locator("[data-confirm-error]")).to_contain_text("Sign with your finger")
            _sign_with_a_finger(caller)
            confirm.get_by_role("button", name="Sign").click()
            expect(caller.get_by_text("Thank you — signed")).to_be_visible(timeout=10000)
            assert caller.evaluate("document.documentElement.scrollWidth") <= 360
            assert RESTRICTED not in caller.content()

            countersign = panel.locator("[data-countersign]")
            expect(countersign).to_be_visible(timeout=10000)
            # The demo's officer1 has a number on record: nothing to type, nothing to change.
            expect(countersign).to_contain_text("You countersign as PC Jo Morgan, PC 4417.")
            expect(panel.get_by_label("Your rank and number")).to_be_hidden()
            officer.screenshot(path=str(SCREENSHOTS / "statement_officer.png"), full_page=True)
            panel.get_by_role("button", name="Countersign and seal").click()
            expect(panel.locator("[data-versions]")).to_contain_text("sealed", timeout=30000)

            copy_link = caller.get_by_role("link", name="Download your copy (PDF)")
            expect(copy_link).to_be_visible(timeout=10000)
            caller.screenshot(path=str(SCREENSHOTS / "statement_signed_phone.png"), full_page=True)
            with caller.expect_download() as copied:
                copy_link.click()
            witness_copy = Path(copied.value.path()).read_bytes()

            officer.goto(f"{live_server.url}/statements/{appointment_id}")
            expect(officer.get_by_role("heading", name="Version 1 (latest)")).to_be_visible()
            expect(officer.locator("main")).to_contain_text("PC Jo Morgan (PC 4417)")
            expect(officer.locator("main")).to_contain_text("It was Tuesday, not Monday")
            officer.get_by_label("Why are you downloading it?").fill("File for the CPS")
            officer.screenshot(path=str(SCREENSHOTS / "statement_history.png"), full_page=True)
            with officer.expect_download() as downloaded:
                officer.get_by_role("button", name="Download sealed PDF").click()
            pdf = Path(downloaded.value.path()).read_bytes()
    finally:
        call_browser.close()

    assert pdf == witness_copy and pdf.startswith(b"%PDF")
    (SCREENSHOTS / "statement_sealed.pdf").write_bytes(pdf)
    sealer = load_sealer(make_settings(live_server.data_dir))
    assert check_seal(pdf, sealer).intact, check_seal(pdf, sealer).problem
    middle = len(pdf) // 2
    tampered = pdf[:middle] + bytes([pdf[middle] ^ 0x01]) + pdf[middle + 1 :]
    assert not check_seal(tampered, sealer).intact


def _draw_with_a_mouse(page: Page, pad: str) -> None:
    canvas = page.locator(f'[data-pad="{pad}"] canvas')
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x0, y0 = box["x"] + 20, box["y"] + box["height"] * 0.7
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 20):
        page.mouse.move(x0 + i * 12, y0 - (i % 5) * 14)
    page.mouse.up()


def test_a_statement_read_to_the_witness_is_signed_by_the_reader_before_sealing(
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
            expect(panel.get_by_label("Statement of", exact=True)).to_have_value("Alex Example")
            panel.get_by_label("Statement, in the witness's own words (first person)").fill(WORDS)
            panel.get_by_label("The witness cannot read", exact=False).check()
            _saved(officer)
            panel.get_by_role("button", name="Ask the witness to confirm").click()
            expect(panel.locator("[data-versions]")).to_contain_text("Version 1")

            confirm = caller.locator("[data-confirm-form]")
            expect(confirm).to_be_visible(timeout=10000)
            caller.locator("#confirm-declared").check()
            caller.get_by_label("Your full name").fill("Alex Example")
            _sign_with_a_finger(caller)
            confirm.get_by_role("button", name="Sign").click()
            expect(caller.get_by_text("Thank you — signed")).to_be_visible(timeout=10000)

            read_over = panel.locator("[data-read-over]")
            expect(read_over).to_be_visible(timeout=10000)
            expect(panel.locator("[data-countersign]")).to_be_hidden()
            expect(read_over).to_contain_text("have read the above statement to Alex Example")
            read_over.get_by_role("button", name="Sign read-over").click()
            expect(panel.locator("[data-statement-error]")).to_contain_text("must sign in the box")
            panel.get_by_label("Full name of the person who read it").fill("Sam Reader")
            _draw_with_a_mouse(officer, "read-over")
            officer.screenshot(path=str(SCREENSHOTS / "statement_read_over.png"), full_page=True)
            read_over.get_by_role("button", name="Sign read-over").click()
            expect(panel.locator("[data-versions]")).to_contain_text(
                "read-over signed by Sam Reader", timeout=10000
            )

            countersign = panel.locator("[data-countersign]")
            expect(countersign).to_be_visible(timeout=10000)
            panel.get_by_role("button", name="Countersign and seal").click()
            expect(panel.locator("[data-versions]")).to_contain_text("sealed", timeout=30000)
            # No copy allowed for this witness: sealed, and the panel says nothing about one.
            caller.wait_for_timeout(1000)
            expect(caller.locator("[data-copy]")).to_be_hidden()
            caller.screenshot(path=str(SCREENSHOTS / "statement_no_copy_phone.png"), full_page=True)

            officer.goto(f"{live_server.url}/statements/{appointment_id}")
            expect(officer.locator("main")).to_contain_text("Read-over declaration")
            expect(officer.locator("main")).to_contain_text("Sam Reader")
    finally:
        call_browser.close()
