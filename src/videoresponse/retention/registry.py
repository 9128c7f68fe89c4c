"""The record classes that retention erases: one entry each in REGISTRY.

A class names the setting that says how long it is kept, selects the ids past their
date (the SQL narrows, the pure rule in retention.rules decides), and erases them by
deleting or anonymising. Statements and evidence (later issues) join as new entries.
The audit log is no class: it is never erased.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from videoresponse.booking.models import Appointment
from videoresponse.booking.rules import ACTIVE_STATUSES
from videoresponse.evidence.models import EvidenceItem
from videoresponse.notify.models import CallerSession, TextMessage
from videoresponse.reports.models import Feedback
from videoresponse.retention.rules import (
    UNSETTLED_TEXTS,
    ClosedCase,
    caller_session_is_due,
    closed_case_is_due,
    feedback_is_due,
    text_is_due,
)
from videoresponse.triage.models import Incident, PersonRow
from videoresponse.victims.models import CaseClosure

Ids = list[int]


@dataclass(frozen=True)
class RecordClass:
    name: str
    label: str
    setting: str  # the Settings field holding the days to keep
    method: Literal["deleted", "anonymised"]
    select: Callable[[Session, datetime], Ids]
    erase: Callable[[Session, Sequence[int]], dict[str, Ids]]  # what else went with them


def _closed_no_crime(session: Session, before: datetime) -> Ids:
    active = [status.value for status in ACTIVE_STATUSES]
    rows = session.execute(
        select(
            CaseClosure.incident_id,
            CaseClosure.crime_recorded,
            CaseClosure.closed_at,
            select(func.count())
            .where(Appointment.incident_id == CaseClosure.incident_id)
            .where(Appointment.status.in_(active))
            .scalar_subquery(),
            select(func.max(Appointment.ends_at))
            .where(Appointment.incident_id == CaseClosure.incident_id)
            .scalar_subquery(),
        )
        .where(CaseClosure.crime_recorded.is_(False), CaseClosure.closed_at < before)
        # Evidence is never erased with its case here: its originals and continuity are
        # append-only. Such a case is held until evidence has a retention class of its own.
        .where(~exists().where(EvidenceItem.incident_id == CaseClosure.incident_id))
        .order_by(CaseClosure.incident_id)
    ).all()
    cases = [ClosedCase(*row) for row in rows]
    return [case.incident_id for case in cases if closed_case_is_due(case, before)]


def _erase_cases(session: Session, incident_ids: Sequence[int]) -> dict[str, Ids]:
    """Delete the incidents; the database's cascades take their people, safe contact,
    THRIVE, route offers, appointments and their history, texts, links, caller sessions
    and Victims' Code tasks. A feedback comment goes too; its rating stays, unlinked."""
    people = list(
        session.scalars(select(PersonRow.id).where(PersonRow.incident_id.in_(incident_ids)))
    )
    appointments = list(
        session.scalars(select(Appointment.id).where(Appointment.incident_id.in_(incident_ids)))
    )
    session.execute(
        update(Feedback)
        .where(Feedback.appointment_id.in_(appointments))
        .values(comment="", appointment_id=None)
    )
    session.execute(delete(Incident).where(Incident.id.in_(incident_ids)))
    return {"people": people, "appointments": appointments}


def _texts(session: Session, before: datetime) -> Ids:
    rows = session.execute(
        select(
            TextMessage.id,
            TextMessage.status,
            TextMessage.created_at,
            TextMessage.followed_up_at.is_not(None),
        )
        .where(TextMessage.created_at < before, TextMessage.status.not_in(UNSETTLED_TEXTS))
        .order_by(TextMessage.id)
    ).all()
    return [
        text_id
        for text_id, status, created_at, followed_up in rows
        if text_is_due(status, created_at, bool(followed_up), before)
    ]


def _delete_texts(session: Session, ids: Sequence[int]) -> dict[str, Ids]:
    session.execute(delete(TextMessage).where(TextMessage.id.in_(ids)))
    return {}


def _caller_sessions(session: Session, before: datetime) -> Ids:
    rows = session.execute(
        select(CallerSession.id, CallerSession.started_at)
        .where(CallerSession.started_at < before)
        .order_by(CallerSession.id)
    ).all()
    return [row_id for row_id, started_at in rows if caller_session_is_due(started_at, before)]


def _delete_caller_sessions(session: Session, ids: Sequence[int]) -> dict[str, Ids]:
    session.execute(delete(CallerSession).where(CallerSession.id.in_(ids)))
    return {}


def _feedback(session: Session, before: datetime) -> Ids:
    rows = session.execute(
        select(
            Feedback.id,
            Feedback.at,
            (Feedback.comment == "") & Feedback.appointment_id.is_(None),
        )
        .where(Feedback.at < before)
        .order_by(Feedback.id)
    ).all()
    return [
        row_id for row_id, at, anonymous in rows if feedback_is_due(at, bool(anonymous), before)
    ]


def _anonymise_feedback(session: Session, ids: Sequence[int]) -> dict[str, Ids]:
    session.execute(
        update(Feedback).where(Feedback.id.in_(ids)).values(comment="", appointment_id=None)
    )
    return {}


REGISTRY: tuple[RecordClass, ...] = (
    RecordClass(
        "closed_no_crime",
        "Cases closed as no crime, with their people, appointments and texts",
        "retain_closed_no_crime_days",
        "deleted",
        _closed_no_crime,
        _erase_cases,
    ),
    RecordClass("texts", "Text messages", "retain_texts_days", "deleted", _texts, _delete_texts),
    RecordClass(
        "caller_sessions",
        "Callers' browser sessions",
        "retain_caller_sessions_days",
        "deleted",
        _caller_sessions,
        _delete_caller_sessions,
    ),
    RecordClass(
        "feedback",
        "Feedback comments (the rating stays)",
        "retain_feedback_days",
        "anonymised",
        _feedback,
        _anonymise_feedback,
    ),
)
