"""A person and their safe contact as the call handler typed them, and their checks.

Each field is checked on its own so that every problem is listed at once; ``new_person``
and ``new_safe_contact`` then build the checked values and have the final word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time

from videoresponse.triage.draft_errors import Problems
from videoresponse.triage.people import LANGUAGE_MAX_LENGTH, NAME_MAX_LENGTH
from videoresponse.triage.rules import (
    IncidentType,
    OfficerGender,
    Person,
    PersonRole,
    SafeContact,
    SafeWindow,
    TriageRuleError,
    Weekday,
    check_date_of_birth,
    check_preferred_officer_gender,
    is_uk_mobile,
    new_person,
    new_safe_contact,
    parse_code_word,
    parse_uk_mobile,
    parse_uk_phone_number,
)

MAX_SAFE_TIMES = 7
SAFE_DAYS: dict[str, tuple[str, tuple[Weekday, ...]]] = {
    "every_day": ("Every day", tuple(Weekday)),
    "weekdays": ("Weekdays (Monday to Friday)", tuple(Weekday)[:5]),
    "weekends": ("Weekends", (Weekday.SATURDAY, Weekday.SUNDAY)),
    **{day.name.lower(): (day.name.capitalize(), (day,)) for day in Weekday},
}
"""The choices for a safe time's days: code -> (label, weekdays)."""

_CLOCK = re.compile(r"(\d{1,2})(?:[:.]?(\d{2}))?\s*(am|pm)?", re.IGNORECASE)


@dataclass
class SafeTimeDraft:
    days: str = ""
    """A key of ``SAFE_DAYS``."""
    start: str = ""
    end: str = ""

    def is_blank(self) -> bool:
        return not (self.days.strip() or self.start.strip() or self.end.strip())


@dataclass
class SafeContactDraft:
    may_text: bool = False
    may_call: bool = False
    may_leave_voicemail: bool = False
    may_mention_police: bool = False
    wants_reminders: bool = False
    may_add_to_calendar: bool = False
    may_download_copy: bool = False
    safe_times: list[SafeTimeDraft] = field(default_factory=list)
    safe_number: str = ""
    code_word: str = ""
    words_never_to_use: list[str] = field(default_factory=list)


@dataclass
class PersonDraft:
    role: str = PersonRole.VICTIM.value
    name: str = ""
    date_of_birth: date | None = None
    mobile: str = ""
    language: str = "English"
    interpreter_needed: bool = False
    accessibility_needs: str = ""
    preferred_officer_gender: str = ""
    """"female", "male" or "" for no preference."""
    safe_contact: SafeContactDraft = field(default_factory=SafeContactDraft)


@dataclass(frozen=True)
class CheckedPerson:
    person: Person
    safe_contact: SafeContact
    # Not triage rules, so not in SafeContact: what the person agreed to be sent.
    wants_reminders: bool = False
    may_add_to_calendar: bool = False
    may_download_copy: bool = False


def parse_clock(raw: str) -> time | None:
    """A wall-clock time as people type it: "14:15", "9:00", "0930", "9.30", "2pm"."""
    match = _CLOCK.fullmatch(raw.strip())
    if not match:
        return None
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def check_person_draft(
    draft: PersonDraft,
    prefix: str,
    incident_type: IncidentType | None,
    today: date,
    timezone: str,
    errors: Problems,
) -> CheckedPerson | None:
    before = len(errors.found)
    role = PersonRole(draft.role) if draft.role in set(PersonRole) else None
    if role is None:
        errors.add(prefix + "role", "Select whether the person is a victim or a witness")
    who = role or "person"
    name = " ".join(draft.name.split())
    if not name:
        errors.add(prefix + "name", f"Enter the {who}'s full name")
    elif len(name) > NAME_MAX_LENGTH:
        errors.add(prefix + "name", f"Full name must be {NAME_MAX_LENGTH} characters or fewer")
    if draft.date_of_birth is None:
        errors.add(prefix + "date_of_birth", f"Enter the {who}'s date of birth")
    else:
        dob = draft.date_of_birth
        errors.check(prefix, lambda: check_date_of_birth(dob, today=today))
    if draft.mobile.strip():
        errors.check(prefix, lambda: parse_uk_mobile(draft.mobile))
    language = " ".join(draft.language.split())
    if not language:
        errors.add(prefix + "language", f"Enter the language the {who} speaks")
    elif len(language) > LANGUAGE_MAX_LENGTH:
        errors.add(
            prefix + "language", f"Language must be {LANGUAGE_MAX_LENGTH} characters or fewer"
        )
    elif draft.interpreter_needed and language.casefold() == "english":
        errors.add(prefix + "language", "Enter the language the interpreter is needed for")
    gender = _gender(draft.preferred_officer_gender, prefix, errors)
    if incident_type is not None and gender is not None:
        errors.check(prefix, lambda: check_preferred_officer_gender(gender, incident_type))
    safe_contact = _check_safe_contact(draft.safe_contact, prefix, timezone, errors)
    if len(errors.found) > before or role is None or incident_type is None:
        return None
    assert draft.date_of_birth is not None and safe_contact is not None
    dob = draft.date_of_birth
    person = errors.check(
        prefix,
        lambda: new_person(
            role=role,
            name=name,
            date_of_birth=dob,
            mobile=draft.mobile,
            incident_type=incident_type,
            today=today,
            language=language,
            interpreter_needed=draft.interpreter_needed,
            accessibility_needs=draft.accessibility_needs,
            preferred_officer_gender=gender,
        ),
    )
    if person is None:
        return None
    contact = draft.safe_contact
    return CheckedPerson(
        person,
        safe_contact,
        contact.wants_reminders,
        contact.may_add_to_calendar,
        contact.may_download_copy,
    )


def _gender(raw: str, prefix: str, errors: Problems) -> OfficerGender | None:
    if not raw:
        return None
    if raw not in set(OfficerGender):
        errors.add(prefix + "preferred_officer_gender", "Select female, male or no preference")
        return None
    return OfficerGender(raw)


def _check_safe_contact(
    draft: SafeContactDraft, prefix: str, timezone: str, errors: Problems
) -> SafeContact | None:
    before = len(errors.found)
    if draft.may_leave_voicemail and not draft.may_call:
        errors.add(prefix + "may_leave_voicemail", "A voicemail can only be safe if calls are safe")
    rows_checked = len(errors.found)
    windows = _check_safe_times(draft.safe_times, prefix, errors)
    rows_fine = len(errors.found) == rows_checked
    if (draft.may_text or draft.may_call) and not windows and rows_fine:
        errors.add(
            prefix + "safe_windows", "Add at least one time when it is safe to contact the person"
        )
    number = None
    if draft.safe_number.strip():
        number = errors.check(prefix, lambda: parse_uk_phone_number(draft.safe_number))
    if draft.may_text and number is not None and not is_uk_mobile(number):
        errors.add(
            prefix + "safe_number",
            "A text cannot go to a landline: enter a mobile as the safe number, or say that "
            "texts are not safe",
        )
    errors.check(prefix, lambda: parse_code_word(draft.code_word))
    if len(errors.found) > before:
        return None
    return errors.check(
        prefix,
        lambda: new_safe_contact(
            may_text=draft.may_text,
            may_call=draft.may_call,
            may_leave_voicemail=draft.may_leave_voicemail,
            windows=windows,
            may_mention_police=draft.may_mention_police,
            safe_number=draft.safe_number,
            code_word=draft.code_word,
            words_never_to_use=draft.words_never_to_use,
            timezone=timezone,
        ),
    )


def _check_safe_times(rows: list[SafeTimeDraft], prefix: str, errors: Problems) -> list[SafeWindow]:
    windows: list[SafeWindow] = []
    filled = [(index, row) for index, row in enumerate(rows) if not row.is_blank()]
    if len(filled) > MAX_SAFE_TIMES:
        errors.add(prefix + "safe_windows", f"Give {MAX_SAFE_TIMES} safe times or fewer")
        return windows
    for index, row in filled:
        key = f"{prefix}safe_windows-{index}-"
        days = SAFE_DAYS.get(row.days)
        if days is None:
            errors.add(key + "days", "Select the days of this safe time")
        start, end = parse_clock(row.start), parse_clock(row.end)
        if start is None:
            errors.add(key + "start", "Enter the start of the safe time, like 09:00")
        if end is None:
            errors.add(key + "end", "Enter the end of the safe time, like 17:30")
        if days is None or start is None or end is None:
            continue
        try:
            windows.extend(SafeWindow(weekday, start, end) for weekday in days[1])
        except TriageRuleError as error:
            errors.add(key + "end", error.message)
    return windows
