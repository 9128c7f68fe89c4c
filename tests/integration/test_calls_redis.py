"""Signalling across server processes through Redis: a caller on one, the officer on another."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.live import cli, environment, serving
from tests.unit.calls.support import caller_token, live_socket, make_call, next_of, staff_token
from videoresponse.calls.protocol import Member, Role, State
from videoresponse.calls.redis_hub import RedisHub
from videoresponse.core.db import Database

pytestmark = pytest.mark.redis


def _member(peer: str, identity: str, role: Role = Role.CALLER) -> Member:
    return Member(peer, role, identity, State.WAITING, datetime.now(UTC))


def test_two_hubs_share_a_rooms_members_admissions_and_messages(redis_url: str) -> None:
    async def scenario() -> None:
        prefix = f"vr-test-{uuid.uuid4().hex[:8]}"
        a, b = RedisHub(redis_url, prefix), RedisHub(redis_url, prefix)
        try:
            inbox_b = await b.open_inbox(7, "officer")
            officer, _ = await b.join(7, _member("officer", "staff:1", Role.OFFICER))
            assert officer.state is State.ADMITTED
            await a.open_inbox(7, "caller")
            caller, _ = await a.join(7, _member("caller", "link:1"))
            assert caller.state is State.WAITING
            assert {m.peer_id for m in await b.members(7)} == {"officer", "caller"}
            await a.publish(7, {"kind": "to", "peer_id": "officer", "message": {"type": "x"}})
            assert (await asyncio.wait_for(inbox_b.get(), 5))["message"] == {"type": "x"}
            assert (await b.admit(7, "caller")) is not None
            assert await b.admit(7, "caller") is None  # once only
            # The same person again (a reconnect) replaces the old socket, admitted.
            again, replaced = await b.join(7, _member("caller-2", "link:1"))
            assert (again.state, [m.peer_id for m in replaced]) == (State.ADMITTED, ["caller"])
            await b.leave(7, "caller-2", forget_admission=True)
            third, _ = await a.join(7, _member("caller-3", "link:1"))
            assert third.state is State.WAITING
            await a.set_note(7, "Five minutes")
            assert await b.note(7) == "Five minutes"
            await a.end(7)
            assert await b.members(7) == []
        finally:
            await a.aclose()
            await b.aclose()

    asyncio.run(scenario())


def test_members_of_a_process_that_died_are_dropped(redis_url: str) -> None:
    async def scenario() -> None:
        prefix = f"vr-test-{uuid.uuid4().hex[:8]}"
        dead, alive = RedisHub(redis_url, prefix), RedisHub(redis_url, prefix)
        try:
            await dead.join(3, _member("ghost", "link:9"))
            await alive.join(3, _member("officer", "staff:2", Role.OFFICER))
            # The dead process's heartbeat expires (here: removed at once).
            await dead._redis.delete(dead._beat_key)
            assert [m.peer_id for m in await alive.members(3)] == ["officer"]
        finally:
            await dead.aclose()
            await alive.aclose()

    asyncio.run(scenario())


async def _call_across_processes(
    first: str, second: str, appointment_id: int, officer_cookie: str, caller_cookie: str
) -> None:
    async with (
        live_socket(first, appointment_id, caller_cookie) as caller,
        live_socket(second, appointment_id, officer_cookie) as officer,
    ):
        caller_id = (await next_of(caller, "welcome"))["peer_id"]
        officer_id = (await next_of(officer, "welcome"))["peer_id"]
        waiting = await next_of(officer, "waiting", lambda m: len(m["peers"]) == 1)
        assert waiting["peers"][0]["peer_id"] == caller_id
        await officer.send(json.dumps({"type": "waiting_message", "text": "One moment"}))
        assert (await next_of(caller, "waiting_message"))["text"] == "One moment"
        await caller.send(json.dumps({"type": "signal", "to": officer_id, "data": {"x": 1}}))
        assert "let you in" in (await next_of(caller, "error"))["message"]
        await officer.send(json.dumps({"type": "admit", "peer_id": caller_id}))
        await next_of(caller, "admitted")
        peers = await next_of(caller, "peers", lambda m: len(m["peers"]) == 1)
        assert peers["peers"] == [{"peer_id": officer_id, "role": "officer"}]
        await next_of(officer, "peers", lambda m: len(m["peers"]) == 1)
        offer = {"description": {"type": "offer", "sdp": "v=0"}}
        await caller.send(json.dumps({"type": "signal", "to": officer_id, "data": offer}))
        assert await next_of(officer, "signal") == {
            "type": "signal",
            "from": caller_id,
            "data": offer,
        }
        await officer.send(json.dumps({"type": "chat", "text": "Hello"}))
        assert (await next_of(caller, "chat"))["text"] == "Hello"
        # The caller's network drops; the page reconnects, this time to the other process.
        async with live_socket(second, appointment_id, caller_cookie) as back:
            welcome = await next_of(back, "welcome")
            assert welcome["state"] == "admitted"
            await next_of(officer, "peer_left", lambda m: m["peer_id"] == caller_id)
            await next_of(
                officer, "peers", lambda m: m["peers"][0]["peer_id"] == welcome["peer_id"]
            )
            await officer.send(json.dumps({"type": "end"}))
            await next_of(back, "ended")


def test_a_caller_and_an_officer_on_two_server_processes_signal_through_redis(
    tmp_path: Path, redis_url: str
) -> None:
    env = {
        **environment(tmp_path),
        "VIDEORESPONSE_COOKIE_SECURE": "false",
        "VIDEORESPONSE_REDIS_URL": redis_url,
        "VIDEORESPONSE_REDIS_PREFIX": f"vr-test-{uuid.uuid4().hex[:8]}",
    }
    cli(env, "migrate")
    settings = make_settings(tmp_path, cookie_secure=False)
    db = Database(settings.database_url)
    try:
        call = make_call(db)
        officer_cookie = f"vr_staff={staff_token(db, call.officer)}"
        caller_cookie = f"vr_caller={caller_token(db, settings, call.appointment_id)}"
        with (
            serving(env, tmp_path / "a.log") as first,
            serving(env, tmp_path / "b.log") as second,
        ):
            asyncio.run(
                asyncio.wait_for(
                    _call_across_processes(
                        first, second, call.appointment_id, officer_cookie, caller_cookie
                    ),
                    60,
                )
            )
    finally:
        db.dispose()
