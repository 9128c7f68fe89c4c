"""The checklist is data: the bundled DASH file, a force's own file, and clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from videoresponse.cli import app as cli_app
from videoresponse.risk.checklist import (
    SAFETY_IDS,
    ChecklistError,
    checklist_from_mapping,
    find_checklist,
    load_checklist,
    parse_checklist,
)
from videoresponse.risk.rules import Escalation, Thresholds

BUNDLED = Path(__file__).resolve().parents[2] / "src/videoresponse/risk/data/dash-2009.toml"


def _default_data() -> dict[str, Any]:
    return tomllib.loads(BUNDLED.read_text())


def _check(data: dict[str, Any]) -> None:
    checklist_from_mapping(data, source="force.toml", sha256="0" * 64)


def test_the_default_checklist_has_the_dash_structure() -> None:
    checklist = load_checklist()

    assert checklist.key == ("dash", "2009.1")
    assert len(checklist.questions) == 27
    assert checklist.thresholds == Thresholds(medium=10, high=14)
    assert checklist.escalation == Escalation(incidents=3, months=12)
    assert checklist.repeat_referral_months == 12
    assert tuple(q.id for q in checklist.safety) == SAFETY_IDS
    ids = [q.id for q in checklist.questions]
    assert ids[0] == "current_injury"
    assert {"strangulation", "threats_to_kill", "separation", "pregnancy"} <= {
        q.id for q in checklist.questions if q.high_risk_factor
    }
    assert not checklist.question("current_injury").high_risk_factor


def test_a_force_file_is_loaded_and_changes_are_seen(tmp_path: Path) -> None:
    data = BUNDLED.read_text().replace('version = "2009.1"', 'version = "force-2"')
    path = tmp_path / "force.toml"
    path.write_text(data)
    first = load_checklist(path)
    path.write_text(data.replace("high = 14", "high = 13"))

    second = load_checklist(path)

    assert first.key == ("dash", "force-2")
    assert first.thresholds.high == 14
    assert second.thresholds.high == 13
    assert first.sha256 != second.sha256


def test_an_old_bundled_version_is_found_while_a_force_file_is_in_use(tmp_path: Path) -> None:
    path = tmp_path / "force.toml"
    path.write_text(BUNDLED.read_text().replace('version = "2009.1"', 'version = "force-2"'))
    current = load_checklist(path)

    assert find_checklist("dash", "force-2", current) is current
    assert find_checklist("dash", "2009.1", current) == load_checklist()
    assert find_checklist("dara", "1", current) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("thresholds"), "'thresholds' is missing"),
        (lambda d: d.update(colour="blue"), "unknown field 'colour'"),
        (lambda d: d.update(version=""), "'version' must be non-empty text"),
        (lambda d: d["questions"].append(dict(d["questions"][0])), "used twice"),
        (lambda d: d["questions"][1].update(id="Very Frightened"), "lower-case"),
        (lambda d: d["questions"][1].update(high_risk_factor="yes"), "true or false"),
        (lambda d: d["questions"][2].pop("text"), "questions 3: 'text' is missing"),
        (lambda d: d["questions"][2].update(text=" "), "questions 3: 'text' must be"),
        (lambda d: d["thresholds"].update(high=28), "only 27 questions"),
        (lambda d: d["thresholds"].update(medium=14), "medium < high"),
        (lambda d: d["thresholds"].update(medium=0), "'medium' must be a whole number"),
        (lambda d: d["marac"].update(escalation_incidents=0), "'escalation_incidents'"),
        (lambda d: d["marac"].update(window=3), "unknown field 'window'"),
        (lambda d: d["safety"].reverse(), "in that order"),
        (lambda d: d.update(questions=[]), "at least one question"),
    ],
)
def test_a_wrong_file_gets_a_message_naming_the_field(change: Any, message: str) -> None:
    data = _default_data()
    change(data)

    with pytest.raises(ChecklistError, match=message):
        _check(data)


def test_a_file_that_is_not_toml_or_not_utf8_is_refused() -> None:
    with pytest.raises(ChecklistError, match="not valid TOML"):
        parse_checklist(b"id = ", source="force.toml")
    with pytest.raises(ChecklistError, match="UTF-8"):
        parse_checklist("id = 'é'".encode("latin-1"), source="force.toml")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ChecklistError, match=r"Cannot read the checklist file .*nope\.toml"):
        load_checklist(tmp_path / "nope.toml")


def test_the_cli_checks_a_file(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(cli_app, ["risk", "check-file", str(BUNDLED)])
    bad_path = tmp_path / "bad.toml"
    bad_path.write_text(BUNDLED.read_text().replace("high = 14", "high = 40"))
    bad = runner.invoke(cli_app, ["risk", "check-file", str(bad_path)])

    assert good.exit_code == 0, good.output
    assert "27 questions" in good.output
    assert "The file is fine" in good.output
    assert bad.exit_code == 1
    assert "only 27 questions" in bad.output
