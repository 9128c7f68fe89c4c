"""Uploads in progress: encrypted from the first byte, resumable, durable at each commit.

One folder per upload under the staging root (data_dir/evidence/staging), never under the
web root:

    data    the object being sealed (envelope format): header, then every complete segment
    state   JSON: declared length, committed offset, committed length of `data`, and the
            trailing partial segment sealed under a separate "partial" label
    lock    held (flock) by the one request appending, so two PATCHes cannot interleave

A commit fsyncs `data`, then replaces `state` by write-temp + fsync + rename + fsync of the
folder: a crash at any moment leaves either the old or the new committed state, and bytes
past the committed length of `data` are cut off by the next request.

The whole-file SHA-256 is computed as bytes arrive. Its running state lives in this process's
memory between requests (hashlib objects cannot be saved); when it is missing (a restart,
another server process) it is recomputed once by decrypting the committed segments. So the
hash is always of exactly the bytes stored, and no file is ever held whole in memory.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from videoresponse.evidence.envelope import OVERHEAD, Header, SegmentCipher, Tampered
from videoresponse.evidence.keys import Keyring

UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


class StagingError(Exception):
    pass


class UploadNotFound(StagingError):
    pass


class OffsetMismatch(StagingError):
    pass


class UploadBusy(OffsetMismatch):
    """Another request is appending to this upload now (tus: 409 Conflict, as for an offset)."""


class TooLarge(StagingError):
    pass


class ChecksumMismatch(StagingError):
    pass


class Incomplete(StagingError):
    pass


@dataclass(frozen=True)
class Finished:
    size: int
    sha256: str
    sealed_path: Path


@dataclass
class _State:
    length: int
    offset: int
    data_len: int
    partial: bytes
    generation: str

    def segments(self, segment_size: int) -> int:
        return (
            self.offset // segment_size
            if self.offset < self.length
            else _count(self.length, segment_size)
        )


def _count(length: int, segment_size: int) -> int:
    """Segments in an object of `length` bytes: an empty object still has its last segment."""
    return max(1, -(-length // segment_size))


class Staging:
    def __init__(self, root: Path, keyring: Keyring, segment_size: int = 64 * 1024) -> None:
        self.root = root
        self.keyring = keyring
        self.segment_size = segment_size
        self._hashes: dict[str, tuple[str, int, Any]] = {}
        self._hashes_lock = threading.Lock()

    def _folder(self, upload_id: str) -> Path:
        if not UPLOAD_ID.fullmatch(upload_id):
            raise UploadNotFound("No such upload.")
        return self.root / upload_id

    def _read_state(self, folder: Path) -> _State:
        try:
            raw = json.loads((folder / "state").read_text())
        except FileNotFoundError:
            raise UploadNotFound("No such upload.") from None
        return _State(
            raw["length"],
            raw["offset"],
            raw["data_len"],
            base64.b64decode(raw["partial"]),
            raw["generation"],
        )

    def _write_state(self, folder: Path, state: _State) -> None:
        text = json.dumps(
            {
                "length": state.length,
                "offset": state.offset,
                "data_len": state.data_len,
                "partial": base64.b64encode(state.partial).decode(),
                "generation": state.generation,
            }
        )
        temporary = folder / "state.new"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, folder / "state")
        _fsync_folder(folder)

    def _cipher(self, folder: Path) -> tuple[SegmentCipher, int]:
        with open(folder / "data", "rb") as data:
            parsed = Header.parse(data.read(1024))
        if parsed is None:
            raise Tampered("An upload's stored header is damaged.")
        header, length = parsed
        return SegmentCipher.for_header(header, self.keyring), length

    def create(self, upload_id: str, length: int, binding: str = "") -> None:
        """`binding`: the storage key the sealed object will be kept under (see envelope)."""
        if not UPLOAD_ID.fullmatch(upload_id):
            raise ValueError("upload ids are server-made: [A-Za-z0-9_-]{16,64}")
        if length < 0:
            raise ValueError("length must not be negative")
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder = self.root / upload_id
        folder.mkdir(mode=0o700)
        cipher = SegmentCipher.new(self.keyring, self.segment_size, binding)
        body = cipher.header_bytes
        if length == 0:
            body += cipher.seal(0, b"", last=True)
        fd = os.open(folder / "data", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as data:
            data.write(body)
            data.flush()
            os.fsync(data.fileno())
        generation = secrets.token_hex(8)
        self._write_state(folder, _State(length, 0, len(body), b"", generation))
        with self._hashes_lock:
            self._hashes[upload_id] = (generation, 0, hashlib.sha256())

    def offset(self, upload_id: str) -> int:
        return self._read_state(self._folder(upload_id)).offset

    def length(self, upload_id: str) -> int:
        return self._read_state(self._folder(upload_id)).length

    def appender(self, upload_id: str, offset: int) -> Appender:
        folder = self._folder(upload_id)
        lock = _lock(folder)
        try:
            state = self._read_state(folder)
            if offset != state.offset:
                raise OffsetMismatch(f"The upload is at {state.offset} bytes, not {offset}.")
            cipher, _ = self._cipher(folder)
            hasher = self._hasher(upload_id, folder, state)
            return Appender(self, upload_id, folder, state, cipher, hasher, lock)
        except BaseException:
            lock.close()
            raise

    def _hasher(self, upload_id: str, folder: Path, state: _State) -> Any:
        with self._hashes_lock:
            cached = self._hashes.get(upload_id)
        if cached and cached[0] == state.generation and cached[1] == state.offset:
            return cached[2].copy()
        hasher = hashlib.sha256()
        for chunk in self._plaintext(folder, state):
            hasher.update(chunk)
        return hasher

    def _remember(self, upload_id: str, state: _State, hasher: Any) -> None:
        with self._hashes_lock:
            self._hashes[upload_id] = (state.generation, state.offset, hasher.copy())

    def head(self, upload_id: str, size: int = 8192) -> bytes:
        out = bytearray()
        for chunk in self.plaintext(upload_id):
            out += chunk
            if len(out) >= size:
                break
        return bytes(out[:size])

    def plaintext(self, upload_id: str) -> Iterator[bytes]:
        folder = self._folder(upload_id)
        return self._plaintext(folder, self._read_state(folder))

    def _plaintext(self, folder: Path, state: _State) -> Iterator[bytes]:
        cipher, header_length = self._cipher(folder)
        size = cipher.segment_size
        with open(folder / "data", "rb") as data:
            data.seek(header_length)
            for index in range(state.segments(size)):
                plain = min(size, state.length - index * size)
                sealed = data.read(plain + OVERHEAD)
                last = (index + 1) * size >= state.length
                yield cipher.open(index, sealed, last=last)
        if state.partial:
            yield cipher.open_scratch(state.segments(size), state.partial)

    def hold(self, upload_id: str) -> BinaryIO:
        """The upload's lock, held until closed: completion keeps it from its first check to
        the last file move, so nothing appends, finishes or discards meanwhile. Raises
        UploadBusy at once when another request holds it."""
        return _lock(self._folder(upload_id))

    def finish(self, upload_id: str, *, held: bool = False) -> Finished:
        folder = self._folder(upload_id)
        with contextlib.nullcontext() if held else _lock(folder):
            state = self._read_state(folder)
            if state.offset != state.length:
                raise Incomplete(f"The upload has {state.offset} of {state.length} bytes.")
            hasher = self._hasher(upload_id, folder, state)
            sealed = folder / "sealed"
            if not sealed.exists():
                with open(folder / "data", "r+b") as data:
                    data.truncate(state.data_len)
                    os.fsync(data.fileno())
                # A second name, not a move: a retried finish() finds the same object even
                # after the store has taken `sealed` away.
                os.link(folder / "data", sealed)
                _fsync_folder(folder)
        return Finished(state.length, hasher.hexdigest(), sealed)

    def discard(self, upload_id: str, *, held: bool = False) -> None:
        folder = self._folder(upload_id)
        if not folder.exists():
            return
        with contextlib.nullcontext() if held else _lock(folder):
            shutil.rmtree(folder)
        with self._hashes_lock:
            self._hashes.pop(upload_id, None)


class Appender:
    """Appends one request's bytes. Only commit() keeps them; leaving without it keeps none.
    commit() may be called more than once (to keep progress during a long request); each
    chunk_sha256 is then of the bytes since the previous commit."""

    def __init__(
        self,
        staging: Staging,
        upload_id: str,
        folder: Path,
        state: _State,
        cipher: SegmentCipher,
        hasher: Any,
        lock: BinaryIO,
    ) -> None:
        self._staging = staging
        self._upload_id = upload_id
        self._folder = folder
        self._committed = state
        self._cipher = cipher
        self._hasher = hasher
        self._lock = lock
        size = cipher.segment_size
        self._segments = state.segments(size)
        self._offset = state.offset
        self._pending = bytearray(
            cipher.open_scratch(self._segments, state.partial) if state.partial else b""
        )
        self._data = open(folder / "data", "r+b")  # noqa: SIM115 - closed in close()
        self._data.truncate(state.data_len)
        self._data.seek(state.data_len)
        self._written = state.data_len

    def __enter__(self) -> Appender:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def offset(self) -> int:
        """Bytes received so far, committed or not."""
        return self._offset

    def write(self, chunk: bytes) -> None:
        length = self._committed.length
        if self._offset + len(chunk) > length:
            raise TooLarge(f"More than the declared {length} bytes.")
        self._hasher.update(chunk)
        self._offset += len(chunk)
        self._pending += chunk
        size = self._cipher.segment_size
        at = 0
        with memoryview(self._pending) as view:
            while True:
                available = len(self._pending) - at
                end = self._segments * size + min(size, available)
                if not (available >= size or (available and end == length)):
                    break
                taken = min(size, available)
                sealed = self._cipher.seal(self._segments, view[at : at + taken], end == length)
                self._data.write(sealed)
                self._written += len(sealed)
                self._segments += 1
                at += taken
        del self._pending[:at]

    def commit(self, chunk_sha256: bytes | None = None) -> int:
        if chunk_sha256 is not None and chunk_sha256 != self._request_digest():
            self._rollback()
            raise ChecksumMismatch("The bytes received do not match the checksum sent.")
        self._data.flush()
        os.fsync(self._data.fileno())
        partial = self._cipher.seal_scratch(self._segments, self._pending) if self._pending else b""
        state = _State(
            self._committed.length,
            self._offset,
            self._written,
            partial,
            self._committed.generation,
        )
        self._staging._write_state(self._folder, state)
        self._committed = state
        self._staging._remember(self._upload_id, state, self._hasher)
        return self._offset

    def _rollback(self) -> None:
        """Back to the last commit, so the caller may send this request again."""
        state = self._committed
        self._data.flush()
        self._data.truncate(state.data_len)
        self._data.seek(state.data_len)
        self._written = state.data_len
        self._segments = state.segments(self._cipher.segment_size)
        self._offset = state.offset
        self._pending = bytearray(
            self._cipher.open_scratch(self._segments, state.partial) if state.partial else b""
        )
        self._hasher = self._staging._hasher(self._upload_id, self._folder, state)

    def _request_digest(self) -> bytes:
        """SHA-256 of the bytes since the last commit, read back from what was written.

        Only a request that sent a checksum pays for this (tus clients rarely do): hashing
        every request as it arrives would double the hashing of every upload.
        """
        start = self._committed
        size = self._cipher.segment_size
        first = start.segments(size)
        skip = start.offset - first * size
        digest = hashlib.sha256()
        self._data.flush()
        with open(self._folder / "data", "rb") as data:
            data.seek(start.data_len)
            for index in range(first, self._segments):
                plain = min(size, start.length - index * size)
                sealed = data.read(plain + OVERHEAD)
                piece = self._cipher.open(index, sealed, (index + 1) * size >= start.length)
                digest.update(piece[skip:])
                skip = max(0, skip - len(piece))
        digest.update(self._pending[skip:])
        return digest.digest()

    def close(self) -> None:
        if self._data.closed:
            return
        try:
            if self._written != self._committed.data_len:
                self._data.truncate(self._committed.data_len)
        finally:
            self._data.close()
            self._lock.close()


def _lock(folder: Path) -> BinaryIO:
    try:
        handle = open(folder / "lock", "ab")  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise UploadNotFound("No such upload.") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise UploadBusy("Another request is adding to this upload now.") from None
    return handle


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
