"""The `videoresponse` command, run as a person would run it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from videoresponse.cli import app
from videoresponse.config import get_settings

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VIDEORESPONSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VIDEORESPONSE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_commands_refuse_to_run_before_migrate(data_dir: Path) -> None:
    result = runner.invoke(app, ["users", "list"])
    assert result.exit_code == 1
    assert "Run `videoresponse migrate` first" in result.output


def test_migrate_then_demo_twice_keeps_the_data(data_dir: Path) -> None:
    assert "upgraded from empty" in runner.invoke(app, ["migrate"]).output
    assert "up to date" in runner.invoke(app, ["migrate"]).output
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0 and "demo-handler-pass" in first.output
    second = runner.invoke(app, ["demo"])
    assert "already there" in second.output
    listing = runner.invoke(app, ["users", "list"]).output
    assert listing.count("officer") >= 2


def test_users_add_disable_and_verify_the_audit_log(data_dir: Path) -> None:
    runner.invoke(app, ["migrate"])
    added = runner.invoke(
        app,
        [
            "users",
            "add",
            "pc99",
            "--role",
            "video_officer",
            "--name",
            "PC Nine",
            "--password",
            "a long enough password",
        ],
    )
    assert added.exit_code == 0, added.output
    assert runner.invoke(app, ["users", "disable", "pc99"]).exit_code == 0
    assert "disabled" in runner.invoke(app, ["users", "list"]).output
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0
    assert "2 entries checked" in verified.output


def test_bad_input_gets_a_message_and_a_non_zero_exit(data_dir: Path) -> None:
    runner.invoke(app, ["migrate"])
    short = runner.invoke(
        app, ["users", "add", "pc1", "--role", "supervisor", "--name", "X", "--password", "short"]
    )
    assert short.exit_code == 1
    assert "at least 12 characters" in short.output
    missing = runner.invoke(app, ["users", "disable", "ghost"])
    assert missing.exit_code == 1
    assert "no account called ghost" in missing.output
    assert runner.invoke(app, ["users", "add", "x", "--role", "nope", "--name", "y"]).exit_code == 2


def test_audit_verify_names_the_first_bad_entry(data_dir: Path) -> None:
    import sqlite3

    runner.invoke(app, ["migrate"])
    runner.invoke(app, ["demo"])
    connection = sqlite3.connect(data_dir / "videoresponse.db")
    connection.execute("DROP TRIGGER audit_entry_no_update")
    connection.execute("UPDATE audit_entry SET actor = 'someone else' WHERE seq = 2")
    connection.commit()
    connection.close()
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "broken at entry 2" in result.output
