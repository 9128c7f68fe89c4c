"""The dashboard's rows, read in one transaction and audited as a consultation.

The figures themselves are computed by reports.figures from plain rows. What is read
here carries no names of the public: incident types, statuses, times and staff names.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from videoresponse.booking.appointment_views import incident_type_labels, type_label
from videoresponse.booking.models import Appointment
from videoresponse.booking.rules import AppointmentStatus
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database
from videoresponse.notify.models import TextMessage
from videoresponse.reports.figures import (
    AppointmentRow,
    FeedbackRow,
    Figure,
    InPersonRow,
    Period,
    Rows,
    ShiftRow,
    Span,
    TextRow,
    all_figures,
    figure_named,
)
from videoresponse.reports.models import Feedback
from videoresponse.rota import service as rota
from videoresponse.rota.rules import TimeRange
from videoresponse.rota.team_time import TeamClock
from videoresponse.triage.models import Incident, InPersonRequest

WHY = "supervising the service (dashboard)"
LONGEST_SPAN_DAYS = 366


class SpanError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def check_span(first: date, last: date) -> Span:
    """The dates as a span, or SpanError naming the field that is wrong."""
    if last < first:
        raise SpanError("The end date must be the same as or after the start date", "to_day")
    if (last - first).days + 1 > LONGEST_SPAN_DAYS:
        raise SpanError(f"Choose at most {LONGEST_SPAN_DAYS} days", "from_day")
    return Span(first, last)


def dashboard(
    db: Database, settings: Settings, *, span: Span, period: Period, by: StaffMember
) -> list[Figure]:
    """Every figure for the span."""
    with db.transaction() as session:
        rows = _rows(session, settings, span)
        _record(session, by, "dashboard.viewed", span, period, figures="all")
        return all_figures(rows, span, period)


def figure_csv(
    db: Database, settings: Settings, *, key: str, span: Span, period: Period, by: StaffMember
) -> tuple[Figure, str]:
    """One figure and its table as CSV; KeyError for an unknown figure."""
    with db.transaction() as session:
        rows = _rows(session, settings, span)
        figure = figure_named(rows, span, period, key)
        _record(session, by, "dashboard.figure_downloaded", span, period, figures=key)
        return figure, as_csv(figure)


def as_csv(figure: Figure) -> str:
    """The figure's table: a header row, then one row each; dates as YYYY-MM-DD."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(figure.columns)
    for row in figure.rows:
        writer.writerow(["" if cell is None else _cell(cell) for cell in row])
    return output.getvalue()


def _cell(cell: object) -> str:
    if isinstance(cell, date):
        return cell.isoformat()
    text = str(cell)
    # A spreadsheet runs a cell that starts with these as a formula (CSV injection).
    return "'" + text if text[:1] in {"=", "+", "-", "@"} and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _record(
    session: Session, by: StaffMember, event: str, span: Span, period: Period, figures: str
) -> None:
    audit.record(
        session,
        actor=by.actor,
        action=Action.CONSULTATION,
        event=event,
        why=WHY,
        detail={
            "from": span.first.isoformat(),
            "to": span.last.isoformat(),
            "period": period.value,
            "figures": figures,
        },
    )


def _rows(session: Session, settings: Settings, span: Span) -> Rows:
    clock = TeamClock.named(settings.timezone)
    horizon = TimeRange(clock.day_range(span.first).start, clock.day_range(span.last).end)
    labels = incident_type_labels(settings)
    return Rows(
        appointments=_appointments(session, clock, horizon, labels),
        in_person=[
            InPersonRow(clock.local(created).date(), route)
            for created, route in session.execute(
                select(InPersonRequest.created_at, InPersonRequest.route).where(
                    InPersonRequest.created_at >= horizon.start,
                    InPersonRequest.created_at < horizon.end,
                )
            )
        ],
        shifts=_shifts(session, horizon),
        feedback=[
            FeedbackRow(clock.local(at).date(), rating)
            for at, rating in session.execute(
                select(Feedback.at, Feedback.rating).where(
                    Feedback.at >= horizon.start, Feedback.at < horizon.end
                )
            )
        ],
        texts=[
            TextRow(clock.local(created).date(), status)
            for created, status in session.execute(
                select(TextMessage.created_at, TextMessage.status).where(
                    TextMessage.created_at >= horizon.start,
                    TextMessage.created_at < horizon.end,
                )
            )
        ],
        type_order=list(labels.values()),
    )


def _appointments(
    session: Session, clock: TeamClock, horizon: TimeRange, labels: dict[str, str]
) -> list[AppointmentRow]:
    rows = session.execute(
        select(
            Appointment.starts_at,
            Appointment.ends_at,
            Appointment.status,
            Appointment.officer_id,
            Appointment.follow_up_of,
            Incident.incident_type,
            Incident.priority_band,
            Incident.called_at,
            Incident.deadline,
        )
        .join(Incident, Incident.id == Appointment.incident_id)
        .where(
            Appointment.starts_at >= horizon.start,
            Appointment.starts_at < horizon.end,
            # A proposal is an offer, not an appointment.
            Appointment.status != AppointmentStatus.PROPOSED.value,
        )
    )
    return [
        AppointmentRow(
            day=clock.local(starts_at).date(),
            incident_type=type_label(labels, incident_type),
            status=status,
            band=band,
            called_at=called_at,
            starts_at=starts_at,
            deadline=deadline,
            officer_id=officer_id,
            minutes=(ends_at - starts_at).total_seconds() / 60,
            follow_up=follow_up_of is not None,
        )
        for (
            starts_at,
            ends_at,
            status,
            officer_id,
            follow_up_of,
            incident_type,
            band,
            called_at,
            deadline,
        ) in rows
    ]


def _shifts(session: Session, horizon: TimeRange) -> list[ShiftRow]:
    """Each officer's time on shift inside the span, less absences."""
    officers = rota.officers(session)
    available = rota.available_shifts(session, [o.id for o in officers], horizon)
    rows = []
    for officer in officers:
        minutes = sum(
            (part.end - part.start).total_seconds() / 60
            for shift in available[officer.id]
            if (part := shift.intersection(horizon)) is not None
        )
        if minutes:
            rows.append(ShiftRow(officer.id, officer.display_name, minutes))
    return rows
