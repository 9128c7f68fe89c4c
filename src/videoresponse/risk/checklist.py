"""Risk checklists as data: a force's own TOML file, or the bundled DASH (2009) one.

A checklist is versioned (`id` and `version` are stored with every assessment) and is
checked when loaded, so a mistake in a force's file is a clear message naming the field,
not a broken form in the middle of a call.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from videoresponse.risk.rules import Escalation, RiskRuleError, Thresholds

BUNDLED: Final = ("dash-2009.toml",)
DEFAULT: Final = BUNDLED[0]
_DATA = "videoresponse.risk.data"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# The safety questions the form knows by name, asked in this order: the first stops
# everything when the answer is no.
SAFE_TO_TALK: Final = "safe_to_talk"
SAFETY_IDS: Final = (
    SAFE_TO_TALK,
    "perpetrator_whereabouts",
    "children_whereabouts",
    "safe_contact",
)


class ChecklistError(ValueError):
    """The checklist file cannot be used; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    help: str = ""
    high_risk_factor: bool = False


@dataclass(frozen=True, slots=True)
class Checklist:
    id: str
    version: str
    title: str
    source: str
    safety: tuple[Question, ...]
    questions: tuple[Question, ...]
    thresholds: Thresholds
    escalation: Escalation
    repeat_referral_months: int
    # SHA-256 of the file as read: shows whether a file was edited without a new version.
    sha256: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.version)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


def _take(table: Mapping[str, Any], where: str, allowed: set[str], required: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ChecklistError(f"{where}: unknown field {unknown[0]!r}")
    missing = sorted(required - set(table))
    if missing:
        raise ChecklistError(f"{where}: {missing[0]!r} is missing")


def _text(table: Mapping[str, Any], name: str, where: str, *, optional: bool = False) -> str:
    value = table.get(name, "")
    if not isinstance(value, str) or (not optional and not value.strip()):
        raise ChecklistError(f"{where}: {name!r} must be {'' if optional else 'non-empty '}text")
    return value.strip()


def _whole(table: Mapping[str, Any], name: str, where: str, default: int) -> int:
    value = table.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ChecklistError(f"{where}: {name!r} must be a whole number, 1 or more")
    return value


def _questions(items: Any, where: str) -> tuple[Question, ...]:
    if not isinstance(items, list) or not items:
        raise ChecklistError(f"{where}: give at least one question as [[{where}]]")
    made: list[Question] = []
    for number, item in enumerate(items, start=1):
        at = f"{where} {number}"
        if not isinstance(item, dict):
            raise ChecklistError(f"{at}: must be a table")
        _take(item, at, {"id", "text", "help", "high_risk_factor"}, {"id", "text"})
        question_id = item["id"]
        if not isinstance(question_id, str) or not _ID.match(question_id):
            raise ChecklistError(f"{at}: 'id' must be lower-case letters, digits, - or _")
        if any(q.id == question_id for q in made):
            raise ChecklistError(f"{at}: the id {question_id!r} is used twice")
        risk_factor = item.get("high_risk_factor", False)
        if not isinstance(risk_factor, bool):
            raise ChecklistError(f"{at}: 'high_risk_factor' must be true or false")
        made.append(
            Question(
                question_id,
                _text(item, "text", at),
                _text(item, "help", at, optional=True),
                risk_factor,
            )
        )
    return tuple(made)


def checklist_from_mapping(data: Mapping[str, Any], *, source: str, sha256: str) -> Checklist:
    """Check a parsed file and build the checklist; ChecklistError says what is wrong."""
    try:
        _take(
            data,
            source,
            {"id", "version", "title", "source", "safety", "questions", "thresholds", "marac"},
            {"id", "version", "title", "safety", "questions", "thresholds"},
        )
        checklist_id = _text(data, "id", source)
        if not _ID.match(checklist_id):
            raise ChecklistError(f"{source}: 'id' must be lower-case letters, digits, - or _")
        safety = _questions(data["safety"], "safety")
        if tuple(q.id for q in safety) != SAFETY_IDS:
            raise ChecklistError(
                f"safety: the questions must be {', '.join(SAFETY_IDS)}, in that order "
                "(the form stops after the first if it is not safe to talk)"
            )
        questions = _questions(data["questions"], "questions")
        thresholds_table = data["thresholds"]
        if not isinstance(thresholds_table, dict):
            raise ChecklistError("thresholds: must be a table")
        _take(thresholds_table, "thresholds", {"medium", "high"}, {"medium", "high"})
        thresholds = Thresholds(
            _whole(thresholds_table, "medium", "thresholds", 10),
            _whole(thresholds_table, "high", "thresholds", 14),
        )
        if thresholds.high > len(questions):
            raise ChecklistError(
                f"thresholds: 'high' is {thresholds.high} but there are only "
                f"{len(questions)} questions"
            )
        marac = data.get("marac", {})
        if not isinstance(marac, dict):
            raise ChecklistError("marac: must be a table")
        _take(
            marac,
            "marac",
            {"escalation_incidents", "escalation_window_months", "repeat_referral_months"},
            set(),
        )
        return Checklist(
            id=checklist_id,
            version=_text(data, "version", source),
            title=_text(data, "title", source),
            source=_text(data, "source", source, optional=True),
            safety=safety,
            questions=questions,
            thresholds=thresholds,
            escalation=Escalation(
                _whole(marac, "escalation_incidents", "marac", 3),
                _whole(marac, "escalation_window_months", "marac", 12),
            ),
            repeat_referral_months=_whole(marac, "repeat_referral_months", "marac", 12),
            sha256=sha256,
        )
    except RiskRuleError as error:
        raise ChecklistError(f"{source}: {error}") from None


def parse_checklist(raw: bytes, *, source: str) -> Checklist:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ChecklistError(f"{source} must be saved as UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise ChecklistError(f"{source} is not valid TOML: {error}") from None
    return checklist_from_mapping(data, source=source, sha256=hashlib.sha256(raw).hexdigest())


def load_checklist(path: Path | None = None) -> Checklist:
    """The checklist in `path`, or the bundled default; checked."""
    if path is None:
        return _bundled(DEFAULT)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ChecklistError(f"Cannot read the checklist file {path}: {error.strerror}") from None
    return _parse_file(raw, str(path))


@cache
def _parse_file(raw: bytes, source: str) -> Checklist:
    # Keyed by the content: an edited file is checked again, an unchanged one is not.
    return parse_checklist(raw, source=source)


@cache
def _bundled(name: str) -> Checklist:
    raw = resources.files(_DATA).joinpath(name).read_bytes()
    return parse_checklist(raw, source=name)


def find_checklist(checklist_id: str, version: str, current: Checklist) -> Checklist | None:
    """The checklist an assessment was made with: the one in use, or a bundled one."""
    if current.key == (checklist_id, version):
        return current
    for name in BUNDLED:
        bundled = _bundled(name)
        if bundled.key == (checklist_id, version):
            return bundled
    return None
