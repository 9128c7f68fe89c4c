"""The countersignature prints the signed-in officer's own name and number, not typing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.unit.statements.conftest import Sides
from videoresponse.cli import app
from videoresponse.config import get_settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth import service as accounts
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.auth.rules import AccountError
from videoresponse.core.db import Database
from videoresponse.statements.models import StatementSignature


def _signed(sides: Sides) -> tuple[object, object]:
    sides.officer.get(sides.api)
    sides.save(0, "I saw a man break the window.")
    made = sides.present()
    assert sides.sign(made["version"], made["sha256"]).status_code == 200  # type: ignore[attr-defined]
    return made["version"], made["sha256"]


def _countersign(sides: Sides, version: object, sha256: object, **body: object) -> object:
    return sides.officer.post(
        f"{sides.api}/versions/{version}/countersign", json={"sha256": sha256, **body}
    )


def _pdf_text(sides: Sides, version: object) -> str:
    url = f"/statements/{sides.call.appointment_id}/versions/{version}/pdf"
    pdf = sides.officer.post(url, data={"why": "Checking the countersignature"}).content
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_the_sealed_pdf_names_the_signed_in_officer_whatever_is_typed(
    sides: Sides, db: Database
) -> None:
    accounts.set_number(db, username=sides.call.officer.username, rank_and_number="PC 1234", by="t")
    version, sha256 = _signed(sides)
    state = sides.officer.get(sides.api).json()
    assert state["officer"] == {"name": sides.call.officer.display_name, "number": "PC 1234"}

    sealed = _countersign(sides, version, sha256, name="Someone Else", officer_number="PC 9999")
    assert sealed.status_code == 200, sealed.text  # type: ignore[attr-defined]
    with db.sessions() as session:
        officer = session.scalars(
            select(StatementSignature).where(StatementSignature.kind == "officer")
        ).one()
    assert (officer.name, officer.officer_number) == (sides.call.officer.display_name, "PC 1234")
    text = _pdf_text(sides, version)
    assert sides.call.officer.display_name in text and "PC 1234" in text
    assert "Someone Else" not in text and "PC 9999" not in text


def test_an_officer_without_a_number_gives_it_once_and_it_is_kept(
    sides: Sides, db: Database
) -> None:
    version, sha256 = _signed(sides)
    assert sides.officer.get(sides.api).json()["officer"]["number"] == ""
    missing = _countersign(sides, version, sha256)
    assert missing.status_code == 422  # type: ignore[attr-defined]
    assert "rank and number" in missing.json()["detail"]  # type: ignore[attr-defined]
    bad = _countersign(sides, version, sha256, officer_number="PC 1\x002")
    assert bad.status_code == 422  # type: ignore[attr-defined]

    done = _countersign(sides, version, sha256, officer_number="  PC   4417 ")
    assert done.status_code == 200, done.text  # type: ignore[attr-defined]
    with db.sessions() as session:
        user = session.get_one(StaffUser, sides.call.officer.id)
        assert user.rank_and_number == "PC 4417"
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.event == "account.number_set")
        ).one()
    assert (entry.object_id, entry.actor) == (str(user.id), sides.call.officer.actor)
    assert sides.officer.get(sides.api).json()["officer"]["number"] == "PC 4417"
    assert "PC 4417" in _pdf_text(sides, version)


def test_a_number_is_one_short_printable_line(db: Database) -> None:
    for bad in ("", "   ", "x" * 41, "PC\u00001"):
        with pytest.raises(AccountError):
            accounts.check_rank_and_number(bad)
    assert accounts.check_rank_and_number(" Sgt  812 ") == "Sgt 812"
    with pytest.raises(AccountError, match="no account"):
        accounts.set_number(db, username="nobody", rank_and_number="PC 1", by="t")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VIDEORESPONSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VIDEORESPONSE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_the_command_sets_numbers_and_the_demo_officers_have_them(data_dir: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    added = runner.invoke(
        app,
        [
            *("users", "add", "pc7", "--role", "video_officer", "--name", "PC Seven"),
            *("--number", "PC 7007", "--password", "a long enough password"),
        ],
    )
    assert added.exit_code == 0, added.output
    changed = runner.invoke(app, ["users", "set-number", "pc7", "PC 7070"])
    assert changed.exit_code == 0 and "PC 7070" in changed.output
    refused = runner.invoke(app, ["users", "set-number", "nobody", "PC 1"])
    assert refused.exit_code == 1 and "no account called nobody" in refused.output
    assert runner.invoke(app, ["demo"]).exit_code == 0
    db = Database(get_settings().database_url)
    with db.sessions() as session:
        rows = session.execute(select(StaffUser.username, StaffUser.rank_and_number)).all()
        numbers = {username: number for username, number in rows}
        events = list(
            session.scalars(select(AuditEntry.event).where(AuditEntry.object_type == "staff_user"))
        )
    assert numbers["pc7"] == "PC 7070"
    assert all(numbers[u] for u in ("officer1", "officer2", "supervisor"))
    assert events.count("account.number_set") == 1
