"""Virus scanning: ClamAV's daemon over its INSTREAM command, or honestly "not scanned".

clamd refuses a stream longer than its StreamMaxLength (25 MB by default): set it to at
least VIDEORESPONSE_EVIDENCE_MAX_FILE_BYTES (docs/DEPLOYMENT.md), or large files come back
"failed", never "clean".
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from videoresponse.config import Settings

CHUNK = 256 * 1024


@dataclass(frozen=True)
class ScanResult:
    state: str  # "clean" | "infected" | "not_scanned" | "failed"
    signature: str = ""
    detail: str = ""


class Scanner(Protocol):
    name: str

    def scan(self, chunks: Iterable[bytes]) -> ScanResult: ...


class NotScanned:
    """No scanner configured: every file says so, rather than pretending to be clean."""

    name = "none"

    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        return ScanResult("not_scanned")


class ClamdScanner:
    name = "clamav"

    def __init__(self, address: str, timeout: float = 300.0) -> None:
        self.address = address
        self.timeout = timeout
        self._family, self._target = _parse(address)

    def _connect(self) -> socket.socket:
        connection = socket.socket(self._family, socket.SOCK_STREAM)
        connection.settimeout(self.timeout)
        connection.connect(self._target)
        return connection

    def version(self) -> str:
        with self._connect() as connection:
            connection.sendall(b"zVERSION\0")
            return _reply(connection)

    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        try:
            with self._connect() as connection:
                connection.sendall(b"zINSTREAM\0")
                try:
                    for chunk in chunks:
                        for at in range(0, len(chunk), CHUNK):
                            piece = chunk[at : at + CHUNK]
                            connection.sendall(struct.pack(">I", len(piece)) + piece)
                    connection.sendall(struct.pack(">I", 0))
                except (BrokenPipeError, ConnectionResetError):
                    # clamd stops reading when the stream is over its limit, then says why.
                    pass
                reply = _reply(connection)
        except OSError as error:
            return ScanResult("failed", detail=f"The virus scanner could not be reached: {error}")
        return _result(reply)


def _result(reply: str) -> ScanResult:
    body = reply.removeprefix("stream:").strip()
    if body == "OK":
        return ScanResult("clean")
    if body.endswith(" FOUND"):
        return ScanResult("infected", signature=body.removesuffix(" FOUND").strip()[:200])
    return ScanResult("failed", detail=f"The virus scanner said: {body[:200]}")


def _reply(connection: socket.socket) -> str:
    data = bytearray()
    while not data.endswith(b"\0"):
        try:
            part = connection.recv(4096)
        except ConnectionResetError:
            break
        if not part:
            break
        data += part
    return data.rstrip(b"\0").decode("utf-8", "replace").strip()


def _parse(address: str) -> tuple[socket.AddressFamily, str | tuple[str, int]]:
    if address.startswith("unix:"):
        return socket.AF_UNIX, address.removeprefix("unix:")
    if address.startswith("tcp:"):
        host, _, port = address.removeprefix("tcp:").rpartition(":")
        if not host or not port.isdigit():
            raise ValueError("VIDEORESPONSE_CLAMD_ADDRESS: expected tcp:host:port")
        return socket.AF_INET6 if ":" in host else socket.AF_INET, (host.strip("[]"), int(port))
    raise ValueError("VIDEORESPONSE_CLAMD_ADDRESS: expected unix:/path or tcp:host:port")


def make_scanner(settings: Settings) -> Scanner:
    if settings.clamd_address:
        return ClamdScanner(settings.clamd_address)
    return NotScanned()
