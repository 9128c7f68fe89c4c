"""The officer's day, the supervisor's overview, and the supervisor's changes to an appointment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from videoresponse.booking import appointment_views, queue
from videoresponse.booking import service as booking
from videoresponse.booking.rules import (
    ALLOWED_TRANSITIONS,
    AppointmentStatus,
    BookingRuleError,
    SlotOption,
)
from videoresponse.core.auth.deps import Supervisor, VideoOfficer
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import utcnow
from videoresponse.core.web import app_db, app_settings, render
from videoresponse.no_shows import service as no_show_service
from videoresponse.rota.forms import Errors, FormFields, read_moment
from videoresponse.rota.team_time import TeamClock, describe_time_left, parse_iso_day

router = APIRouter(include_in_schema=False)
APPOINTMENT = "/supervisor/appointments/{appointment_id}"

# The service says SlotTaken both for a slot just taken and for one never free (the
# officer off shift, the person busy): the page's words cover both.
_NOT_FREE = "That time is not free, or has just been taken. "
_CHOOSE_SHOWN = "Choose one of the free times shown, or enter another time."
_CHOOSE_OTHER = "Choose another time or officer."


def _clock(request: Request) -> TeamClock:
    return TeamClock.named(app_settings(request).timezone)


@router.get("/officer")
def my_day(request: Request, member: VideoOfficer, day: str | None = None) -> Response:
    clock = _clock(request)
    today = clock.today(utcnow())
    try:
        shown = parse_iso_day(day) if day else today
    except ValueError:
        raise HTTPException(400, "Give the day as a date, like 2026-12-01") from None
    appointments = queue.officer_day(
        app_db(request), app_settings(request), officer_id=member.id, day=shown, by=member
    )
    no_shows = no_show_service.possible_no_shows(
        app_db(request), app_settings(request), officer_id=member.id, now=utcnow(), by=member
    )
    return render(
        request,
        "booking/officer_day.html",
        {
            "day": shown,
            "today": today,
            "previous_day": shown - timedelta(days=1),
            "next_day": shown + timedelta(days=1),
            "appointments": appointments,
            "no_shows": no_shows,
            "clock": clock,
        },
    )


@router.get("/supervisor")
def team_overview(request: Request, member: Supervisor) -> Response:
    db, settings, clock = app_db(request), app_settings(request), _clock(request)
    now = utcnow()
    today = clock.today(now)
    return render(
        request,
        "booking/team_overview.html",
        {
            "queue": queue.case_queue(db, settings, now=now, by=member),
            "in_person": queue.in_person_requests(db, settings, now=now, by=member),
            "appointments": queue.team_day(db, settings, day=today, by=member),
            "today": today,
            "now": now,
            "clock": clock,
            "time_left": describe_time_left,
        },
    )


@router.get(APPOINTMENT)
def appointment_page(
    request: Request, appointment_id: int, member: Supervisor, done: str | None = None
) -> Response:
    return _appointment_page(request, member, appointment_id, notice=done)


def _appointment_page(
    request: Request,
    member: StaffMember,
    appointment_id: int,
    *,
    status_code: int = 200,
    notice: str | None = None,
    form_name: str = "",
    form: Mapping[str, str] | None = None,
    errors: Errors | None = None,
    fresh_options: Sequence[SlotOption] = (),
) -> Response:
    clock = _clock(request)
    try:
        detail = appointment_views.appointment_detail(
            app_db(request), app_settings(request), appointment_id=appointment_id, by=member
        )
    except booking.NotFound:
        raise HTTPException(404, "There is no such appointment.") from None
    appointment = detail.appointment
    allowed = ALLOWED_TRANSITIONS[AppointmentStatus(appointment.status)]
    starts = clock.local(appointment.starts_at)
    typed = form or {}
    return render(
        request,
        "booking/appointment.html",
        {
            "detail": detail,
            "appointment": appointment,
            "clock": clock,
            "can_cancel": AppointmentStatus.CANCELLED in allowed,
            "can_reschedule": AppointmentStatus.RESCHEDULED in allowed,
            "notice": notice,
            "cancel_form": typed if form_name == "cancel" else {},
            "reschedule_form": typed
            if form_name == "reschedule"
            else {
                "new_day": str(starts.day),
                "new_month": str(starts.month),
                "new_year": str(starts.year),
                "new_time": f"{starts:%H:%M}",
            },
            "form_name": form_name,
            "errors": errors or {},
            "fresh_options": fresh_options,
            "officer_names": {o.id: o.display_name for o in detail.officers},
        },
        status_code=status_code,
    )


def _done(appointment_id: int, what: str) -> RedirectResponse:
    return RedirectResponse(
        APPOINTMENT.format(appointment_id=appointment_id) + f"?done={what}", status_code=303
    )


@router.post(APPOINTMENT + "/cancel")
def cancel(request: Request, appointment_id: int, member: Supervisor, form: FormFields) -> Response:
    reason = form.get("cancel_reason", "").strip()
    errors: Errors = {}
    if not reason:
        errors["cancel_reason"] = "Enter why the appointment is cancelled"
    else:
        try:
            booking.change_status(
                app_db(request),
                appointment_id=appointment_id,
                status=AppointmentStatus.CANCELLED,
                reason=reason,
                by=member,
            )
        except booking.NotFound:
            raise HTTPException(404, "There is no such appointment.") from None
        except BookingRuleError as error:
            errors["cancel"] = str(error)
    if errors:
        return _appointment_page(
            request,
            member,
            appointment_id,
            status_code=400,
            form_name="cancel",
            form=form,
            errors=errors,
        )
    return _done(appointment_id, "cancelled")


@router.post(APPOINTMENT + "/reschedule")
def reschedule(
    request: Request, appointment_id: int, member: Supervisor, form: FormFields
) -> Response:
    errors: Errors = {}
    starts_at = read_moment(form, "new", "of the new appointment", _clock(request), errors)
    if starts_at is not None and starts_at <= utcnow():
        errors["new_day"] = "The new time must be in the future"
    officer = form.get("officer_id", "").strip()
    reason = form.get("reason", "").strip()
    if not reason:
        errors["reason"] = "Enter why the appointment is moving"
    status_code, fresh_options = 400, []
    if not errors:
        assert starts_at is not None
        try:
            booking.reschedule(
                app_db(request),
                app_settings(request),
                appointment_id=appointment_id,
                starts_at=starts_at,
                reason=reason,
                officer_id=int(officer) if officer.isdigit() else None,
                late_reason=form.get("late_reason", ""),
                by=member,
            )
            return _done(appointment_id, "rescheduled")
        except booking.NotFound:
            raise HTTPException(404, "There is no such appointment.") from None
        except booking.SlotTaken as taken:
            status_code, fresh_options = 409, taken.fresh_options
            errors["reschedule"] = _NOT_FREE + (_CHOOSE_SHOWN if fresh_options else _CHOOSE_OTHER)
        except BookingRuleError as error:
            errors["reschedule"] = str(error)
    return _appointment_page(
        request,
        member,
        appointment_id,
        status_code=status_code,
        form_name="reschedule",
        form=form,
        errors=errors,
        fresh_options=fresh_options,
    )
