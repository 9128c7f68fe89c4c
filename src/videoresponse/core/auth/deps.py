"""Who is asking: the staff member behind a request, and role checks on the server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from videoresponse.core import web
from videoresponse.core.auth import service
from videoresponse.core.auth.rules import Role, SessionLimits
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import utcnow

STEP_UP_MESSAGE = "Confirm your password to do this."


class SignInRequired(Exception):
    """No live staff session: a page redirects to sign-in, the API answers 401."""


def staff_cookie_name(secure: bool) -> str:
    return "__Host-vr_staff" if secure else "vr_staff"


def current_staff(request: Request) -> StaffMember:
    settings = request.app.state.settings
    token = request.cookies.get(staff_cookie_name(settings.cookie_secure))
    if not token:
        raise SignInRequired()
    member = service.current_member(
        request.app.state.db,
        token=token,
        limits=SessionLimits(settings.session_idle, settings.session_absolute),
    )
    if member is None:
        raise SignInRequired()
    request.state.staff = member
    return member


CurrentStaff = Annotated[StaffMember, Depends(current_staff)]


def require(*roles: Role) -> Callable[[StaffMember], StaffMember]:
    """A dependency that lets in only these roles (ASVS 8.2.1: checked on every request)."""

    def check(member: CurrentStaff) -> StaffMember:
        if member.role not in roles:
            raise HTTPException(
                status_code=403,
                detail="Your role cannot use this page. Go to your home page instead.",
            )
        return member

    return check


CallHandler = Annotated[StaffMember, Depends(require(Role.CALL_HANDLER, Role.SUPERVISOR))]
VideoOfficer = Annotated[StaffMember, Depends(require(Role.VIDEO_OFFICER, Role.SUPERVISOR))]
Supervisor = Annotated[StaffMember, Depends(require(Role.SUPERVISOR))]
Administrator = Annotated[StaffMember, Depends(require(Role.ADMINISTRATOR))]


class StepUpRequired(Exception):
    """The password was not given recently enough for this (ASVS 7.5.3)."""

    def __init__(self, url: str, page: bool) -> None:
        super().__init__(url)
        self.url = url
        self.page = page


def require_recent_sign_in(
    minutes: int | None = None, back: str | None = None
) -> Callable[[Request, StaffMember], StaffMember]:
    """A dependency that lets in only a session whose owner gave their password lately.

    minutes: the window (default: the step_up_minutes setting). back: the page holding
    the form, as a path with the route's parameters in braces ("/evidence/{item_id}").
    A stale GET returns to itself after the step-up; a stale POST returns to `back`, to
    be sent again by the person (never replayed: its form, and the reason typed into it,
    are not kept). A JSON request gets a 401 naming the confirm page, for its script to
    offer as a link.
    """

    def check(request: Request, member: CurrentStaff) -> StaffMember:
        settings = request.app.state.settings
        window = timedelta(minutes=minutes or settings.step_up_minutes)
        token = request.cookies.get(staff_cookie_name(settings.cookie_secure), "")
        proved = service.last_proved(request.app.state.db, token=token)
        if proved is not None and utcnow() - proved <= window:
            return member
        page = web.wants_html(request)
        if back is not None:
            target = back.format(**request.path_params)
        elif request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        else:
            # Nowhere to go back to: the confirm page ends by saying so.
            target = member.role.home if page else ""
        url = "/confirm-sign-in" + (f"?next={quote(target, safe='/')}" if target else "")
        raise StepUpRequired(url, page)

    return check


RecentlySignedIn = Annotated[StaffMember, Depends(require_recent_sign_in())]


async def step_up_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StepUpRequired)
    if exc.page:
        return RedirectResponse(exc.url, status_code=303)
    return JSONResponse({"detail": STEP_UP_MESSAGE, "step_up": exc.url}, status_code=401)
