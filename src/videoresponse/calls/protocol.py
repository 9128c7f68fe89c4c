"""The signalling protocol: what a browser may send, what it is sent. Pure, no I/O.

Every message is a JSON object with a "type". Anything else is refused with a reason the
socket can report back; the socket itself carries on (ASVS 4.4.2, 17.3.2).
"""

from __future__ import annotations

import json
import unicodedata
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

MAX_MESSAGE_BYTES = 64 * 1024
MAX_CHAT_CHARS = 500
MAX_WAITING_MESSAGE_CHARS = 200
MAX_PEER_ID_CHARS = 64
RATE_LIMIT_MESSAGES = 50
RATE_LIMIT_SECONDS = 1.0


class CloseCode:
    """WebSocket close codes the browser acts on (4000-4999 are the application's)."""

    NORMAL = 1000  # hung up, or the officer ended the call: do not reconnect
    UNAUTHENTICATED = 4401  # no session, an ended one, or a link that cannot join now
    FORBIDDEN = 4403  # wrong Origin, or not this appointment's participant
    REPLACED = 4409  # the same person connected again elsewhere: do not reconnect
    TOO_MANY = 4429  # more than RATE_LIMIT_MESSAGES a second


def origin_allowed(origin: str | None, public_base_url: str, host: str | None) -> bool:
    """The page that opened the socket is ours: the public address, or this request's host.

    Browsers always send Origin with a WebSocket; a missing one is refused (ASVS 4.4.1's
    cross-site WebSocket hijacking: cookies alone would let any site open a socket).
    """
    if not origin:
        return False
    seen = urlsplit(origin)
    if seen.scheme not in ("http", "https") or not seen.netloc:
        return False
    public = urlsplit(public_base_url)
    if (seen.scheme, seen.netloc.lower()) == (public.scheme, public.netloc.lower()):
        return True
    return host is not None and seen.netloc.lower() == host.lower()


class Role(StrEnum):
    OFFICER = "officer"
    CALLER = "caller"
    GUEST = "guest"


class State(StrEnum):
    WAITING = "waiting"
    ADMITTED = "admitted"


class ProtocolError(ValueError):
    """A message the server will not act on; the text goes back in an "error" message."""


@dataclass(frozen=True)
class Hello:
    pass


@dataclass(frozen=True)
class Signal:
    to: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Chat:
    text: str


@dataclass(frozen=True)
class Correction:
    """A participant asks the officer to change the statement they are reading."""

    text: str


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Ping:
    pass


@dataclass(frozen=True)
class Admit:
    peer_id: str


@dataclass(frozen=True)
class WaitingMessage:
    text: str


@dataclass(frozen=True)
class End:
    pass


@dataclass(frozen=True)
class Connected:
    """Optional: the browser reports that media is flowing (for the call's events)."""


ClientMessage = (
    Hello | Signal | Chat | Correction | Hangup | Ping | Admit | WaitingMessage | End | Connected
)
OFFICER_ONLY = (Admit, WaitingMessage, End)


def parse(raw: str | bytes | None) -> ClientMessage:
    """One message from a browser, checked; ProtocolError says what is wrong."""
    if not isinstance(raw, str):
        raise ProtocolError("Send JSON text, not binary.")
    if len(raw.encode()) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"A message may be at most {MAX_MESSAGE_BYTES // 1024} KB.")
    try:
        body = json.loads(raw)
    except ValueError:
        raise ProtocolError("A message must be JSON.") from None
    if not isinstance(body, dict):
        raise ProtocolError("A message must be a JSON object with a type.")
    kind = body.get("type")
    if kind == "signal":
        data = body.get("data")
        if not isinstance(data, dict):
            raise ProtocolError("A signal needs data: an object (a description or a candidate).")
        return Signal(_peer_id(body.get("to"), "to"), data)
    if kind == "chat":
        return Chat(_text(body.get("text"), MAX_CHAT_CHARS, "A chat message"))
    if kind == "correction":
        return Correction(_text(body.get("text"), MAX_CHAT_CHARS, "A correction"))
    if kind == "admit":
        return Admit(_peer_id(body.get("peer_id"), "peer_id"))
    if kind == "waiting_message":
        return WaitingMessage(
            _text(body.get("text"), MAX_WAITING_MESSAGE_CHARS, "A waiting room message")
        )
    simple = _SIMPLE.get(kind) if isinstance(kind, str) else None
    if simple is None:
        raise ProtocolError("Unknown message type.")
    return simple


_SIMPLE: Mapping[str, ClientMessage] = {
    "hello": Hello(),
    "hangup": Hangup(),
    "ping": Ping(),
    "end": End(),
    "connected": Connected(),
}


def _peer_id(value: object, field: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_PEER_ID_CHARS:
        raise ProtocolError(f"{field} must be a peer id.")
    return value


def _text(value: object, limit: int, what: str) -> str:
    if not isinstance(value, str):
        raise ProtocolError(f"{what} needs text.")
    # Control characters could forge lines in a log or hide text on screen; keep newlines.
    cleaned = "".join(
        c for c in value if c == "\n" or not unicodedata.category(c).startswith("C")
    ).strip()
    if not cleaned:
        raise ProtocolError(f"{what} needs text.")
    if len(cleaned) > limit:
        raise ProtocolError(f"{what} may be at most {limit} characters.")
    return cleaned


class RateLimit:
    """At most `limit` messages in any `per` seconds (a sliding window)."""

    def __init__(self, limit: int = RATE_LIMIT_MESSAGES, per: float = RATE_LIMIT_SECONDS) -> None:
        self.limit = limit
        self.per = per
        self._times: deque[float] = deque()

    def allow(self, now: float) -> bool:
        while self._times and now - self._times[0] >= self.per:
            self._times.popleft()
        if len(self._times) >= self.limit:
            return False
        self._times.append(now)
        return True


@dataclass(frozen=True)
class Member:
    """One socket in a room. `identity` is the person behind it, the same after a reconnect."""

    peer_id: str
    role: Role
    identity: str
    state: State
    since: datetime
    guest_role: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "peer_id": self.peer_id,
            "role": self.role.value,
            "identity": self.identity,
            "state": self.state.value,
            "since": self.since.isoformat(),
            "guest_role": self.guest_role,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> Member:
        return cls(
            peer_id=data["peer_id"],
            role=Role(data["role"]),
            identity=data["identity"],
            state=State(data["state"]),
            since=datetime.fromisoformat(data["since"]),
            guest_role=data.get("guest_role", ""),
        )


# What the server sends: one function per message type, so the shapes live in one place.


def welcome(
    member: Member, ice_servers: Sequence[Mapping[str, Any]], ice_transport_policy: str = "all"
) -> dict[str, Any]:
    return {
        "type": "welcome",
        "peer_id": member.peer_id,
        "role": member.role.value,
        "state": member.state.value,
        "ice_servers": list(ice_servers),
        "ice_transport_policy": ice_transport_policy,
    }


def _entry(member: Member) -> dict[str, str]:
    entry = {"peer_id": member.peer_id, "role": member.role.value}
    if member.guest_role:
        entry["guest_role"] = member.guest_role
    return entry


def peers_for(me: str, members: Sequence[Member]) -> dict[str, Any]:
    """The admitted peers other than `me`, in the order they arrived."""
    others = [m for m in members if m.peer_id != me and m.state is State.ADMITTED]
    return {"type": "peers", "peers": [_entry(m) for m in sorted(others, key=_arrival)]}


def waiting_list(members: Sequence[Member]) -> dict[str, Any]:
    """Who waits to be admitted, longest first: for officers."""
    waiting = sorted((m for m in members if m.state is State.WAITING), key=_arrival)
    return {
        "type": "waiting",
        "peers": [_entry(m) | {"since": m.since.isoformat()} for m in waiting],
    }


def _arrival(member: Member) -> tuple[datetime, str]:
    return member.since, member.peer_id


def relayed_signal(sender: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "signal", "from": sender, "data": dict(data)}


def chat(role: Role, text: str, at: datetime) -> dict[str, Any]:
    return {"type": "chat", "from_role": role.value, "text": text, "at": at.isoformat()}


def correction(role: Role, text: str, at: datetime) -> dict[str, Any]:
    return {"type": "correction", "from_role": role.value, "text": text, "at": at.isoformat()}


def waiting_message(text: str) -> dict[str, Any]:
    return {"type": "waiting_message", "text": text}


def peer_left(peer_id: str) -> dict[str, Any]:
    return {"type": "peer_left", "peer_id": peer_id}


def simple(kind: str) -> dict[str, Any]:
    """admitted, ended, pong."""
    return {"type": kind}


def error(message: str) -> dict[str, Any]:
    return {"type": "error", "message": message}
