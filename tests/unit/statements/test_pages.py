"""The statement's parts of the call pages: included, no inline code, no browser storage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.unit.statements.conftest import Sides
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
