"""One participant's signalling socket, from welcome to goodbye.

Two tasks per socket: one reads the browser's messages and acts on them, one delivers
what the hub sends this socket. Whatever a browser sends, the socket survives: a bad
message gets an "error" reply; only flooding (more than 50 messages a second) closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from videoresponse.calls import protocol as p
from videoresponse.calls import service
from videoresponse.calls.hub import (
    CHANGED,
    ENDED,
    Envelope,
    Hub,
    close_peer,
    to_peer,
    to_role,
    to_room,
)
from videoresponse.calls.protocol import CloseCode, Member, ProtocolError, Role, State
from videoresponse.calls.turn import ice_servers
from videoresponse.config import Settings
from videoresponse.core.db import Database, utcnow

log = logging.getLogger(__name__)

NOT_YET = "You can do this once the officer has let you in."
# A ping re-checks the session at most this often: a signed-out officer or a caller who
# used "Exit this page" loses the socket, and a staff session stays alive through a call.
RECHECK_SECONDS = 60.0


def new_peer_id() -> str:
    return secrets.token_urlsafe(12)


class Connection:
    def __init__(
        self,
        websocket: WebSocket,
        *,
        hub: Hub,
        db: Database,
        settings: Settings,
        who: service.Participant,
        recheck: Callable[[], service.Participant],
    ) -> None:
        self.ws = websocket
        self.hub = hub
        self.db = db
        self.settings = settings
        self.who = who
        self.recheck = recheck
        self._checked_at = time.monotonic()
        self.room = who.appointment_id
        self.member = Member(
            peer_id=new_peer_id(),
            role=who.role,
            identity=who.identity,
            state=State.WAITING,
            since=utcnow(),
            guest_role=who.guest_role,
        )
        self.rate = p.RateLimit()
        self._send_lock = asyncio.Lock()
        self._last_sent: dict[str, dict[str, Any]] = {}
        self._admitted_at: datetime | None = None
        self._reported_media = False
        self._hung_up = False
        self._ended = False
        self._closed = False

    @property
    def peer_id(self) -> str:
        return self.member.peer_id

    async def run(self) -> None:
        inbox = await self.hub.open_inbox(self.room, self.peer_id)
        try:
            await self._enter()
            await self._serve(inbox)
        finally:
            try:
                await self._leave()
            except Exception:
                log.exception("calls: leaving room %s failed", self.room)
            await self.hub.close_inbox(self.room, self.peer_id)

    # Arriving and leaving.

    async def _enter(self) -> None:
        self.member, replaced = await self.hub.join(self.room, self.member)
        if self.member.state is State.ADMITTED:
            self._admitted_at = self.member.since
        for old in replaced:
            await self.hub.publish(self.room, close_peer(old.peer_id, CloseCode.REPLACED))
            await self.hub.publish(self.room, to_room(p.peer_left(old.peer_id), but=self.peer_id))
        came_back = bool(replaced) or (
            self.member.role is not Role.OFFICER and self.member.state is State.ADMITTED
        )
        await run_in_threadpool(
            service.arrived, self.db, self.who, peer_id=self.peer_id, reconnected=came_back
        )
        await self._greet()
        await self.hub.publish(self.room, CHANGED)

    async def _greet(self) -> None:
        """Welcome, then the lists this socket is owed, then the waiting-room note."""
        servers = ice_servers(
            stun_urls=self.settings.stun_urls,
            turn_urls=self.settings.turn_urls,
            turn_secret=self.settings.turn_secret,
            label=self.peer_id,
            now=int(time.time()),
            ttl_seconds=self.settings.turn_ttl_seconds,
        )
        await self._send(p.welcome(self.member, servers, self.settings.ice_transport_policy))
        self._last_sent.clear()
        await self._send_lists(await self.hub.members(self.room))
        if self.member.state is State.WAITING and (note := await self.hub.note(self.room)):
            await self._send(p.waiting_message(note))

    async def _leave(self) -> None:
        if self._ended:
            return
        gone = await self.hub.leave(
            self.room,
            self.peer_id,
            # Hanging up on purpose (the suspect came back?) means the next arrival waits
            # to be admitted again; a dropped network comes back admitted.
            forget_admission=self._hung_up and self.member.role is not Role.OFFICER,
        )
        if gone is not None:
            await self.hub.publish(self.room, to_room(p.peer_left(self.peer_id), but=self.peer_id))
            await self.hub.publish(self.room, CHANGED)
        seconds = (utcnow() - self.member.since).total_seconds()
        await run_in_threadpool(
            service.record,
            self.db,
            self.who,
            service.EventKind.LEFT,
            peer_id=self.peer_id,
            seconds=seconds,
        )

    # The two tasks.

    async def _serve(self, inbox: asyncio.Queue[Envelope]) -> None:
        reader = asyncio.create_task(self._read())
        writer = asyncio.create_task(self._write(inbox))
        done, pending = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for task in done:
            if (error := task.exception()) is not None:
                log.error("calls: socket in room %s failed", self.room, exc_info=error)

    async def _read(self) -> None:
        while not self._closed:
            frame = await self.ws.receive()
            if frame["type"] == "websocket.disconnect":
                return
            if not self.rate.allow(time.monotonic()):
                await self._close(CloseCode.TOO_MANY)
                return
            raw = frame.get("text")
            try:
                await self._handle(p.parse(raw if raw is not None else frame.get("bytes")))
            except ProtocolError as problem:
                await self._send(p.error(str(problem)))
            except Exception:
                log.exception("calls: a message in room %s failed", self.room)
                await self._send(p.error("That did not work. Try again."))

    async def _write(self, inbox: asyncio.Queue[Envelope]) -> None:
        while not self._closed:
            await self._deliver(await inbox.get())

    # What the browser asks for.

    async def _handle(self, message: p.ClientMessage) -> None:
        if isinstance(message, p.OFFICER_ONLY) and self.member.role is not Role.OFFICER:
            raise ProtocolError("Only the officer can do that.")
        match message:
            case p.Ping():
                await self._check_session()
                await self._send(p.simple("pong"))
            case p.Hello():
                await self._greet()
            case p.Signal(to=to, data=data):
                await self._signal(to, data)
            case p.Chat(text=text):
                await self._chat(text)
            case p.Correction(text=text):
                await self._correction(text)
            case p.Hangup():
                self._hung_up = True
                await self._close(CloseCode.NORMAL)
            case p.Connected():
                await self._media_connected()
            case p.Admit(peer_id=peer_id):
                await self._admit(peer_id)
            case p.WaitingMessage(text=text):
                await self._waiting_message(text)
            case p.End():
                await self._end()

    async def _check_session(self) -> None:
        if time.monotonic() - self._checked_at < RECHECK_SECONDS:
            return
        self._checked_at = time.monotonic()
        try:
            await run_in_threadpool(self.recheck)
        except service.NotAllowed as refused:
            await self._close(refused.code)

    async def _admitted_members(self) -> dict[str, Member]:
        """The room's admitted members; ProtocolError unless this socket is one of them."""
        admitted = {
            m.peer_id: m for m in await self.hub.members(self.room) if m.state is State.ADMITTED
        }
        if self.peer_id not in admitted:
            raise ProtocolError(NOT_YET)
        return admitted

    async def _signal(self, to: str, data: dict[str, Any]) -> None:
        if to not in await self._admitted_members():
            raise ProtocolError("That person is not in the call.")
        await self.hub.publish(self.room, to_peer(to, p.relayed_signal(self.peer_id, data)))

    async def _chat(self, text: str) -> None:
        await self._admitted_members()
        message = p.chat(self.member.role, text, utcnow())
        await self.hub.publish(self.room, to_room(message, audience="admitted", but=self.peer_id))

    async def _correction(self, text: str) -> None:
        """The caller, reading their statement as it is written, asks the officer to change it.

        Only the witness: an interpreter or supporter must not steer the statement as if the
        witness had asked."""
        if self.member.role is not Role.CALLER:
            raise ProtocolError("Only the witness can ask for a change to their statement.")
        await self._admitted_members()
        message = p.correction(self.member.role, text, utcnow())
        await self.hub.publish(self.room, to_role(Role.OFFICER, message))

    async def _media_connected(self) -> None:
        if self._reported_media or self._admitted_at is None:
            return
        self._reported_media = True
        await run_in_threadpool(
            service.record,
            self.db,
            self.who,
            service.EventKind.CONNECTED,
            peer_id=self.peer_id,
            seconds=(utcnow() - self._admitted_at).total_seconds(),
        )

    async def _admit(self, peer_id: str) -> None:
        members = {m.peer_id: m for m in await self.hub.members(self.room)}
        waiting = members.get(peer_id)
        if waiting is None or waiting.state is not State.WAITING:
            raise ProtocolError("That person is not waiting.")
        if await self.hub.admit(self.room, peer_id) is None:
            raise ProtocolError("That person is not waiting.")
        # Tell the browsers first: the time from admitting to media is what people feel.
        await self.hub.publish(self.room, to_peer(peer_id, p.simple("admitted")))
        await self.hub.publish(self.room, CHANGED)
        await run_in_threadpool(
            service.admitted,
            self.db,
            self.who,
            peer_id=peer_id,
            role=waiting.role,
            waited_seconds=(utcnow() - waiting.since).total_seconds(),
        )

    async def _waiting_message(self, text: str) -> None:
        await self.hub.set_note(self.room, text)
        await self.hub.publish(self.room, to_room(p.waiting_message(text), audience="waiting"))

    async def _end(self) -> None:
        # The appointment is completed first: a caller reconnecting at this moment is then
        # refused instead of finding an empty room.
        await run_in_threadpool(service.end_call, self.db, self.who, peer_id=self.peer_id)
        await self.hub.end(self.room)
        await self.hub.publish(self.room, ENDED)

    # What the hub sends this socket.

    async def _deliver(self, envelope: Envelope) -> None:
        kind = envelope["kind"]
        if kind == "to" and envelope["peer_id"] == self.peer_id:
            if envelope["message"]["type"] == "admitted":
                self.member = replace(self.member, state=State.ADMITTED)
                self._admitted_at = utcnow()
            await self._send(envelope["message"])
        elif kind == "room" and envelope["but"] != self.peer_id:
            if envelope["audience"] in ("all", self.member.state.value):
                await self._send(envelope["message"])
        elif kind == "role" and envelope["role"] == self.member.role.value:
            if self.member.state is State.ADMITTED:
                await self._send(envelope["message"])
        elif kind == "changed":
            await self._refresh()
        elif kind == "close" and envelope["peer_id"] == self.peer_id:
            await self._close(envelope["code"])  # replaced: the new socket is this person now
        elif kind == "ended":
            self._ended = True
            await self._send(p.simple("ended"))
            await self._close(CloseCode.NORMAL)

    async def _refresh(self) -> None:
        members = await self.hub.members(self.room)
        me = next((m for m in members if m.peer_id == self.peer_id), None)
        if me is None:
            return  # on its way out: replaced, or the call ended
        self.member = me
        await self._send_lists(members)

    async def _send_lists(self, members: list[Member]) -> None:
        """peers to admitted sockets and waiting to officers, each only when it changed."""
        lists = {}
        if self.member.state is State.ADMITTED:
            lists["peers"] = p.peers_for(self.peer_id, members)
        if self.member.role is Role.OFFICER:
            lists["waiting"] = p.waiting_list(members)
        for name, message in lists.items():
            if self._last_sent.get(name) != message:
                self._last_sent[name] = message
                await self._send(message)

    async def _send(self, message: dict[str, Any]) -> None:
        if self._closed:
            return
        async with self._send_lock:
            with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
                await self.ws.send_json(message)

    async def _close(self, code: int) -> None:
        if self._closed:
            return
        self._closed = True
        async with self._send_lock:
            with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
                await self.ws.close(code)
