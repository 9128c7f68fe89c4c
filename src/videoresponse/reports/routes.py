"""The supervisor's dashboard, and each of its figures as a CSV file."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from markupsafe import Markup

from videoresponse.core.auth.deps import Supervisor
from videoresponse.core.db import utcnow
from videoresponse.core.web import app_db, app_settings, render
from videoresponse.reports import charts, service
from videoresponse.reports.figures import FIGURE_KEYS, Figure, Period, Span
from videoresponse.rota.forms import Errors, read_date
from videoresponse.rota.team_time import TeamClock, parse_iso_day

router = APIRouter(include_in_schema=False)
DEFAULT_DAYS = 28
# Up to five weeks a day is a readable bar; beyond that, weeks.
DAILY_UP_TO_DAYS = 35


def default_span(today: date) -> Span:
    """The last 28 days, today included."""
    return Span(today - timedelta(days=DEFAULT_DAYS - 1), today)


def _read_span(params: Mapping[str, str], today: date, errors: Errors) -> Span:
    """The span from ?from=&to= (links, CSV) or the date inputs; the default if none."""
    if params.get("from") or params.get("to"):
        try:
            first = parse_iso_day(params.get("from", ""))
            last = parse_iso_day(params.get("to", ""))
        except ValueError:
            errors["from_day"] = "Give the dates as YYYY-MM-DD, like 2026-11-01"
            return default_span(today)
    elif any(
        params.get(f"{p}_{part}") for p in ("from", "to") for part in ("day", "month", "year")
    ):
        first_read = read_date(params, "from", "the start date", errors)
        last_read = read_date(params, "to", "the end date", errors)
        if first_read is None or last_read is None:
            return default_span(today)
        first, last = first_read, last_read
    else:
        return default_span(today)
    try:
        return service.check_span(first, last)
    except service.SpanError as error:
        errors[error.field] = error.message
        return default_span(today)


def _read_period(params: Mapping[str, str], span: Span) -> Period:
    try:
        return Period(params.get("period", ""))
    except ValueError:
        days = (span.last - span.first).days + 1
        return Period.DAY if days <= DAILY_UP_TO_DAYS else Period.WEEK


def _date_fields(span: Span) -> dict[str, str]:
    fields: dict[str, str] = {}
    for prefix, day in (("from", span.first), ("to", span.last)):
        fields |= {
            f"{prefix}_day": str(day.day),
            f"{prefix}_month": str(day.month),
            f"{prefix}_year": str(day.year),
        }
    return fields


def _chart(figure: Figure) -> Markup:
    assert figure.chart is not None
    return charts.render(
        figure.chart,
        chart_id=f"chart-{figure.key}",
        title=figure.title,
        description=figure.summary,
    )


def _cell(value: object, clock: TeamClock) -> str:
    """A table cell as the page shows it."""
    if value is None:
        return "–"
    if isinstance(value, date):
        return clock.short_day(value)
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@router.get("/supervisor/dashboard")
def dashboard(request: Request, member: Supervisor) -> Response:
    settings = app_settings(request)
    clock = TeamClock.named(settings.timezone)
    params = dict(request.query_params)
    errors: Errors = {}
    span = _read_span(params, clock.today(utcnow()), errors)
    period = _read_period(params, span)
    figures = service.dashboard(app_db(request), settings, span=span, period=period, by=member)
    return render(
        request,
        "reports/dashboard.html",
        {
            "figures": [
                (
                    figure,
                    _chart(figure) if figure.chart else None,
                    charts.legend(figure.chart) if figure.chart else None,
                )
                for figure in figures
            ],
            "span": span,
            "period": period,
            "clock": clock,
            "errors": errors,
            # What was typed stays on the page when it was wrong.
            "form": params if errors else _date_fields(span),
            "query": f"from={span.first.isoformat()}&to={span.last.isoformat()}"
            f"&period={period.value}",
            "cell": lambda value: _cell(value, clock),
        },
        status_code=400 if errors else 200,
    )


@router.get("/supervisor/dashboard/{key}.csv")
def figure_csv(request: Request, key: str, member: Supervisor) -> Response:
    if key not in FIGURE_KEYS:
        raise HTTPException(404, "There is no such figure.")
    settings = app_settings(request)
    params = dict(request.query_params)
    errors: Errors = {}
    span = _read_span(params, TeamClock.named(settings.timezone).today(utcnow()), errors)
    if errors:
        raise HTTPException(400, next(iter(errors.values())))
    period = _read_period(params, span)
    figure, body = service.figure_csv(
        app_db(request), settings, key=key, span=span, period=period, by=member
    )
    filename = f"{figure.key}_{span.first.isoformat()}_{span.last.isoformat()}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
