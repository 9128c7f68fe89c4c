"""The call's signalling socket and the JSON the officer's console and supervisors poll."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Request, WebSocket
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.routing import WebSocketRoute

from videoresponse.booking import service as booking
from videoresponse.booking.rules import BookingRuleError
from videoresponse.caller.routes import cookie_name as caller_cookie_name
from videoresponse.calls import queue, service
from videoresponse.calls.connection import Connection
from videoresponse.calls.hub import Hub, MemoryHub, to_role
from videoresponse.calls.protocol import CloseCode, Role, State, origin_allowed
from videoresponse.core.auth.deps import CallHandler, Supervisor, VideoOfficer, staff_cookie_name
from videoresponse.core.db import utcnow

router = APIRouter(tags=["calls"])


def hub_of(app: FastAPI) -> Hub:
    """The process's hub, made at first use: Redis when configured, else in memory."""
    hub: Hub | None = getattr(app.state, "calls_hub", None)
    if hub is None:
        settings = app.state.settings
        if settings.redis_url:
            from videoresponse.calls.redis_hub import RedisHub

            hub = RedisHub(settings.redis_url, settings.redis_prefix)
        else:
            hub = MemoryHub()
        app.state.calls_hub = hub
    return hub


async def tell(app: FastAPI, appointment_id: int, role: Role, message: dict[str, Any]) -> None:
    """Live news from another capability (a statement being written, evidence arriving) for
    the admitted people of one role in a call, on whichever process holds their sockets."""
    await hub_of(app).publish(appointment_id, to_role(role, message))


async def call_socket(websocket: WebSocket) -> None:
    """Signalling for one call. Checked before anything is read: Origin, then the session.

    A refusal accepts and closes at once with the reason as the close code: a refusal
    before accepting reaches a browser only as a failed connection (1006), and the page
    needs to tell "sign in again" (4401) from "not your call" (4403) from a network drop.
    """
    appointment_id: int = websocket.path_params["appointment_id"]
    settings = websocket.app.state.settings
    if not origin_allowed(
        websocket.headers.get("origin"), settings.public_base_url, websocket.headers.get("host")
    ):
        await _refuse(websocket, CloseCode.FORBIDDEN)
        return
    authenticate = partial(
        service.authenticate,
        websocket.app.state.db,
        settings,
        appointment_id=appointment_id,
        staff_token=websocket.cookies.get(staff_cookie_name(settings.cookie_secure), ""),
        caller_token=websocket.cookies.get(caller_cookie_name(settings.cookie_secure), ""),
    )
    try:
        who = await run_in_threadpool(authenticate)
    except service.NotAllowed as refused:
        await _refuse(websocket, refused.code)
        return
    await websocket.accept()
    connection = Connection(
        websocket,
        hub=hub_of(websocket.app),
        db=websocket.app.state.db,
        settings=settings,
        who=who,
        recheck=authenticate,
    )
    await connection.run()


async def _refuse(websocket: WebSocket, code: int) -> None:
    await websocket.accept()
    await websocket.close(code)


# A plain Starlette route: the app's dependencies (the CSRF check, made for forms) do not
# apply to a socket, which checks its Origin and session itself, above.
router.routes.append(WebSocketRoute("/ws/calls/{appointment_id:int}", call_socket))


@router.get("/api/calls/waiting")
async def waiting(request: Request, member: VideoOfficer) -> JSONResponse:
    """Who is waiting: the officer's own calls with someone in the waiting room, and the
    rapid queue; by priority band, then longest wait."""
    settings = request.app.state.settings
    calls = await run_in_threadpool(
        queue.calls_to_watch, request.app.state.db, settings, officer_id=member.id
    )
    hub = hub_of(request.app)
    since = {}
    for call in calls:
        arrivals = [
            m.since for m in await hub.members(call.appointment_id) if m.state is State.WAITING
        ]
        if arrivals:
            since[call.appointment_id] = min(arrivals)
    entries = queue.waiting_entries(
        calls,
        since,
        now=utcnow(),
        alert_after=timedelta(minutes=settings.admit_alert_minutes),
    )
    return JSONResponse(entries)


class RapidIn(BaseModel):
    person_id: int


@router.post("/api/calls/rapid", status_code=201)
def open_rapid_call(request: Request, body: RapidIn, member: CallHandler) -> JSONResponse:
    """A call now: the caller gets a text with a link that works at once, and joins the
    queue that the next free video officer takes."""
    try:
        opened = queue.open_rapid_call(
            request.app.state.db, request.app.state.settings, person_id=body.person_id, by=member
        )
    except booking.NotFound as error:
        raise HTTPException(404, str(error)) from None
    except BookingRuleError as error:
        raise HTTPException(422, str(error)) from None
    return JSONResponse(
        {
            "appointment_id": opened.appointment_id,
            "text_status": opened.text_status,
            "text_problem": opened.text_problem,
            "read_out_url": opened.read_out_url,
        },
        status_code=201,
    )


@router.post("/api/calls/rapid/take")
def take_rapid_call(request: Request, member: VideoOfficer) -> JSONResponse:
    """Take the next call in the rapid queue: it becomes this officer's."""
    try:
        taken = queue.take_next_rapid_call(request.app.state.db, officer=member)
    except BookingRuleError as error:
        raise HTTPException(409, str(error)) from None
    if taken is None:
        raise HTTPException(404, "Nobody is waiting in the rapid queue.")
    return JSONResponse({"appointment_id": taken})


class GuestIn(BaseModel):
    role: Literal["interpreter", "supporter"]


@router.post("/api/calls/{appointment_id}/guests", status_code=201)
def invite_guest(
    request: Request, appointment_id: int, body: GuestIn, member: VideoOfficer
) -> JSONResponse:
    """A link for an interpreter or supporter. Shown once: only its hash is kept."""
    try:
        invite = service.invite_guest(
            request.app.state.db,
            request.app.state.settings,
            appointment_id=appointment_id,
            role=body.role,
            by=member,
        )
    except service.NotAllowed as refused:
        raise HTTPException(refused.code, str(refused)) from None
    return JSONResponse(
        {"url": invite.url, "role": invite.role, "valid_until": invite.valid_until.isoformat()},
        status_code=201,
    )


@router.get("/api/calls/delays")
def delays(request: Request, member: Supervisor) -> JSONResponse:
    """Callers still in the waiting room `admit_alert_minutes` after the start."""
    minutes = request.app.state.settings.admit_alert_minutes
    return JSONResponse(
        queue.delayed_calls(request.app.state.db, alert_after=timedelta(minutes=minutes))
    )
