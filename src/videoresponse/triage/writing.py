"""Turning a checked incident into rows, with its collection audit (in the caller's transaction)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.service import StaffMember
from videoresponse.triage.drafts import CheckedIncident
from videoresponse.triage.models import (
    Incident,
    PersonRow,
    SafeContactRow,
    SafeWindowRow,
    ThriveScoreRow,
)

WHY = "call handling"
# The fields an audit entry may name (never their values).
PERSON_FIELDS = (
    "name",
    "date_of_birth",
    "mobile",
    "language",
    "interpreter_needed",
    "accessibility_needs",
    "preferred_officer_gender",
)
SAFE_CONTACT_FIELDS = (
    "may_text",
    "may_call",
    "may_leave_voicemail",
    "may_mention_police",
    "wants_reminders",
    "may_add_to_calendar",
    "may_download_copy",
    "safe_number",
    "code_word",
    "words_never_to_use",
)


def filled_fields(row: object, names: Sequence[str]) -> list[str]:
    """The names of the fields that hold something, for an audit entry's detail."""
    return [name for name in names if getattr(row, name) not in (None, "", [], False)]


def store_incident(session: Session, checked: CheckedIncident, by: StaffMember) -> int:
    incident = Incident(
        urn=checked.urn,
        incident_type=checked.incident_type.code,
        summary=checked.summary,
        called_at=checked.called_at,
        grade=int(checked.grade.chosen),
        grade_reason=checked.grade.reason,
        priority_band=checked.priority_band.chosen.value,
        priority_band_reason=checked.priority_band.reason,
        deadline=checked.deadline,
        suitable_for_video=checked.suitability.suitable,
        suitability_flags=sorted(flag.value for flag in checked.suitability.flags),
        suitability_reason=checked.suitability.handler_reason,
        created_by=by.id,
    )
    incident.thrive = [
        ThriveScoreRow(dimension=d.value, level=s.level.value, rationale=s.rationale)
        for d, s in checked.thrive.scores().items()
    ]
    for entry in checked.people:
        person, contact = entry.person, entry.safe_contact
        row = PersonRow(
            role=person.role.value,
            name=person.name,
            date_of_birth=person.date_of_birth,
            mobile=person.mobile,
            language=person.language,
            interpreter_needed=person.interpreter_needed,
            accessibility_needs=person.accessibility_needs,
            preferred_officer_gender=(
                person.preferred_officer_gender.value if person.preferred_officer_gender else None
            ),
        )
        row.safe_contact = SafeContactRow(
            may_text=contact.may_text,
            may_call=contact.may_call,
            may_leave_voicemail=contact.may_leave_voicemail,
            may_mention_police=contact.may_mention_police,
            wants_reminders=entry.wants_reminders,
            may_add_to_calendar=entry.may_add_to_calendar,
            may_download_copy=entry.may_download_copy,
            safe_number=contact.safe_number,
            code_word=contact.code_word,
            words_never_to_use=list(contact.words_never_to_use),
            timezone=contact.timezone,
            windows=[
                SafeWindowRow(weekday=int(w.weekday), starts=w.start, ends=w.end)
                for w in contact.windows
            ],
        )
        incident.people.append(row)
    session.add(incident)
    session.flush()
    _audit_collection(session, incident, by)
    return incident.id


def _audit_collection(session: Session, incident: Incident, by: StaffMember) -> None:
    def record(event: str, object_type: str, object_id: int, detail: dict[str, object]) -> None:
        audit.record(
            session,
            actor=by.actor,
            action=Action.COLLECTION,
            event=event,
            object_type=object_type,
            object_id=object_id,
            why=WHY,
            detail=detail,
        )

    record(
        "incident.recorded", "incident", incident.id, {"people": [p.id for p in incident.people]}
    )
    for person in incident.people:
        record(
            "person.recorded",
            "person",
            person.id,
            {
                "incident": incident.id,
                "fields": filled_fields(person, PERSON_FIELDS),
            },
        )
        contact = person.safe_contact
        assert contact is not None
        record(
            "safe_contact.recorded",
            "safe_contact",
            person.id,
            {
                "fields": filled_fields(contact, SAFE_CONTACT_FIELDS),
                "safe_times": len(contact.windows),
            },
        )
