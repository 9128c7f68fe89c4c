"""The booking JSON API, for a force's command-and-control system and the pages' scripts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from videoresponse.booking import service
from videoresponse.booking.rules import AppointmentStatus, BookingRuleError, SlotOption
from videoresponse.core.auth.deps import CallHandler, CurrentStaff
from videoresponse.core.web import attach_csrf_cookie

router = APIRouter(prefix="/api", tags=["booking"])


class OptionOut(BaseModel):
    starts_at: datetime
    ends_at: datetime
    officer_id: int
    reason: str

    @classmethod
    def of(cls, option: SlotOption) -> OptionOut:
        return cls(
            starts_at=option.start,
            ends_at=option.end,
            officer_id=option.officer_id,
            reason=str(option.reason),
        )


class AppointmentOut(BaseModel):
    id: int
    incident_id: int
    person_id: int
    officer_id: int | None
    starts_at: datetime
    ends_at: datetime
    status: str
    officer_reason: str


class BookingIn(BaseModel):
    person_id: int
    starts_at: AwareDatetime = Field(description="A start from the options, with its offset.")
    officer_id: int | None = Field(None, description="Leave out to let the service choose.")
    late_reason: str = Field("", description="Needed when the slot ends after the deadline.")
    follow_up_of: int | None = None


class RescheduleIn(BaseModel):
    starts_at: AwareDatetime
    reason: str = Field(min_length=1)
    officer_id: int | None = None
    late_reason: str = ""


class CancelIn(BaseModel):
    reason: str = Field(min_length=1)


class SessionOut(BaseModel):
    username: str
    role: str
    csrf_token: str = Field(description="Send as X-CSRF-Token on POST requests.")


def _out(booked: service.BookedAppointment) -> AppointmentOut:
    return AppointmentOut(**booked.as_json())


def _taken(error: service.SlotTaken) -> JSONResponse:
    return JSONResponse(
        {
            "detail": str(error),
            "options": [OptionOut.of(o).model_dump(mode="json") for o in error.fresh_options],
        },
        status_code=409,
    )


@router.get("/session", tags=["session"])
def current_session(request: Request, member: CurrentStaff) -> JSONResponse:
    """Who is signed in, and the CSRF token their POST requests must carry."""
    tokens = request.app.state.csrf
    body = SessionOut(
        username=member.username,
        role=member.role.value,
        csrf_token=tokens.token_for(tokens.browser_secret(request)),
    )
    response = JSONResponse(body.model_dump())
    attach_csrf_cookie(request, response)
    return response


@router.post(
    "/appointments",
    status_code=201,
    response_model=AppointmentOut,
    responses={409: {"description": "The slot was taken; fresh options are returned."}},
)
def book_appointment(
    request: Request,
    body: BookingIn,
    member: CallHandler,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> AppointmentOut | JSONResponse:
    """Book a video appointment. Retrying with the same Idempotency-Key books nothing twice."""
    try:
        booked = service.book(
            request.app.state.db,
            request.app.state.settings,
            person_id=body.person_id,
            starts_at=body.starts_at,
            officer_id=body.officer_id,
            late_reason=body.late_reason,
            follow_up_of=body.follow_up_of,
            by=member,
            idempotency_key=idempotency_key,
        )
    except service.SlotTaken as error:
        return _taken(error)
    except service.NotFound as error:
        raise HTTPException(404, str(error)) from None
    except (BookingRuleError, service.IdempotencyConflict) as error:
        raise HTTPException(422, str(error)) from None
    return _out(booked)


@router.post("/appointments/{appointment_id}/reschedule", response_model=AppointmentOut)
def reschedule_appointment(
    request: Request,
    appointment_id: int,
    body: RescheduleIn,
    member: CallHandler,
) -> AppointmentOut | JSONResponse:
    """Move an appointment to another time (and maybe officer); its history is kept."""
    try:
        booked = service.reschedule(
            request.app.state.db,
            request.app.state.settings,
            appointment_id=appointment_id,
            starts_at=body.starts_at,
            reason=body.reason,
            officer_id=body.officer_id,
            late_reason=body.late_reason,
            by=member,
        )
    except service.SlotTaken as error:
        return _taken(error)
    except service.NotFound as error:
        raise HTTPException(404, str(error)) from None
    except BookingRuleError as error:
        raise HTTPException(422, str(error)) from None
    return _out(booked)


@router.post("/appointments/{appointment_id}/cancel", response_model=AppointmentOut)
def cancel_appointment(
    request: Request,
    appointment_id: int,
    body: CancelIn,
    member: CallHandler,
) -> AppointmentOut:
    """Cancel an appointment, with the reason."""
    try:
        booked = service.change_status(
            request.app.state.db,
            appointment_id=appointment_id,
            status=AppointmentStatus.CANCELLED,
            reason=body.reason,
            by=member,
        )
    except service.NotFound as error:
        raise HTTPException(404, str(error)) from None
    except BookingRuleError as error:
        raise HTTPException(422, str(error)) from None
    return _out(booked)
