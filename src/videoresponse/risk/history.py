"""The person's history across incidents: incidents in the escalation window, and earlier
MARAC referrals. Each incident has its own person rows, so the same person is found by
rules.same_person (same row, or same date of birth and same mobile or name)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from videoresponse.risk.models import RiskAssessment
from videoresponse.risk.rules import Escalation, PersonKey, months_before, same_person
from videoresponse.triage.models import Incident, PersonRow


def _key(person: PersonRow) -> PersonKey:
    return PersonKey(person.id, person.date_of_birth, person.mobile, person.name)


def _same_people(session: Session, person_id: int) -> list[int]:
    """Ids of every person row that is this person, this row included."""
    subject = session.get_one(PersonRow, person_id)
    if subject.date_of_birth is None:
        return [person_id]
    key = _key(subject)
    candidates = session.scalars(
        select(PersonRow).where(PersonRow.date_of_birth == subject.date_of_birth)
    )
    return [p.id for p in candidates if same_person(key, _key(p))]


def incidents_in_window(
    session: Session, *, person_id: int, incident_id: int, escalation: Escalation
) -> list[int]:
    """Incidents with this person reported in the window up to this one, this one included.

    Later incidents do not count: the window looks back from the incident assessed.
    """
    incident = session.get_one(Incident, incident_id)
    since = months_before(incident.called_at, escalation.months)
    found = session.scalars(
        select(Incident.id)
        .join(PersonRow, PersonRow.incident_id == Incident.id)
        .where(
            PersonRow.id.in_(_same_people(session, person_id)),
            Incident.called_at >= since,
            Incident.called_at <= incident.called_at,
        )
        .distinct()
    )
    return sorted({incident_id, *found})


def referred_recently(
    session: Session, *, person_id: int, incident_id: int, months: int, now: datetime
) -> bool:
    """Whether a MARAC referral was made for this person, for another incident, within
    `months` before now. A reassessment of the same incident is not a repeat."""
    found = session.scalar(
        select(RiskAssessment.id)
        .where(
            RiskAssessment.person_id.in_(_same_people(session, person_id)),
            RiskAssessment.incident_id != incident_id,
            RiskAssessment.marac_referral_made.is_(True),
            RiskAssessment.outcome_at >= months_before(now, months),
        )
        .limit(1)
    )
    return found is not None
