"""Sign-in, sign-out, each role's landing and the administrator's accounts page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from videoresponse.core.auth import service
from videoresponse.core.auth.deps import Administrator, CurrentStaff, staff_cookie_name
from videoresponse.core.auth.rules import (
    CONFIRM_FAILED,
    SIGN_IN_FAILED,
    AccountError,
    Lockout,
    Role,
)
from videoresponse.core.web import render

router = APIRouter()


def _safe_next(next_url: str | None, fallback: str) -> str:
    """Only a path on this site: an open redirect would help a phishing page."""
    if not next_url:
        return fallback
    parts = urlsplit(next_url)
    # Browsers read "/\\host" as "//host", another site.
    if parts.scheme or parts.netloc or not next_url.startswith("/") or "\\" in next_url:
        return fallback
    if next_url.startswith("//"):
        return fallback
    return next_url


@router.get("/sign-in", include_in_schema=False)
def sign_in_page(request: Request, next: str | None = None) -> Response:
    return render(request, "sign_in.html", {"next": next or ""})


@router.post("/sign-in", include_in_schema=False)
def sign_in(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    settings = request.app.state.settings
    source = request.client.host if request.client else "unknown"
    errors = {}
    if not username.strip():
        errors["username"] = "Enter your username"
    if not password:
        errors["password"] = "Enter your password"  # noqa: S105 (a message, not a secret)
    result = None
    if not errors:
        result = service.sign_in(
            request.app.state.db,
            username=username,
            password=password,
            lockout=Lockout(settings.lockout_attempts, settings.lockout),
            source=source,
        )
        if result is None:
            errors["username"] = SIGN_IN_FAILED
    if result is None:
        return render(
            request,
            "sign_in.html",
            {"errors": errors, "username": username, "next": next},
            status_code=400 if not username.strip() or not password else 401,
        )
    member, token = result
    old_token = request.cookies.get(staff_cookie_name(settings.cookie_secure))
    if old_token:
        # A session fixed before sign-in must not survive it (ASVS 7.2.4).
        service.sign_out(request.app.state.db, token=old_token)
    response = RedirectResponse(_safe_next(next, member.role.home), status_code=303)
    response.set_cookie(
        staff_cookie_name(settings.cookie_secure),
        token,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
        path="/",
        max_age=int(settings.session_absolute.total_seconds()),
    )
    return response


@router.get("/confirm-sign-in", include_in_schema=False)
def confirm_page(request: Request, member: CurrentStaff, next: str | None = None) -> Response:
    return render(request, "confirm_sign_in.html", {"next": _safe_next(next, "")})


@router.post("/confirm-sign-in", include_in_schema=False)
def confirm(
    request: Request,
    member: CurrentStaff,
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Step-up: the password again, then back to the page that asked (only on this site)."""
    settings = request.app.state.settings
    next_url = _safe_next(next, "")
    error = "Enter your password" if not password else None
    if error is None and not service.confirm(
        request.app.state.db,
        token=request.cookies.get(staff_cookie_name(settings.cookie_secure), ""),
        password=password,
        lockout=Lockout(settings.lockout_attempts, settings.lockout),
        source=request.client.host if request.client else "unknown",
    ):
        error = CONFIRM_FAILED
    if error is not None:
        return render(
            request,
            "confirm_sign_in.html",
            {"errors": {"password": error}, "next": next_url},
            status_code=400 if not password else 401,
        )
    if next_url:
        return RedirectResponse(next_url, status_code=303)
    # Asked for by a script (a 401 from the API): the person goes back to their other tab.
    return render(request, "confirm_sign_in.html", {"confirmed": True})


@router.post("/sign-out", include_in_schema=False)
def sign_out(request: Request) -> Response:
    settings = request.app.state.settings
    name = staff_cookie_name(settings.cookie_secure)
    token = request.cookies.get(name)
    if token:
        service.sign_out(request.app.state.db, token=token)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(name, path="/", secure=settings.cookie_secure, httponly=True)
    return response


@router.get("/", include_in_schema=False)
def home(member: CurrentStaff) -> Response:
    return RedirectResponse(member.role.home, status_code=303)


def _accounts_page(request: Request, status_code: int = 200, **extra: object) -> Response:
    users = service.list_users(request.app.state.db)
    role_options = [(role.value, role.label) for role in Role]
    return render(
        request,
        "accounts.html",
        {"users": users, "role_options": role_options, **extra},
        status_code=status_code,
    )


@router.get("/admin", include_in_schema=False)
def accounts_page(request: Request, member: Administrator) -> Response:
    return _accounts_page(request)


@router.post("/admin/accounts", include_in_schema=False)
def add_account(
    request: Request,
    member: Administrator,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    gender: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    try:
        if role not in {r.value for r in Role}:
            raise AccountError("Choose a role")
        service.add_user(
            request.app.state.db,
            username=username,
            display_name=display_name,
            role=Role(role),
            password=password,
            gender=gender or None,
            by=member.actor,
        )
    except AccountError as error:
        form = {"username": username, "display_name": display_name, "role": role, "gender": gender}
        return _accounts_page(request, 400, error=str(error), form=form)
    return RedirectResponse("/admin?added=" + username.strip().lower(), status_code=303)


@router.post("/admin/accounts/{username}/active", include_in_schema=False)
def change_active(
    request: Request,
    username: str,
    member: Administrator,
    active: Annotated[str, Form()] = "",
) -> Response:
    if username.lower() == member.username:
        return _accounts_page(request, 400, error="You cannot disable your own account")
    try:
        service.set_active(
            request.app.state.db, username=username, active=active == "yes", by=member.actor
        )
    except AccountError as error:
        return _accounts_page(request, 404, error=str(error))
    return RedirectResponse("/admin", status_code=303)
