"""Call handling pages: the list, the new-incident form, the case with routes and booking.

Thin: parse the form, call the service, render. The JSON API is in ``triage.api`` and is
included in ``router`` here, because the app includes only this router.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from videoresponse.booking import service as booking
from videoresponse.booking.rules import BookingRuleError
from videoresponse.config import Settings
from videoresponse.core.auth.deps import CallHandler
from videoresponse.core.db import utcnow
from videoresponse.core.web import app_db, app_settings, render
from videoresponse.triage import api, forms, service
from videoresponse.triage.case_page import CasePage, booking_form, route_form
from videoresponse.triage.drafts import DraftErrors, suggest
from videoresponse.triage.rules import TriageRuleError
from videoresponse.triage.wording import Wording

RECENT = 50

pages = APIRouter(include_in_schema=False)


async def posted_form(request: Request) -> FormData:
    # Read here, in the event loop, so that the route itself can be a plain def that
    # FastAPI runs in its thread pool: the service calls block on the database.
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


def _wording(settings: Settings) -> Wording:
    return Wording(settings.timezone, service.incident_types(settings))


@pages.get("/handler")
def handler_home(request: Request, member: CallHandler) -> Response:
    settings = app_settings(request)
    incidents = service.list_recent_incidents(app_db(request), limit=RECENT, by=member)
    return render(
        request,
        "triage/handler_home.html",
        {"incidents": incidents, "say": _wording(settings)},
    )


@pages.get("/handler/incidents/new")
def new_incident_page(request: Request, member: CallHandler) -> Response:
    settings = app_settings(request)
    form = forms.new_incident_form(utcnow(), settings.timezone)
    return render(
        request, "triage/incident_new.html", forms.new_incident_context(settings, form, {}, None)
    )


@pages.post("/handler/incidents/new")
def record_incident(request: Request, member: CallHandler, form: PostedForm) -> Response:
    settings = app_settings(request)
    typed = forms.only_text(form)
    draft, unreadable = forms.parse_incident_form(typed, settings.timezone)
    suggestion = suggest(draft)
    if typed.get("action") == "suggest":
        context = forms.new_incident_context(settings, typed, {}, suggestion, suggested_now=True)
        return render(request, "triage/incident_new.html", context)
    try:
        if unreadable:
            service.check_incident_draft(settings, draft=draft)
            raise DraftErrors({})
        incident_id = service.record_incident(app_db(request), settings, draft=draft, by=member)
    except DraftErrors as problems:
        errors = forms.in_form_order({**problems.errors, **unreadable})
        context = forms.new_incident_context(settings, typed, errors, suggestion)
        return render(request, "triage/incident_new.html", context, status_code=400)
    return RedirectResponse(f"/handler/incidents/{incident_id}", status_code=303)


@pages.get("/handler/incidents/{incident_id}")
def incident_page(
    request: Request,
    incident_id: int,
    member: CallHandler,
    later: bool = False,
    booked: int | None = None,
) -> Response:
    page = CasePage(app_db(request), app_settings(request), member, incident_id, later=later)
    return page.render(request, booked=booked)


@pages.post("/handler/incidents/{incident_id}/route-choice")
def record_route_choice(
    request: Request, incident_id: int, member: CallHandler, form: PostedForm
) -> Response:
    db, settings = app_db(request), app_settings(request)
    typed = forms.only_text(form)
    choice = route_form(typed)
    try:
        if choice.person_id is None:
            raise service.NotFound("There is no such person in this incident")
        service.record_route_choice(
            db,
            settings,
            incident_id=incident_id,
            person_id=choice.person_id,
            offered=choice.offered,
            chosen=choice.chosen,
            reason=choice.reason,
            by=member,
        )
    except service.NotFound as missing:
        raise HTTPException(status_code=404, detail=str(missing)) from None
    except DraftErrors as problems:
        page = CasePage(db, settings, member, incident_id)
        return page.render(
            request,
            status_code=400,
            typed=typed,
            person_id=choice.person_id,
            errors=problems.errors,
        )
    return RedirectResponse(f"/handler/incidents/{incident_id}#next-step", status_code=303)


@pages.post("/handler/incidents/{incident_id}/book")
def book(request: Request, incident_id: int, member: CallHandler, form: PostedForm) -> Response:
    db, settings = app_db(request), app_settings(request)
    typed = forms.only_text(form)
    chosen = booking_form(typed)
    page = CasePage(db, settings, member, incident_id, later=chosen.later)
    if chosen.person_id is None or chosen.starts_at is None:
        return page.render(request, status_code=400, problem="Choose one of the times shown")
    if chosen.later and not chosen.late_reason.strip():
        # Every later time ends after the deadline (DOMAIN.md: only with a recorded reason).
        return page.render(
            request,
            status_code=400,
            typed=typed,
            person_id=chosen.person_id,
            errors={"late_reason": "Enter why a time after the deadline is needed"},
        )
    try:
        service.check_video_may_be_booked(db, person_id=chosen.person_id, incident_id=incident_id)
        booked = booking.book(
            db,
            settings,
            person_id=chosen.person_id,
            starts_at=chosen.starts_at,
            officer_id=chosen.officer_id,
            late_reason=chosen.late_reason,
            by=member,
        )
    except service.NotFound as missing:
        raise HTTPException(status_code=404, detail=str(missing)) from None
    except booking.SlotTaken as taken:
        return page.render(
            request,
            status_code=409,
            typed=typed,
            person_id=chosen.person_id,
            problem="That time has just been taken. Choose one of the times shown now.",
            fresh={chosen.person_id: taken.fresh_options},
        )
    except (BookingRuleError, TriageRuleError) as broken:
        return page.render(request, status_code=400, problem=str(broken))
    return RedirectResponse(
        f"/handler/incidents/{incident_id}?booked={booked.id}#next-step", status_code=303
    )


router = APIRouter()
router.include_router(pages)
router.include_router(api.router)
