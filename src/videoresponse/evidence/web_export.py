"""The case bundle exported from the web: built in a thread, streamed as it is made.

build_bundle writes into a Pipe: a bounded queue of byte blocks that the response reads
from. The zip is never whole in memory (at most QUEUE_BLOCKS blocks of BLOCK_BYTES wait)
and no plaintext is written to disk. If the browser goes away, the next write fails and
the thread stops. The bundle's id and manifest SHA-256 come through the pipe first, so
they name the download and go in its headers; mistakes (no reason, not allowed) come
through it too, before a byte of the zip, so they get a page, not a broken download.
"""

from __future__ import annotations

import contextlib
import io
import json
import queue
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO, Any, cast

from anyio import to_thread
from sqlalchemy import select

from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database
from videoresponse.evidence import rules
from videoresponse.evidence.export import Bundle, build_bundle

BLOCK_BYTES = 256 * 1024
QUEUE_BLOCKS = 16
_DONE = object()


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class Pipe(io.RawIOBase):
    """A write-only stream into a bounded queue; the reader takes blocks with get()."""

    def __init__(self) -> None:
        super().__init__()
        self._queue: queue.Queue[object] = queue.Queue(maxsize=QUEUE_BLOCKS)
        self._pending = bytearray()
        self.gone = threading.Event()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._pending += data
        if len(self._pending) >= BLOCK_BYTES:
            self._send(bytes(self._pending))
            self._pending.clear()
        return len(data)

    def finish(self) -> None:
        if self._pending:
            self._send(bytes(self._pending))
            self._pending.clear()
        self._send(_DONE)

    def fail(self, error: BaseException) -> None:
        self._send(_Failed(error))

    def announce(self, bundle: Bundle) -> None:
        self._send(bundle)

    def _send(self, item: object) -> None:
        # Blocks while the queue is full (the browser reads slower than the zip is made),
        # waking each second to notice a browser that has gone.
        while not self.gone.is_set():
            try:
                self._queue.put(item, timeout=1)
                return
            except queue.Full:
                continue
        raise BrokenPipeError("The browser stopped reading the bundle.")

    def get(self) -> object:
        return self._queue.get()


class ExportFailed(Exception):
    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


async def start(
    db: Database,
    settings: Settings,
    incident_id: int,
    by: StaffMember,
    why: str,
    recipient: str,
) -> tuple[Bundle, AsyncIterator[bytes]]:
    """The bundle's id and manifest hash, and its bytes as they are made. Raises
    EvidenceRuleError (no reason, no recipient) or ExportFailed (holding build_bundle's
    own error) when it stops before writing."""
    rules.justification(why, rules.DISCLOSURE_EXAMPLE)
    to = rules.recipient(recipient)
    pipe = Pipe()

    def produce() -> None:
        try:
            build_bundle(
                db,
                settings,
                incident_id,
                by,
                why,
                cast(IO[bytes], pipe),
                recipient=to,
                announce=pipe.announce,
            )
            pipe.finish()
        except BrokenPipeError:
            pass
        except BaseException as error:
            with contextlib.suppress(BrokenPipeError):
                pipe.fail(error)

    threading.Thread(target=produce, name=f"export-{incident_id}", daemon=True).start()
    first = await to_thread.run_sync(pipe.get)
    if isinstance(first, _Failed):
        raise ExportFailed(first.error)
    if not isinstance(first, Bundle):
        raise ExportFailed(RuntimeError("The bundle did not start."))
    return first, _read(pipe)


async def _read(pipe: Pipe) -> AsyncIterator[bytes]:
    try:
        while True:
            block = await to_thread.run_sync(pipe.get)
            if block is _DONE:
                return
            if isinstance(block, _Failed):
                # Headers are sent: all that is left is to cut the download short, so the
                # browser reports it failed rather than saving a partial zip as whole.
                raise block.error
            assert isinstance(block, bytes)
            yield block
    finally:
        pipe.gone.set()


def past_exports(db: Database, incident_id: int) -> list[dict[str, Any]]:
    """The case's exports from the audit log: when, by whom, for whom, the manifest hash."""
    with db.sessions() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.event == "evidence.bundle_exported",
                AuditEntry.object_type == "incident",
                AuditEntry.object_id == str(incident_id),
            )
            .order_by(AuditEntry.seq.desc())
        ).all()
        return [
            {
                "at": entry.at,
                "actor": entry.actor,
                "recipient": entry.recipient,
                "why": entry.why,
                "bundle": json.loads(entry.detail).get("bundle", ""),
                "manifest_sha256": json.loads(entry.detail).get("manifest_sha256", ""),
            }
            for entry in entries
        ]


def manifest_hashes(db: Database, incident_id: int) -> dict[str, str]:
    """bundle id -> manifest SHA-256, for the item page's "exported" events."""
    return {e["bundle"]: e["manifest_sha256"] for e in past_exports(db, incident_id)}
