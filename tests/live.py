"""Real server processes for the tests and benchmarks that need them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> None:
    """Run `videoresponse ARGS` as a user would, failing loudly with its output."""
    done = subprocess.run(
        [sys.executable, "-m", "videoresponse.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"videoresponse {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def environment(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "VIDEORESPONSE_DATA_DIR": str(data_dir),
        "VIDEORESPONSE_SECRET_KEY": "live-test-secret",
    }
    env.pop("VIDEORESPONSE_DATABASE_URL", None)
    if database_url:
        env["VIDEORESPONSE_DATABASE_URL"] = database_url
    return env


@contextmanager
def serving(env: dict[str, str], log: Path, port: int | None = None) -> Iterator[str]:
    """`videoresponse serve` on a free port until the block ends; yields its base URL."""
    port = port or free_port()
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "videoresponse.cli", "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start:\n" + log.read_text())


def signed_in_client(url: str, username: str, password: str) -> httpx.Client:
    """An HTTP client with a staff session and the CSRF header its POSTs need.

    The server must run with VIDEORESPONSE_COOKIE_SECURE=false: httpx, rightly, does not
    send Secure cookies over plain http.
    """
    # Idle connections expire before uvicorn's 5 s keep-alive closes them, so a client
    # that waited (while others signed in) never writes into a closed socket.
    client = httpx.Client(base_url=url, timeout=60, limits=httpx.Limits(keepalive_expiry=2))
    page = client.get("/sign-in").text
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    token = page[start : page.index('"', start)]
    response = client.post(
        "/sign-in", data={"username": username, "password": password, "csrf_token": token}
    )
    if response.status_code != 303:
        raise RuntimeError(f"sign-in as {username} failed: {response.status_code}")
    client.headers["x-csrf-token"] = client.get("/api/session").json()["csrf_token"]
    return client


def book_once(client: httpx.Client, body: dict[str, object], key: str) -> tuple[int, int]:
    """POST a booking; a dropped connection is retried with the same Idempotency-Key, so a
    request that did get through is answered from its first result, never booked twice.

    Returns the HTTP status (0 if every try failed) and how many tries were retried.
    """
    for retried in range(3):
        try:
            response = client.post("/api/appointments", json=body, headers={"Idempotency-Key": key})
            return response.status_code, retried
        except httpx.TransportError:
            continue
    return 0, 3
