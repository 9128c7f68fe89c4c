"""The case page: the incident, the route offer form and, once video is chosen, booking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import ImmutableMultiDict

from videoresponse.booking import service as booking
from videoresponse.booking.rules import SlotOption, parse_slot_value
from videoresponse.config import Settings
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.core.web import render
from videoresponse.triage import service
from videoresponse.triage.rules import ResponseRoute
from videoresponse.triage.views import AppointmentSummary, IncidentView, PersonView, RouteOfferView
from videoresponse.triage.wording import ROUTE_NAMES, Wording, age_on

OPTIONS_SHOWN = 6
WHY = "call handling"


@dataclass(frozen=True)
class RouteChoiceForm:
    person_id: int | None
    offered: list[ResponseRoute]
    chosen: ResponseRoute | None
    reason: str


@dataclass(frozen=True)
class BookingChoice:
    person_id: int | None
    starts_at: datetime | None
    officer_id: int | None
    late_reason: str
    later: bool


@dataclass(frozen=True)
class OptionLine:
    option: SlotOption
    officer_name: str
    after_deadline: bool

    @property
    def slot(self) -> str:
        """The Book button's value: the start and the officer, as the book route reads them."""
        return self.option.value


@dataclass
class NextStep:
    """What the call handler does next for one person."""

    person: PersonView
    age: int | None
    latest: RouteOfferView | None
    appointment: AppointmentSummary | None
    video_allowed: bool
    options: list[OptionLine] = field(default_factory=list)
    searched: bool = False
    form: ImmutableMultiDict[str, str] = field(default_factory=ImmutableMultiDict)
    """This person's form as typed, when it came back with errors."""
    errors: dict[str, str] = field(default_factory=dict)


def route_form(form: ImmutableMultiDict[str, str]) -> RouteChoiceForm:
    routes = {route.value: route for route in ResponseRoute}
    return RouteChoiceForm(
        person_id=_int(form.get("person_id", "")),
        offered=[routes[v] for v in form.getlist("offered") if v in routes],
        chosen=routes.get(form.get("chosen", "")),
        reason=form.get("reason", ""),
    )


def booking_form(form: ImmutableMultiDict[str, str]) -> BookingChoice:
    """The chosen option: from the Book button ("start|officer"), or the two fields."""
    slot = form.get("slot", "")
    if slot:
        chosen = parse_slot_value(slot)
        starts_at, officer_id = chosen if chosen else (None, None)
    else:
        starts_at, officer_id = (
            _instant(form.get("starts_at", "")),
            _int(form.get("officer_id", "")),
        )
    return BookingChoice(
        person_id=_int(form.get("person_id", "")),
        starts_at=starts_at,
        officer_id=officer_id,
        late_reason=form.get("late_reason", ""),
        later=form.get("later", "") == "yes",
    )


class CasePage:
    """Reads the incident (an audited consultation) and what each person's next step needs."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        member: StaffMember,
        incident_id: int,
        *,
        later: bool = False,
    ) -> None:
        self.db, self.settings, self.member = db, settings, member
        self.incident_id, self.later = incident_id, later

    def render(
        self,
        request: Request,
        *,
        status_code: int = 200,
        booked: int | None = None,
        typed: ImmutableMultiDict[str, str] | None = None,
        person_id: int | None = None,
        errors: dict[str, str] | None = None,
        problem: str = "",
        fresh: dict[int, list[SlotOption]] | None = None,
    ) -> Response:
        """The page; ``typed`` and ``errors`` go back to the form of person ``person_id``."""
        try:
            view = service.get_incident(
                self.db, incident_id=self.incident_id, by=self.member, why=WHY
            )
        except service.NotFound as missing:
            raise HTTPException(status_code=404, detail=str(missing)) from None
        say = Wording(self.settings.timezone, service.incident_types(self.settings))
        fresh = fresh or {}
        steps = [self._next_step(view, person, fresh.get(person.id)) for person in view.people]
        errors = errors or {}
        for step in steps:
            if step.person.id == person_id:
                step.form = typed or ImmutableMultiDict()
                step.errors = {_INPUTS.get(k, k): message for k, message in errors.items()}
        anchors = {key: f"{_INPUTS.get(key, key)}-{person_id}" for key in errors}
        routes = view.routes_to_offer()
        confirmed = next((a for a in view.appointments if a.id == booked), None)
        context = {
            "view": view,
            "say": say,
            "steps": steps,
            "routes": routes,
            "offerable": [
                (r.value, ROUTE_NAMES[r]) for r, why_not in routes.items() if not why_not
            ],
            "errors": errors,
            "anchors": anchors,
            "problem": problem,
            "later": self.later,
            "confirmed": confirmed,
        }
        return render(request, "triage/incident.html", context, status_code=status_code)

    def _next_step(
        self, view: IncidentView, person: PersonView, fresh: list[SlotOption] | None
    ) -> NextStep:
        step = NextStep(
            person=person,
            age=age_on(person.date_of_birth, utcnow().date()),
            latest=view.latest_choice(person.id),
            appointment=view.active_appointment(person.id),
            video_allowed=view.routes_to_offer()[ResponseRoute.VIDEO] == "",
        )
        wants_video = step.latest is not None and step.latest.chosen == ResponseRoute.VIDEO
        if not (wants_video and step.video_allowed and step.appointment is None):
            return step
        if fresh is None:
            fresh, _ = booking.find_options(
                self.db,
                self.settings,
                person_id=person.id,
                limit=OPTIONS_SHOWN,
                # The caller asked for later: the times before the deadline were declined.
                earliest=view.deadline if self.later else None,
                after_deadline=self.later,
                by=self.member,
            )
        names = service.officer_names(self.db, ids=[o.officer_id for o in fresh])
        step.options = [
            OptionLine(o, names.get(o.officer_id, "an officer"), o.end > view.deadline)
            for o in fresh
        ]
        step.searched = True
        return step


# The input each route-choice error belongs to (ids carry the person's id after a hyphen).
_INPUTS = {"routes": "offered", "route": "chosen", "reason": "reason"}


def _int(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def _instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.utcoffset() is not None else None
