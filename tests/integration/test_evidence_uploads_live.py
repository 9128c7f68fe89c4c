"""Evidence uploads against real servers: a dropped connection, a server killed mid-upload,
a slow drip. What was acknowledged is never lost, and the finished file has the same hash."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from tests.conftest import make_settings
from tests.integration.evidence_support import Tus
from tests.live import cli, environment, free_port, serving
from tests.unit.calls.support import caller_token, make_call
from videoresponse.app import create_app
from videoresponse.core.db import Database
from videoresponse.evidence import tus as tus_protocol
from videoresponse.evidence.models import EvidenceItem

MB = 1024 * 1024


def big_png(megabytes: int = 9) -> bytes:
    """A valid PNG whose noise does not compress: `megabytes` of real content."""
    import io

    from PIL import Image

    side = int((megabytes * MB / 3) ** 0.5)
    noise = hashlib.shake_256(b"evidence").digest(side * side * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), noise).save(out, "PNG", compress_level=0)
    return out.getvalue()


def _caller(url: str, token: str) -> Tus:
    """The caller's browser: the same session cookie across server restarts."""
    http = httpx.Client(base_url=url, timeout=60)
    http.cookies.set("vr_caller", token)
    page = http.get("/sign-in").text
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return Tus(http, page[start : page.index('"', start)])


def _server_pid(port: int) -> int:
    """The `videoresponse serve` this test started on `port` (tests/live.py keeps it)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in command and str(port).encode() in command:
                return int(entry.name)
    raise AssertionError("server process not found")


def _stored(db: Database, upload_url: str) -> EvidenceItem:
    with db.sessions() as session:
        return session.scalars(
            select(EvidenceItem).where(EvidenceItem.upload_id == upload_url.rsplit("/", 1)[1])
        ).one()


def test_a_server_killed_mid_upload_resumes_after_restart_losing_nothing_acknowledged(
    tmp_path: Path,
) -> None:
    env = {**environment(tmp_path), "VIDEORESPONSE_COOKIE_SECURE": "false"}
    cli(env, "migrate")
    settings = make_settings(tmp_path, cookie_secure=False, secret_key="live-test-secret")
    db = Database(settings.database_url)
    body = big_png()
    acknowledged = 2 * MB
    try:
        call = make_call(db)
        token = caller_token(db, settings, call.appointment_id)
        port = free_port()
        with serving(env, tmp_path / "first.log", port) as url:
            tus = _caller(url, token)
            upload = tus.start(call.appointment_id, body, filename="injury.png")
            assert tus.patch(upload, 0, body[:acknowledged]).status_code == 204
            sent = threading.Event()

            def rest() -> Iterator[bytes]:
                for at in range(acknowledged, acknowledged + 6 * MB, 64 * 1024):
                    yield body[at : at + 64 * 1024]
                sent.set()
                time.sleep(30)  # the server dies while this request is still open
                yield b""

            def patch() -> None:
                with contextlib.suppress(httpx.HTTPError):
                    tus.patch(upload, acknowledged, rest())  # type: ignore[arg-type]

            sender = threading.Thread(target=patch, daemon=True)
            sender.start()
            assert sent.wait(30)
            time.sleep(0.5)
            os.kill(_server_pid(port), signal.SIGKILL)
        with serving(env, tmp_path / "second.log") as url:
            tus = _caller(url, token)
            offset = tus.offset(upload)
            # What was acknowledged survives; periodic commits kept some of the cut request.
            assert acknowledged < offset <= acknowledged + 6 * MB
            assert tus.patch(upload, offset, body[offset:]).status_code == 204
        item = _stored(db, upload)
        assert item.state == "received"
        assert item.sha256 == hashlib.sha256(body).hexdigest() == item.client_sha256
    finally:
        db.dispose()


@pytest.fixture
def in_process_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Database, object]]:
    """A real uvicorn in this process, so the idle limit can be shortened for the test."""
    monkeypatch.setattr(tus_protocol, "IDLE_SECONDS", 1.0)
    cli(environment(tmp_path), "migrate")
    settings = make_settings(tmp_path, cookie_secure=False)
    db = Database(settings.database_url)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, db), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", db, settings
    server.should_exit = True
    thread.join(10)
    db.dispose()


def test_a_dropped_connection_keeps_what_arrived_and_a_slow_drip_is_cut_off(
    in_process_server: tuple[str, Database, object],
) -> None:
    url, db, settings = in_process_server
    call = make_call(db)
    tus = _caller(url, caller_token(db, settings, call.appointment_id))
    body = big_png(6)
    upload = tus.start(call.appointment_id, body)

    def then_drop() -> Iterator[bytes]:
        for at in range(0, 5 * MB, 64 * 1024):
            yield body[at : at + 64 * 1024]
        raise ConnectionResetError("the phone lost its signal")

    with pytest.raises((httpx.HTTPError, ConnectionResetError)):
        tus.patch(upload, 0, then_drop())  # type: ignore[arg-type]
    time.sleep(0.5)
    kept = tus.offset(upload)
    assert 4 * MB <= kept <= 5 * MB

    def drip() -> Iterator[bytes]:
        yield body[kept : kept + 1000]
        time.sleep(3)  # longer than the idle limit (1 s here, 30 s in service)
        yield body[kept + 1000 : kept + 2000]

    stalled = tus.patch(upload, kept, drip())  # type: ignore[arg-type]
    assert stalled.status_code == 408
    assert "What arrived is kept" in stalled.text
    resumed = tus.offset(upload)
    assert resumed == kept + 1000
    assert tus.patch(upload, resumed, body[resumed:]).status_code == 204
    assert _stored(db, upload).sha256 == hashlib.sha256(body).hexdigest()
