"""Changes asked for in the call: the officer's panel keeps each one with the statement."""

from __future__ import annotations

from sqlalchemy import select

from tests.unit.statements.conftest import Sides
from videoresponse.core.audit import AuditEntry
from videoresponse.core.db import Database, utcnow


def test_a_correction_received_is_kept_once_marked_done_and_shown_in_the_history(
    sides: Sides, db: Database
) -> None:
    sides.officer.get(sides.api)
    asked = {
        "from_role": "caller",
        "text": "It was a Tuesday, not a Monday.",
        "at": utcnow().isoformat(),
    }
    kept = sides.officer.post(f"{sides.api}/corrections", json=asked)
    assert kept.status_code == 201, kept.text
    again = sides.officer.post(f"{sides.api}/corrections", json=asked)  # another tab
    assert again.json()["id"] == kept.json()["id"]
    assert kept.json()["from"] == "The witness" and kept.json()["done_at"] is None

    state = sides.officer.get(sides.api).json()
    assert [c["text"] for c in state["corrections"]] == ["It was a Tuesday, not a Monday."]
    done = sides.officer.post(f"{sides.api}/corrections/{kept.json()['id']}/done")
    assert done.status_code == 200 and done.json()["done_at"]

    page = sides.officer.get(f"/statements/{sides.call.appointment_id}").text
    assert "Changes asked for in the call" in page
    assert "The witness asked at" in page and "It was a Tuesday, not a Monday." in page
    assert "Marked done by" in page
    with db.sessions() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.event.like("statement.correction_%"))
        ).all()
    assert [e.event for e in entries] == [
        "statement.correction_received",
        "statement.correction_done",
    ]
    assert all("Tuesday" not in str(e.detail) for e in entries)


def test_corrections_are_kept_only_by_the_appointments_officer_and_with_sense(
    sides: Sides,
) -> None:
    sides.officer.get(sides.api)
    now = utcnow().isoformat()
    for bad in (
        {"from_role": "officer", "text": "x", "at": now},
        {"from_role": "caller", "text": "   ", "at": now},
        {"from_role": "caller", "text": "x" * 501, "at": now},
        {"from_role": "caller", "text": "x", "at": "2999-01-01T00:00:00+00:00"},
    ):
        assert sides.officer.post(f"{sides.api}/corrections", json=bad).status_code == 422, bad
    asked = {"from_role": "caller", "text": "Add the red car.", "at": now}
    assert sides.witness.post(f"{sides.api}/corrections", json=asked).status_code == 401
    assert sides.officer.post(f"{sides.api}/corrections/999/done").status_code == 404
