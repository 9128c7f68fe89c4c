"""Recording a no-show: the officer phones where safe, says what happened, rebooks.

Only the appointment's officer, or a supervisor, may record it (ASVS 8.2.2). The
service changes the status; rebooking goes through booking.service like any booking.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from videoresponse.booking import service as booking
from videoresponse.booking.rules import BookingRuleError, SlotOption, parse_slot_value
from videoresponse.core.auth.deps import VideoOfficer
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import utcnow
from videoresponse.core.web import app_db, app_settings, render
from videoresponse.no_shows import service
from videoresponse.no_shows.rules import OUTCOME_LABELS, Outcome
from videoresponse.rota.forms import Errors, FormFields
from videoresponse.rota.team_time import TeamClock

router = APIRouter(include_in_schema=False)
PAGE = "/officer/appointments/{appointment_id}/no-show"
REBOOK = PAGE + "/rebook"
OPTIONS = 8


def _case(request: Request, member: StaffMember, appointment_id: int) -> service.NoShowCase:
    try:
        return service.no_show_case(
            app_db(request),
            app_settings(request),
            appointment_id=appointment_id,
            now=utcnow(),
            by=member,
        )
    except booking.NotFound:
        raise HTTPException(404, "There is no such appointment.") from None
    except service.NotAllowed:
        raise HTTPException(403, "This appointment is another officer's.") from None


@router.get(PAGE)
def no_show_page(
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
    case = _case(request, member, appointment_id)
    options: list[SlotOption] = []
    rebooking = (
        case.recorded is not None and case.recorded.outcome is Outcome.REBOOKED and booked is None
    )
    if rebooking:
        try:
            options, _ = booking.find_options(
                app_db(request),
                settings,
                person_id=case.person_id,
                limit=OPTIONS,
                after_deadline=True,
                by=member,
            )
        except BookingRuleError as error:
            errors = {**(errors or {}), "option": str(error)}
    return render(
        request,
        "no_shows/record.html",
        {
            "case": case,
            "labels": OUTCOME_LABELS,
            "outcomes": list(Outcome),
            "rebooking": rebooking,
            "options": options,
            "booked": booked,
            "clock": TeamClock.named(settings.timezone),
            "form": form or {},
            "errors": errors or {},
            "is_supervisor": member.role is Role.SUPERVISOR,
        },
        status_code=status_code,
    )


@router.post(PAGE)
def record_no_show(
    request: Request, appointment_id: int, member: VideoOfficer, form: FormFields
) -> Response:
    errors: Errors = {}
    try:
        outcome = Outcome(form.get("outcome", ""))
    except ValueError:
        errors["outcome"] = "Choose what happened"
    called = form.get("called", "")
    if called not in ("yes", "no"):
        errors["called"] = "Say whether you phoned them"
    if errors:
        return _page(request, member, appointment_id, form=form, errors=errors, status_code=400)
    try:
        service.record_outcome(
            app_db(request),
            app_settings(request),
            appointment_id=appointment_id,
            outcome=outcome,
            called=called == "yes",
            note=form.get("note", ""),
            now=utcnow(),
            by=member,
        )
    except booking.NotFound:
        raise HTTPException(404, "There is no such appointment.") from None
    except service.NotAllowed:
        raise HTTPException(403, "This appointment is another officer's.") from None
    except BookingRuleError as error:
        errors["outcome"] = str(error)
        return _page(request, member, appointment_id, form=form, errors=errors, status_code=409)
    return RedirectResponse(PAGE.format(appointment_id=appointment_id), status_code=303)


@router.post(REBOOK)
def rebook(
    request: Request, appointment_id: int, member: VideoOfficer, form: FormFields
) -> Response:
    settings = app_settings(request)
    case = _case(request, member, appointment_id)
    if case.recorded is None or case.recorded.outcome is not Outcome.REBOOKED:
        raise HTTPException(409, "Record that the caller wants another time first.")
    chosen = parse_slot_value(form.get("option", ""))
    if chosen is None:
        errors = {"option": "Choose one of the times"}
        return _page(request, member, appointment_id, form=form, errors=errors, status_code=400)
    starts_at, officer_id = chosen
    # The deadline stays the case's own; a time after it says why.
    late = starts_at + (case.ends_at - case.starts_at) > case.deadline
    try:
        made = booking.book(
            app_db(request),
            settings,
            person_id=case.person_id,
            starts_at=starts_at,
            officer_id=officer_id,
            late_reason=f"Rebooked after the no-show of appointment {case.appointment_id}"
            if late
            else "",
            by=member,
        )
    except booking.SlotTaken:
        errors = {"option": "That time is not free, or has just been taken. Choose another."}
        return _page(request, member, appointment_id, form=form, errors=errors, status_code=409)
    except BookingRuleError as error:
        errors = {"option": str(error)}
        return _page(request, member, appointment_id, form=form, errors=errors, status_code=400)
    return RedirectResponse(
        PAGE.format(appointment_id=appointment_id) + f"?booked={made.id}", status_code=303
    )
