"""Texts: the staff pages, the JSON API and the providers' delivery receipts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from videoresponse.core.auth.deps import CallHandler, CurrentStaff, Supervisor
from videoresponse.core.web import render
from videoresponse.notify import service
from videoresponse.notify.providers.base import CallbackRejected, DeliveryReceipt
from videoresponse.notify.providers.callbacks import parse_notify_callback, parse_twilio_callback
from videoresponse.notify.providers.local import LocalOutbox

router = APIRouter()


def _page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    zone = ZoneInfo(request.app.state.settings.timezone)
    return render(request, f"notify/{template}", {"zone": zone, **context}, status_code)


@router.get("/texts/outbox", include_in_schema=False)
def local_outbox(request: Request, member: CurrentStaff) -> Response:
    """Every text the local provider 'delivered', with its link: the demo's phone."""
    provider = request.app.state.sms_provider
    texts = provider.texts() if isinstance(provider, LocalOutbox) else None
    return _page(request, "outbox.html", texts=texts)


@router.get("/appointments/{appointment_id}/texts", include_in_schema=False)
def appointment_texts(
    request: Request, appointment_id: int, member: CallHandler, error: str = ""
) -> Response:
    try:
        texts = service.texts_for_appointment(
            request.app.state.db, appointment_id=appointment_id, by=member
        )
    except service.NotFound as missing:
        raise HTTPException(404, str(missing)) from None
    return _page(
        request,
        "appointment_texts.html",
        400 if error else 200,
        texts=texts,
        appointment_id=appointment_id,
        error=error,
    )


@router.post("/appointments/{appointment_id}/texts/resend", include_in_schema=False)
def resend_page(request: Request, appointment_id: int, member: CallHandler) -> Response:
    try:
        service.resend(request.app.state.db, appointment_id=appointment_id, by=member)
    except service.NotFound as missing:
        raise HTTPException(404, str(missing)) from None
    except service.TextRefused as refused:
        return appointment_texts(request, appointment_id, member, str(refused))
    return RedirectResponse(f"/appointments/{appointment_id}/texts", status_code=303)


@router.post("/appointments/{appointment_id}/texts/custom", include_in_schema=False)
def custom_page(
    request: Request,
    appointment_id: int,
    member: CallHandler,
    text: Annotated[str, Form()] = "",
) -> Response:
    try:
        service.send_custom(
            request.app.state.db, appointment_id=appointment_id, text=text, by=member
        )
    except service.NotFound as missing:
        raise HTTPException(404, str(missing)) from None
    except service.TextRefused as refused:
        return appointment_texts(request, appointment_id, member, str(refused))
    return RedirectResponse(f"/appointments/{appointment_id}/texts", status_code=303)


@router.post("/handler/people/{person_id}/invitation", include_in_schema=False)
def invitation_page(request: Request, person_id: int, member: CallHandler) -> Response:
    try:
        text = service.invite_to_choose(request.app.state.db, person_id=person_id, by=member)
    except service.NotFound as missing:
        raise HTTPException(404, str(missing)) from None
    except service.TextRefused as refused:
        raise HTTPException(400, str(refused)) from None
    return RedirectResponse(
        f"/handler/incidents/{text.incident_id}?invited={person_id}#next-step", status_code=303
    )


@router.get("/supervisor/texts", include_in_schema=False)
def undelivered_page(request: Request, member: Supervisor, error: str = "") -> Response:
    db = request.app.state.db
    return _page(
        request,
        "undelivered.html",
        400 if error else 200,
        texts=service.undelivered(db, by=member),
        locked=service.locked_links(db),
        error=error,
    )


@router.post("/supervisor/texts/{text_id}/followed-up", include_in_schema=False)
def followed_up(
    request: Request, text_id: int, member: Supervisor, note: Annotated[str, Form()] = ""
) -> Response:
    try:
        service.mark_followed_up(request.app.state.db, text_id=text_id, note=note, by=member)
    except service.NotFound as missing:
        raise HTTPException(404, str(missing)) from None
    except service.TextRefused as refused:
        return undelivered_page(request, member, str(refused))
    return RedirectResponse("/supervisor/texts", status_code=303)


class CustomTextIn(BaseModel):
    text: str = Field(min_length=1, max_length=300)


@contextmanager
def _api_errors() -> Iterator[None]:
    """The service's refusals as the API says them: 404 for nothing there, 422 for a no."""
    try:
        yield
    except service.NotFound as missing:
        raise HTTPException(404, str(missing)) from None
    except service.TextRefused as refused:
        raise HTTPException(422, str(refused)) from None


@router.get("/api/appointments/{appointment_id}/texts", tags=["texts"])
def texts_api(request: Request, appointment_id: int, member: CallHandler) -> list[dict[str, Any]]:
    """The appointment's texts and how each went."""
    with _api_errors():
        texts = service.texts_for_appointment(
            request.app.state.db, appointment_id=appointment_id, by=member
        )
    return [t.__dict__ for t in texts]


@router.post("/api/appointments/{appointment_id}/texts", tags=["texts"], status_code=201)
def custom_api(
    request: Request, appointment_id: int, body: CustomTextIn, member: CallHandler
) -> dict[str, Any]:
    """Queue a short text from staff; refused (422) if it uses words it must not."""
    with _api_errors():
        text = service.send_custom(
            request.app.state.db, appointment_id=appointment_id, text=body.text, by=member
        )
    return text.__dict__


@router.post("/api/appointments/{appointment_id}/texts/resend", tags=["texts"], status_code=201)
def resend_api(request: Request, appointment_id: int, member: CallHandler) -> dict[str, Any]:
    """Send the appointment's details again with a new link."""
    with _api_errors():
        text = service.resend(request.app.state.db, appointment_id=appointment_id, by=member)
    return text.__dict__


@router.post("/api/people/{person_id}/invitation", tags=["texts"], status_code=201)
def invitation_api(request: Request, person_id: int, member: CallHandler) -> dict[str, Any]:
    """Text the person a link to choose their own time before the deadline."""
    with _api_errors():
        text = service.invite_to_choose(request.app.state.db, person_id=person_id, by=member)
    return text.__dict__


@router.post("/callbacks/notify", tags=["delivery receipts"])
async def notify_receipt(request: Request) -> JSONResponse:
    """GOV.UK Notify's delivery receipt; authenticated by the bearer token we gave Notify."""
    settings = request.app.state.settings
    try:
        body = await request.json()
        receipt = parse_notify_callback(
            request.headers.get("authorization"),
            body if isinstance(body, dict) else {},
            settings.notify_callback_token,
        )
    except (CallbackRejected, ValueError):
        return JSONResponse({"detail": "Rejected."}, status_code=401)
    found = await _record(request, receipt, "govuk_notify")
    return JSONResponse({"matched": found})


@router.post("/callbacks/twilio", tags=["delivery receipts"])
async def twilio_receipt(request: Request) -> JSONResponse:
    """Twilio's status callback; authenticated by its X-Twilio-Signature."""
    settings = request.app.state.settings
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    url = settings.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    try:
        receipt = parse_twilio_callback(
            url, form, request.headers.get("x-twilio-signature"), settings.twilio_auth_token
        )
    except CallbackRejected:
        return JSONResponse({"detail": "Rejected."}, status_code=401)
    found = await _record(request, receipt, "twilio")
    return JSONResponse({"matched": found})


async def _record(request: Request, receipt: DeliveryReceipt, provider: str) -> bool:
    return await run_in_threadpool(
        service.record_receipt, request.app.state.db, receipt=receipt, provider=provider
    )
