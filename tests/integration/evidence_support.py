"""What the evidence upload tests share: a caller or officer speaking tus over HTTP."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.factories import csrf_token
from tests.unit.calls.support import caller_token, staff_token
from videoresponse.config import Settings
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database

TUS = {"Tus-Resumable": "1.0.0"}


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


@dataclass
class Tus:
    """One browser's tus conversation: its cookies, its CSRF header."""

    http: TestClient | httpx.Client
    csrf: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {**TUS, "X-CSRF-Token": self.csrf, **extra}

    def create(self, appointment_id: int, length: int, **meta: str) -> httpx.Response:
        meta.setdefault("filename", "photo.jpg")
        meta.setdefault("filetype", "image/jpeg")
        return self.http.post(
            f"/tus/appointments/{appointment_id}",
            headers=self.headers(
                **{"Upload-Length": str(length), "Upload-Metadata": metadata(**meta)}
            ),
        )

    def start(self, appointment_id: int, body: bytes, **meta: str) -> str:
        """A new upload's URL (path), with the browser's own hash sent."""
        meta.setdefault("sha256", hashlib.sha256(body).hexdigest())
        created = self.create(appointment_id, len(body), **meta)
        assert created.status_code == 201, created.text
        location: str = created.headers["location"]
        return location

    def offset(self, url: str) -> int:
        head = self.http.head(url, headers=self.headers())
        assert head.status_code == 200, head.status_code
        return int(head.headers["upload-offset"])

    def patch(
        self, url: str, offset: int, part: bytes, checksum: bytes | None = None
    ) -> httpx.Response:
        extra = {"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
        if checksum is not None:
            extra["Upload-Checksum"] = "sha256 " + base64.b64encode(checksum).decode()
        return self.http.patch(url, headers=self.headers(**extra), content=part)

    def send(self, appointment_id: int, body: bytes, **meta: str) -> tuple[str, httpx.Response]:
        url = self.start(appointment_id, body, **meta)
        return url, self.patch(url, 0, body)


def as_caller(client: TestClient, db: Database, settings: Settings, appointment_id: int) -> Tus:
    client.cookies.set("__Host-vr_caller", caller_token(db, settings, appointment_id))
    return Tus(client, csrf_token(client))


def as_staff(client: TestClient, db: Database, member: StaffMember) -> Tus:
    client.cookies.set("__Host-vr_staff", staff_token(db, member))
    return Tus(client, client.get("/api/session").json()["csrf_token"])


def item_of(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["item"]
    return body
