"""The rota pages: a week of shifts and absences, patterns, publishing, absence.

Every local date and time typed here becomes UTC through rota.rules.local_to_utc, one
date at a time (see rota.team_time).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from videoresponse.booking import appointment_views
from videoresponse.booking import service as booking
from videoresponse.booking.rules import BookingRuleError
from videoresponse.core.auth.deps import Supervisor
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import utcnow
from videoresponse.core.web import app_db, app_settings, render
from videoresponse.rota import service as rota
from videoresponse.rota.forms import (
    Errors,
    FormFields,
    day_name,
    read_absence,
    read_officer,
    read_pattern,
    read_shift,
)
from videoresponse.rota.rules import RotaError
from videoresponse.rota.team_time import TeamClock, monday_of, parse_iso_day
from videoresponse.rota.week_table import week_days, week_table

router = APIRouter(include_in_schema=False)
ROTA = "/supervisor/rota"
# How many weeks after the shown one a supervisor may publish in one go.
MAX_WEEKS_AHEAD = 4


def _clock(request: Request) -> TeamClock:
    return TeamClock.named(app_settings(request).timezone)


def _week(clock: TeamClock, typed: str | None) -> date:
    if not typed:
        return monday_of(clock.today(utcnow()))
    try:
        return monday_of(parse_iso_day(typed))
    except ValueError:
        raise HTTPException(400, "Give the week as a date, like 2026-12-07") from None


def _back(monday: date, anchor: str, **query: object) -> RedirectResponse:
    params = "".join(f"&{name}={value}" for name, value in query.items())
    return RedirectResponse(f"{ROTA}?week={monday.isoformat()}{params}#{anchor}", status_code=303)


@router.get(ROTA)
def rota_page(
    request: Request,
    member: Supervisor,
    week: str | None = None,
    done: str | None = None,
    officer: int | None = None,
    count: int | None = None,
    moved: str | None = None,
) -> Response:
    notice: dict[str, Any] = {"done": done, "officer": officer, "count": count}
    if done == "absence":
        ids = [int(part) for part in (moved or "").split(",") if part.isdigit()]
        notice["moved"] = appointment_views.appointments_by_id(
            app_db(request), app_settings(request), appointment_ids=ids, by=member
        )
    return _page(request, member, _week(_clock(request), week), notice=notice)


def _page(
    request: Request,
    member: StaffMember,
    monday: date,
    *,
    status_code: int = 200,
    notice: Mapping[str, Any] | None = None,
    form_name: str = "",
    form: Mapping[str, str] | None = None,
    errors: Errors | None = None,
) -> Response:
    settings, clock = app_settings(request), _clock(request)
    team = rota.rota_week(
        app_db(request),
        first_day=monday,
        last_day=monday + timedelta(days=6),
        tz_name=settings.timezone,
        by=member.actor,
    )
    today = clock.today(utcnow())
    return render(
        request,
        "rota/week.html",
        {
            "monday": monday,
            "days": week_days(monday),
            "table": week_table(team, monday, clock),
            "officers": [(str(r.officer.id), r.officer.display_name) for r in team],
            "officer_names": {r.officer.id: r.officer.display_name for r in team},
            "clock": clock,
            "day_name": day_name,
            "previous_week": monday - timedelta(days=7),
            "next_week": monday + timedelta(days=7),
            "today": today,
            "max_weeks_ahead": MAX_WEEKS_AHEAD,
            "opening_hours": settings.opening_hours.describe(),
            "notice": notice or {},
            "form_name": form_name,
            "form": form or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _week_of_form(request: Request, form: Mapping[str, str]) -> date:
    return _week(_clock(request), form.get("week"))


@router.post(f"{ROTA}/pattern")
def set_pattern(request: Request, member: Supervisor, form: FormFields) -> Response:
    monday = _week_of_form(request, form)
    settings = app_settings(request)
    errors: Errors = {}
    officer_id = read_officer(form, "officer_id", errors)
    days = read_pattern(form, settings.opening_hours, monday, errors)
    if officer_id is not None and not errors:
        try:
            rota.set_pattern(
                app_db(request),
                officer_id=officer_id,
                days=days,
                opening_hours=settings.opening_hours,
                by=member.actor,
            )
        except RotaError as error:
            errors["starts_0"] = str(error)
    if errors:
        return _page(
            request, member, monday, status_code=400, form_name="pattern", form=form, errors=errors
        )
    return _back(monday, "patterns", done="pattern", officer=officer_id)


@router.post(f"{ROTA}/publish")
def publish(request: Request, member: Supervisor, form: FormFields) -> Response:
    monday = _week_of_form(request, form)
    weeks_ahead = form.get("weeks_ahead", "0")
    if not weeks_ahead.isdigit() or int(weeks_ahead) > MAX_WEEKS_AHEAD:
        errors = {"weeks_ahead": "Choose how many weeks to publish"}
        return _page(
            request, member, monday, status_code=400, form_name="publish", form=form, errors=errors
        )
    settings = app_settings(request)
    try:
        created = rota.publish_shifts(
            app_db(request),
            first_day=monday,
            last_day=monday + timedelta(weeks=int(weeks_ahead) + 1, days=-1),
            opening_hours=settings.opening_hours,
            by=member.actor,
        )
    except RotaError as error:
        return _page(
            request,
            member,
            monday,
            status_code=400,
            form_name="publish",
            form=form,
            errors={"weeks_ahead": str(error)},
        )
    return _back(monday, "rota", done="published", count=created)


@router.post(f"{ROTA}/shifts")
def add_shift(request: Request, member: Supervisor, form: FormFields) -> Response:
    monday = _week_of_form(request, form)
    settings = app_settings(request)
    errors: Errors = {}
    officer_id = read_officer(form, "shift_officer", errors)
    shift = read_shift(form, _clock(request), errors)
    if officer_id is not None and shift is not None and not errors:
        try:
            rota.add_shift(
                app_db(request),
                officer_id=officer_id,
                shift=shift,
                opening_hours=settings.opening_hours,
                by=member.actor,
            )
        except RotaError as error:
            errors["shift"] = str(error)
    if errors:
        return _page(
            request, member, monday, status_code=400, form_name="shift", form=form, errors=errors
        )
    assert shift is not None
    return _back(monday_of(_clock(request).local(shift.start).date()), "rota", done="shift")


@router.post(f"{ROTA}/absences")
def mark_absent(request: Request, member: Supervisor, form: FormFields) -> Response:
    monday = _week_of_form(request, form)
    errors: Errors = {}
    officer_id = read_officer(form, "absence_officer", errors)
    period, reason = read_absence(form, _clock(request), errors)
    moved: list[booking.Reallocation] = []
    if officer_id is not None and period is not None and not errors:
        try:
            moved = booking.mark_officer_absent(
                app_db(request),
                app_settings(request),
                officer_id=officer_id,
                period=period,
                reason=reason,
                by=member,
            )
        except (RotaError, BookingRuleError) as error:
            errors["absence"] = str(error)
    if errors:
        return _page(
            request, member, monday, status_code=400, form_name="absence", form=form, errors=errors
        )
    assert period is not None
    # Show the week the absence starts in, so that it is there in the table.
    return _back(
        monday_of(_clock(request).local(period.start).date()),
        "outcome",
        done="absence",
        officer=officer_id,
        moved=",".join(str(m.appointment_id) for m in moved),
    )
