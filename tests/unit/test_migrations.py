"""`videoresponse migrate` upgrades a database that already holds data, losing none."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from videoresponse.migrations import current_and_head, upgrade


def test_upgrading_from_the_first_schema_keeps_every_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0002")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO staff_user (id, username, display_name, role, password_hash, active, "
                "failed_sign_ins, created_at) VALUES (1, 'h', 'H', 'call_handler', 'x', 1, 0, "
                "'2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO incident (id, urn, incident_type, summary, called_at, grade, "
                "grade_reason, priority_band, priority_band_reason, deadline, suitable_for_video, "
                "suitability_flags, suitability_reason, created_by, created_at) VALUES (1, 'U1', "
                "'theft', 's', '2026-01-01 00:00:00', 3, '', 'P3', '', '2026-01-08 00:00:00', 1, "
                "'[]', '', 1, '2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO person (id, incident_id, role, name, language, interpreter_needed, "
                "accessibility_needs) VALUES (1, 1, 'victim', 'Alex', 'English', 0, '')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO safe_contact (person_id, may_text, may_call, may_leave_voicemail, "
                "may_mention_police, code_word, words_never_to_use, timezone) VALUES "
                "(1, 1, 0, 0, 0, 'Rainbow', '[]', 'Europe/London')"
            )
        )
    upgrade(url)
    current, head = current_and_head(url)
    assert current == head
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT code_word, wants_reminders, may_add_to_calendar FROM safe_contact")
        ).one()
        assert tuple(row) == ("Rainbow", 0, 0)
        assert connection.execute(text("SELECT urn FROM incident")).scalar_one() == "U1"
    engine.dispose()
