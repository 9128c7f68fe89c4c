"""During a call, in Chromium: the caller sends files with a progress bar, the officer sees
them arrive and accepts one, a refused file shows its reason, and a still frame is taken."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from tests import evidence_corpus as corpus
from tests.e2e.conftest import LiveServer
from tests.e2e.test_call_flow import (
    SCREENSHOTS,
    appointment_starting_soon,
    both_see_each_other,
    call_browser,  # noqa: F401 - the fixture
    caller_waits,
    database_of,
    officer_admits,
    two_people,
)
from tests.integration.test_evidence_uploads_live import big_png
from videoresponse.evidence.models import ContinuityEntry, EvidenceItem

pytestmark = pytest.mark.browser


def test_the_caller_sends_evidence_the_officer_accepts_it_and_captures_a_still(
    call_browser: Browser,  # noqa: F811
    live_server: LiveServer,
    tmp_path: Path,
) -> None:
    photo = tmp_path / "injury.png"
    photo.write_bytes(big_png(3))
    renamed = tmp_path / "holiday.jpg"
    renamed.write_bytes(corpus.executable())
    appointment_id = appointment_starting_soon(live_server)
    with two_people(call_browser, phone=True) as (caller, officer):
        caller_waits(caller, live_server, appointment_id)
        officer_admits(officer, live_server, appointment_id)
        both_see_each_other(caller, officer)

        panel = officer.locator("[data-evidence-panel]")
        expect(panel.get_by_text("Nothing has been sent yet.")).to_be_visible()
        caller.get_by_label("Choose files to send").set_input_files([str(photo), str(renamed)])
        files = caller.locator("[data-evidence-files] li")
        expect(files).to_have_count(2)
        sent = files.filter(has_text="injury.png")
        expect(sent.locator("progress")).to_be_visible()
        expect(sent.get_by_text("Sent")).to_be_visible(timeout=30000)
        expect(sent.locator("progress")).to_have_attribute("value", "100")
        refused = files.filter(has_text="holiday.jpg")
        expect(refused).to_contain_text("This looks like a program", timeout=15000)
        caller.screenshot(path=str(SCREENSHOTS / "evidence_caller_phone.png"), full_page=True)
        assert caller.evaluate("document.documentElement.scrollWidth") <= 360
        assert caller.evaluate("localStorage.length + sessionStorage.length") == 0

        refused_item = panel.locator("[data-evidence-item]").filter(has_text="holiday.jpg")
        expect(refused_item.locator("[data-state]")).to_contain_text(
            "Refused: This looks like a program"
        )
        item = panel.locator("[data-evidence-item]").filter(has_text="injury.png")
        expect(item).to_contain_text("Not scanned")
        expect(item).to_contain_text("image/png")
        expect(item.locator("[data-state]")).to_have_text("Waiting for a decision")
        item.get_by_role("button", name="Accept").click()
        expect(item.locator("[data-state]")).to_have_text("Accepted")

        panel.get_by_role("button", name="Capture still").click()
        still = panel.locator("[data-evidence-item]").filter(has_text="Still frame")
        expect(still).to_be_visible(timeout=10000)
        expect(still.locator("[data-state]")).to_contain_text("Accepted")
        expect(caller.get_by_text("A picture was taken from the video.")).to_be_visible()
        officer.screenshot(path=str(SCREENSHOTS / "evidence_officer.png"), full_page=True)

        # The item's own page: its continuity, and a download only with a reason.
        item_url = live_server.url + (item.get_by_role("link").get_attribute("href") or "")
        officer.goto(item_url)
        expect(officer.get_by_role("heading", name="injury.png")).to_be_visible()
        officer.get_by_role("button", name="Download").click()
        expect(officer.get_by_text("Say why you need this").first).to_be_visible()
        officer.get_by_label("Why do you need to open it?").fill(
            "Checking the injury for the statement"
        )
        with officer.expect_download() as downloading:
            officer.get_by_role("button", name="Download").click()
        assert Path(downloading.value.path()).read_bytes() == photo.read_bytes()
        officer.goto(item_url)
        expect(officer.locator("[data-continuity]")).to_contain_text(
            "Checking the injury for the statement"
        )
        officer.screenshot(path=str(SCREENSHOTS / "evidence_item.png"), full_page=True)
        officer.get_by_role("link", name="Back to the case's evidence").click()
        listing = officer.locator("[data-evidence-list]")
        expect(listing).to_contain_text("injury.png")
        expect(listing).to_contain_text("Refused")
        expect(listing).to_contain_text("Still frame from the video call")
        officer.screenshot(path=str(SCREENSHOTS / "evidence_case.png"), full_page=True)

    db = database_of(live_server)
    try:
        with db.sessions() as session:
            items = session.scalars(
                select(EvidenceItem)
                .where(EvidenceItem.appointment_id == appointment_id)
                .order_by(EvidenceItem.id)
            ).all()
            assert [(i.source, i.state) for i in items] == [
                ("upload", "accepted"),
                ("upload", "refused"),
                ("still_frame", "accepted"),
            ] or [(i.source, i.state) for i in items] == [
                ("upload", "refused"),
                ("upload", "accepted"),
                ("still_frame", "accepted"),
            ]
            uploaded = next(i for i in items if i.state == "accepted" and i.source == "upload")
            assert uploaded.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
            assert uploaded.hash_match is True  # the browser hashed it too
            events = session.scalars(
                select(ContinuityEntry.event)
                .where(ContinuityEntry.item_id == uploaded.id)
                .order_by(ContinuityEntry.seq)
            ).all()
            assert list(events) == ["arrived", "hashed", "scanned", "accepted", "downloaded"]
    finally:
        db.dispose()


def test_after_a_reload_the_same_file_chosen_again_carries_on_where_it_stopped(
    call_browser: Browser,  # noqa: F811
    live_server: LiveServer,
    tmp_path: Path,
) -> None:
    photo = tmp_path / "bruise.png"
    body = big_png(2)
    photo.write_bytes(body)
    appointment_id = appointment_starting_soon(live_server)
    with two_people(call_browser, phone=True) as (caller, officer):
        caller_waits(caller, live_server, appointment_id)
        officer_admits(officer, live_server, appointment_id)
        both_see_each_other(caller, officer)
        # The first page sent half, then the connection and the page were lost.
        slot = caller.locator("[data-evidence-upload]")
        csrf = slot.get_attribute("data-csrf") or ""
        tus = {"Tus-Resumable": "1.0.0", "X-CSRF-Token": csrf}
        created = caller.request.post(
            f"{live_server.url}/tus/appointments/{appointment_id}",
            headers={
                **tus,
                "Upload-Length": str(len(body)),
                "Upload-Metadata": "filename " + base64.b64encode(b"bruise.png").decode(),
            },
        )
        assert created.status == 201
        url = live_server.url + created.headers["location"]
        half = len(body) // 2
        patched = caller.request.patch(
            url,
            headers={
                **tus,
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
            },
            data=body[:half],
        )
        assert patched.status == 204
        caller.reload()
        caller.get_by_label("Choose files to send").set_input_files(str(photo))
        expect(caller.locator("[data-evidence-files] li").get_by_text("Sent")).to_be_visible(
            timeout=30000
        )
        expect(
            officer.locator("[data-evidence-item]").filter(has_text="bruise.png")
        ).to_be_visible()
    db = database_of(live_server)
    try:
        with db.sessions() as session:
            items = session.scalars(
                select(EvidenceItem).where(EvidenceItem.appointment_id == appointment_id)
            ).all()
            # One item: the upload resumed at its address rather than starting again.
            assert [(i.upload_id, i.state) for i in items] == [(url.rsplit("/", 1)[1], "received")]
            assert items[0].sha256 == hashlib.sha256(body).hexdigest()
    finally:
        db.dispose()
