"""What the call tests share: a call ready to join, sessions for each side, timed receives."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio
from starlette.testclient import TestClient, WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from tests.factories import PASSWORD, make_appointment, make_staff, make_video_case
from videoresponse.booking.models import Appointment
from videoresponse.caller import service as caller_service
from videoresponse.config import Settings
from videoresponse.core.auth import service as accounts
from videoresponse.core.auth.rules import Lockout, Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.notify import outbox
from videoresponse.notify.outbox import LinkPurpose
from videoresponse.triage.models import PersonRow

ORIGIN = "https://testserver"
DATE_OF_BIRTH = "1990-05-17"  # the factories' person


@dataclass(frozen=True)
class Call:
    appointment_id: int
    officer: StaffMember
    handler: StaffMember


def make_call(
    db: Database,
    *,
    starts_in: timedelta = timedelta(minutes=5),
    officer: StaffMember | None = None,
    status: str = "booked",
) -> Call:
    """A booked video appointment about to start, whose caller can join now."""
    handler = make_staff(db, Role.CALL_HANDLER)
    officer = officer or make_staff(db, Role.VIDEO_OFFICER)
    incident_id, person_id = make_video_case(db, created_by=handler.id)
    appointment_id = make_appointment(
        db,
        incident_id=incident_id,
        person_id=person_id,
        officer_id=officer.id,
        starts_at=utcnow() + starts_in,
        created_by=handler.id,
        status=status,
    )
    return Call(appointment_id, officer, handler)


def staff_token(db: Database, member: StaffMember) -> str:
    signed_in = accounts.sign_in(
        db,
        username=member.username,
        password=PASSWORD,
        lockout=Lockout(5, timedelta(minutes=15)),
        source="test",
    )
    assert signed_in is not None
    return signed_in[1]


def link_token(db: Database, appointment_id: int) -> str:
    """A join link for the appointment's person, as if just texted: its token."""
    token = secrets.token_urlsafe(24)
    with db.transaction() as session:
        appointment = session.get_one(Appointment, appointment_id)
        person = session.get_one(PersonRow, appointment.person_id)
        link = outbox.new_link(
            session,
            person=person,
            purpose=LinkPurpose.JOIN,
            valid_until=appointment.ends_at,
            appointment=appointment,
        )
        link.token_hash = hashlib.sha256(token.encode()).hexdigest()
    return token


def caller_token(
    db: Database, settings: Settings, appointment_id: int, *, verified: bool = True
) -> str:
    """A caller session for the appointment: the link opened, the date of birth confirmed."""
    session_token = caller_service.exchange_token(db, token=link_token(db, appointment_id))
    if verified:
        caller_service.check_identity(
            db, settings, session_token=session_token, answer=DATE_OF_BIRTH
        )
    return session_token


def staff_cookie(token: str) -> str:
    return f"__Host-vr_staff={token}"


def caller_cookie(token: str) -> str:
    return f"__Host-vr_caller={token}"


def connect(
    client: TestClient, appointment_id: int, cookie: str = "", origin: str | None = ORIGIN
) -> WebSocketTestSession:
    headers = {"cookie": cookie} if cookie else {}
    if origin is not None:
        headers["origin"] = origin
    return client.websocket_connect(f"/ws/calls/{appointment_id}", headers=headers)


def receive(ws: WebSocketTestSession, timeout: float = 5.0) -> dict[str, Any]:
    """The next message, failing the test after `timeout` instead of hanging it."""

    async def next_message() -> Any:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(next_message)
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(code=message.get("code", 1000))
    body: dict[str, Any] = json.loads(message["text"])
    return body


def receive_type(ws: WebSocketTestSession, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    """Skip other messages until one of type `kind` arrives."""
    for _ in range(50):
        message = receive(ws, timeout)
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind!r} message")


def close_code(ws: WebSocketTestSession, timeout: float = 5.0) -> int:
    """Read until the server closes the socket; its close code."""
    try:
        for _ in range(100):
            receive(ws, timeout)
    except WebSocketDisconnect as closed:
        return closed.code
    raise AssertionError("the socket stayed open")


def quiet(ws: WebSocketTestSession, seconds: float = 0.3) -> list[dict[str, Any]]:
    """Everything that arrives within `seconds` (to show something did not)."""
    got = []

    async def drain() -> None:
        with anyio.move_on_after(seconds):
            while True:
                message = await ws._send_rx.receive()
                if message["type"] == "websocket.close":
                    got.append({"type": "<closed>", "code": message.get("code")})
                    return
                got.append(json.loads(message["text"]))

    ws.portal.call(drain)
    return got


def receive_waiting(ws: WebSocketTestSession, count: int = 1) -> list[dict[str, Any]]:
    """The officer's waiting list, once it has `count` people in it."""
    for _ in range(20):
        peers: list[dict[str, Any]] = receive_type(ws, "waiting")["peers"]
        if len(peers) == count:
            return peers
    raise AssertionError(f"never {count} waiting")


# Against a real server (tests/live.py `serving`), with the `websockets` client.


def live_socket(base_url: str, appointment_id: int, cookie: str) -> Any:
    """An open-to-be `websockets` connection to a served app, as a browser on its page."""
    from websockets.asyncio.client import connect as ws_connect

    return ws_connect(
        base_url.replace("http://", "ws://") + f"/ws/calls/{appointment_id}",
        origin=base_url,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
        open_timeout=10,
    )


async def next_of(
    ws: Any,
    kind: str,
    where: Callable[[dict[str, Any]], bool] = lambda _: True,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """The next message of type `kind` for which `where` holds, skipping others."""

    async def find() -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(await ws.recv())
            if message["type"] == kind and where(message):
                return message

    return await asyncio.wait_for(find(), timeout)
