"""Evidence upload through HTTP: a 1 GiB file sent to a real server over tus, hashed and
encrypted as it arrives, compared with `sha256sum` of the same file on the same machine,
and the server's peak memory growth while it arrives.

Run: .venv/bin/python bench/evidence.py   (VIDEORESPONSE_BENCH_EVIDENCE_MB to change the size)
Saves bench/results/evidence.json.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import select  # noqa: E402
from tests.factories import (  # noqa: E402
    PASSWORD,
    make_appointment,
    make_staff,
    make_video_case,
)
from tests.live import _wait_until_healthy, cli, environment, free_port, signed_in_client  # noqa: E402

from videoresponse.core.auth.rules import Role  # noqa: E402
from videoresponse.core.db import Database, utcnow  # noqa: E402
from videoresponse.evidence.models import EvidenceItem  # noqa: E402

MB = 1024 * 1024
SIZE = int(os.environ.get("VIDEORESPONSE_BENCH_EVIDENCE_MB", "1024")) * MB
SEND_CHUNK = 1 * MB
RESULTS = ROOT / "bench" / "results" / "evidence.json"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="vr-bench-evidence-") as folder:
        figures = run(Path(folder))
    for key, value in figures.items():
        print(f"{key}: {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")


def run(folder: Path) -> dict[str, object]:
    source = folder / "video.mp4"
    _make_video(source, SIZE)
    expected, sha256sum_seconds = _sha256sum(source)

    data_dir = folder / "data"
    env = {**environment(data_dir), "VIDEORESPONSE_COOKIE_SECURE": "false"}
    cli(env, "migrate")
    db = Database(f"sqlite:///{data_dir / 'videoresponse.db'}")
    officer = make_staff(db, Role.VIDEO_OFFICER, username="benchofficer")
    incident_id, person_id = make_video_case(db, created_by=officer.id)
    appointment_id = make_appointment(
        db,
        incident_id=incident_id,
        person_id=person_id,
        officer_id=officer.id,
        starts_at=utcnow() - timedelta(minutes=5),
        created_by=officer.id,
    )

    port = free_port()
    log = folder / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "videoresponse.cli", "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server, log)
        client = signed_in_client(url, officer.username, PASSWORD)
        client.timeout = httpx.Timeout(600)
        # A small upload first: every module the big one needs is loaded before measuring.
        _upload(client, appointment_id, _video_bytes(2 * MB), None)
        baseline = _status_kb(server.pid, "VmRSS")
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # resets VmHWM to VmRSS
        sampler = _Sampler(server.pid)
        sampler.start()
        began = time.perf_counter()
        _upload(client, appointment_id, None, source)
        upload_seconds = time.perf_counter() - began
        sampler.stop()
        peak = max(_status_kb(server.pid, "VmHWM"), sampler.peak)
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)

    with db.sessions() as session:
        stored = session.scalars(
            select(EvidenceItem).where(EvidenceItem.size == SIZE).order_by(EvidenceItem.id)
        ).all()
    db.dispose()
    if len(stored) != 1 or stored[0].sha256 != expected:
        raise RuntimeError("the uploaded file was not stored with the expected SHA-256")
    upload_rate = SIZE / MB / upload_seconds
    sha_rate = SIZE / MB / sha256sum_seconds
    return {
        "file_mb": SIZE // MB,
        "upload_mb_per_s": round(upload_rate, 1),
        "sha256sum_mb_per_s": round(sha_rate, 1),
        "ratio": round(upload_rate / sha_rate, 2),
        "peak_rss_growth_mb": round((peak - baseline) / 1024, 1),
        "server_baseline_rss_mb": round(baseline / 1024, 1),
        "upload_seconds": round(upload_seconds, 2),
        "what": "one tus PATCH of the whole file over HTTP to `videoresponse serve` on "
        "127.0.0.1 (SQLite, filesystem store, no virus scanner): staging, SHA-256, "
        "AES-256-GCM (written from the thread pool, 1 MB at a time), fsync every 4 MB, then "
        "the content check over the whole file (web/script markers, MP4 box walk) and "
        "sealing; client and server share the machine's cores",
    }


def _video_bytes(size: int) -> bytes:
    return _header(size) + os.urandom(size - len(_header(size)))


def _header(size: int) -> bytes:
    """An ftyp box, then one mdat box (64-bit size) holding the rest: a well-formed MP4 as
    far as the server's check of where the file ends goes."""
    ftyp = b"ftypisom" + struct.pack(">I", 512) + b"isomiso2avc1mp41"
    ftyp_box = struct.pack(">I", len(ftyp) + 4) + ftyp
    return ftyp_box + struct.pack(">I4sQ", 1, b"mdat", size - len(ftyp_box))


def _make_video(path: Path, size: int) -> None:
    """An MP4 header then random bytes: the server checks the type from the first bytes."""
    with path.open("wb") as out:
        out.write(_header(size))
        left = size - len(_header(size))
        block = os.urandom(16 * MB)
        while left:
            out.write(block[: min(left, len(block))])
            left -= min(left, len(block))


def _sha256sum(path: Path) -> tuple[str, float]:
    subprocess.run(["sha256sum", str(path)], check=True, capture_output=True)  # warm the cache
    began = time.perf_counter()
    done = subprocess.run(["sha256sum", str(path)], check=True, capture_output=True, text=True)
    return done.stdout.split()[0], time.perf_counter() - began


def _upload(
    client: httpx.Client, appointment_id: int, body: bytes | None, path: Path | None
) -> None:
    size = len(body) if body is not None else path.stat().st_size  # type: ignore[union-attr]
    metadata = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in {"filename": "video.mp4", "filetype": "video/mp4"}.items()
    )
    created = client.post(
        f"/tus/appointments/{appointment_id}",
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(size), "Upload-Metadata": metadata},
    )
    if created.status_code != 201:
        raise RuntimeError(f"creating the upload failed: {created.status_code} {created.text}")
    location = created.headers["location"]
    content: bytes | Iterator[bytes] = body if body is not None else _read(path)  # type: ignore[arg-type]
    sent = client.patch(
        location,
        content=content,
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
            "Content-Length": str(size),
        },
    )
    if sent.status_code != 204 or int(sent.headers["upload-offset"]) != size:
        raise RuntimeError(f"the upload failed: {sent.status_code} {sent.text}")


def _read(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(SEND_CHUNK):
            yield chunk


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


class _Sampler(threading.Thread):
    """VmRSS every 20 ms, as a second witness beside the kernel's VmHWM."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.02):
            self.peak = max(self.peak, _status_kb(self.pid, "VmRSS"))

    def stop(self) -> None:
        self._halt.set()
        self.join()


if __name__ == "__main__":
    main()
