"""The call's pages: the caller's device check and call, the officer's console and call.

Thin: each page carries only what its script needs (the appointment id, the phone number,
the CSRF token). Everything live comes over the signalling WebSocket and /api/calls
(calls.routes), which check access again on every connection and request.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from videoresponse.booking import service as booking
from videoresponse.booking.appointment_views import read_appointments, record_consultation
from videoresponse.booking.models import Appointment
from videoresponse.booking.queue import officer_day, team_day
from videoresponse.booking.rules import ACTIVE_STATUSES, BookingRuleError
from videoresponse.caller import service as caller_service
from videoresponse.caller.routes import cookie_name
from videoresponse.calls import queue
from videoresponse.core.auth.deps import CallHandler, VideoOfficer
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database, utcnow
from videoresponse.core.web import app_db, app_settings, local_clock, render
from videoresponse.rota.team_time import TeamClock

router = APIRouter(include_in_schema=False)
ACTIVE = sorted(s.value for s in ACTIVE_STATUSES)


def verified_caller(request: Request) -> caller_service.CallerView | None:
    """The caller (or invited guest) behind this browser, once they have confirmed who they are."""
    settings = app_settings(request)
    token = request.cookies.get(cookie_name(settings.cookie_secure), "")
    try:
        view = caller_service.view(app_db(request), settings, session_token=token)
    except caller_service.LinkUnusable:
        return None
    return view if view.verified and view.appointment_id is not None else None


def _caller_page(request: Request, template: str, **context: object) -> Response:
    settings = app_settings(request)
    return render(
        request,
        template,
        {"zone": ZoneInfo(settings.timezone), "phone": settings.force_phone, **context},
    )


@router.get("/appointment/check-devices")
def check_devices(request: Request, audio: str = "") -> Response:
    """Camera, microphone and connection: works any time before the call, too."""
    caller = verified_caller(request)
    if caller is None:
        return _caller_page(request, "caller/unusable.html")
    return _caller_page(
        request,
        "calls/check_devices.html",
        can_join=caller.can_join(utcnow()),
        audio_only=audio == "1",
    )


@router.get("/appointment/call")
def caller_call(request: Request, audio: str = "") -> Response:
    """The waiting room, then the call: only in the join window, after the identity check."""
    caller = verified_caller(request)
    if caller is None or not caller.can_join(utcnow()) or caller.starts_at is None:
        return RedirectResponse("/appointment", status_code=303)
    settings = app_settings(request)
    help_at = caller.starts_at + timedelta(minutes=settings.admit_alert_minutes)
    return _caller_page(
        request,
        "calls/caller_call.html",
        appointment_id=caller.appointment_id,
        # "Audio only" lives only in this address: nothing is stored in the browser.
        audio_only=audio == "1",
        # Past that time already (a late arrival): the page says to phone if nobody comes soon.
        help_at=local_clock(help_at, ZoneInfo(settings.timezone)) if help_at > utcnow() else None,
    )


@router.get("/officer/console")
def console(request: Request, member: VideoOfficer) -> Response:
    """Who is waiting (the page's script polls /api/calls/waiting) and today's appointments."""
    db, settings = app_db(request), app_settings(request)
    clock = TeamClock.named(settings.timezone)
    today = clock.today(utcnow())
    if member.role is Role.SUPERVISOR:
        appointments = team_day(db, settings, day=today, by=member)
    else:
        appointments = officer_day(db, settings, officer_id=member.id, day=today, by=member)
    return render(
        request,
        "calls/console.html",
        {"appointments": appointments, "clock": clock, "active": ACTIVE},
    )


@router.get("/officer/calls/{appointment_id}")
def officer_call(request: Request, appointment_id: int, member: VideoOfficer) -> Response:
    """One call, for its own officer or a supervisor (ASVS 8.2.2: checked per object)."""
    db, settings = app_db(request), app_settings(request)
    with db.transaction() as session:
        found = read_appointments(session, settings, Appointment.id == appointment_id)
        if not found:
            raise HTTPException(404, "There is no such appointment.")
        appointment = found[0]
        if member.role is not Role.SUPERVISOR and appointment.officer_id != member.id:
            raise HTTPException(403, "This is not one of your appointments.")
        if appointment.status not in ACTIVE:
            raise HTTPException(409, "This appointment has ended or was cancelled.")
        record_consultation(
            session,
            member,
            "call.page_opened",
            "running the video call",
            appointment=appointment_id,
        )
    return render(
        request,
        "calls/officer_call.html",
        {"appointment": appointment, "clock": TeamClock.named(settings.timezone)},
    )


@router.post("/handler/people/{person_id}/rapid-call")
def start_rapid_call(request: Request, person_id: int, member: CallHandler) -> Response:
    """While the caller is still on the phone: text a link for a call now, and queue it."""
    db: Database = request.app.state.db
    try:
        opened = queue.open_rapid_call(
            db, request.app.state.settings, person_id=person_id, by=member
        )
    except booking.NotFound as error:
        raise HTTPException(404, str(error)) from None
    except BookingRuleError as error:
        raise HTTPException(400, str(error)) from None
    with db.sessions() as session:
        incident_id = session.get_one(Appointment, opened.appointment_id).incident_id
    if opened.read_out_url:
        # Shown in this response only, never in an address: the token is in no log or history.
        return render(
            request,
            "calls/rapid_read_out.html",
            {
                "url": opened.read_out_url,
                "problem": opened.text_problem,
                "incident_id": incident_id,
            },
        )
    return RedirectResponse(
        f"/handler/incidents/{incident_id}?rapid={person_id}&text={opened.text_status}#next-step",
        status_code=303,
    )
