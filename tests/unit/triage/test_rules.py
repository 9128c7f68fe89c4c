from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from videoresponse.triage.rules import (
    DEFAULT_INCIDENT_TYPES,
    LONDON,
    ContactChannel,
    Grade,
    IncidentType,
    IncidentTypeCode,
    OfficerGender,
    Person,
    PersonRole,
    PriorityBand,
    ResponseRoute,
    SafeContact,
    SafeWindow,
    SuitabilityFlag,
    ThriveAssessment,
    ThriveDimension,
    ThriveLevel,
    ThriveScore,
    TriageRuleError,
    Weekday,
    assess_suitability,
    check_date_of_birth,
    check_route_choice,
    check_video_may_be_offered,
    choose_route,
    decide_grade,
    decide_priority_band,
    due_at_for_route,
    expand_safe_windows,
    incident_type_by_code,
    incident_types_from_config,
    is_uk_mobile,
    is_under_18,
    may_contact,
    message_is_safe,
    new_person,
    new_safe_contact,
    normalise_words_never_to_use,
    offer_routes,
    parse_code_word,
    parse_uk_mobile,
    parse_uk_phone_number,
    suggest_grade,
    suggest_priority_band,
)

SPRING_FORWARD = date(2026, 3, 29)  # a Sunday: 01:00 GMT becomes 02:00 BST
FALL_BACK = date(2026, 10, 25)  # a Sunday: 02:00 BST becomes 01:00 GMT
TODAY = date(2026, 6, 15)
CALLED_AT = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)
DOMESTIC_ABUSE = incident_type_by_code("domestic_abuse", DEFAULT_INCIDENT_TYPES)
THEFT = incident_type_by_code("theft", DEFAULT_INCIDENT_TYPES)

# Test data


def thrive(**levels: ThriveLevel) -> ThriveAssessment:
    """All six dimensions low with a rationale, except those given."""
    return ThriveAssessment.from_scores(
        {
            dimension: ThriveScore(levels.get(dimension.value, ThriveLevel.LOW), "Caller said so")
            for dimension in ThriveDimension
        }
    )


SUITABLE = assess_suitability([])
SUSPECT_PRESENT = assess_suitability([SuitabilityFlag.SUSPECT_PRESENT])


def make_person(
    *,
    role: PersonRole = PersonRole.VICTIM,
    name: str = "Sam Jones",
    date_of_birth: date | None = date(1990, 4, 1),
    mobile: str = "07700 900123",
    incident_type: IncidentType = DOMESTIC_ABUSE,
    language: str = "English",
    interpreter_needed: bool = False,
    accessibility_needs: str = "",
    preferred_officer_gender: OfficerGender | None = None,
) -> Person:
    return new_person(
        role=role,
        name=name,
        date_of_birth=date_of_birth,
        mobile=mobile,
        incident_type=incident_type,
        today=TODAY,
        language=language,
        interpreter_needed=interpreter_needed,
        accessibility_needs=accessibility_needs,
        preferred_officer_gender=preferred_officer_gender,
    )


def make_safe_contact(
    *,
    may_text: bool = True,
    may_call: bool = True,
    may_leave_voicemail: bool = False,
    windows: Sequence[SafeWindow] = (SafeWindow(Weekday.MONDAY, time(9), time(12)),),
    safe_number: str = "",
    code_word: str = "Bluebell",
    words_never_to_use: Sequence[str] = ("police", "domestic"),
    may_mention_police: bool = False,
    timezone: str = "Europe/London",
) -> SafeContact:
    return new_safe_contact(
        may_text=may_text,
        may_call=may_call,
        may_leave_voicemail=may_leave_voicemail,
        windows=windows,
        safe_number=safe_number,
        code_word=code_word,
        words_never_to_use=words_never_to_use,
        may_mention_police=may_mention_police,
        timezone=timezone,
    )


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


# Incident types and roles


def test_default_incident_types_are_the_domain_list_with_labels() -> None:
    assert [t.code for t in DEFAULT_INCIDENT_TYPES] == [
        "domestic_abuse",
        "anti_social_behaviour",
        "violence",
        "criminal_damage",
        "theft",
        "fraud",
        "hate_crime",
        "harassment",
        "other",
    ]
    assert [t.code for t in DEFAULT_INCIDENT_TYPES] == list(IncidentTypeCode)
    assert DOMESTIC_ABUSE.label == "Domestic abuse"
    assert incident_type_by_code("anti_social_behaviour", DEFAULT_INCIDENT_TYPES).label == (
        "Anti-social behaviour"
    )


@pytest.mark.parametrize("config", [None, {}])
def test_incident_types_fall_back_to_the_defaults_without_config(
    config: dict[str, str] | None,
) -> None:
    assert incident_types_from_config(config) == DEFAULT_INCIDENT_TYPES


def test_incident_types_come_from_config_in_its_order_with_trimmed_labels() -> None:
    types = incident_types_from_config(
        {"stalking": " Stalking ", "domestic_abuse": "Domestic abuse", "rape": "Rape"},
        sexual_offence_codes=["rape"],
    )
    assert types == (
        IncidentType("stalking", "Stalking"),
        IncidentType("domestic_abuse", "Domestic abuse"),
        IncidentType("rape", "Rape", sexual_offence=True),
    )


@pytest.mark.parametrize(
    ("config", "sexual"),
    [
        ({"Theft": "Theft"}, []),
        ({"car theft": "Car theft"}, []),
        ({"1theft": "Theft"}, []),
        ({"t" * 41: "Too long"}, []),
        ({"theft": "  "}, []),
        ({"theft": "Theft"}, ["rape"]),
        (None, ["rape"]),
    ],
)
def test_incident_type_config_is_refused_when_it_is_wrong(
    config: dict[str, str] | None, sexual: list[str]
) -> None:
    with pytest.raises(TriageRuleError) as error:
        incident_types_from_config(config, sexual_offence_codes=sexual)
    assert error.value.field == "incident_types"


def test_an_unknown_incident_type_is_refused() -> None:
    with pytest.raises(TriageRuleError, match="Select the type of incident") as error:
        incident_type_by_code("burglary", DEFAULT_INCIDENT_TYPES)
    assert error.value.field == "incident_type"


def test_person_roles_are_victim_and_witness() -> None:
    assert [role.value for role in PersonRole] == ["victim", "witness"]


# Phone numbers


@pytest.mark.parametrize(
    "typed",
    [
        "07700 900123",
        "+44 7700 900123",
        "447700900123",
        "0044 7700 900123",
        "07700900123",
        "(07700) 900-123",
        "+44 (0)7700 900123",
        "  07700 900 123  ",
    ],
)
def test_a_uk_mobile_is_normalised_to_e164(typed: str) -> None:
    assert parse_uk_mobile(typed) == "+447700900123"


def test_an_allocated_uk_mobile_is_accepted() -> None:
    assert parse_uk_mobile("07912 345678") == "+447912345678"


def test_a_channel_islands_mobile_on_the_uk_numbering_plan_is_accepted() -> None:
    assert parse_uk_mobile("07797 712345") == "+447797712345"


@pytest.mark.parametrize(
    "typed",
    [
        "020 7946 0018",  # London landline
        "0113 496 0000",  # Leeds landline
        "0800 123 4567",  # freephone
        "070 1234 5678",  # personal number, not a mobile
        "+33 6 12 34 56 78",  # French mobile
        "+1 202 555 0143",
        "+353 87 123 4567",  # Irish mobile
        "07700 90012",  # a digit short
        "077009001234",  # a digit long
        "07700 9OO123",  # letter O for zero
        "07700 900123 ext 5",
        "hello",
        "123",
        "",
        "   ",
    ],
)
def test_anything_but_a_uk_mobile_is_refused(typed: str) -> None:
    with pytest.raises(TriageRuleError) as error:
        parse_uk_mobile(typed)
    assert str(error.value) == "Enter a UK mobile number, like 07700 900123"
    assert error.value.field == "mobile"


def test_a_mobile_error_names_the_field_it_was_asked_for() -> None:
    with pytest.raises(TriageRuleError) as error:
        parse_uk_mobile("020 7946 0018", field="witness_mobile")
    assert error.value.field == "witness_mobile"


@pytest.mark.parametrize(
    ("typed", "e164"),
    [("020 7946 0018", "+442079460018"), ("07700 900123", "+447700900123")],
)
def test_a_safe_number_may_be_a_landline_or_a_mobile(typed: str, e164: str) -> None:
    assert parse_uk_phone_number(typed) == e164


@pytest.mark.parametrize("typed", ["09098 790000", "+33 1 23 45 67 89", "nope", ""])
def test_a_safe_number_must_be_a_uk_number_to_call(typed: str) -> None:
    with pytest.raises(TriageRuleError, match="Enter a UK phone number") as error:
        parse_uk_phone_number(typed)
    assert error.value.field == "safe_number"


def test_is_uk_mobile_tells_a_mobile_from_a_landline() -> None:
    assert is_uk_mobile("+447700900123")
    assert not is_uk_mobile("+442079460018")


# Date of birth and age


def test_a_date_of_birth_of_today_is_accepted() -> None:
    check_date_of_birth(TODAY, today=TODAY)


def test_a_date_of_birth_in_the_future_is_refused() -> None:
    with pytest.raises(TriageRuleError) as error:
        check_date_of_birth(TODAY + timedelta(days=1), today=TODAY)
    assert str(error.value) == "Date of birth must be in the past"
    assert error.value.field == "date_of_birth"


def test_a_date_of_birth_exactly_120_years_ago_is_accepted() -> None:
    check_date_of_birth(date(1906, 6, 15), today=TODAY)


def test_a_date_of_birth_more_than_120_years_ago_is_refused() -> None:
    with pytest.raises(TriageRuleError) as error:
        check_date_of_birth(date(1906, 6, 14), today=TODAY)
    assert str(error.value) == "Date of birth must be the same as or after 15 June 1906"


@pytest.mark.parametrize(
    ("on_date", "under_18"),
    [(date(2026, 6, 14), True), (date(2026, 6, 15), False), (date(2030, 1, 1), False)],
)
def test_a_person_is_under_18_until_their_18th_birthday(on_date: date, under_18: bool) -> None:
    assert is_under_18(date(2008, 6, 15), on_date) is under_18


def test_a_person_born_on_29_february_turns_18_on_1_march_in_a_common_year() -> None:
    assert is_under_18(date(2008, 2, 29), date(2026, 2, 28))
    assert not is_under_18(date(2008, 2, 29), date(2026, 3, 1))


# People


def test_a_new_person_is_normalised() -> None:
    sam = make_person(
        name="  Sam   Jones ",
        mobile="+44 7700 900123",
        accessibility_needs="  Uses a screen reader ",
        language="Polish",
        interpreter_needed=True,
        preferred_officer_gender=OfficerGender.FEMALE,
    )
    assert sam.name == "Sam Jones"
    assert sam.mobile == "+447700900123"
    assert sam.accessibility_needs == "Uses a screen reader"
    assert sam.language == "Polish"
    assert sam.preferred_officer_gender is OfficerGender.FEMALE
    assert not sam.is_under_18(TODAY)


def test_a_person_without_a_mobile_is_recorded_without_one() -> None:
    assert make_person(mobile="  ").mobile is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter the victim's full name"),
        ({"name": "x" * 201}, "name", "Full name must be 200 characters or fewer"),
        ({"language": "x" * 61}, "language", "Language must be 60 characters or fewer"),
        ({"date_of_birth": None}, "date_of_birth", "Enter the victim's date of birth"),
        (
            {"date_of_birth": None, "role": PersonRole.WITNESS},
            "date_of_birth",
            "Enter the witness's date of birth",
        ),
        ({"date_of_birth": date(2027, 1, 1)}, "date_of_birth", "Date of birth must be in the past"),
        ({"mobile": "020 7946 0018"}, "mobile", "Enter a UK mobile number, like 07700 900123"),
        ({"language": " "}, "language", "Enter the language the victim speaks"),
        (
            {"interpreter_needed": True},
            "language",
            "Enter the language the interpreter is needed for",
        ),
    ],
)
def test_a_new_person_breaking_a_rule_is_refused_with_the_field(
    overrides: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(TriageRuleError) as error:
        make_person(**overrides)
    assert error.value.field == field
    assert str(error.value) == message


@pytest.mark.parametrize("preference", [OfficerGender.FEMALE, OfficerGender.MALE])
def test_a_preferred_officer_gender_is_refused_outside_domestic_abuse_and_sexual_offences(
    preference: OfficerGender,
) -> None:
    with pytest.raises(TriageRuleError, match="No preference") as error:
        make_person(incident_type=THEFT, preferred_officer_gender=preference)
    assert error.value.field == "preferred_officer_gender"


def test_a_preferred_officer_gender_is_allowed_for_a_configured_sexual_offence() -> None:
    rape = incident_types_from_config({"rape": "Rape"}, sexual_offence_codes=["rape"])[0]
    chosen = make_person(incident_type=rape, preferred_officer_gender=OfficerGender.MALE)
    assert chosen.preferred_officer_gender is OfficerGender.MALE


def test_domestic_abuse_keeps_the_officer_gender_choice_when_configured() -> None:
    (configured,) = incident_types_from_config({"domestic_abuse": "Domestic abuse"})
    assert configured.victim_may_choose_officer_gender
    assert not THEFT.victim_may_choose_officer_gender


def test_no_preference_is_allowed_for_any_incident_type() -> None:
    assert make_person(incident_type=THEFT).preferred_officer_gender is None
    assert [gender.value for gender in OfficerGender] == ["female", "male"]


# THRIVE, grade and priority band


@pytest.mark.parametrize("dimension", list(ThriveDimension))
@pytest.mark.parametrize("rationale", ["", "   \n"])
def test_every_thrive_score_needs_a_rationale(dimension: ThriveDimension, rationale: str) -> None:
    scores = {d: ThriveScore(ThriveLevel.LOW, "Reason") for d in ThriveDimension}
    scores[dimension] = ThriveScore(ThriveLevel.HIGH, rationale)
    with pytest.raises(TriageRuleError) as error:
        ThriveAssessment.from_scores(scores)
    assert error.value.field == f"{dimension}_rationale"
    assert str(error.value) == f"Enter the reason for the {dimension} score"


def test_a_thrive_assessment_needs_every_dimension_scored() -> None:
    scores = {d: ThriveScore(ThriveLevel.LOW, "Reason") for d in ThriveDimension}
    del scores[ThriveDimension.VULNERABILITY]
    with pytest.raises(TriageRuleError) as error:
        ThriveAssessment.from_scores(scores)
    assert error.value.field == "vulnerability_level"


def test_a_thrive_rationale_is_trimmed_and_scores_keep_thrive_order() -> None:
    assessment = thrive()
    assert list(assessment.scores()) == list(ThriveDimension)
    assert ThriveScore(ThriveLevel.LOW, "  Lives alone \n").rationale == "Lives alone"


def test_thrive_and_grade_values_are_stable() -> None:
    assert [d.value for d in ThriveDimension] == [
        "threat",
        "harm",
        "risk",
        "investigation",
        "vulnerability",
        "engagement",
    ]
    assert [level.value for level in ThriveLevel] == ["low", "medium", "high"]
    assert [grade.value for grade in Grade] == [1, 2, 3, 4]
    assert Grade.RESOLVED_WITHOUT_DEPLOYMENT.label == "grade 4 (resolved without deployment)"


@pytest.mark.parametrize(
    ("levels", "grade"),
    [
        ({"threat": ThriveLevel.HIGH}, Grade.EMERGENCY),
        ({"threat": ThriveLevel.MEDIUM}, Grade.PRIORITY),
        ({"harm": ThriveLevel.HIGH}, Grade.PRIORITY),
        ({"risk": ThriveLevel.HIGH}, Grade.PRIORITY),
        ({"vulnerability": ThriveLevel.HIGH}, Grade.PRIORITY),
        ({"harm": ThriveLevel.MEDIUM}, Grade.SCHEDULED),
        ({"investigation": ThriveLevel.HIGH}, Grade.SCHEDULED),
        ({}, Grade.RESOLVED_WITHOUT_DEPLOYMENT),
    ],
)
def test_thrive_suggests_a_grade(levels: dict[str, ThriveLevel], grade: Grade) -> None:
    assert suggest_grade(thrive(**levels)) is grade


def test_any_high_threat_suggests_grade_1_whatever_else_is_scored() -> None:
    assert suggest_grade(thrive(threat=ThriveLevel.HIGH, engagement=ThriveLevel.LOW)) is (
        Grade.EMERGENCY
    )


@pytest.mark.parametrize("engagement", list(ThriveLevel))
@pytest.mark.parametrize("threat", [ThriveLevel.LOW, ThriveLevel.MEDIUM, ThriveLevel.HIGH])
def test_engagement_never_changes_the_suggested_grade(
    engagement: ThriveLevel, threat: ThriveLevel
) -> None:
    assert suggest_grade(thrive(threat=threat, engagement=engagement)) is suggest_grade(
        thrive(threat=threat)
    )


@pytest.mark.parametrize(
    ("levels", "band"),
    [
        ({"harm": ThriveLevel.HIGH}, PriorityBand.P1),
        ({"risk": ThriveLevel.HIGH}, PriorityBand.P1),
        ({"vulnerability": ThriveLevel.HIGH}, PriorityBand.P1),
        ({"threat": ThriveLevel.HIGH}, PriorityBand.P1),
        ({"vulnerability": ThriveLevel.MEDIUM}, PriorityBand.P2),
        ({"investigation": ThriveLevel.HIGH}, PriorityBand.P2),
        ({"engagement": ThriveLevel.HIGH}, PriorityBand.P3),
        ({}, PriorityBand.P3),
    ],
)
def test_thrive_suggests_a_priority_band(
    levels: dict[str, ThriveLevel], band: PriorityBand
) -> None:
    assert suggest_priority_band(thrive(**levels)) is band


def test_a_grade_less_urgent_than_suggested_needs_a_reason() -> None:
    with pytest.raises(TriageRuleError, match="less urgent than the suggested grade 2") as error:
        decide_grade(thrive(harm=ThriveLevel.HIGH), Grade.SCHEDULED, " ")
    assert error.value.field == "grade_reason"


def test_the_handlers_grade_is_recorded_beside_the_suggestion() -> None:
    decision = decide_grade(thrive(harm=ThriveLevel.HIGH), Grade.SCHEDULED, " Suspect arrested ")
    assert (decision.suggested, decision.chosen, decision.reason) == (
        Grade.PRIORITY,
        Grade.SCHEDULED,
        "Suspect arrested",
    )


def test_a_grade_more_urgent_than_suggested_needs_no_reason() -> None:
    assert decide_grade(thrive(), Grade.PRIORITY).chosen is Grade.PRIORITY


def test_a_priority_band_less_urgent_than_suggested_needs_a_reason() -> None:
    with pytest.raises(TriageRuleError) as error:
        decide_priority_band(thrive(risk=ThriveLevel.HIGH), PriorityBand.P3)
    assert error.value.field == "priority_band_reason"
    decision = decide_priority_band(thrive(), PriorityBand.P1)
    assert (decision.suggested, decision.chosen) == (PriorityBand.P3, PriorityBand.P1)


# Suitability for video


def test_video_is_suitable_when_no_checklist_flag_is_set() -> None:
    assert SUITABLE.suitable
    assert SUITABLE.reasons == []
    assert SUITABLE.handler_reason == ""


@pytest.mark.parametrize("flag", list(SuitabilityFlag))
def test_any_checklist_flag_makes_video_unsuitable_with_its_reason(flag: SuitabilityFlag) -> None:
    decision = assess_suitability([flag])
    assert not decision.suitable
    assert decision.reasons == [flag.reason]
    assert decision.flags == {flag}


def test_suitability_reasons_are_one_per_flag_in_checklist_order() -> None:
    decision = assess_suitability(
        [SuitabilityFlag.NO_CONSENT, SuitabilityFlag.SUSPECT_PRESENT, SuitabilityFlag.NO_CONSENT]
    )
    assert decision.reasons == [
        "The suspect is present",
        "The person does not agree to a video appointment",
    ]


def test_suitability_flag_values_are_stable() -> None:
    assert [flag.value for flag in SuitabilityFlag] == [
        "immediate_threat",
        "suspect_present",
        "forensic_scene_work",
        "in_person_examination",
        "abe_interview_required",
        "no_safe_private_place",
        "no_device",
        "no_consent",
    ]


def test_the_handler_judging_video_unsuitable_must_say_why() -> None:
    with pytest.raises(TriageRuleError, match="Enter why") as error:
        assess_suitability([], "  ", handler_judged_unsuitable=True)
    assert error.value.field == "suitability_reason"


def test_the_handlers_reason_for_unsuitable_is_recorded() -> None:
    decision = assess_suitability([], " Caller is very distressed ", handler_judged_unsuitable=True)
    assert not decision.suitable
    assert decision.reasons == []
    assert decision.handler_reason == "Caller is very distressed"


def test_a_handler_reason_cannot_make_a_flagged_case_suitable() -> None:
    assert not assess_suitability([SuitabilityFlag.NO_DEVICE], "Could borrow a phone").suitable


# Response routes


def test_grade_1_is_never_offered_video() -> None:
    with pytest.raises(TriageRuleError) as error:
        check_video_may_be_offered(Grade.EMERGENCY, SUITABLE)
    assert "grade 1" in str(error.value)
    assert error.value.field == "route"


@pytest.mark.parametrize(
    "grade", [Grade.PRIORITY, Grade.SCHEDULED, Grade.RESOLVED_WITHOUT_DEPLOYMENT]
)
def test_video_may_be_offered_for_grades_2_to_4_when_suitable(grade: Grade) -> None:
    check_video_may_be_offered(grade, SUITABLE)


def test_video_is_not_offered_when_unsuitable_and_the_message_says_why() -> None:
    with pytest.raises(TriageRuleError, match="because the suspect is present"):
        check_video_may_be_offered(Grade.SCHEDULED, SUSPECT_PRESENT)
    judged = assess_suitability([], "Caller cannot read", handler_judged_unsuitable=True)
    with pytest.raises(TriageRuleError, match="because caller cannot read"):
        check_video_may_be_offered(Grade.SCHEDULED, judged)


def test_an_offer_lists_each_route_once_in_a_fixed_order() -> None:
    offer = offer_routes(
        [ResponseRoute.STATION, ResponseRoute.VIDEO, ResponseRoute.STATION],
        grade=Grade.SCHEDULED,
        suitability=SUITABLE,
        offered_at=CALLED_AT,
    )
    assert offer.offered_routes == (ResponseRoute.VIDEO, ResponseRoute.STATION)
    assert offer.chosen is None
    assert [route.value for route in ResponseRoute] == ["video", "attend", "station"]


@pytest.mark.parametrize("route", [ResponseRoute.VIDEO, ResponseRoute.STATION])
def test_grade_1_is_only_offered_attendance(route: ResponseRoute) -> None:
    with pytest.raises(TriageRuleError, match="an officer must attend"):
        offer_routes(
            [ResponseRoute.ATTEND, route],
            grade=Grade.EMERGENCY,
            suitability=SUITABLE,
            offered_at=CALLED_AT,
        )
    offer = offer_routes(
        [ResponseRoute.ATTEND], grade=Grade.EMERGENCY, suitability=SUITABLE, offered_at=CALLED_AT
    )
    assert offer.offered_routes == (ResponseRoute.ATTEND,)


def test_an_offer_needs_at_least_one_route() -> None:
    with pytest.raises(TriageRuleError) as error:
        offer_routes([], grade=Grade.SCHEDULED, suitability=SUITABLE, offered_at=CALLED_AT)
    assert error.value.field == "routes"


def test_an_offer_needs_a_timezone_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware") as error:
        offer_routes(
            [ResponseRoute.ATTEND],
            grade=Grade.SCHEDULED,
            suitability=SUITABLE,
            offered_at=datetime(2026, 6, 15, 14),
        )
    assert not isinstance(error.value, TriageRuleError)


def test_the_caller_can_only_choose_a_route_that_was_offered() -> None:
    with pytest.raises(TriageRuleError, match="routes offered") as error:
        check_route_choice(
            [ResponseRoute.VIDEO, ResponseRoute.STATION],
            ResponseRoute.ATTEND,
            Grade.SCHEDULED,
            SUITABLE,
        )
    assert error.value.field == "route"


def test_video_cannot_be_chosen_once_the_grade_is_1_even_if_offered_before() -> None:
    with pytest.raises(TriageRuleError, match="grade 1"):
        check_route_choice([ResponseRoute.VIDEO], ResponseRoute.VIDEO, Grade.EMERGENCY, SUITABLE)


def test_video_cannot_be_chosen_when_unsuitable() -> None:
    with pytest.raises(TriageRuleError, match="suspect is present"):
        check_route_choice(
            [ResponseRoute.VIDEO], ResponseRoute.VIDEO, Grade.SCHEDULED, SUSPECT_PRESENT
        )


def test_the_callers_choice_is_kept_with_the_offer() -> None:
    offer = offer_routes(
        [ResponseRoute.VIDEO, ResponseRoute.ATTEND],
        grade=Grade.PRIORITY,
        suitability=SUITABLE,
        offered_at=CALLED_AT,
    )
    chosen = choose_route(offer, ResponseRoute.ATTEND, grade=Grade.PRIORITY, suitability=SUITABLE)
    assert chosen == replace(offer, chosen=ResponseRoute.ATTEND)


@pytest.mark.parametrize(
    ("route", "grade", "within"),
    [
        (ResponseRoute.ATTEND, Grade.EMERGENCY, timedelta(minutes=15)),
        (ResponseRoute.ATTEND, Grade.PRIORITY, timedelta(hours=1)),
        (ResponseRoute.ATTEND, Grade.SCHEDULED, timedelta(hours=24)),
        (ResponseRoute.ATTEND, Grade.RESOLVED_WITHOUT_DEPLOYMENT, timedelta(hours=24)),
        (ResponseRoute.STATION, Grade.PRIORITY, timedelta(hours=72)),
        (ResponseRoute.STATION, Grade.SCHEDULED, timedelta(hours=72)),
    ],
)
def test_a_follow_up_is_due_by_route_and_grade(
    route: ResponseRoute, grade: Grade, within: timedelta
) -> None:
    assert due_at_for_route(route, grade, CALLED_AT) == CALLED_AT + within


def test_due_times_are_configurable() -> None:
    due_within = {ResponseRoute.ATTEND: {Grade.PRIORITY: timedelta(minutes=45)}}
    due = due_at_for_route(ResponseRoute.ATTEND, Grade.PRIORITY, CALLED_AT, due_within)
    assert due == CALLED_AT + timedelta(minutes=45)


def test_a_due_time_is_elapsed_time_in_utc_across_a_clock_change() -> None:
    called = datetime(2026, 3, 28, 12, 0, tzinfo=LONDON)  # GMT, the day before BST
    due = due_at_for_route(ResponseRoute.ATTEND, Grade.SCHEDULED, called)
    assert due == utc(SPRING_FORWARD, 12)
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("route", "grade"),
    [(ResponseRoute.VIDEO, Grade.SCHEDULED), (ResponseRoute.STATION, Grade.EMERGENCY)],
)
def test_a_route_without_a_due_time_is_refused(route: ResponseRoute, grade: Grade) -> None:
    with pytest.raises(TriageRuleError, match="No due time"):
        due_at_for_route(route, grade, CALLED_AT)


def test_a_due_time_needs_a_timezone_aware_call_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at_for_route(ResponseRoute.ATTEND, Grade.PRIORITY, datetime(2026, 6, 15, 14))


# Safe contact


def test_safe_contact_is_normalised() -> None:
    contact = make_safe_contact(
        safe_number="020 7946 0018",
        may_text=False,
        code_word="  blue   bell ",
        words_never_to_use=[" Police ", "POLICE", "", "Mum's  house"],
    )
    assert contact.safe_number == "+442079460018"
    assert contact.code_word == "blue bell"
    assert contact.words_never_to_use == ("police", "mum's house")
    assert contact.timezone == "Europe/London"
    assert contact.number_to_use("+447700900123") == "+442079460018"


def test_without_a_safe_number_contact_goes_to_the_mobile() -> None:
    assert make_safe_contact().number_to_use("+447700900123") == "+447700900123"


def test_a_safe_window_may_not_be_empty() -> None:
    with pytest.raises(TriageRuleError, match="after its start") as error:
        SafeWindow(Weekday.MONDAY, time(9), time(9))
    assert error.value.field == "safe_windows"
    with pytest.raises(TriageRuleError):
        SafeWindow(Weekday.MONDAY, time(12), time(9))


def test_a_safe_window_is_wall_clock_time_without_a_zone() -> None:
    with pytest.raises(ValueError, match="wall-clock"):
        SafeWindow(Weekday.MONDAY, time(9, tzinfo=UTC), time(12, tzinfo=UTC))


def test_a_safe_channel_needs_a_safe_time() -> None:
    with pytest.raises(TriageRuleError) as error:
        make_safe_contact(windows=[])
    assert error.value.field == "safe_windows"


def test_a_person_who_may_not_be_contacted_needs_no_safe_time() -> None:
    contact = make_safe_contact(may_text=False, may_call=False, windows=[])
    assert not may_contact(contact, ContactChannel.TEXT, utc(date(2026, 6, 15), 9))


def test_a_voicemail_is_only_safe_if_calls_are() -> None:
    with pytest.raises(TriageRuleError) as error:
        make_safe_contact(may_call=False, may_leave_voicemail=True)
    assert error.value.field == "may_leave_voicemail"


def test_texts_are_never_sent_to_a_landline_safe_number() -> None:
    with pytest.raises(TriageRuleError, match="landline") as error:
        make_safe_contact(may_text=True, safe_number="020 7946 0018")
    assert error.value.field == "safe_number"


def test_a_safe_number_must_be_a_uk_number() -> None:
    with pytest.raises(TriageRuleError) as error:
        make_safe_contact(safe_number="+33 6 12 34 56 78")
    assert error.value.field == "safe_number"


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(TriageRuleError) as error:
        make_safe_contact(timezone="Europe/Atlantis")
    assert error.value.field == "timezone"


@pytest.mark.parametrize(
    ("typed", "code_word"),
    [
        ("Bluebell", "Bluebell"),
        ("  blue  bell 7 ", "blue bell 7"),
        ("ab", "ab"),
        ("x" * 30, "x" * 30),
        ("Ŵyn", "Ŵyn"),
        ("", None),
        ("   ", None),
    ],
)
def test_a_code_word_is_trimmed_and_may_be_left_out(typed: str, code_word: str | None) -> None:
    assert parse_code_word(typed) == code_word


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("a", "Code word must be 2 characters or more"),
        ("x" * 31, "Code word must be 30 characters or fewer"),
        ("blue-bell", "Code word must only include letters, numbers and spaces"),
        ("bell!", "Code word must only include letters, numbers and spaces"),
        ("😀😀", "Code word must only include letters, numbers and spaces"),
    ],
)
def test_a_code_word_breaking_a_rule_is_refused(typed: str, message: str) -> None:
    with pytest.raises(TriageRuleError) as error:
        parse_code_word(typed)
    assert str(error.value) == message
    assert error.value.field == "code_word"


def test_a_code_word_may_not_contain_a_word_never_to_use() -> None:
    with pytest.raises(TriageRuleError) as error:
        make_safe_contact(code_word="Blue Dave", words_never_to_use=["dave"])
    assert error.value.field == "code_word"
    assert str(error.value) == (
        "Code word must not include 'dave': it is a word never to use in a message"
    )


def test_a_code_word_may_mention_the_police_only_if_messages_may() -> None:
    with pytest.raises(TriageRuleError, match="'police'"):
        make_safe_contact(code_word="Police Box", words_never_to_use=[])
    allowed = make_safe_contact(
        code_word="Police Box", words_never_to_use=[], may_mention_police=True
    )
    assert allowed.code_word == "Police Box"


def test_words_never_to_use_are_lower_case_trimmed_and_without_repeats() -> None:
    assert normalise_words_never_to_use(["  Dave ", "dave", "DAVE", "", "Police   Station"]) == (
        "dave",
        "police station",
    )


def test_a_message_is_checked_for_words_never_to_use() -> None:
    contact = make_safe_contact(
        words_never_to_use=["Domestic", "kid", "Dave Smith"], may_mention_police=True
    )
    text = "Your POLICE appointment about the Domestic incident with dave\nsmith."
    assert message_is_safe(text, contact) == ["domestic", "dave smith"]


def test_a_message_may_not_mention_the_police_unless_the_person_allowed_it() -> None:
    text = "Your police appointment is at 10:00."
    assert message_is_safe(text, make_safe_contact(words_never_to_use=[])) == ["police"]
    allowed = make_safe_contact(words_never_to_use=[], may_mention_police=True)
    assert message_is_safe(text, allowed) == []


def test_a_safe_message_has_no_unsafe_words() -> None:
    contact = make_safe_contact(words_never_to_use=["kid", "police"])
    assert message_is_safe("Bluebell: your appointment is at 10:00. Kidney beans.", contact) == []


@pytest.mark.parametrize(
    "text", ["police.", "(police)", "police's", "non-police", "'police'", "POLICE!"]
)
def test_an_unsafe_word_is_found_next_to_punctuation(text: str) -> None:
    assert message_is_safe(text, make_safe_contact(words_never_to_use=["police"])) == ["police"]


def test_unsafe_words_for_one_message_can_be_added() -> None:
    contact = make_safe_contact(words_never_to_use=["dave"])
    assert message_is_safe("Message from Kent", contact, also_never=["Kent"]) == ["kent"]


def test_safe_windows_expand_to_utc_ranges_date_by_date() -> None:
    windows = [
        SafeWindow(Weekday.MONDAY, time(9), time(12)),
        SafeWindow(Weekday.WEDNESDAY, time(18, 30), time(20)),
    ]
    ranges = expand_safe_windows(windows, utc(date(2026, 6, 15), 0), utc(date(2026, 6, 22), 0))
    assert ranges == [
        (utc(date(2026, 6, 15), 8), utc(date(2026, 6, 15), 11)),
        (utc(date(2026, 6, 17), 17, 30), utc(date(2026, 6, 17), 19)),
    ]
    assert all(start.tzinfo is UTC and end.tzinfo is UTC for start, end in ranges)


@pytest.mark.parametrize(
    ("day", "utc_start_hour"),
    [(SPRING_FORWARD, 8), (FALL_BACK, 9), (date(2026, 3, 22), 9), (date(2026, 11, 1), 9)],
)
def test_a_safe_window_keeps_its_wall_clock_length_on_clock_change_days(
    day: date, utc_start_hour: int
) -> None:
    window = SafeWindow(Weekday.SUNDAY, time(9), time(12))
    (only,) = expand_safe_windows(
        [window], utc(day, 0) - timedelta(hours=2), utc(day, 0) + timedelta(hours=26)
    )
    assert only == (utc(day, utc_start_hour), utc(day, utc_start_hour + 3))


def test_a_safe_window_in_the_skipped_hour_is_narrowed_never_widened() -> None:
    window = SafeWindow(Weekday.SUNDAY, time(1, 30), time(3))
    (only,) = expand_safe_windows([window], utc(SPRING_FORWARD, 0), utc(SPRING_FORWARD, 12))
    # 01:30 never happens: the window opens at 02:30 BST and closes at 03:00 BST.
    assert only == (utc(SPRING_FORWARD, 1, 30), utc(SPRING_FORWARD, 2))


def test_a_safe_window_in_the_repeated_hour_takes_the_later_start() -> None:
    window = SafeWindow(Weekday.SUNDAY, time(1, 30), time(3))
    (only,) = expand_safe_windows(
        [window], utc(FALL_BACK, 0) - timedelta(hours=1), utc(FALL_BACK, 12)
    )
    # 01:30 happens twice; starting at the first would include 01:00-01:30 GMT.
    assert only == (utc(FALL_BACK, 1, 30), utc(FALL_BACK, 3))


def test_safe_windows_are_clipped_to_the_range_asked_for() -> None:
    window = SafeWindow(Weekday.MONDAY, time(9), time(12))
    assert expand_safe_windows(
        [window], utc(date(2026, 6, 15), 9), utc(date(2026, 6, 15), 10, 30)
    ) == [(utc(date(2026, 6, 15), 9), utc(date(2026, 6, 15), 10, 30))]


def test_overlapping_safe_windows_are_merged() -> None:
    windows = [
        SafeWindow(Weekday.MONDAY, time(9), time(12)),
        SafeWindow(Weekday.MONDAY, time(11), time(13)),
        SafeWindow(Weekday.MONDAY, time(13), time(14)),
    ]
    assert expand_safe_windows(windows, utc(date(2026, 6, 15), 0), utc(date(2026, 6, 16), 0)) == [
        (utc(date(2026, 6, 15), 8), utc(date(2026, 6, 15), 13))
    ]


def test_safe_windows_expand_in_another_time_zone() -> None:
    window = SafeWindow(Weekday.MONDAY, time(9), time(12))
    ranges = expand_safe_windows(
        [window], utc(date(2026, 6, 15), 0), utc(date(2026, 6, 16), 0), ZoneInfo("Europe/Paris")
    )
    assert ranges == [(utc(date(2026, 6, 15), 7), utc(date(2026, 6, 15), 10))]


def test_an_empty_or_backwards_range_has_no_safe_windows() -> None:
    window = SafeWindow(Weekday.MONDAY, time(9), time(12))
    monday = utc(date(2026, 6, 15), 9)
    assert expand_safe_windows([window], monday, monday) == []
    assert expand_safe_windows([window], monday, monday - timedelta(days=1)) == []


def test_safe_windows_need_timezone_aware_bounds() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        expand_safe_windows([], datetime(2026, 6, 15), utc(date(2026, 6, 16), 0))


def test_contact_is_safe_only_by_an_allowed_channel_inside_a_safe_window() -> None:
    contact = make_safe_contact(
        may_text=True,
        may_call=False,
        windows=[SafeWindow(Weekday.SUNDAY, time(9), time(12))],
    )
    assert may_contact(contact, ContactChannel.TEXT, utc(SPRING_FORWARD, 8))  # 09:00 BST
    assert not may_contact(contact, ContactChannel.TEXT, utc(SPRING_FORWARD, 11))  # 12:00 BST
    assert not may_contact(contact, ContactChannel.TEXT, utc(SPRING_FORWARD, 7, 59))
    assert not may_contact(contact, ContactChannel.CALL, utc(SPRING_FORWARD, 9))
    assert not may_contact(contact, ContactChannel.VOICEMAIL, utc(SPRING_FORWARD, 9))


# Properties of safe window expansion

DAYS_AROUND_CLOCK_CHANGES = st.one_of(
    st.sampled_from(
        [SPRING_FORWARD - timedelta(days=1), SPRING_FORWARD, FALL_BACK - timedelta(days=1)]
    ),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
)
QUARTER_HOURS = st.builds(time, hour=st.integers(0, 23), minute=st.sampled_from([0, 15, 30, 45]))


@st.composite
def any_safe_windows(draw: st.DrawFn) -> list[SafeWindow]:
    windows = []
    for _ in range(draw(st.integers(0, 6))):
        first, second = draw(QUARTER_HOURS), draw(QUARTER_HOURS)
        if first != second:
            weekday = draw(st.sampled_from(list(Weekday)))
            windows.append(SafeWindow(weekday, min(first, second), max(first, second)))
    return windows


@settings(database=None)
@given(
    windows=any_safe_windows(),
    first_day=DAYS_AROUND_CLOCK_CHANGES,
    start_minutes=st.integers(0, 24 * 60),
    length_minutes=st.integers(0, 10 * 24 * 60),
)
def test_expanded_safe_windows_are_sorted_apart_inside_the_range_and_never_widened(
    windows: list[SafeWindow], first_day: date, start_minutes: int, length_minutes: int
) -> None:
    lower = utc(first_day, 0) + timedelta(minutes=start_minutes)
    upper = lower + timedelta(minutes=length_minutes)
    ranges = expand_safe_windows(windows, lower, upper)
    for start, end in ranges:
        assert start.tzinfo is UTC and end.tzinfo is UTC
        assert lower <= start < end <= upper
    for (_, earlier_end), (later_start, _) in pairwise(ranges):
        assert earlier_end < later_start
    for instant in [start for start, _ in ranges] + [
        end - timedelta(microseconds=1) for _, end in ranges
    ]:
        local = instant.astimezone(LONDON)
        assert any(
            w.weekday == local.weekday() and w.start <= local.time() < w.end for w in windows
        )


@settings(database=None)
@given(
    hours=st.dictionaries(
        st.sampled_from(list(Weekday)),
        st.tuples(st.integers(3, 22), st.integers(1, 21)),
        max_size=7,
    ),
    first_day=DAYS_AROUND_CLOCK_CHANGES,
    days=st.integers(0, 21),
)
def test_each_expanded_safe_window_has_the_wall_clock_length_asked(
    hours: dict[Weekday, tuple[int, int]], first_day: date, days: int
) -> None:
    windows = [
        SafeWindow(weekday, time(start), time(min(start + length, 23)))
        for weekday, (start, length) in hours.items()
        if start < min(start + length, 23)
    ]
    last_day = first_day + timedelta(days=days)
    ranges = expand_safe_windows(
        windows,
        datetime.combine(first_day, time(0), tzinfo=LONDON),
        datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=LONDON),
    )
    expected = [
        (day, window)
        for day in (first_day + timedelta(days=n) for n in range(days + 1))
        for window in windows
        if window.weekday == day.weekday()
    ]
    assert len(ranges) == len(expected)
    for (start, end), (day, window) in zip(ranges, expected, strict=True):
        assert start.astimezone(LONDON).date() == day
        assert start.astimezone(LONDON).time() == window.start
        wall_length = datetime.combine(day, window.end) - datetime.combine(day, window.start)
        assert end - start == wall_length
