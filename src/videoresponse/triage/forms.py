"""The call handler's HTML forms: field names, parsing into drafts, and error order.

Parsing only turns text into values (a GOV.UK date input into a date, a checkbox into a
bool); every triage rule is checked by the service. A field that cannot be parsed at all
gets its own message here ("must be a real date") and reaches the service as missing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData, ImmutableMultiDict

from videoresponse.booking.rules import PriorityBand
from videoresponse.config import Settings
from videoresponse.rota.rules import local_to_utc
from videoresponse.triage.drafts import (
    SAFE_DAYS,
    IncidentDraft,
    PersonDraft,
    SafeContactDraft,
    SafeTimeDraft,
    ScoreDraft,
    parse_clock,
)
from videoresponse.triage.rules import (
    Grade,
    SuitabilityFlag,
    ThriveDimension,
    ThriveLevel,
    incident_types_from_config,
)
from videoresponse.triage.wording import GRADE_HINTS

SAFE_TIME_ROWS = 3
OTHER_REASON = "other"
"""The suitability checkbox for "another reason", given in the reason box."""

_INCIDENT = ["urn", "incident_type", "summary", "called_at"]
_PERSON = [
    "role",
    "name",
    "date_of_birth",
    "mobile",
    "language",
    "interpreter_needed",
    "accessibility_needs",
    "preferred_officer_gender",
    "may_text",
    "may_call",
    "may_leave_voicemail",
    "may_mention_police",
    "wants_reminders",
    "may_add_to_calendar",
    "may_download_copy",
    "safe_windows",
    *[f"safe_windows-{row}-{part}" for row in range(7) for part in ("days", "start", "end")],
    "safe_number",
    "code_word",
    "words_never_to_use",
]
_ASSESSMENT = [
    *[f"{d}_{part}" for d in ThriveDimension for part in ("level", "rationale")],
    "grade",
    "grade_reason",
    "priority_band",
    "priority_band_reason",
    "suitability_flags",
    "suitability_reason",
]
_DATE_FIELDS = ("called_at", "date_of_birth")

Form = ImmutableMultiDict[str, str]


def only_text(form: FormData) -> Form:
    """The form's text fields (this form has no file inputs: anything else is dropped)."""
    return ImmutableMultiDict([(k, v) for k, v in form.multi_items() if isinstance(v, str)])


def person_key(index: int, name: str) -> str:
    return f"people-{index}-{name}"


def error_rank(key: str) -> tuple[int, int, int]:
    """Where a field sits on the page, so that the error summary follows the form."""
    if key in _INCIDENT:
        return (0, 0, _INCIDENT.index(key))
    if key.startswith("people-"):
        _, index, name = key.split("-", 2)
        return (1, int(index), _PERSON.index(name) if name in _PERSON else len(_PERSON))
    return (2, 0, _ASSESSMENT.index(key) if key in _ASSESSMENT else len(_ASSESSMENT))


def anchor(key: str) -> str:
    """The id of the input an error summary link should move to (the first of a group)."""
    if key.endswith(_DATE_FIELDS):
        return key + "-day"
    if key.endswith("-safe_windows"):
        return key + "-0-days"
    return key


def in_form_order(errors: dict[str, str]) -> dict[str, str]:
    return dict(sorted(errors.items(), key=lambda item: error_rank(item[0])))


def new_incident_form(now: datetime, timezone: str) -> Form:
    """A blank form, with the time of the call set to now in the team's time zone."""
    local = now.astimezone(ZoneInfo(timezone))
    return ImmutableMultiDict(
        {
            "called_at-day": str(local.day),
            "called_at-month": str(local.month),
            "called_at-year": str(local.year),
            "called_at-time": f"{local:%H:%M}",
            person_key(0, "language"): "English",
        }
    )


def parse_incident_form(form: Form, timezone: str) -> tuple[IncidentDraft, dict[str, str]]:
    """The draft the form describes, and the fields that could not even be parsed."""
    errors: dict[str, str] = {}
    called_day = _date(form, "called_at", "Date of the call", errors)
    called_clock = form.get("called_at-time", "").strip()
    called_at = None
    if called_day and not called_clock:
        errors["called_at"] = "Enter the time of the call, like 14:15"
    elif called_day:
        clock = parse_clock(called_clock)
        if clock is None:
            errors["called_at"] = "Time of the call must be a real time, like 14:15"
        else:
            # local_to_utc settles the hour the clocks skip or repeat, as the rota does.
            called_at = local_to_utc(called_day, clock, ZoneInfo(timezone))
    flags = form.getlist("suitability_flags")
    draft = IncidentDraft(
        urn=form.get("urn", ""),
        incident_type=form.get("incident_type", ""),
        summary=form.get("summary", ""),
        called_at=called_at,
        people=[_person(form, 0, errors)],
        thrive={
            d.value: ScoreDraft(form.get(f"{d}_level", ""), form.get(f"{d}_rationale", ""))
            for d in ThriveDimension
        },
        grade=_int(form.get("grade", "")),
        grade_reason=form.get("grade_reason", ""),
        priority_band=form.get("priority_band", ""),
        priority_band_reason=form.get("priority_band_reason", ""),
        suitability_flags=[flag for flag in flags if flag != OTHER_REASON],
        judged_unsuitable=OTHER_REASON in flags,
        suitability_reason=form.get("suitability_reason", ""),
    )
    return draft, errors


def _person(form: Form, index: int, errors: dict[str, str]) -> PersonDraft:
    def value(name: str) -> str:
        return form.get(person_key(index, name), "")

    def ticked(name: str) -> bool:
        return value(name) == "yes"

    return PersonDraft(
        role=value("role") or "victim",
        name=value("name"),
        date_of_birth=_date(form, person_key(index, "date_of_birth"), "Date of birth", errors),
        mobile=value("mobile"),
        language=value("language"),
        interpreter_needed=ticked("interpreter_needed"),
        accessibility_needs=value("accessibility_needs"),
        preferred_officer_gender=value("preferred_officer_gender"),
        safe_contact=SafeContactDraft(
            may_text=ticked("may_text"),
            may_call=ticked("may_call"),
            may_leave_voicemail=ticked("may_leave_voicemail"),
            may_mention_police=ticked("may_mention_police"),
            wants_reminders=ticked("wants_reminders"),
            may_add_to_calendar=ticked("may_add_to_calendar"),
            may_download_copy=ticked("may_download_copy"),
            safe_times=[
                SafeTimeDraft(
                    value(f"safe_windows-{row}-days"),
                    value(f"safe_windows-{row}-start"),
                    value(f"safe_windows-{row}-end"),
                )
                for row in range(SAFE_TIME_ROWS)
            ],
            safe_number=value("safe_number"),
            code_word=value("code_word"),
            words_never_to_use=value("words_never_to_use").splitlines(),
        ),
    )


def _date(form: Form, key: str, label: str, errors: dict[str, str]) -> date | None:
    """A GOV.UK date input (day, month, year), with its error messages."""
    parts = {part: form.get(f"{key}-{part}", "").strip() for part in ("day", "month", "year")}
    if not any(parts.values()):
        return None
    missing = [part for part, text in parts.items() if not text]
    if missing:
        errors[key] = f"{label} must include a {' and '.join(missing)}"
        return None
    if not all(text.isdigit() for text in parts.values()):
        errors[key] = f"{label} must be a real date"
        return None
    if len(parts["year"]) != 4:
        errors[key] = "Year must include 4 numbers"
        return None
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        errors[key] = f"{label} must be a real date"
        return None


def _int(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


THRIVE_QUESTIONS: dict[ThriveDimension, str] = {
    ThriveDimension.THREAT: "What threat is there to the caller or to others now?",
    ThriveDimension.HARM: "What harm has been done, or could be done?",
    ThriveDimension.RISK: "How likely is harm, and how serious would it be?",
    ThriveDimension.INVESTIGATION: "What investigation is needed? Could evidence be lost?",
    ThriveDimension.VULNERABILITY: "Is the caller vulnerable: age, disability, health, isolation?",
    ThriveDimension.ENGAGEMENT: "What will help the caller engage, and what could stop them?",
}


def new_incident_context(
    settings: Settings,
    form: Form,
    errors: dict[str, str],
    suggestion: tuple[Grade, PriorityBand] | None,
    *,
    suggested_now: bool = False,
) -> dict[str, object]:
    """What the new-incident template needs, with every value as the handler typed it."""
    if suggested_now and suggestion:
        # Pre-select the suggestion only where the handler has not chosen yet.
        grade, band = suggestion
        typed = {"grade": str(grade.value), "priority_band": band.value}
        for name in [name for name in typed if form.get(name)]:
            del typed[name]
        kept = [(k, v) for k, v in form.multi_items() if k not in typed]
        form = ImmutableMultiDict(kept + list(typed.items()))
    types = incident_types_from_config(settings.incident_types)
    return {
        "form": form,
        "errors": errors,
        "anchors": {key: anchor(key) for key in errors},
        "incident_types": [(t.code, t.label) for t in types],
        "gender_types": [t.label.lower() for t in types if t.victim_may_choose_officer_gender],
        "dimensions": [
            (d.value, d.value.capitalize(), THRIVE_QUESTIONS[d]) for d in ThriveDimension
        ],
        "levels": [(level.value, level.value.capitalize()) for level in ThriveLevel],
        "grades": [(g.value, g.label.capitalize(), GRADE_HINTS[g]) for g in Grade],
        "bands": [
            (band.value, f"{band.value}: within {_span(hours)}")
            for band, hours in settings.band_hours.items()
        ],
        "flags": [(f.value, f.reason) for f in SuitabilityFlag]
        + [(OTHER_REASON, "Another reason (give it below)")],
        "safe_days": [("", "Select days"), *[(k, v[0]) for k, v in SAFE_DAYS.items()]],
        "safe_rows": range(SAFE_TIME_ROWS),
        "suggestion": suggestion,
        "suggested_now": suggested_now,
        "person": lambda name: person_key(0, name),
    }


def _span(hours: timedelta) -> str:
    whole = int(hours.total_seconds() // 3600)
    if whole >= 168 and whole % 24 == 0:
        return f"{whole // 24} days"
    return f"{whole} hours"
