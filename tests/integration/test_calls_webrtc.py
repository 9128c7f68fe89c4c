"""Two WebRTC peers (aiortc) connect through the app's real signalling socket and exchange video.

The server is a real `videoresponse serve` process; the peers are a caller and an officer
with their real sessions. No ICE servers: host candidates on loopback only (aioice's host
address discovery is pointed at 127.0.0.1, as a sandbox with only loopback needs).
Descriptions go without their candidates, which follow one by one as browsers trickle them.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aioice.ice
import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack, VideoStreamTrack
from aiortc.sdp import candidate_from_sdp

from tests.conftest import make_settings
from tests.live import cli, environment, serving
from tests.unit.calls.support import caller_token, live_socket, make_call, next_of, staff_token
from videoresponse.core.db import Database

FRAMES = 10


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])


def split_candidates(sdp: str) -> tuple[str, list[dict[str, Any]]]:
    """The description without its candidates, and the candidates as a browser trickles them."""
    lines, candidates, mid, index = [], [], None, -1
    for line in sdp.splitlines():
        if line.startswith("m="):
            index += 1
        elif line.startswith("a=mid:"):
            mid = line[len("a=mid:") :]
        if line.startswith(("a=candidate:", "a=end-of-candidates")):
            if line.startswith("a=candidate:"):
                candidates.append(
                    {"candidate": line[2:], "sdpMid": mid, "sdpMLineIndex": max(index, 0)}
                )
            continue
        lines.append(line)
    return "\r\n".join(lines) + "\r\n", candidates


@dataclass
class Peer:
    """One side of the call: its socket, its peer connection and what it received."""

    ws: Any
    pc: RTCPeerConnection
    peer_id: str = ""
    frames: int = 0
    got_frames: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Future[None]] = field(default_factory=list)

    async def send_description(self, to: str) -> None:
        description = self.pc.localDescription
        bare, candidates = split_candidates(description.sdp)
        await self._signal(to, {"description": {"type": description.type, "sdp": bare}})
        for candidate in candidates:
            await self._signal(to, {"candidate": candidate})
        await self._signal(to, {"candidate": None})  # end of candidates

    async def _signal(self, to: str, data: dict[str, Any]) -> None:
        await self.ws.send(json.dumps({"type": "signal", "to": to, "data": data}))

    async def take_signal(self, data: dict[str, Any]) -> str | None:
        """Apply a description or candidate; the type of a description, if it was one."""
        if "description" in data:
            d = data["description"]
            await self.pc.setRemoteDescription(RTCSessionDescription(d["sdp"], d["type"]))
            return str(d["type"])
        found = data["candidate"]
        if found is None:
            await self.pc.addIceCandidate(None)
            return None
        candidate = candidate_from_sdp(found["candidate"].split(":", 1)[1])
        candidate.sdpMid, candidate.sdpMLineIndex = found["sdpMid"], found["sdpMLineIndex"]
        await self.pc.addIceCandidate(candidate)
        return None

    async def count_frames(self, track: MediaStreamTrack) -> None:
        while self.frames < FRAMES:
            await track.recv()
            self.frames += 1
        self.got_frames.set()


def _peer_connection(welcome: dict[str, Any]) -> RTCPeerConnection:
    servers = [RTCIceServer(**server) for server in welcome["ice_servers"]]
    # An explicit empty list: left out, aiortc would add a public STUN server.
    return RTCPeerConnection(RTCConfiguration(iceServers=servers))


async def _call(base_url: str, appointment_id: int, officer_cookie: str, caller_cookie: str) -> int:
    async with (
        live_socket(base_url, appointment_id, officer_cookie) as officer_ws,
        live_socket(base_url, appointment_id, caller_cookie) as caller_ws,
    ):
        officer_welcome = await next_of(officer_ws, "welcome")
        caller_welcome = await next_of(caller_ws, "welcome")
        assert caller_welcome["state"] == "waiting"
        officer = Peer(officer_ws, _peer_connection(officer_welcome), officer_welcome["peer_id"])
        caller = Peer(caller_ws, _peer_connection(caller_welcome), caller_welcome["peer_id"])
        try:
            await next_of(officer_ws, "waiting", lambda m: len(m["peers"]) == 1)
            await officer_ws.send(f'{{"type": "admit", "peer_id": "{caller.peer_id}"}}')
            await next_of(caller_ws, "admitted")
            await next_of(caller_ws, "peers", lambda m: len(m["peers"]) == 1)

            @officer.pc.on("track")
            def on_track(track: MediaStreamTrack) -> None:
                officer.tasks.append(asyncio.ensure_future(officer.count_frames(track)))

            # The caller offers its camera; the officer answers.
            caller.pc.addTrack(VideoStreamTrack())
            await caller.pc.setLocalDescription(await caller.pc.createOffer())
            await caller.send_description(officer.peer_id)
            while True:
                signal = await next_of(officer_ws, "signal")
                assert signal["from"] == caller.peer_id
                if await officer.take_signal(signal["data"]) == "offer":
                    break
            await officer.pc.setLocalDescription(await officer.pc.createAnswer())
            await officer.send_description(caller.peer_id)
            # The rest of the caller's candidates, and the officer's answer and candidates.
            officer_reader = asyncio.ensure_future(_apply_signals(officer))
            caller_reader = asyncio.ensure_future(_apply_signals(caller))
            await asyncio.wait_for(officer.got_frames.wait(), 30)
            officer_reader.cancel()
            caller_reader.cancel()
            return officer.frames
        finally:
            for task in officer.tasks:
                task.cancel()
            await officer.pc.close()
            await caller.pc.close()


async def _apply_signals(peer: Peer) -> None:
    while True:
        signal = await next_of(peer.ws, "signal", timeout=60)
        await peer.take_signal(signal["data"])


def test_two_webrtc_peers_exchange_video_through_the_real_signalling_socket(
    tmp_path: Path,
) -> None:
    env = {**environment(tmp_path), "VIDEORESPONSE_COOKIE_SECURE": "false"}
    cli(env, "migrate")
    settings = make_settings(tmp_path, cookie_secure=False)
    db = Database(settings.database_url)
    try:
        call = make_call(db)
        officer_cookie = f"vr_staff={staff_token(db, call.officer)}"
        caller_cookie = f"vr_caller={caller_token(db, settings, call.appointment_id)}"
        with serving(env, tmp_path / "server.log") as base_url:
            frames = asyncio.run(
                asyncio.wait_for(
                    _call(base_url, call.appointment_id, officer_cookie, caller_cookie), 60
                )
            )
    finally:
        db.dispose()
    assert frames >= FRAMES
