"""The incidents JSON API, for a force's command-and-control system.

Authentication is the staff session cookie; POSTs carry the X-CSRF-Token header (checked
for the whole app by core.web.check_csrf). Field problems answer 422 with every problem
in ``errors`` ({field: message}); a URN already recorded answers 409.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from videoresponse.booking import service as booking
from videoresponse.booking.rules import PriorityBand
from videoresponse.core.auth.deps import CallHandler
from videoresponse.core.db import utcnow
from videoresponse.core.web import app_db, app_settings
from videoresponse.triage import service
from videoresponse.triage.drafts import (
    DraftErrors,
    DuplicateUrn,
    IncidentDraft,
    PersonDraft,
    SafeContactDraft,
    SafeTimeDraft,
    ScoreDraft,
)
from videoresponse.triage.rules import (
    Grade,
    OfficerGender,
    PersonRole,
    ResponseRoute,
    SuitabilityFlag,
    ThriveDimension,
    ThriveLevel,
    TriageRuleError,
)
from videoresponse.triage.views import IncidentView

router = APIRouter(prefix="/api", tags=["incidents"])


class SafeTimeIn(BaseModel):
    days: str = Field(
        description="every_day, weekdays, weekends, or one day: monday ... sunday",
        examples=["weekdays"],
    )
    start: str = Field(description="Local time, HH:MM", examples=["09:00"])
    end: str = Field(description="Local time, HH:MM", examples=["17:30"])


class SafeContactIn(BaseModel):
    """How the person may be contacted safely. Nothing is assumed: say yes or no."""

    may_text: bool
    may_call: bool
    may_leave_voicemail: bool = False
    may_mention_police: bool = False
    wants_reminders: bool = Field(False, description="A reminder text before the appointment")
    may_add_to_calendar: bool = Field(False, description="A calendar entry is safe on their phone")
    may_download_copy: bool = Field(
        False, description="A copy of their signed statement is safe on their phone"
    )
    safe_times: list[SafeTimeIn] = Field(default_factory=list, max_length=7)
    safe_number: str = ""
    code_word: str = ""
    words_never_to_use: list[str] = Field(default_factory=list, max_length=50)


class PersonIn(BaseModel):
    role: PersonRole = PersonRole.VICTIM
    name: str
    date_of_birth: date | None = None
    mobile: str = Field("", description="UK mobile; blank if none", examples=["07700 900123"])
    language: str = "English"
    interpreter_needed: bool = False
    accessibility_needs: str = ""
    preferred_officer_gender: OfficerGender | None = Field(
        None, description="Only for domestic abuse and sexual offences (Victims' Code)"
    )
    safe_contact: SafeContactIn


class ThriveScoreIn(BaseModel):
    level: ThriveLevel
    rationale: str


class IncidentIn(BaseModel):
    urn: str = Field(examples=["01/123456/26"])
    incident_type: str = Field(examples=["domestic_abuse"])
    summary: str
    called_at: AwareDatetime | None = Field(
        None, description="When the call came in; now if left out"
    )
    people: list[PersonIn] = Field(min_length=1, max_length=10)
    thrive: dict[ThriveDimension, ThriveScoreIn] = Field(
        description="All six dimensions, each with a level and a rationale"
    )
    grade: Grade
    grade_reason: str = Field("", description="Needed when less urgent than suggested")
    priority_band: PriorityBand
    priority_band_reason: str = Field("", description="Needed when lower than suggested")
    suitability_flags: list[SuitabilityFlag] = Field(default_factory=list)
    judged_unsuitable: bool = Field(False, description="Unsuitable for another reason")
    suitability_reason: str = ""

    def draft(self) -> IncidentDraft:
        return IncidentDraft(
            urn=self.urn,
            incident_type=self.incident_type,
            summary=self.summary,
            called_at=self.called_at or utcnow(),
            people=[_person_draft(person) for person in self.people],
            thrive={
                d.value: ScoreDraft(s.level.value, s.rationale) for d, s in self.thrive.items()
            },
            grade=int(self.grade),
            grade_reason=self.grade_reason,
            priority_band=self.priority_band.value,
            priority_band_reason=self.priority_band_reason,
            suitability_flags=[flag.value for flag in self.suitability_flags],
            judged_unsuitable=self.judged_unsuitable,
            suitability_reason=self.suitability_reason,
        )


class IncidentCreated(BaseModel):
    id: int
    deadline: datetime


class RouteChoiceIn(BaseModel):
    person_id: int
    offered: list[ResponseRoute]
    chosen: ResponseRoute
    reason: str = ""


class RouteChoiceOut(BaseModel):
    route_offer_id: int
    chosen: ResponseRoute
    in_person_request_id: int | None
    due_at: datetime | None = Field(description="For attend and station: when it is due")


class OptionOut(BaseModel):
    start: datetime
    end: datetime
    officer_id: int
    reason: str


class OptionsOut(BaseModel):
    deadline: datetime
    options: list[OptionOut]


def _person_draft(person: PersonIn) -> PersonDraft:
    contact = person.safe_contact
    return PersonDraft(
        role=person.role.value,
        name=person.name,
        date_of_birth=person.date_of_birth,
        mobile=person.mobile,
        language=person.language,
        interpreter_needed=person.interpreter_needed,
        accessibility_needs=person.accessibility_needs,
        preferred_officer_gender=(
            person.preferred_officer_gender.value if person.preferred_officer_gender else ""
        ),
        safe_contact=SafeContactDraft(
            may_text=contact.may_text,
            may_call=contact.may_call,
            may_leave_voicemail=contact.may_leave_voicemail,
            may_mention_police=contact.may_mention_police,
            wants_reminders=contact.wants_reminders,
            may_add_to_calendar=contact.may_add_to_calendar,
            may_download_copy=contact.may_download_copy,
            safe_times=[SafeTimeDraft(t.days, t.start, t.end) for t in contact.safe_times],
            safe_number=contact.safe_number,
            code_word=contact.code_word,
            words_never_to_use=contact.words_never_to_use,
        ),
    )


def _problems(errors: DraftErrors, status_code: int) -> JSONResponse:
    return JSONResponse(
        {"detail": "; ".join(errors.errors.values()), "errors": errors.errors},
        status_code=status_code,
    )


@router.post(
    "/incidents",
    status_code=201,
    response_model=IncidentCreated,
    responses={409: {"description": "URN already recorded"}, 422: {"description": "Problems"}},
)
def create_incident(
    request: Request, body: IncidentIn, member: CallHandler
) -> IncidentCreated | JSONResponse:
    """Record an incident with its people, THRIVE, grade, band and safe contact."""
    settings = app_settings(request)
    draft = body.draft()
    try:
        # Checked here too only to answer with the deadline without reading the incident
        # back (a read of personal data would be an audited consultation).
        deadline = service.check_incident_draft(settings, draft=draft).deadline
        incident_id = service.record_incident(app_db(request), settings, draft=draft, by=member)
    except DuplicateUrn as duplicate:
        return _problems(duplicate, 409)
    except DraftErrors as problems:
        return _problems(problems, 422)
    return IncidentCreated(id=incident_id, deadline=deadline)


@router.get("/incidents/{incident_id}", response_model=IncidentView)
def read_incident(
    request: Request,
    incident_id: int,
    member: CallHandler,
    why: Annotated[str, Query(max_length=200, description="Why it is read (audited)")] = (
        service.CALL_HANDLING
    ),
) -> IncidentView:
    """The incident with its people and safe contact: every read is audited with why."""
    try:
        return service.get_incident(app_db(request), incident_id=incident_id, by=member, why=why)
    except service.NotFound as missing:
        raise HTTPException(status_code=404, detail=str(missing)) from None


@router.post(
    "/incidents/{incident_id}/route-choice", status_code=201, response_model=RouteChoiceOut
)
def record_route_choice(
    request: Request, incident_id: int, body: RouteChoiceIn, member: CallHandler
) -> RouteChoiceOut | JSONResponse:
    """Record the routes offered and the caller's choice (grade 1 is never offered video)."""
    try:
        choice = service.record_route_choice(
            app_db(request),
            app_settings(request),
            incident_id=incident_id,
            person_id=body.person_id,
            offered=body.offered,
            chosen=body.chosen,
            reason=body.reason,
            by=member,
        )
    except service.NotFound as missing:
        raise HTTPException(status_code=404, detail=str(missing)) from None
    except DraftErrors as problems:
        return _problems(problems, 422)
    return RouteChoiceOut(
        route_offer_id=choice.route_offer_id,
        chosen=choice.chosen,
        in_person_request_id=choice.in_person_request_id,
        due_at=choice.due_at,
    )


@router.get("/people/{person_id}/options", response_model=OptionsOut)
def booking_options(
    request: Request,
    person_id: int,
    member: CallHandler,
    limit: Annotated[int, Query(ge=1, le=20)] = 6,
    after_deadline: Annotated[
        bool, Query(description="The caller asked for later: booking one needs a reason")
    ] = False,
) -> OptionsOut:
    """The earliest video appointment times for a person who chose video."""
    db = app_db(request)
    try:
        service.check_video_may_be_booked(db, person_id=person_id)
    except service.NotFound as missing:
        raise HTTPException(status_code=404, detail=str(missing)) from None
    except TriageRuleError as broken:
        raise HTTPException(status_code=400, detail=broken.message) from None
    options, deadline = booking.find_options(
        db,
        app_settings(request),
        person_id=person_id,
        limit=limit,
        after_deadline=after_deadline,
        by=member,
    )
    return OptionsOut(
        deadline=deadline,
        options=[
            OptionOut(start=o.start, end=o.end, officer_id=o.officer_id, reason=o.reason)
            for o in options
        ],
    )
