"""Booking a follow-up: the same person and incident, the same officer first where free.

booking.service does the booking (and queues the caller's text under their safe contact
rules); this page finds the options and checks that the officer may book from this
appointment: their own, or any for a supervisor (ASVS 8.2.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from videoresponse.booking import appointment_views
from videoresponse.booking import service as booking
from videoresponse.booking.appointment_views import AppointmentDetail
from videoresponse.booking.rules import (
    AppointmentStatus,
    BookingRuleError,
    SlotOption,
    SlotReason,
    parse_slot_value,
)
from videoresponse.core.auth.deps import VideoOfficer
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import utcnow
from videoresponse.core.web import app_db, app_settings, render
from videoresponse.rota.forms import Errors, FormFields, read_moment
from videoresponse.rota.team_time import TeamClock

router = APIRouter(include_in_schema=False)
PAGE = "/officer/appointments/{appointment_id}/follow-up"
# A follow-up comes after a meeting: during the call, or once it is over.
FOLLOWS = {
    AppointmentStatus.WAITING.value,
    AppointmentStatus.IN_CALL.value,
    AppointmentStatus.COMPLETED.value,
}
SAME_OFFICER_OPTIONS = 6
OTHER_OPTIONS = 4
SEARCHED = 40


def _detail(request: Request, member: StaffMember, appointment_id: int) -> AppointmentDetail:
    try:
        detail = appointment_views.appointment_detail(
            app_db(request), app_settings(request), appointment_id=appointment_id, by=member
        )
    except booking.NotFound:
        raise HTTPException(404, "There is no such appointment.") from None
    if member.role is not Role.SUPERVISOR and detail.appointment.officer_id != member.id:
        raise HTTPException(403, "This appointment is another officer's.")
    return detail


def ordered_options(options: Sequence[SlotOption]) -> list[SlotOption]:
    """The same officer's times first, then a few with others, each in time order."""
    same = [o for o in options if o.reason is SlotReason.SAME_OFFICER][:SAME_OFFICER_OPTIONS]
    others = [o for o in options if o.reason is not SlotReason.SAME_OFFICER][:OTHER_OPTIONS]
    return same + others


@router.get(PAGE)
def follow_up_page(
    request: Request, appointment_id: int, member: VideoOfficer, booked: int | None = None
) -> Response:
    return _page(request, member, appointment_id, booked=booked)


def _page(
    request: Request,
    member: StaffMember,
    appointment_id: int,
    *,
    booked: int | None = None,
    form: dict[str, str] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    settings = app_settings(request)
    detail = _detail(request, member, appointment_id)
    appointment = detail.appointment
    may_follow = appointment.status in FOLLOWS
    options: list[SlotOption] = []
    if may_follow and booked is None:
        found, _ = booking.find_options(
            app_db(request),
            settings,
            person_id=appointment.person_id,
            limit=SEARCHED,
            after_deadline=True,
            follow_up_of=appointment.id,
            by=member,
        )
        options = ordered_options(found)
    made = None
    if booked is not None:
        found_booked = appointment_views.appointments_by_id(
            app_db(request), settings, appointment_ids=[booked], by=member
        )
        made = found_booked[0] if found_booked else None
    return render(
        request,
        "follow_ups/book.html",
        {
            "appointment": appointment,
            "may_follow": may_follow,
            "options": options,
            "officers": detail.officers,
            "officer_names": {o.id: o.display_name for o in detail.officers},
            "made": made,
            "clock": TeamClock.named(settings.timezone),
            "form": form or {"officer_id": str(appointment.officer_id or "")},
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _chosen(
    form: dict[str, str], clock: TeamClock, errors: Errors
) -> tuple[datetime, int | None] | None:
    """The time and officer: one of the options shown, or a date and time typed in."""
    option = form.get("option", "")
    if option and option != "other":
        chosen = parse_slot_value(option)
        if chosen is None:
            errors["option"] = "Choose one of the times"
        return chosen
    if not option:
        errors["option"] = "Choose a time, or another time"
        return None
    starts_at_typed = read_moment(form, "new", "of the follow-up", clock, errors)
    if starts_at_typed is not None and starts_at_typed <= utcnow():
        errors["new_day"] = "The follow-up must be in the future"
    officer_typed = form.get("officer_id", "")
    if errors or starts_at_typed is None:
        return None
    return starts_at_typed, int(officer_typed) if officer_typed.isdigit() else None


@router.post(PAGE)
def book_follow_up(
    request: Request, appointment_id: int, member: VideoOfficer, form: FormFields
) -> Response:
    settings = app_settings(request)
    clock = TeamClock.named(settings.timezone)
    detail = _detail(request, member, appointment_id)
    appointment = detail.appointment
    errors: Errors = {}
    if appointment.status not in FOLLOWS:
        raise HTTPException(409, "A follow-up is booked from an appointment that has started.")
    chosen = _chosen(form, clock, errors)
    if chosen is None:
        return _page(request, member, appointment_id, form=form, errors=errors, status_code=400)
    starts_at, officer_id = chosen
    length = appointment.ends_at - appointment.starts_at
    # The band's deadline is for the first meeting; a follow-up after it says why.
    late = starts_at + length > appointment.deadline
    try:
        made = booking.book(
            app_db(request),
            settings,
            person_id=appointment.person_id,
            starts_at=starts_at,
            officer_id=officer_id,
            late_reason=f"Follow-up of appointment {appointment.id}" if late else "",
            follow_up_of=appointment.id,
            by=member,
        )
    except booking.SlotTaken:
        errors["option"] = "That time is not free, or has just been taken. Choose another."
        return _page(request, member, appointment_id, form=form, errors=errors, status_code=409)
    except BookingRuleError as error:
        errors["option"] = str(error)
        return _page(request, member, appointment_id, form=form, errors=errors, status_code=400)
    return RedirectResponse(
        PAGE.format(appointment_id=appointment_id) + f"?booked={made.id}", status_code=303
    )
