"""Call handling: record an incident, read it back, record the caller's choice of route.

Each public function is one transaction, and its audit entry (DPA 2018 s.62) is written in
that same transaction. Audit details hold ids and field names only: never a name, a
number, a code word or a summary.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from videoresponse.booking.models import Appointment
from videoresponse.booking.rules import ACTIVE_STATUSES
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.triage import reading, writing
from videoresponse.triage.drafts import (
    REASON_MAX_LENGTH,
    CheckedIncident,
    DraftErrors,
    DuplicateUrn,
    IncidentDraft,
    check_draft,
)
from videoresponse.triage.models import (
    Incident,
    InPersonRequest,
    PersonRow,
    RouteOfferRow,
    SafeContactRow,
)
from videoresponse.triage.rules import (
    Grade,
    IncidentType,
    ResponseRoute,
    TriageRuleError,
    check_route_choice,
    check_video_may_be_offered,
    due_at_for_route,
    incident_types_from_config,
    offer_routes,
)
from videoresponse.triage.views import (
    IN_PERSON_ROUTES,
    IncidentSummary,
    IncidentView,
    InPersonRequestView,
    RouteChoice,
    suitability_of,
)

CALL_HANDLING = "call handling"


class NotFound(LookupError):
    """No such incident, person or request (or the person is not in that incident)."""


def record_incident(
    db: Database, settings: Settings, *, draft: IncidentDraft, by: StaffMember
) -> int:
    """Check the draft against every triage rule and store it; the new incident's id."""
    checked = check_incident_draft(settings, draft=draft)
    try:
        with db.transaction() as session:
            _check_urn_is_new(session, checked.urn)
            return writing.store_incident(session, checked, by)
    except IntegrityError:
        # On PostgreSQL two calls can pass the check above at once; the unique index
        # decides, and the loser hears the same clear message.
        with db.transaction() as session:
            _check_urn_is_new(session, checked.urn)
        raise


def incident_types(settings: Settings) -> tuple[IncidentType, ...]:
    """The force's incident types (the national list unless configured)."""
    return incident_types_from_config(settings.incident_types)


def check_incident_draft(settings: Settings, *, draft: IncidentDraft) -> CheckedIncident:
    """Every problem with a draft as ``DraftErrors``, without storing anything (no I/O)."""
    return check_draft(
        draft,
        incident_types=incident_types(settings),
        band_hours=settings.band_hours,
        now=utcnow(),
        timezone=settings.timezone,
    )


def get_incident(db: Database, *, incident_id: int, by: StaffMember, why: str) -> IncidentView:
    """The incident with its people, THRIVE, routes and appointments; audited with why."""
    with db.transaction() as session:
        incident = session.scalar(
            select(Incident)
            .where(Incident.id == incident_id)
            .options(
                selectinload(Incident.thrive),
                selectinload(Incident.people)
                .selectinload(PersonRow.safe_contact)
                .selectinload(SafeContactRow.windows),
            )
        )
        if incident is None:
            raise NotFound("There is no such incident")
        view = reading.incident_view(session, incident)
        audit.record(
            session,
            actor=by.actor,
            action=Action.CONSULTATION,
            event="incident.viewed",
            object_type="incident",
            object_id=incident.id,
            why=why.strip() or CALL_HANDLING,
            detail={"people": [person.id for person in view.people]},
        )
        return view


def record_route_choice(
    db: Database,
    settings: Settings,
    *,
    incident_id: int,
    person_id: int,
    offered: list[ResponseRoute],
    chosen: ResponseRoute | None,
    reason: str,
    by: StaffMember,
) -> RouteChoice:
    """Keep the routes offered and the caller's choice; an in-person choice is tracked."""
    with db.transaction() as session:
        incident, person = _incident_and_person(session, incident_id, person_id)
        grade = Grade(incident.grade)
        suitability = suitability_of(
            incident.suitable_for_video, incident.suitability_flags, incident.suitability_reason
        )
        errors: dict[str, str] = {}
        now = utcnow()
        try:
            offer_routes(offered, grade=grade, suitability=suitability, offered_at=now)
        except TriageRuleError as error:
            # The rules name the route; on the form it is the offer that is wrong.
            errors["routes"] = error.message
        if chosen is None:
            errors["route"] = "Select the route the caller chose"
        else:
            try:
                check_route_choice(offered, chosen, grade, suitability)
            except TriageRuleError as error:
                if error.message not in errors.values():
                    errors["route"] = error.message
        if len(reason.strip()) > REASON_MAX_LENGTH:
            errors["reason"] = f"Reason must be {REASON_MAX_LENGTH} characters or fewer"
        booked = _active_appointment(session, person.id)
        if chosen is not None and chosen is not ResponseRoute.VIDEO and booked is not None:
            errors.setdefault(
                "route",
                "This person has a video appointment booked: cancel it before recording "
                "a different route",
            )
        if errors:
            raise DraftErrors(errors)
        assert chosen is not None
        offer = RouteOfferRow(
            incident_id=incident.id,
            person_id=person.id,
            offered=[route.value for route in ResponseRoute if route in set(offered)],
            chosen=chosen.value,
            reason=reason.strip(),
            offered_by=by.id,
            offered_at=now,
        )
        session.add(offer)
        session.flush()
        audit.record(
            session,
            actor=by.actor,
            action=Action.COLLECTION,
            event="route_offer.recorded",
            object_type="route_offer",
            object_id=offer.id,
            why=CALL_HANDLING,
            detail={"incident": incident.id, "person": person.id, "fields": ["offered", "chosen"]},
        )
        _close_open_requests(
            session, person.id, f"Replaced: the caller then chose {chosen.label}", by
        )
        if chosen not in IN_PERSON_ROUTES:
            return RouteChoice(offer.id, chosen, None, None)
        request = InPersonRequest(
            incident_id=incident.id,
            person_id=person.id,
            route=chosen.value,
            due_at=due_at_for_route(chosen, grade, incident.called_at),
        )
        session.add(request)
        session.flush()
        audit.record(
            session,
            actor=by.actor,
            action=Action.COLLECTION,
            event="in_person_request.created",
            object_type="in_person_request",
            object_id=request.id,
            why=CALL_HANDLING,
            detail={"incident": incident.id, "person": person.id, "route": chosen.value},
        )
        return RouteChoice(offer.id, chosen, request.id, request.due_at)


def check_video_may_be_booked(
    db: Database, *, person_id: int, incident_id: int | None = None
) -> int:
    """Raise unless the person's case allows video and the caller chose it; the incident id.

    Grade 1 is never offered video (DOMAIN.md), so a booking follows a recorded choice.
    """
    with db.transaction() as session:
        person = session.get(PersonRow, person_id)
        if person is None or (incident_id is not None and person.incident_id != incident_id):
            raise NotFound("There is no such person in this incident")
        incident = person.incident
        check_video_may_be_offered(
            Grade(incident.grade),
            suitability_of(
                incident.suitable_for_video,
                incident.suitability_flags,
                incident.suitability_reason,
            ),
        )
        latest = session.scalar(
            select(RouteOfferRow.chosen)
            .where(RouteOfferRow.person_id == person_id)
            .order_by(RouteOfferRow.id.desc())
            .limit(1)
        )
        if latest != ResponseRoute.VIDEO:
            raise TriageRuleError(
                "Record that the caller chose a video appointment before booking one",
                field="route",
            )
        return incident.id


def list_recent_incidents(db: Database, *, limit: int, by: StaffMember) -> list[IncidentSummary]:
    """The latest incidents, newest call first, with where each stands."""
    with db.transaction() as session:
        rows = session.scalars(
            select(Incident)
            .options(selectinload(Incident.people))
            .order_by(Incident.called_at.desc(), Incident.id.desc())
            .limit(max(1, min(limit, 200)))
        ).all()
        return reading.summaries(session, rows)


def open_in_person_requests(db: Database, *, by: StaffMember) -> list[InPersonRequestView]:
    """Attendances and station visits not yet closed, the most urgent first."""
    with db.transaction() as session:
        rows = session.execute(
            select(InPersonRequest, Incident.urn)
            .join(Incident, Incident.id == InPersonRequest.incident_id)
            .where(InPersonRequest.closed_at.is_(None))
            .order_by(InPersonRequest.due_at, InPersonRequest.id)
        ).all()
        return [reading.in_person_view(row, urn) for row, urn in rows]


def close_in_person_request(
    db: Database, *, request_id: int, outcome: str, by: StaffMember
) -> None:
    """Record what happened to an attendance or station visit, and close it."""
    if not outcome.strip():
        raise TriageRuleError("Enter what happened", field="outcome")
    if len(outcome.strip()) > REASON_MAX_LENGTH:
        raise TriageRuleError(
            f"Outcome must be {REASON_MAX_LENGTH} characters or fewer", field="outcome"
        )
    with db.transaction() as session:
        request = session.get(InPersonRequest, request_id, with_for_update=True)
        if request is None:
            raise NotFound("There is no such request")
        if request.closed_at is not None:
            raise TriageRuleError("This request is already closed", field="outcome")
        _close(session, request, outcome.strip(), by)


def officer_names(db: Database, *, ids: list[int]) -> dict[int, str]:
    """Staff display names by id, to say who an option or appointment is with."""
    with db.transaction() as session:
        return _names(session, ids)


def _names(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(set(ids)))
    )
    return {staff_id: name for staff_id, name in rows}


def _check_urn_is_new(session: Session, urn: str) -> None:
    existing = session.scalar(select(Incident.id).where(Incident.urn == urn))
    if existing is not None:
        raise DuplicateUrn(urn, existing)


def _incident_and_person(
    session: Session, incident_id: int, person_id: int
) -> tuple[Incident, PersonRow]:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("There is no such incident")
    person = session.get(PersonRow, person_id)
    # Checked against the incident too: a person id from another case must not slip in.
    if person is None or person.incident_id != incident.id:
        raise NotFound("There is no such person in this incident")
    return incident, person


def _active_appointment(session: Session, person_id: int) -> int | None:
    return session.scalar(
        select(Appointment.id).where(
            Appointment.person_id == person_id,
            Appointment.status.in_([status.value for status in ACTIVE_STATUSES]),
        )
    )


def _close_open_requests(session: Session, person_id: int, outcome: str, by: StaffMember) -> None:
    for request in session.scalars(
        select(InPersonRequest).where(
            InPersonRequest.person_id == person_id, InPersonRequest.closed_at.is_(None)
        )
    ):
        _close(session, request, outcome, by)


def _close(session: Session, request: InPersonRequest, outcome: str, by: StaffMember) -> None:
    request.closed_at = utcnow()
    request.closed_by = by.id
    request.outcome = outcome
    session.flush()
    audit.record(
        session,
        actor=by.actor,
        action=Action.ALTERATION,
        event="in_person_request.closed",
        object_type="in_person_request",
        object_id=request.id,
        why=CALL_HANDLING,
        detail={"fields": ["closed_at", "outcome"]},
    )
