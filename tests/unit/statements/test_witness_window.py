"""The witness's statement routes open with the appointment, like the call and evidence."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.unit.calls.support import (
    caller_cookie,
    connect,
    quiet,
    receive,
    receive_type,
    staff_cookie,
    staff_token,
)
from tests.unit.statements.conftest import Sides
from tests.unit.statements.support import data_url, png
from videoresponse.booking.models import Appointment
from videoresponse.core.db import Database, utcnow
from videoresponse.statements.routes import SIGN_ATTEMPTS_PER_MINUTE
from videoresponse.triage.models import SafeContactRow


def _presented(sides: Sides) -> tuple[object, object]:
    sides.officer.get(sides.api)
    sides.save(0, "I saw a man break the window.")
    made = sides.present()
    return made["version"], made["sha256"]


def _move(db: Database, sides: Sides, **values: object) -> None:
    with db.transaction() as session:
        appointment = session.get_one(Appointment, sides.call.appointment_id)
        for name, value in values.items():
            setattr(appointment, name, value)


def test_the_witness_cannot_read_or_sign_outside_their_appointment(
    sides: Sides, db: Database
) -> None:
    version, sha256 = _presented(sides)
    now = utcnow()
    for starts_at, ends_at in (
        (now + timedelta(days=2), now + timedelta(days=2, hours=1)),
        (now - timedelta(hours=2), now - timedelta(hours=1)),
    ):
        _move(db, sides, starts_at=starts_at, ends_at=ends_at)
        read = sides.witness.get("/api/appointment/statement")
        assert read.status_code == 403
        assert "during your appointment" in read.json()["detail"]
        assert sides.sign(version, sha256).status_code == 403  # type: ignore[attr-defined]
    _move(db, sides, starts_at=now + timedelta(minutes=5), ends_at=now + timedelta(hours=1))
    assert sides.witness.get("/api/appointment/statement").status_code == 200
    assert sides.sign(version, sha256).status_code == 200  # type: ignore[attr-defined]


def test_the_copy_is_there_until_the_appointment_ends_and_not_after(
    sides: Sides, db: Database
) -> None:
    version, sha256 = _presented(sides)
    sides.sign(version, sha256)
    assert sides.countersign(version, sha256).status_code == 200  # type: ignore[attr-defined]
    with db.transaction() as session:
        person_id = session.get_one(Appointment, sides.call.appointment_id).person_id
        session.add(SafeContactRow(person_id=person_id, may_download_copy=True))
    now = utcnow()
    _move(db, sides, starts_at=now - timedelta(minutes=50), ends_at=now + timedelta(seconds=30))
    assert sides.witness.get("/appointment/statement/copy").status_code == 200
    _move(db, sides, ends_at=now - timedelta(seconds=1))
    assert sides.witness.get("/appointment/statement/copy").status_code == 403


def test_signing_again_and_again_is_slowed_with_a_clear_message(sides: Sides) -> None:
    version, sha256 = _presented(sides)
    blank = data_url(png(ink=False))
    for _ in range(SIGN_ATTEMPTS_PER_MINUTE):
        tried = sides.sign(version, sha256, signature=blank)
        assert tried.status_code == 422  # type: ignore[attr-defined]
    refused = sides.sign(version, sha256)
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert "Wait a minute" in refused.json()["detail"]  # type: ignore[attr-defined]


def test_the_copy_link_reaches_the_witness_in_the_call_as_soon_as_it_is_sealed(
    client: TestClient, db: Database, sides: Sides
) -> None:
    with db.transaction() as session:
        person_id = session.get_one(Appointment, sides.call.appointment_id).person_id
        session.add(SafeContactRow(person_id=person_id, may_download_copy=True))
    call = sides.call
    with (
        connect(client, call.appointment_id, staff_cookie(staff_token(db, call.officer))) as o,
        connect(client, call.appointment_id, caller_cookie(sides.caller_session)) as ws,
    ):
        receive(o)
        o.send_json({"type": "admit", "peer_id": receive(ws)["peer_id"]})
        receive_type(ws, "admitted")
        version, sha256 = _presented(sides)
        sides.sign(version, sha256)
        signed = [m for m in quiet(ws, 0.5) if m["type"] == "statement"][-1]
        assert signed["signed"]["copy"] is False  # signed, not yet sealed
        assert sides.countersign(version, sha256).status_code == 200  # type: ignore[attr-defined]
        assert receive_type(ws, "statement")["signed"]["copy"] is True
