"""The case evidence page in Chromium: an officer adds a file with a progress bar (the
shared upload module), and the export form; at desktop and phone widths."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from tests.e2e.conftest import LiveServer
from tests.e2e.test_call_flow import SCREENSHOTS, appointment_starting_soon, database_of
from tests.e2e.test_sign_in import sign_in
from tests.integration.test_evidence_uploads import photo as png_photo
from videoresponse.booking.models import Appointment
from videoresponse.evidence.models import EvidenceItem

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1024, 360])
def test_an_officer_adds_a_file_on_the_case_page_and_sees_the_export_form(
    browser: Browser, live_server: LiveServer, tmp_path: Path, width: int
) -> None:
    appointment_id = appointment_starting_soon(live_server)
    db = database_of(live_server)
    try:
        with db.sessions() as session:
            incident_id = session.get_one(Appointment, appointment_id).incident_id
    finally:
        db.dispose()
    photo = tmp_path / f"scene-{width}.png"
    photo.write_bytes(png_photo(width, side=400))
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, live_server, "officer1")
        page.goto(f"{live_server.url}/cases/{incident_id}/evidence")
        page.get_by_label("Choose files").set_input_files(str(photo))
        row = page.locator("[data-evidence-files] li").filter(has_text=photo.name)
        expect(row.locator("progress")).to_be_visible()
        expect(row.get_by_text("Sent")).to_be_visible(timeout=30000)
        page.reload()
        expect(page.get_by_role("link", name=photo.name)).to_be_visible()
        expect(page.get_by_role("button", name="Export case bundle")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / f"evidence_case_page_{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
    db = database_of(live_server)
    try:
        with db.sessions() as session:
            item = session.scalars(
                select(EvidenceItem).where(EvidenceItem.original_name == photo.name)
            ).one()
        assert item.state == "received" and item.uploaded_by.startswith("staff:")
    finally:
        db.dispose()
