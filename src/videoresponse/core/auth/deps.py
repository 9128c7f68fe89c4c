"""Who is asking: the staff member behind a request, and role checks on the server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from videoresponse.core.auth import service
from videoresponse.core.auth.rules import Role, SessionLimits
from videoresponse.core.auth.service import StaffMember


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
