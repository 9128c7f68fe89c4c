"""Rooms: who is in each call, who was admitted, and delivery of messages between sockets.

One interface, two implementations: `MemoryHub` for one process (the embedded default) and
`RedisHub` (calls.redis_hub) when several processes serve the same calls. A room is an
appointment id. Every socket in a room has an inbox; `publish` puts an envelope in the
inbox of every socket of that room, on every process. Each socket decides from the
envelope whether it concerns it (see calls.connection).

Membership changes are announced as {"kind": "changed"} rather than as lists: each socket
then reads the room itself, so the last list a browser gets is always read after the last
change, whichever process made it and in whatever order the announcements arrive.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections import defaultdict
from dataclasses import replace
from typing import Any

from videoresponse.calls.protocol import Member, Role, State

Envelope = dict[str, Any]


def to_peer(peer_id: str, message: dict[str, Any]) -> Envelope:
    return {"kind": "to", "peer_id": peer_id, "message": message}


def to_room(message: dict[str, Any], *, audience: str = "all", but: str = "") -> Envelope:
    """audience: "all", "admitted" or "waiting"; `but` leaves out one peer (the sender)."""
    return {"kind": "room", "audience": audience, "but": but, "message": message}


def to_role(role: Role, message: dict[str, Any]) -> Envelope:
    """Every admitted socket of one role: how other capabilities (a statement being written,
    evidence arriving) reach the people in a call. Waiting sockets never get these."""
    return {"kind": "role", "role": role.value, "message": message}


CHANGED: Envelope = {"kind": "changed"}
ENDED: Envelope = {"kind": "ended"}


def close_peer(peer_id: str, code: int) -> Envelope:
    return {"kind": "close", "peer_id": peer_id, "code": code}


class Hub(ABC):
    """Room state and delivery. Implementations keep each method atomic for the room."""

    def __init__(self) -> None:
        self._inboxes: dict[int, dict[str, asyncio.Queue[Envelope]]] = defaultdict(dict)

    @abstractmethod
    async def join(self, room: int, member: Member) -> tuple[Member, list[Member]]:
        """Add a socket; admitted if an officer or admitted before in this call.

        Returns the member as stored and the earlier sockets of the same person, which it
        replaces (a reconnect: the old socket may not have noticed it is gone).
        """

    @abstractmethod
    async def leave(self, room: int, peer_id: str, *, forget_admission: bool) -> Member | None:
        """Remove a socket; None if it was already gone (replaced, or the call ended)."""

    @abstractmethod
    async def admit(self, room: int, peer_id: str) -> Member | None:
        """Admit a waiting socket, and its person for the rest of the call."""

    @abstractmethod
    async def members(self, room: int) -> list[Member]: ...

    @abstractmethod
    async def set_note(self, room: int, text: str) -> None:
        """The officer's latest message to the waiting room, for those who arrive later."""

    @abstractmethod
    async def note(self, room: int) -> str: ...

    @abstractmethod
    async def end(self, room: int) -> None:
        """Forget the room: its sockets, its admissions and its note."""

    @abstractmethod
    async def publish(self, room: int, envelope: Envelope) -> None: ...

    async def open_inbox(self, room: int, peer_id: str) -> asyncio.Queue[Envelope]:
        inbox: asyncio.Queue[Envelope] = asyncio.Queue()
        self._inboxes[room][peer_id] = inbox
        return inbox

    async def close_inbox(self, room: int, peer_id: str) -> None:
        self._inboxes[room].pop(peer_id, None)
        if not self._inboxes[room]:
            del self._inboxes[room]

    def _deliver_here(self, room: int, envelope: Envelope) -> None:
        for inbox in list(self._inboxes.get(room, {}).values()):
            inbox.put_nowait(envelope)

    async def aclose(self) -> None:
        return None


class MemoryHub(Hub):
    """One process: rooms in dictionaries. Each method runs without awaiting, so is atomic."""

    def __init__(self) -> None:
        super().__init__()
        self._members: dict[int, dict[str, Member]] = defaultdict(dict)
        self._admitted: dict[int, set[str]] = defaultdict(set)
        self._notes: dict[int, str] = {}

    async def join(self, room: int, member: Member) -> tuple[Member, list[Member]]:
        members = self._members[room]
        replaced = [m for m in members.values() if m.identity == member.identity]
        for old in replaced:
            del members[old.peer_id]
        if member.role is Role.OFFICER or member.identity in self._admitted[room]:
            member = replace(member, state=State.ADMITTED)
            self._admitted[room].add(member.identity)
        members[member.peer_id] = member
        return member, replaced

    async def leave(self, room: int, peer_id: str, *, forget_admission: bool) -> Member | None:
        gone = self._members[room].pop(peer_id, None)
        if gone is not None and forget_admission:
            self._admitted[room].discard(gone.identity)
        self._tidy(room)
        return gone

    async def admit(self, room: int, peer_id: str) -> Member | None:
        member = self._members[room].get(peer_id)
        if member is None or member.state is State.ADMITTED:
            return None
        member = replace(member, state=State.ADMITTED)
        self._members[room][peer_id] = member
        self._admitted[room].add(member.identity)
        return member

    async def members(self, room: int) -> list[Member]:
        return list(self._members.get(room, {}).values())

    async def set_note(self, room: int, text: str) -> None:
        self._notes[room] = text

    async def note(self, room: int) -> str:
        return self._notes.get(room, "")

    async def end(self, room: int) -> None:
        self._members.pop(room, None)
        self._admitted.pop(room, None)
        self._notes.pop(room, None)

    async def publish(self, room: int, envelope: Envelope) -> None:
        self._deliver_here(room, envelope)

    def _tidy(self, room: int) -> None:
        # An empty room keeps its admissions (a dropped caller may come back) but not
        # an empty dictionary per appointment for the life of the process.
        if not self._members.get(room):
            self._members.pop(room, None)
