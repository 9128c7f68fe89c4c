"""The people in an incident: who they are, how to reach them and what they need."""

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType

from videoresponse.triage.errors import TriageRuleError
from videoresponse.triage.incident_types import IncidentType, PersonRole

OLDEST_AGE_YEARS = 120
NAME_MAX_LENGTH = 200
LANGUAGE_MAX_LENGTH = 60

# Ofcom reserves 07700 900000 to 07700 900999 for drama and never allocates them, so no
# text can reach a stranger. libphonenumber calls them invalid; we accept them because
# GOV.UK's examples and GOV.UK Notify's test numbers are in this range.
_DRAMA_MOBILES = range(7_700_900_000, 7_700_901_000)
_PHONE_TEXT = re.compile(r"\+?[\d\s().\-]+")
_NOT_A_PHONE_TO_CALL_BACK = {PhoneNumberType.PREMIUM_RATE, PhoneNumberType.PAGER}


class OfficerGender(StrEnum):
    """A preferred officer gender; no preference is None."""

    FEMALE = "female"
    MALE = "male"


@dataclass(frozen=True)
class Person:
    role: PersonRole
    name: str
    date_of_birth: date
    mobile: str | None
    """E.164, for example "+447700900123"; None when the person has no mobile."""
    language: str
    interpreter_needed: bool
    accessibility_needs: str
    preferred_officer_gender: OfficerGender | None

    def is_under_18(self, on_date: date) -> bool:
        return is_under_18(self.date_of_birth, on_date)


def _parse_uk(raw: str) -> PhoneNumber | None:
    text = raw.strip()
    # Letters would be read as a vanity number ("0800 FLOWERS"): a typo, not a phone.
    if not _PHONE_TEXT.fullmatch(text):
        return None
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 44 or number.extension:
        return None
    return number


def _is_mobile(number: PhoneNumber) -> bool:
    if number.national_number in _DRAMA_MOBILES:
        return True
    return (
        phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) == PhoneNumberType.MOBILE
    )


def _e164(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_uk_mobile(raw: str) -> bool:
    """Whether ``raw`` (as typed, or E.164) is a UK mobile number."""
    number = _parse_uk(raw)
    return number is not None and _is_mobile(number)


def parse_uk_mobile(raw: str, *, field: str = "mobile") -> str:
    """The UK mobile number in ``raw``, normalised to E.164 ("+447700900123").

    Takes the number as people say it: "07700 900123", "+44 7700 900123",
    "447700900123", "0044 7700 900123". Mobiles in the Channel Islands and the Isle of Man
    share the UK's +44 numbering plan and are accepted. Landlines, other countries'
    numbers and anything else raise ``TriageRuleError``.
    """
    number = _parse_uk(raw)
    if number is None or not _is_mobile(number):
        raise TriageRuleError("Enter a UK mobile number, like 07700 900123", field=field)
    return _e164(number)


def parse_uk_phone_number(raw: str, *, field: str = "safe_number") -> str:
    """Any UK number a person can be called on (landline or mobile), normalised to E.164.

    Premium-rate numbers and pagers are refused.
    """
    number = _parse_uk(raw)
    if number is None or not (
        _is_mobile(number)
        or (
            phonenumbers.is_valid_number(number)
            and phonenumbers.number_type(number) not in _NOT_A_PHONE_TO_CALL_BACK
        )
    ):
        raise TriageRuleError(
            "Enter a UK phone number, like 07700 900123 or 020 7946 0000", field=field
        )
    return _e164(number)


def _anniversary(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        # 29 February in a common year: take 1 March, so that someone born on a leap day
        # counts as under 18 for one day longer rather than one day less.
        return date(day.year + years, 3, 1)


def is_under_18(date_of_birth: date, on_date: date) -> bool:
    """Whether a person born on ``date_of_birth`` is under 18 on ``on_date``.

    A section 9 statement must say so (CJA 1967 s.9(3)(a)).
    """
    return on_date < _anniversary(date_of_birth, 18)


def check_date_of_birth(date_of_birth: date, *, today: date) -> None:
    """A date of birth is not in the future and not more than 120 years ago."""
    if date_of_birth > today:
        raise TriageRuleError("Date of birth must be in the past", field="date_of_birth")
    earliest = _anniversary(today, -OLDEST_AGE_YEARS)
    if date_of_birth < earliest:
        raise TriageRuleError(
            f"Date of birth must be the same as or after {earliest.day} {earliest:%B %Y}",
            field="date_of_birth",
        )


def check_preferred_officer_gender(
    preference: OfficerGender | None, incident_type: IncidentType
) -> None:
    """A preferred officer gender is recorded only where the Victims' Code gives the right.

    That is for domestic abuse and for incident types configured as sexual offences.
    """
    if preference is not None and not incident_type.victim_may_choose_officer_gender:
        raise TriageRuleError(
            "Select 'No preference' for the officer's gender: a choice can only be offered "
            "for domestic abuse or a sexual offence",
            field="preferred_officer_gender",
        )


def new_person(
    *,
    role: PersonRole,
    name: str,
    date_of_birth: date | None,
    mobile: str,
    incident_type: IncidentType,
    today: date,
    language: str = "English",
    interpreter_needed: bool = False,
    accessibility_needs: str = "",
    preferred_officer_gender: OfficerGender | None = None,
) -> Person:
    """A person as the call handler records them, checked and normalised.

    ``mobile`` may be blank (the person has no mobile: they cannot be texted a link);
    otherwise it must be a UK mobile. Raises ``TriageRuleError`` for the first field that
    breaks a rule, in form order.
    """
    full_name = " ".join(name.split())
    if not full_name:
        raise TriageRuleError(f"Enter the {role}'s full name", field="name")
    if len(full_name) > NAME_MAX_LENGTH:
        raise TriageRuleError(
            f"Full name must be {NAME_MAX_LENGTH} characters or fewer", field="name"
        )
    if date_of_birth is None:
        raise TriageRuleError(f"Enter the {role}'s date of birth", field="date_of_birth")
    check_date_of_birth(date_of_birth, today=today)
    normalised_mobile = parse_uk_mobile(mobile) if mobile.strip() else None
    spoken = " ".join(language.split())
    if not spoken:
        raise TriageRuleError(f"Enter the language the {role} speaks", field="language")
    if len(spoken) > LANGUAGE_MAX_LENGTH:
        raise TriageRuleError(
            f"Language must be {LANGUAGE_MAX_LENGTH} characters or fewer", field="language"
        )
    if interpreter_needed and spoken.casefold() == "english":
        raise TriageRuleError("Enter the language the interpreter is needed for", field="language")
    check_preferred_officer_gender(preferred_officer_gender, incident_type)
    return Person(
        role=role,
        name=full_name,
        date_of_birth=date_of_birth,
        mobile=normalised_mobile,
        language=spoken,
        interpreter_needed=interpreter_needed,
        accessibility_needs=accessibility_needs.strip(),
        preferred_officer_gender=preferred_officer_gender,
    )
