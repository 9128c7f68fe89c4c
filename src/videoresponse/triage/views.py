"""What the call handling pages and the API read: plain dataclasses, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from videoresponse.booking.rules import ACTIVE_STATUSES, AppointmentStatus
from videoresponse.triage.rules import (
    Grade,
    ResponseRoute,
    SuitabilityDecision,
    SuitabilityFlag,
    TriageRuleError,
    Weekday,
    check_route_may_be_offered,
)

IN_PERSON_ROUTES = frozenset({ResponseRoute.ATTEND, ResponseRoute.STATION})


class IncidentStatus(StrEnum):
    """Where an incident stands for the call handler, from its route choices and bookings."""

    TO_OFFER = "to_offer"
    TO_BOOK = "to_book"
    BOOKED = "booked"
    IN_PERSON = "in_person"

    @property
    def label(self) -> str:
        return {
            IncidentStatus.TO_OFFER: "Route not chosen",
            IncidentStatus.TO_BOOK: "To book",
            IncidentStatus.BOOKED: "Booked",
            IncidentStatus.IN_PERSON: "In person",
        }[self]


@dataclass(frozen=True)
class ThriveLine:
    dimension: str
    level: str
    rationale: str


@dataclass(frozen=True)
class SafeTimeView:
    weekday: int
    starts: time
    ends: time

    @property
    def day_name(self) -> str:
        return Weekday(self.weekday).name.capitalize()


@dataclass(frozen=True)
class SafeContactView:
    may_text: bool
    may_call: bool
    may_leave_voicemail: bool
    may_mention_police: bool
    wants_reminders: bool
    may_add_to_calendar: bool
    may_download_copy: bool
    safe_times: list[SafeTimeView]
    safe_number: str | None
    code_word: str | None
    words_never_to_use: list[str]
    timezone: str


@dataclass(frozen=True)
class PersonView:
    id: int
    role: str
    name: str
    date_of_birth: date | None
    mobile: str | None
    language: str
    interpreter_needed: bool
    accessibility_needs: str
    preferred_officer_gender: str | None
    safe_contact: SafeContactView | None


@dataclass(frozen=True)
class RouteOfferView:
    id: int
    person_id: int
    offered: list[str]
    chosen: str
    reason: str
    offered_by: str
    offered_at: datetime


@dataclass(frozen=True)
class InPersonRequestView:
    id: int
    incident_id: int
    urn: str
    person_id: int
    route: str
    due_at: datetime
    created_at: datetime
    closed_at: datetime | None
    outcome: str


@dataclass(frozen=True)
class AppointmentSummary:
    id: int
    person_id: int
    officer_id: int | None
    officer_name: str
    starts_at: datetime
    ends_at: datetime
    status: str

    @property
    def active(self) -> bool:
        return AppointmentStatus(self.status) in ACTIVE_STATUSES


@dataclass(frozen=True)
class IncidentView:
    id: int
    urn: str
    incident_type: str
    summary: str
    called_at: datetime
    grade: int
    grade_reason: str
    priority_band: str
    priority_band_reason: str
    deadline: datetime
    suitable_for_video: bool
    suitability_flags: list[str]
    suitability_reasons: list[str]
    suitability_reason: str
    thrive: list[ThriveLine]
    people: list[PersonView]
    route_offers: list[RouteOfferView]
    in_person_requests: list[InPersonRequestView]
    appointments: list[AppointmentSummary]

    @property
    def suitability(self) -> SuitabilityDecision:
        return suitability_of(
            self.suitable_for_video, self.suitability_flags, self.suitability_reason
        )

    def routes_to_offer(self) -> dict[ResponseRoute, str]:
        """Each route, with "" where it may be offered, else why not (the rule's message)."""
        why_not = {}
        for route in ResponseRoute:
            try:
                check_route_may_be_offered(route, Grade(self.grade), self.suitability)
                why_not[route] = ""
            except TriageRuleError as error:
                why_not[route] = error.message
        return why_not

    def latest_choice(self, person_id: int) -> RouteOfferView | None:
        offers = [o for o in self.route_offers if o.person_id == person_id]
        return offers[-1] if offers else None

    def active_appointment(self, person_id: int) -> AppointmentSummary | None:
        return next((a for a in self.appointments if a.person_id == person_id and a.active), None)

    @property
    def status(self) -> IncidentStatus:
        latest = [self.latest_choice(p.id) for p in self.people]
        return status_of(
            [o.chosen for o in latest if o is not None],
            any(a.active for a in self.appointments),
            all(o is not None for o in latest),
        )


@dataclass(frozen=True)
class IncidentSummary:
    """A line of the call handler's list: no names, so listing is not a consultation."""

    id: int
    urn: str
    incident_type: str
    grade: int
    priority_band: str
    called_at: datetime
    deadline: datetime
    status: IncidentStatus


@dataclass(frozen=True)
class RouteChoice:
    route_offer_id: int
    chosen: ResponseRoute
    in_person_request_id: int | None
    due_at: datetime | None


def suitability_of(suitable: bool, flags: list[str], reason: str) -> SuitabilityDecision:
    """The stored decision as the rules see it (the handler's own judgement is implied)."""
    raised = frozenset(SuitabilityFlag(flag) for flag in flags)
    return SuitabilityDecision(
        suitable=suitable,
        reasons=[flag.reason for flag in SuitabilityFlag if flag in raised],
        handler_reason=reason,
        flags=raised,
        handler_judged_unsuitable=not suitable and not raised,
    )


def status_of(latest_choices: list[str], booked: bool, every_person_chose: bool) -> IncidentStatus:
    """Booked wins; then any attend or station choice; then whether everyone has chosen."""
    if booked:
        return IncidentStatus.BOOKED
    if any(ResponseRoute(c) in IN_PERSON_ROUTES for c in latest_choices):
        return IncidentStatus.IN_PERSON
    if latest_choices and every_person_chose:
        return IncidentStatus.TO_BOOK
    return IncidentStatus.TO_OFFER
