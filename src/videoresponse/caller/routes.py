"""The caller's pages, reached by the link in their text. Neutral words, no trace left."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from videoresponse.booking import service as booking
from videoresponse.booking.rules import BookingRuleError
from videoresponse.caller import service
from videoresponse.calls import service as calls
from videoresponse.core.db import utcnow
from videoresponse.core.web import render

router = APIRouter(include_in_schema=False)


def cookie_name(secure: bool) -> str:
    return "__Host-vr_caller" if secure else "vr_caller"


def _token(request: Request) -> str:
    return request.cookies.get(cookie_name(request.app.state.settings.cookie_secure), "")


def _page(request: Request, template: str, status_code: int = 200, **context: object) -> Response:
    settings = request.app.state.settings
    return render(
        request,
        f"caller/{template}",
        {"zone": ZoneInfo(settings.timezone), "phone": settings.force_phone, **context},
        status_code=status_code,
    )


def _unusable(request: Request) -> Response:
    return _page(request, "unusable.html")


@router.get("/j/{token}")
def link_landing(request: Request, token: str) -> Response:
    """Changes nothing: message apps fetch links to make previews (SECURITY.md)."""
    return _page(request, "link.html", token=token)


@router.post("/j")
def open_link(request: Request, token: Annotated[str, Form()] = "") -> Response:
    settings = request.app.state.settings
    try:
        session_token = service.exchange_token(request.app.state.db, token=token[:100])
    except service.LinkUnusable:
        return _unusable(request)
    calls.start_guest_session(request.app.state.db, session_token=session_token)
    # The token never appears again: the browser moves to a URL without it.
    response = RedirectResponse("/appointment", status_code=303)
    response.set_cookie(
        cookie_name(settings.cookie_secure),
        session_token,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
        path="/",
    )
    return response


def _view(request: Request) -> service.CallerView | None:
    try:
        return service.view(
            request.app.state.db, request.app.state.settings, session_token=_token(request)
        )
    except service.LinkUnusable:
        return None


def _person(request: Request) -> service.CallerView | None:
    """The verified person the appointment is for: an invited guest may only join the call."""
    caller = _view(request)
    if caller is None or not caller.verified or calls.is_guest(caller):
        return None
    return caller


@router.get("/appointment")
def appointment(request: Request) -> Response:
    caller = _view(request)
    if caller is None:
        return _unusable(request)
    if not caller.verified:
        return _page(request, "check.html", method=request.app.state.settings.identity_check)
    return _appointment_page(request, caller)


def _appointment_page(
    request: Request, caller: service.CallerView, status_code: int = 200, **extra: object
) -> Response:
    now = utcnow()
    return _page(
        request,
        "appointment.html",
        status_code,
        caller=caller,
        now=now,
        can_join=caller.can_join(now),
        can_change=caller.can_change(now) and not calls.is_guest(caller),
        **extra,
    )


@router.post("/appointment/check")
def check(
    request: Request,
    day: Annotated[str, Form()] = "",
    month: Annotated[str, Form()] = "",
    year: Annotated[str, Form()] = "",
    answer: Annotated[str, Form()] = "",
) -> Response:
    settings = request.app.state.settings
    if settings.identity_check == "date_of_birth":
        try:
            answer = f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
        except ValueError:
            return _page(
                request,
                "check.html",
                400,
                method=settings.identity_check,
                error="Enter your date of birth as numbers, for example 27 3 1990",
            )
    try:
        service.check_identity(
            request.app.state.db, settings, session_token=_token(request), answer=answer
        )
    except service.CheckFailed as failed:
        return _page(
            request,
            "check.html",
            400,
            method=settings.identity_check,
            error=f"That does not match our records. You can try "
            f"{failed.attempts_left} more time{'s' if failed.attempts_left != 1 else ''}.",
        )
    except service.LinkUnusable:
        return _unusable(request)
    return RedirectResponse("/appointment", status_code=303)


@router.get("/appointment/times")
def times(request: Request) -> Response:
    caller = _person(request)
    if caller is None:
        return _unusable(request)
    try:
        found = service.options(
            request.app.state.db, request.app.state.settings, session_token=_token(request)
        )
    except service.LinkUnusable:
        return _unusable(request)
    return _page(request, "times.html", caller=caller, options=found)


@router.post("/appointment/times")
def choose(request: Request, starts_at: Annotated[str, Form()] = "") -> Response:
    caller = _person(request)
    if caller is None:
        return _unusable(request)
    settings = request.app.state.settings
    try:
        chosen = datetime.fromisoformat(starts_at)
        if chosen.tzinfo is None:
            raise ValueError
    except ValueError:
        return _times_again(request, caller, "Choose one of the times")
    try:
        service.choose_time(
            request.app.state.db, settings, session_token=_token(request), starts_at=chosen
        )
    except booking.SlotTaken:
        return _times_again(request, caller, "Sorry, that time has just gone. Choose another.")
    except BookingRuleError as error:
        return _times_again(request, caller, str(error))
    except service.LinkUnusable:
        return _unusable(request)
    return _page(
        request,
        "done.html",
        message="Your new time is booked. We will send you a text to confirm it.",
    )


def _times_again(request: Request, caller: service.CallerView, error: str) -> Response:
    found = service.options(
        request.app.state.db, request.app.state.settings, session_token=_token(request)
    )
    return _page(request, "times.html", 409, caller=caller, options=found, error=error)


@router.post("/appointment/cancel")
def cancel(request: Request, confirm: Annotated[str, Form()] = "") -> Response:
    caller = _person(request)
    if caller is None:
        return _unusable(request)
    if confirm != "yes":
        return _appointment_page(request, caller, 400, cancel_error="Tick the box to cancel")
    try:
        service.cancel(
            request.app.state.db, request.app.state.settings, session_token=_token(request)
        )
    except service.LinkUnusable:
        return _unusable(request)
    return _page(
        request,
        "done.html",
        message="Your appointment is cancelled. If you still need help, phone us.",
    )


@router.get("/appointment/calendar.ics")
def calendar(request: Request) -> Response:
    if _person(request) is None:
        return _unusable(request)
    try:
        body = service.calendar_file(
            request.app.state.db, request.app.state.settings, session_token=_token(request)
        )
    except service.LinkUnusable:
        return _unusable(request)
    return Response(
        body,
        media_type="text/calendar",
        headers={"content-disposition": 'attachment; filename="appointment.ics"'},
    )


@router.get("/exit")
def exit_page(request: Request) -> Response:
    """Exit this page: end the session and leave no trace, then go somewhere neutral."""
    settings = request.app.state.settings
    token = _token(request)
    if token:
        service.end_session(request.app.state.db, session_token=token)
    response = RedirectResponse(settings.exit_url, status_code=303)
    response.delete_cookie(
        cookie_name(settings.cookie_secure), path="/", secure=settings.cookie_secure, httponly=True
    )
    response.headers["clear-site-data"] = '"cache", "cookies", "storage"'
    return response
