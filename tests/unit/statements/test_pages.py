"""The statement's parts of the call pages: included, no inline code, no browser storage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import make_staff, sign_in
from tests.unit.statements.conftest import Sides, browser
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database
from videoresponse.core.web import STATIC_DIR

SCRIPTS = sorted((STATIC_DIR / "statements").glob("*.js"))


def test_the_call_pages_carry_the_statement_panels_without_inline_code(sides: Sides) -> None:
    officer_page = sides.officer.get(f"/officer/calls/{sides.call.appointment_id}")
    assert 'src="/static/statements/officer_drafting.js"' in officer_page.text
    assert "Restricted: not shown to the witness" in officer_page.text
    caller_page = sides.witness.get("/appointment/call")
    assert caller_page.status_code == 200
    assert 'src="/static/statements/caller_review.js"' in caller_page.text
    assert "Restricted" not in caller_page.text
    for page in (officer_page, caller_page):
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)
        assert " style=" not in page.text and "<style" not in page.text


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_the_statement_scripts_leave_no_trace_in_the_browser(script: Path) -> None:
    code = script.read_text()
    for api in ("localStorage", "sessionStorage", "indexedDB", "document.cookie", "caches."):
        assert api not in code, f"{script.name} uses {api}"


def test_the_appointment_page_links_to_the_statement_with_its_state(
    sides: Sides, client: TestClient, db: Database
) -> None:
    appointment_id = sides.call.appointment_id
    summary = f"/api/statements/{appointment_id}/summary"
    assert sides.officer.get(summary).json()["state"] == "none"
    sides.officer.get(sides.api)
    assert sides.officer.get(summary).json()["state"] == "draft"
    sides.save(0, "I saw a man.")
    made = sides.present()
    assert "waiting for the witness" in sides.officer.get(summary).json()["text"]
    sides.sign(made["version"], made["sha256"])
    sides.countersign(made["version"], made["sha256"])
    assert sides.officer.get(summary).json() == {
        "state": "signed",
        "text": "version 1 signed, countersigned and sealed",
    }
    with browser(client) as supervisor:
        sign_in(supervisor, make_staff(db, Role.SUPERVISOR))
        page = supervisor.get(f"/supervisor/appointments/{appointment_id}")
        assert page.status_code == 200
        assert f'href="/statements/{appointment_id}"' in page.text
        assert 'src="/static/statements/appointment_link.js"' in page.text
        assert supervisor.get(summary).status_code == 200
    with browser(client) as stranger:
        sign_in(stranger, make_staff(db, Role.VIDEO_OFFICER))
        assert stranger.get(summary).status_code == 403
    with browser(client) as handler:
        sign_in(handler, make_staff(db, Role.CALL_HANDLER))
        assert handler.get(summary).status_code == 403
