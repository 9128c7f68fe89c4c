"""Turning triage rows into the views the pages and the API read (inside a transaction)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from videoresponse.booking.models import Appointment
from videoresponse.booking.rules import ACTIVE_STATUSES
from videoresponse.core.auth.models import StaffUser
from videoresponse.triage.models import (
    Incident,
    InPersonRequest,
    PersonRow,
    RouteOfferRow,
    SafeContactRow,
)
from videoresponse.triage.views import (
    AppointmentSummary,
    IncidentSummary,
    IncidentView,
    InPersonRequestView,
    PersonView,
    RouteOfferView,
    SafeContactView,
    SafeTimeView,
    ThriveLine,
    status_of,
    suitability_of,
)


def incident_view(session: Session, incident: Incident) -> IncidentView:
    offers = session.execute(
        select(RouteOfferRow, StaffUser.display_name)
        .join(StaffUser, StaffUser.id == RouteOfferRow.offered_by)
        .where(RouteOfferRow.incident_id == incident.id)
        .order_by(RouteOfferRow.id)
    ).all()
    requests = session.scalars(
        select(InPersonRequest)
        .where(InPersonRequest.incident_id == incident.id)
        .order_by(InPersonRequest.id)
    ).all()
    appointments = session.execute(
        select(Appointment, StaffUser.display_name)
        .outerjoin(StaffUser, StaffUser.id == Appointment.officer_id)
        .where(Appointment.incident_id == incident.id)
        .order_by(Appointment.starts_at)
    ).all()
    suitability = suitability_of(
        incident.suitable_for_video, incident.suitability_flags, incident.suitability_reason
    )
    return IncidentView(
        id=incident.id,
        urn=incident.urn,
        incident_type=incident.incident_type,
        summary=incident.summary,
        called_at=incident.called_at,
        grade=incident.grade,
        grade_reason=incident.grade_reason,
        priority_band=incident.priority_band,
        priority_band_reason=incident.priority_band_reason,
        deadline=incident.deadline,
        suitable_for_video=incident.suitable_for_video,
        suitability_flags=list(incident.suitability_flags),
        suitability_reasons=list(suitability.reasons),
        suitability_reason=incident.suitability_reason,
        thrive=[ThriveLine(s.dimension, s.level, s.rationale) for s in incident.thrive],
        people=[_person_view(person) for person in incident.people],
        route_offers=[
            RouteOfferView(
                o.id, o.person_id, list(o.offered), o.chosen, o.reason, name, o.offered_at
            )
            for o, name in offers
        ],
        in_person_requests=[in_person_view(r, incident.urn) for r in requests],
        appointments=[
            AppointmentSummary(
                a.id, a.person_id, a.officer_id, name or "", a.starts_at, a.ends_at, a.status
            )
            for a, name in appointments
        ],
    )


def in_person_view(row: InPersonRequest, urn: str) -> InPersonRequestView:
    return InPersonRequestView(
        id=row.id,
        incident_id=row.incident_id,
        urn=urn,
        person_id=row.person_id,
        route=row.route,
        due_at=row.due_at,
        created_at=row.created_at,
        closed_at=row.closed_at,
        outcome=row.outcome,
    )


def summaries(session: Session, incidents: Sequence[Incident]) -> list[IncidentSummary]:
    """One line per incident, with two queries for all of them (not two per incident)."""
    ids = [incident.id for incident in incidents]
    latest: dict[int, str] = {}
    for person_id, chosen in session.execute(
        select(RouteOfferRow.person_id, RouteOfferRow.chosen)
        .where(RouteOfferRow.incident_id.in_(ids))
        .order_by(RouteOfferRow.id)
    ):
        latest[person_id] = chosen
    booked = set(
        session.scalars(
            select(Appointment.incident_id).where(
                Appointment.incident_id.in_(ids),
                Appointment.status.in_([s.value for s in ACTIVE_STATUSES]),
            )
        )
    )
    lines = []
    for incident in incidents:
        people = [person.id for person in incident.people]
        choices = [latest[p] for p in people if p in latest]
        lines.append(
            IncidentSummary(
                id=incident.id,
                urn=incident.urn,
                incident_type=incident.incident_type,
                grade=incident.grade,
                priority_band=incident.priority_band,
                called_at=incident.called_at,
                deadline=incident.deadline,
                status=status_of(choices, incident.id in booked, len(choices) == len(people)),
            )
        )
    return lines


def _person_view(person: PersonRow) -> PersonView:
    return PersonView(
        id=person.id,
        role=person.role,
        name=person.name,
        date_of_birth=person.date_of_birth,
        mobile=person.mobile,
        language=person.language,
        interpreter_needed=person.interpreter_needed,
        accessibility_needs=person.accessibility_needs,
        preferred_officer_gender=person.preferred_officer_gender,
        safe_contact=_safe_contact_view(person.safe_contact) if person.safe_contact else None,
    )


def _safe_contact_view(contact: SafeContactRow) -> SafeContactView:
    return SafeContactView(
        may_text=contact.may_text,
        may_call=contact.may_call,
        may_leave_voicemail=contact.may_leave_voicemail,
        may_mention_police=contact.may_mention_police,
        wants_reminders=contact.wants_reminders,
        may_add_to_calendar=contact.may_add_to_calendar,
        may_download_copy=contact.may_download_copy,
        safe_times=[SafeTimeView(w.weekday, w.starts, w.ends) for w in contact.windows],
        safe_number=contact.safe_number,
        code_word=contact.code_word,
        words_never_to_use=list(contact.words_never_to_use),
        timezone=contact.timezone,
    )
