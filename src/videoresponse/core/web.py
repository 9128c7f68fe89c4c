"""What every page shares: templates, security headers, CSRF, clear errors."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from videoresponse.core.navigation import nav_links

if TYPE_CHECKING:
    from videoresponse.config import Settings
    from videoresponse.core.db import Database

PACKAGE_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = Path(__file__).resolve().parent / "static"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(self), geolocation=()"),
]
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Providers' delivery receipts carry no cookies; each is authenticated by its own token
# or signature instead.
CSRF_EXEMPT = ("/callbacks/",)


def make_templates() -> Jinja2Templates:
    """One environment that finds each capability's templates/ folder."""
    folders = [p for p in sorted(PACKAGE_DIR.glob("*/templates")) if p.is_dir()]
    folders += [p for p in sorted(PACKAGE_DIR.glob("core/*/templates")) if p.is_dir()]
    templates = Jinja2Templates(directory=str(PACKAGE_DIR / "core" / "templates"))
    templates.env.loader = ChoiceLoader([FileSystemLoader([str(f) for f in folders])])
    templates.env.globals["nav_links"] = nav_links
    templates.env.filters["local_time"] = local_time
    templates.env.filters["local_clock"] = local_clock
    return templates


def local_clock(moment: datetime, zone: tzinfo) -> str:
    """2:15pm, in the zone the reader lives in."""
    local = moment.astimezone(zone)
    return f"{local.hour % 12 or 12}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"


def local_time(moment: datetime, zone: tzinfo) -> str:
    """Tuesday 1 December at 2:15pm: how GOV.UK writes a date and time."""
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B} at {local_clock(moment, zone)}"


class SecurityHeaders:
    """Adds the headers every response needs; pages are never cached (ASVS 14.3.2)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in present]
                if not is_static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


# A request body larger than this is refused before any route reads it: otherwise anyone
# could make the server parse (and hold) a body of any size before a session is checked.
MAX_BODY_BYTES = 1024 * 1024
# Still frames from the call are bigger; tus uploads are bounded by their route, which
# checks Upload-Length against the file limit and the appointment's quota.
MAX_STILL_FRAME_BYTES = 20 * 1024 * 1024
UNBOUNDED_BODY_PREFIXES = ("/tus/",)


class TooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, "What was sent is too large.")


def body_limit(path: str) -> int | None:
    if path.startswith(UNBOUNDED_BODY_PREFIXES):
        return None
    if path.endswith("/still-frames"):
        return MAX_STILL_FRAME_BYTES
    return MAX_BODY_BYTES


class BodyLimit:
    """Refuses a body over body_limit(path): by Content-Length at once, else as it arrives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = body_limit(scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > limit:
            refusal = (
                (413, TooLarge().detail) if declared.isdigit() else (400, "Bad Content-Length.")
            )
            await JSONResponse({"detail": refusal[1]}, status_code=refusal[0])(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge()
            return message

        await self.app(scope, counted, send)


class CompressStatic:
    """Gzip for static files only.

    Pages carry a CSRF token beside text the visitor typed; compressing both in one
    response is how BREACH reads secrets, and pages are small anyway.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/static/"):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class CsrfTokens:
    """Signed double-submit tokens: a random cookie per browser, and its HMAC in each form.

    An attacker's page can make the browser send the cookie but cannot read it, so it
    cannot compute the form value (OWASP CSRF cheat sheet, signed double-submit).
    """

    def __init__(self, key: bytes, secure: bool) -> None:
        self._key = key
        self.cookie_name = "__Host-vr_csrf" if secure else "vr_csrf"
        self.secure = secure

    def token_for(self, browser_secret: str) -> str:
        return hmac.new(self._key, b"csrf|" + browser_secret.encode(), hashlib.sha256).hexdigest()

    def browser_secret(self, request: Request) -> str:
        existing = request.cookies.get(self.cookie_name)
        if existing and len(existing) >= 32:
            return existing
        made: str | None = getattr(request.state, "new_csrf_secret", None)
        if made is None:
            made = secrets.token_urlsafe(32)
            request.state.new_csrf_secret = made
        return made

    def is_valid(self, request: Request, submitted: str | None) -> bool:
        secret = request.cookies.get(self.cookie_name)
        if not secret or not submitted:
            return False
        return hmac.compare_digest(self.token_for(secret), submitted)


class CsrfFailed(HTTPException):
    def __init__(self) -> None:
        super().__init__(
            status_code=403,
            detail="This form has expired or was sent from another site. "
            "Go back, reload the page and try again.",
        )


async def check_csrf(request: Request) -> None:
    """Every unsafe request made with cookies carries a valid token (form field or header)."""
    if request.method not in UNSAFE_METHODS or request.url.path.startswith(CSRF_EXEMPT):
        return
    tokens: CsrfTokens = request.app.state.csrf
    submitted = request.headers.get("x-csrf-token")
    if submitted is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        submitted = value if isinstance(value, str) else None
    if not tokens.is_valid(request, submitted):
        raise CsrfFailed()


def app_settings(request: Request) -> Settings:
    """The app's settings, typed (app.state holds Any)."""
    settings: Settings = request.app.state.settings
    return settings


def app_db(request: Request) -> Database:
    """The app's database, typed (app.state holds Any)."""
    db: Database = request.app.state.db
    return db


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page with what every page needs: the CSRF token, the user, the settings."""
    tokens: CsrfTokens = request.app.state.csrf
    page = {
        "csrf_token": tokens.token_for(tokens.browser_secret(request)),
        "staff": getattr(request.state, "staff", None),
        "settings": request.app.state.settings,
    }
    page.update(context or {})
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, page, status_code=status_code
    )
    attach_csrf_cookie(request, response)
    return response


def attach_csrf_cookie(request: Request, response: Any) -> None:
    tokens: CsrfTokens = request.app.state.csrf
    made = getattr(request.state, "new_csrf_secret", None)
    if made:
        response.set_cookie(
            tokens.cookie_name,
            made,
            httponly=True,
            secure=tokens.secure,
            samesite="strict",
            path="/",
        )


def wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not request.url.path.startswith("/api/")


async def http_error(request: Request, exc: Exception) -> HTMLResponse | JSONResponse:
    """A person reads the message: a page for browsers, JSON with `detail` for machines."""
    # Starlette's own (an unknown address) as well as FastAPI's, which extends it.
    assert isinstance(exc, StarletteHTTPException)
    response: HTMLResponse | JSONResponse
    if wants_html(request):
        response = render(
            request,
            "error.html",
            {"status": exc.status_code, "message": exc.detail},
            status_code=exc.status_code,
        )
    else:
        response = JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response
