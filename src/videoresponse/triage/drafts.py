"""An incident as the call handler typed it, and every problem with it at once.

The triage rules raise at the first broken rule; a form must list every problem in its
error summary (GOV.UK error summary pattern). So each field is checked here with the
per-field rule functions, and the rule constructors (``new_person``, ``new_safe_contact``,
``ThriveAssessment``) then build the checked values as the final word. Pure: no I/O.

Error keys are form field names: ``urn``, ``called_at``, ``<dimension>_level``,
``people-<i>-<rule field>``, ``people-<i>-safe_windows-<j>-start`` and so on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from videoresponse.booking.rules import deadline_for
from videoresponse.triage.draft_errors import DraftErrors, DuplicateUrn, Problems
from videoresponse.triage.person_drafts import (
    SAFE_DAYS,
    CheckedPerson,
    PersonDraft,
    SafeContactDraft,
    SafeTimeDraft,
    check_person_draft,
    parse_clock,
)
from videoresponse.triage.rules import (
    Grade,
    GradeDecision,
    IncidentType,
    PriorityBand,
    PriorityBandDecision,
    SuitabilityDecision,
    SuitabilityFlag,
    ThriveAssessment,
    ThriveDimension,
    ThriveLevel,
    ThriveScore,
    assess_suitability,
    decide_grade,
    decide_priority_band,
    incident_type_by_code,
    suggest_grade,
    suggest_priority_band,
)

__all__ = [
    "REASON_MAX_LENGTH",
    "SAFE_DAYS",
    "CheckedIncident",
    "CheckedPerson",
    "DraftErrors",
    "DuplicateUrn",
    "IncidentDraft",
    "PersonDraft",
    "SafeContactDraft",
    "SafeTimeDraft",
    "ScoreDraft",
    "check_draft",
    "normalise_urn",
    "parse_clock",
    "suggest",
]

URN_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9/\-]{2,39}")
SUMMARY_MAX_LENGTH = 4000
REASON_MAX_LENGTH = 2000
# A call is recorded while it happens or soon after; a time further back is far more
# likely a typo in the year or month than a late record, and would give a past deadline.
CALL_AGE_LIMIT = timedelta(days=7)
# Clocks on the handler's PC and the server may differ by a little.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class ScoreDraft:
    level: str = ""
    rationale: str = ""


@dataclass
class IncidentDraft:
    """What the call handler typed; ``check_draft`` turns it into a ``CheckedIncident``."""

    urn: str = ""
    incident_type: str = ""
    summary: str = ""
    called_at: datetime | None = None
    people: list[PersonDraft] = field(default_factory=list)
    thrive: dict[str, ScoreDraft] = field(default_factory=dict)
    grade: int | None = None
    grade_reason: str = ""
    priority_band: str = ""
    priority_band_reason: str = ""
    suitability_flags: list[str] = field(default_factory=list)
    judged_unsuitable: bool = False
    suitability_reason: str = ""


@dataclass(frozen=True)
class CheckedIncident:
    urn: str
    incident_type: IncidentType
    summary: str
    called_at: datetime
    people: list[CheckedPerson]
    thrive: ThriveAssessment
    grade: GradeDecision
    priority_band: PriorityBandDecision
    deadline: datetime
    suitability: SuitabilityDecision


def normalise_urn(raw: str) -> str:
    """Upper case without spaces: "01/123456/26" and "01/123456/26 " are one URN."""
    return "".join(raw.split()).upper()


def check_draft(
    draft: IncidentDraft,
    *,
    incident_types: tuple[IncidentType, ...],
    band_hours: Mapping[PriorityBand, timedelta],
    now: datetime,
    timezone: str,
) -> CheckedIncident:
    """The draft checked against every triage rule, or ``DraftErrors`` listing every problem."""
    errors = Problems()
    urn = normalise_urn(draft.urn)
    if not urn:
        errors.add("urn", "Enter the incident's URN (force reference)")
    elif not URN_PATTERN.fullmatch(urn):
        errors.add(
            "urn", "URN must be 3 to 40 letters, numbers, slashes or hyphens, like 01/123456/26"
        )
    incident_type = errors.check(
        "", lambda: incident_type_by_code(draft.incident_type, incident_types)
    )
    summary = draft.summary.strip()
    if not summary:
        errors.add("summary", "Enter a short summary of what was reported")
    elif len(summary) > SUMMARY_MAX_LENGTH:
        errors.add("summary", f"Summary must be {SUMMARY_MAX_LENGTH} characters or fewer")
    called_at = _check_called_at(draft.called_at, now, errors)
    today = now.astimezone(ZoneInfo(timezone)).date()
    people = [
        check_person_draft(draft_person, f"people-{index}-", incident_type, today, timezone, errors)
        for index, draft_person in enumerate(draft.people)
    ]
    if not draft.people:
        errors.add("people-0-name", "Enter the details of the victim or witness")
    thrive = _check_thrive(draft.thrive, errors)
    grade = band = None
    chosen_grade = _grade(draft.grade)
    if chosen_grade is None:
        errors.add("grade", "Select the grade")
    chosen_band = _band(draft.priority_band)
    if chosen_band is None:
        errors.add("priority_band", "Select the priority band")
    for key in ("grade_reason", "priority_band_reason", "suitability_reason"):
        if len(getattr(draft, key).strip()) > REASON_MAX_LENGTH:
            errors.add(key, f"Reason must be {REASON_MAX_LENGTH} characters or fewer")
    if thrive is not None and chosen_grade is not None:
        grade = errors.check("", lambda: decide_grade(thrive, chosen_grade, draft.grade_reason))
    if thrive is not None and chosen_band is not None:
        band = errors.check(
            "", lambda: decide_priority_band(thrive, chosen_band, draft.priority_band_reason)
        )
    suitability = _check_suitability(draft, errors)
    if errors.found:
        raise DraftErrors(errors.found)
    # Every None above added an error, so none is left here; the asserts tell mypy so.
    assert incident_type and called_at and thrive and grade and band and suitability
    return CheckedIncident(
        urn=urn,
        incident_type=incident_type,
        summary=summary,
        called_at=called_at,
        people=[p for p in people if p is not None],
        thrive=thrive,
        grade=grade,
        priority_band=band,
        deadline=deadline_for(band.chosen, called_at, band_hours),
        suitability=suitability,
    )


def suggest(draft: IncidentDraft) -> tuple[Grade, PriorityBand] | None:
    """The grade and band THRIVE suggests, once all six levels are chosen."""
    levels = {}
    for dimension in ThriveDimension:
        score = draft.thrive.get(dimension.value)
        if score is None or score.level not in set(ThriveLevel):
            return None
        # The suggestion reads only the levels; a rationale may still be missing here.
        levels[dimension] = ThriveScore(ThriveLevel(score.level), "suggestion")
    thrive = ThriveAssessment.from_scores(levels)
    return suggest_grade(thrive), suggest_priority_band(thrive)


def _check_called_at(
    called_at: datetime | None, now: datetime, errors: Problems
) -> datetime | None:
    if called_at is None:
        errors.add("called_at", "Enter the date and time of the call")
        return None
    if called_at.utcoffset() is None:
        raise ValueError("called_at must be timezone-aware")
    if called_at > now + CLOCK_SKEW:
        errors.add("called_at", "Time of the call must be in the past")
        return None
    if called_at < now - CALL_AGE_LIMIT:
        errors.add("called_at", "Time of the call must be within the last 7 days")
        return None
    return called_at


def _grade(value: int | None) -> Grade | None:
    return Grade(value) if value in set(Grade) else None


def _band(value: str) -> PriorityBand | None:
    return PriorityBand(value) if value in set(PriorityBand) else None


def _check_thrive(scores: Mapping[str, ScoreDraft], errors: Problems) -> ThriveAssessment | None:
    checked: dict[ThriveDimension, ThriveScore] = {}
    for dimension in ThriveDimension:
        score = scores.get(dimension.value, ScoreDraft())
        if score.level not in set(ThriveLevel):
            errors.add(f"{dimension}_level", f"Select low, medium or high for {dimension}")
        if not score.rationale.strip():
            errors.add(f"{dimension}_rationale", f"Enter the reason for the {dimension} score")
        elif len(score.rationale.strip()) > REASON_MAX_LENGTH:
            errors.add(
                f"{dimension}_rationale", f"Reason must be {REASON_MAX_LENGTH} characters or fewer"
            )
        elif score.level in set(ThriveLevel):
            checked[dimension] = ThriveScore(ThriveLevel(score.level), score.rationale)
    if len(checked) < len(ThriveDimension):
        return None
    return errors.check("", lambda: ThriveAssessment.from_scores(checked))


def _check_suitability(draft: IncidentDraft, errors: Problems) -> SuitabilityDecision | None:
    known = {flag.value for flag in SuitabilityFlag}
    if any(flag not in known for flag in draft.suitability_flags):
        errors.add("suitability_flags", "Select only the reasons listed")
        return None
    flags = [SuitabilityFlag(flag) for flag in draft.suitability_flags]
    return errors.check(
        "",
        lambda: assess_suitability(
            flags, draft.suitability_reason, handler_judged_unsuitable=draft.judged_unsuitable
        ),
    )
