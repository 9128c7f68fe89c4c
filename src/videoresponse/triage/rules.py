"""The domain rules of triage: pure, no I/O. Import from here.

The rules live in one module per concept (``incident_types``, ``people``, ``thrive``,
``suitability``, ``response_routes``, ``safe_contact``); this module is their public face.

Every broken rule raises ``TriageRuleError``: a sentence for the call handler and the
``field`` it belongs to. Fields used: ``incident_types``, ``incident_type``, ``name``,
``date_of_birth``, ``mobile``, ``language``, ``preferred_officer_gender``,
``<dimension>_level``, ``<dimension>_rationale``, ``grade_reason``,
``priority_band_reason``, ``suitability_reason``, ``routes``, ``route``,
``may_leave_voicemail``, ``safe_windows``, ``safe_number``, ``code_word``, ``timezone``.
A naive datetime where an aware one is needed is a programming error: plain ``ValueError``.

``PriorityBand`` is booking's and ``Weekday`` the rota's, re-exported here: one enum each,
so that every table stores the same values.
"""

from videoresponse.booking.rules import PriorityBand
from videoresponse.rota.rules import Weekday
from videoresponse.triage.errors import TriageRuleError
from videoresponse.triage.incident_types import (
    DEFAULT_INCIDENT_TYPES,
    IncidentType,
    IncidentTypeCode,
    PersonRole,
    incident_type_by_code,
    incident_types_from_config,
)
from videoresponse.triage.people import (
    OfficerGender,
    Person,
    check_date_of_birth,
    check_preferred_officer_gender,
    is_uk_mobile,
    is_under_18,
    new_person,
    parse_uk_mobile,
    parse_uk_phone_number,
)
from videoresponse.triage.response_routes import (
    DEFAULT_DUE_WITHIN,
    ResponseRoute,
    RouteOffer,
    check_route_choice,
    check_route_may_be_offered,
    check_video_may_be_offered,
    choose_route,
    due_at_for_route,
    offer_routes,
)
from videoresponse.triage.safe_contact import (
    LONDON,
    ContactChannel,
    SafeContact,
    SafeWindow,
    expand_safe_windows,
    may_contact,
    message_is_safe,
    new_safe_contact,
    normalise_words_never_to_use,
    parse_code_word,
)
from videoresponse.triage.suitability import (
    SuitabilityDecision,
    SuitabilityFlag,
    assess_suitability,
)
from videoresponse.triage.thrive import (
    Grade,
    GradeDecision,
    PriorityBandDecision,
    ThriveAssessment,
    ThriveDimension,
    ThriveLevel,
    ThriveScore,
    decide_grade,
    decide_priority_band,
    suggest_grade,
    suggest_priority_band,
)

__all__ = [
    "DEFAULT_DUE_WITHIN",
    "DEFAULT_INCIDENT_TYPES",
    "LONDON",
    "ContactChannel",
    "Grade",
    "GradeDecision",
    "IncidentType",
    "IncidentTypeCode",
    "OfficerGender",
    "Person",
    "PersonRole",
    "PriorityBand",
    "PriorityBandDecision",
    "ResponseRoute",
    "RouteOffer",
    "SafeContact",
    "SafeWindow",
    "SuitabilityDecision",
    "SuitabilityFlag",
    "ThriveAssessment",
    "ThriveDimension",
    "ThriveLevel",
    "ThriveScore",
    "TriageRuleError",
    "Weekday",
    "assess_suitability",
    "check_date_of_birth",
    "check_preferred_officer_gender",
    "check_route_choice",
    "check_route_may_be_offered",
    "check_video_may_be_offered",
    "choose_route",
    "decide_grade",
    "decide_priority_band",
    "due_at_for_route",
    "expand_safe_windows",
    "incident_type_by_code",
    "incident_types_from_config",
    "is_uk_mobile",
    "is_under_18",
    "may_contact",
    "message_is_safe",
    "new_person",
    "new_safe_contact",
    "normalise_words_never_to_use",
    "offer_routes",
    "parse_code_word",
    "parse_uk_mobile",
    "parse_uk_phone_number",
    "suggest_grade",
    "suggest_priority_band",
]
