"""Rooms shared by several server processes through Redis.

State: per room a hash of members (peer id -> JSON) and a set of admitted identities; the
waiting-room note is a string. Each change is one Lua script, so two processes changing
one room never interleave. Delivery: one pub/sub channel per room; a process subscribes to
the rooms it has sockets in and hands each envelope to its local inboxes.

A process that dies leaves its members in the hash. Each member names its process, each
process renews a heartbeat key, and `members` drops the members of a process whose
heartbeat has expired, so a crash cannot leave a ghost in someone's waiting room.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

from redis.asyncio import Redis

from videoresponse.calls.hub import Envelope, Hub
from videoresponse.calls.protocol import Member

log = logging.getLogger(__name__)

ROOM_TTL_SECONDS = 12 * 3600  # longer than any call; renewed on each join
HEARTBEAT_SECONDS = 10
HEARTBEAT_TTL_SECONDS = 30

_JOIN = """
local replaced = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if cjson.decode(all[i + 1])['identity'] == ARGV[3] then
    redis.call('HDEL', KEYS[1], all[i])
    table.insert(replaced, all[i + 1])
  end
end
local member = cjson.decode(ARGV[2])
if ARGV[4] == '1' or redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 1 then
  member['state'] = 'admitted'
  redis.call('SADD', KEYS[2], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
end
local stored = cjson.encode(member)
redis.call('HSET', KEYS[1], ARGV[1], stored)
redis.call('EXPIRE', KEYS[1], ARGV[5])
table.insert(replaced, 1, stored)
return replaced
"""

_ADMIT = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
local member = cjson.decode(raw)
if member['state'] == 'admitted' then return false end
member['state'] = 'admitted'
local stored = cjson.encode(member)
redis.call('HSET', KEYS[1], ARGV[1], stored)
redis.call('SADD', KEYS[2], member['identity'])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return stored
"""

_LEAVE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[2] == '1' then redis.call('SREM', KEYS[2], cjson.decode(raw)['identity']) end
return raw
"""


class RedisHub(Hub):
    def __init__(self, url: str, prefix: str = "vr:calls") -> None:
        super().__init__()
        self._prefix = prefix
        self._redis: Redis = Redis.from_url(url, decode_responses=True)
        self._pubsub = self._redis.pubsub()
        self._process = uuid.uuid4().hex
        self._subscribed: dict[int, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._join = self._redis.register_script(_JOIN)
        self._admit = self._redis.register_script(_ADMIT)
        self._leave = self._redis.register_script(_LEAVE)

    async def join(self, room: int, member: Member) -> tuple[Member, list[Member]]:
        await self._beat()
        stored = member.as_json() | {"process": self._process}
        raw: list[str] = await self._join(
            keys=[self._key(room, "members"), self._key(room, "admitted")],
            args=[
                member.peer_id,
                json.dumps(stored),
                member.identity,
                "1" if member.role == "officer" else "0",
                ROOM_TTL_SECONDS,
            ],
        )
        joined, *replaced = (Member.from_json(json.loads(r)) for r in raw)
        return joined, replaced

    async def leave(self, room: int, peer_id: str, *, forget_admission: bool) -> Member | None:
        raw = await self._leave(
            keys=[self._key(room, "members"), self._key(room, "admitted")],
            args=[peer_id, "1" if forget_admission else "0"],
        )
        return Member.from_json(json.loads(raw)) if raw else None

    async def admit(self, room: int, peer_id: str) -> Member | None:
        raw = await self._admit(
            keys=[self._key(room, "members"), self._key(room, "admitted")],
            args=[peer_id, ROOM_TTL_SECONDS],
        )
        return Member.from_json(json.loads(raw)) if raw else None

    async def members(self, room: int) -> list[Member]:
        stored = {
            peer: json.loads(raw)
            for peer, raw in (await self._redis.hgetall(self._key(room, "members"))).items()
        }
        if not stored:
            return []
        processes = sorted({entry.get("process", "") for entry in stored.values()})
        alive = await self._redis.mget([f"{self._prefix}:process:{p}" for p in processes])
        dead = {p for p, beat in zip(processes, alive, strict=True) if beat is None}
        ghosts = [peer for peer, entry in stored.items() if entry.get("process", "") in dead]
        if ghosts:
            await self._redis.hdel(self._key(room, "members"), *ghosts)
        return [Member.from_json(e) for p, e in stored.items() if p not in ghosts]

    async def set_note(self, room: int, text: str) -> None:
        await self._redis.set(self._key(room, "note"), text, ex=ROOM_TTL_SECONDS)

    async def note(self, room: int) -> str:
        return str(await self._redis.get(self._key(room, "note")) or "")

    async def end(self, room: int) -> None:
        await self._redis.delete(
            self._key(room, "members"), self._key(room, "admitted"), self._key(room, "note")
        )

    async def publish(self, room: int, envelope: Envelope) -> None:
        await self._redis.publish(self._channel(room), json.dumps(envelope))

    async def open_inbox(self, room: int, peer_id: str) -> asyncio.Queue[Envelope]:
        inbox = await super().open_inbox(room, peer_id)
        if room not in self._subscribed:
            self._subscribed[room] = asyncio.Event()
            await self._pubsub.subscribe(self._channel(room))
            self._start_tasks()
        # Subscribed before joining: whatever another process publishes about this
        # socket's arrival is then certain to reach it.
        await asyncio.wait_for(self._subscribed[room].wait(), timeout=10)
        return inbox

    async def close_inbox(self, room: int, peer_id: str) -> None:
        await super().close_inbox(room, peer_id)
        if room not in self._inboxes and room in self._subscribed:
            del self._subscribed[room]
            await self._pubsub.unsubscribe(self._channel(room))

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._redis.delete(self._beat_key)
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()

    def _key(self, room: int, part: str) -> str:
        return f"{self._prefix}:room:{room}:{part}"

    def _channel(self, room: int) -> str:
        return f"{self._prefix}:room:{room}"

    @property
    def _beat_key(self) -> str:
        return f"{self._prefix}:process:{self._process}"

    def _start_tasks(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._read(), name="calls-redis-reader"),
                asyncio.create_task(self._heartbeat(), name="calls-redis-heartbeat"),
            ]

    async def _beat(self) -> None:
        await self._redis.set(self._beat_key, "1", ex=HEARTBEAT_TTL_SECONDS)

    async def _heartbeat(self) -> None:
        while True:
            try:
                await self._beat()
            except Exception:  # Redis briefly away: the next beat tries again
                log.warning("calls: could not renew the Redis heartbeat", exc_info=True)
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except Exception:
                log.warning("calls: Redis pub/sub read failed; retrying", exc_info=True)
                await asyncio.sleep(1)
                continue
            if message is not None:
                self._dispatch(message)

    def _dispatch(self, message: dict[str, Any]) -> None:
        room = int(str(message["channel"]).rsplit(":", 1)[1])
        if message["type"] == "subscribe" and room in self._subscribed:
            self._subscribed[room].set()
        elif message["type"] == "message":
            self._deliver_here(room, json.loads(message["data"]))
