"""Relay only: both browsers reach each other through a coturn the test starts.

The server hands out TURN credentials made from the shared secret (coturn's
use-auth-secret scheme); the browsers are told to use relay candidates only, so media flows
only if coturn accepted those credentials. With wrong credentials coturn gathers nothing
and the connection never even "fails": the test fails on its timeouts, and on the check
that the pair in use has a local candidate of type "relay".
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, WebSocket

from tests.conftest import IN_CI
from tests.e2e.conftest import LiveServer
from tests.e2e.test_call_flow import (
    appointment_starting_soon,
    both_see_each_other,
    caller_waits,
    launch_for_calls,
    officer_admits,
    two_people,
)
from tests.live import cli, environment, free_port, serving

pytestmark = pytest.mark.browser

TURN_SECRET = "e2e-turn-shared-secret-not-for-production"
# Chromium's own switch: only relay candidates, whatever the page asks for. The app has
# no setting for this (see the report on ice_transport_policy), so the test sets it on
# every RTCPeerConnection the page makes; the page's code runs unchanged.
RELAY_ONLY = """
(() => {
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(config = {}, ...rest) {
      super({ ...config, iceTransportPolicy: "relay" }, ...rest);
    }
  };
})();
"""


@pytest.fixture(scope="module")
def turn_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """coturn on 127.0.0.1, test-only settings (loopback peers are refused in production)."""
    turnserver = shutil.which("turnserver")
    if turnserver is None:
        if IN_CI:
            pytest.fail("turnserver is missing: CI must install coturn")
        pytest.skip("coturn is not installed (apt-get install coturn)")
    folder = tmp_path_factory.mktemp("turn")
    port = free_port()
    log = folder / "turn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                turnserver,
                "-n",
                f"--listening-port={port}",
                "--listening-ip=127.0.0.1",
                "--relay-ip=127.0.0.1",
                "--use-auth-secret",
                f"--static-auth-secret={TURN_SECRET}",
                "--realm=test",
                "--allow-loopback-peers",
                "--no-cli",
                "--min-port=49160",
                "--max-port=49200",
                f"--db={folder / 'turn.db'}",
                "--no-tls",
                "--no-dtls",
                "--fingerprint",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_port(port, process, log)
            yield f"turn:127.0.0.1:{port}?transport=udp"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("coturn did not start:\n" + log.read_text())


@pytest.fixture(scope="module")
def relay_server(tmp_path_factory: pytest.TempPathFactory, turn_url: str) -> Iterator[LiveServer]:
    """A server of its own whose ICE servers are that coturn, with the shared secret."""
    data_dir = tmp_path_factory.mktemp("relay")
    env = {
        **environment(data_dir),
        "VIDEORESPONSE_TURN_URLS": f'["{turn_url}"]',
        "VIDEORESPONSE_TURN_SECRET": TURN_SECRET,
    }
    cli(env, "migrate")
    cli(env, "demo")
    with serving(env, data_dir / "server.log") as url:
        yield LiveServer(url, data_dir, env)


@pytest.fixture(scope="module")
def call_browser(browser: Browser) -> Iterator[Browser]:
    launched = launch_for_calls(browser)
    yield launched
    launched.close()


def test_media_flows_through_the_turn_relay_only(
    call_browser: Browser, relay_server: LiveServer, turn_url: str
) -> None:
    appointment_id = appointment_starting_soon(relay_server)
    with two_people(call_browser) as (caller, officer):
        welcomes: list[str] = []

        def keep_welcome(socket: WebSocket) -> None:
            socket.on(
                "framereceived",
                lambda frame: welcomes.append(str(frame)) if '"welcome"' in str(frame) else None,
            )

        for page in (caller, officer):
            page.add_init_script(RELAY_ONLY)
            page.on("websocket", keep_welcome)
        caller_waits(caller, relay_server, appointment_id)
        officer_admits(officer, relay_server, appointment_id)

        both_see_each_other(caller, officer)

        assert welcomes and all(turn_url in w and '"username"' in w for w in welcomes)
        for page in (caller, officer):
            pairs = page.evaluate("window.vrCall.candidatePairs()")
            assert pairs, "no candidate pair in use"
            assert all(pair["local"] == "relay" for pair in pairs), pairs
