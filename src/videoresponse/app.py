"""create_app(): settings in, routers mounted, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from videoresponse import __version__
from videoresponse.booking import api as booking_api
from videoresponse.booking import routes as booking_routes
from videoresponse.caller import routes as caller_routes
from videoresponse.calls import pages as call_pages
from videoresponse.calls import routes as calls_routes
from videoresponse.config import Settings, get_settings
from videoresponse.core import web
from videoresponse.core.auth import routes as auth_routes
from videoresponse.core.auth.deps import SignInRequired, StepUpRequired, step_up_required
from videoresponse.core.db import Database
from videoresponse.evidence import pages as evidence_pages
from videoresponse.evidence import routes as evidence_routes
from videoresponse.follow_ups import routes as follow_up_routes
from videoresponse.no_shows import routes as no_show_routes
from videoresponse.notify import routes as notify_routes
from videoresponse.notify.service import make_provider
from videoresponse.notify.worker import embedded_worker
from videoresponse.reports import feedback as feedback_routes
from videoresponse.reports import routes as report_routes
from videoresponse.risk import routes as risk_routes
from videoresponse.rota import routes as rota_routes
from videoresponse.statements import routes as statement_routes
from videoresponse.triage import routes as triage_routes
from videoresponse.victims import routes as victims_routes


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Video Response",
        version=__version__,
        description="Video appointments for victims and witnesses. The JSON API under /api "
        "lets a force's command-and-control system create incidents and book.",
        dependencies=[Depends(web.check_csrf)],
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.db = db or Database(settings.database_url)
    app.state.templates = web.make_templates()
    app.state.csrf = web.CsrfTokens(settings.signing_key(), settings.cookie_secure)
    app.state.sms_provider = make_provider(settings)

    # The last added runs first: the security headers also go on a refusal of a large body.
    app.add_middleware(web.BodyLimit)
    app.add_middleware(web.SecurityHeaders)
    app.add_middleware(web.CompressStatic)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    app.add_exception_handler(StarletteHTTPException, web.http_error)
    app.add_exception_handler(HTTPException, web.http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(StepUpRequired, step_up_required)

    app.include_router(auth_routes.router)
    for router in (
        triage_routes.router,
        booking_routes.router,
        booking_api.router,
        rota_routes.router,
        caller_routes.router,
        call_pages.router,
        notify_routes.router,
        calls_routes.router,
        victims_routes.router,
        report_routes.router,
        feedback_routes.router,
        follow_up_routes.router,
        no_show_routes.router,
        evidence_routes.router,
        evidence_pages.router,
        risk_routes.router,
        statement_routes.router,
    ):
        app.include_router(router)

    @app.get("/healthz", tags=["operations"])
    def healthz(request: Request) -> JSONResponse:
        """Whether the service and its database answer."""
        reachable = request.app.state.db.is_reachable()
        return JSONResponse(
            {"status": "ok" if reachable else "unavailable", "database": reachable},
            status_code=200 if reachable else 503,
        )

    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The embedded text worker runs while the app serves; the call hub closes after."""
    async with embedded_worker(app):
        yield
    hub = getattr(app.state, "calls_hub", None)
    if hub is not None:
        await hub.aclose()


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    if web.wants_html(request):
        return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)
    return JSONResponse({"detail": "Sign in first."}, status_code=401)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(p) for p in err['loc'][1:]) or 'request'}: {err['msg']}"
        for err in exc.errors()
    ]
    return await web.http_error(request, HTTPException(status_code=422, detail="; ".join(problems)))
