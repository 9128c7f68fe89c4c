"""Incident types, configurable per force, and the roles of the people involved."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from videoresponse.triage.errors import TriageRuleError


class IncidentTypeCode(StrEnum):
    """The incident types every force starts with (DOMAIN.md). Values are stored."""

    DOMESTIC_ABUSE = "domestic_abuse"
    ANTI_SOCIAL_BEHAVIOUR = "anti_social_behaviour"
    VIOLENCE = "violence"
    CRIMINAL_DAMAGE = "criminal_damage"
    THEFT = "theft"
    FRAUD = "fraud"
    HATE_CRIME = "hate_crime"
    HARASSMENT = "harassment"
    OTHER = "other"


class PersonRole(StrEnum):
    VICTIM = "victim"
    WITNESS = "witness"


@dataclass(frozen=True)
class IncidentType:
    code: str
    label: str
    sexual_offence: bool = False

    @property
    def victim_may_choose_officer_gender(self) -> bool:
        # Victims' Code (in force 1 April 2021): victims of sexual offences and of domestic
        # abuse may ask for an interviewer of a particular gender.
        return self.sexual_offence or self.code == IncidentTypeCode.DOMESTIC_ABUSE


_DEFAULT_LABELS: dict[IncidentTypeCode, str] = {
    IncidentTypeCode.DOMESTIC_ABUSE: "Domestic abuse",
    IncidentTypeCode.ANTI_SOCIAL_BEHAVIOUR: "Anti-social behaviour",
    IncidentTypeCode.VIOLENCE: "Violence",
    IncidentTypeCode.CRIMINAL_DAMAGE: "Criminal damage",
    IncidentTypeCode.THEFT: "Theft",
    IncidentTypeCode.FRAUD: "Fraud",
    IncidentTypeCode.HATE_CRIME: "Hate crime",
    IncidentTypeCode.HARASSMENT: "Harassment",
    IncidentTypeCode.OTHER: "Other",
}

DEFAULT_INCIDENT_TYPES: tuple[IncidentType, ...] = tuple(
    IncidentType(code.value, label) for code, label in _DEFAULT_LABELS.items()
)

# Codes are stored in the database, so they stay short, lower-case and stable.
_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


def incident_types_from_config(
    labels: Mapping[str, str] | None,
    *,
    sexual_offence_codes: Iterable[str] = (),
) -> tuple[IncidentType, ...]:
    """Build a force's incident types from ``{code: label}``, in the mapping's order.

    An empty or missing mapping gives ``DEFAULT_INCIDENT_TYPES``. Codes listed in
    ``sexual_offence_codes`` are sexual offences, whose victims may choose the officer's
    gender (as may victims of ``domestic_abuse``).
    """
    sexual = set(sexual_offence_codes)
    if not labels:
        if sexual:
            raise TriageRuleError(
                "Sexual offence types can only be set with a list of incident types",
                field="incident_types",
            )
        return DEFAULT_INCIDENT_TYPES
    unknown = sexual - set(labels)
    if unknown:
        raise TriageRuleError(
            f"Sexual offence type {sorted(unknown)[0]!r} is not one of the incident types",
            field="incident_types",
        )
    incident_types = []
    for code, label in labels.items():
        if not _CODE.fullmatch(code):
            raise TriageRuleError(
                f"Incident type code {code!r} must only include lower-case letters, numbers "
                "and underscores, and start with a letter",
                field="incident_types",
            )
        if not label.strip():
            raise TriageRuleError(
                f"Enter a label for incident type {code!r}", field="incident_types"
            )
        incident_types.append(IncidentType(code, label.strip(), code in sexual))
    return tuple(incident_types)


def incident_type_by_code(code: str, incident_types: Iterable[IncidentType]) -> IncidentType:
    """The incident type with this code, or an error for the incident type field."""
    for incident_type in incident_types:
        if incident_type.code == code:
            return incident_type
    raise TriageRuleError("Select the type of incident", field="incident_type")
