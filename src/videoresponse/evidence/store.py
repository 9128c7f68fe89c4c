"""Where sealed evidence objects live: a folder (default) or an S3-compatible bucket.

Stores only ever see sealed bytes (see envelope.py); keys are made by the server.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from videoresponse.evidence.envelope import DEFAULT_SEGMENT, Encryptor, decrypt
from videoresponse.evidence.keys import Keyring
from videoresponse.evidence.staging import Finished

if TYPE_CHECKING:
    from videoresponse.config import Settings

KEY = re.compile(r"[A-Za-z0-9_-]{8,80}")
READ_CHUNK = 1024 * 1024
# Multipart parts: big enough to keep request counts low, small enough to stream.
PART_BYTES = 64 * 1024 * 1024


class ObjectNotFound(Exception):
    pass


class ObjectStore(Protocol):
    scratch: Path

    def put(self, key: str, sealed_path: Path) -> None: ...

    def open_raw(self, key: str) -> Iterator[bytes]: ...

    def delete(self, key: str) -> None: ...


def _checked(key: str) -> str:
    if not KEY.fullmatch(key):
        raise ValueError("object keys are server-made: [A-Za-z0-9_-]{8,80}")
    return key


class FilesystemStore:
    """data_dir/evidence/objects/ab/abcdef...: outside the web root, never served directly."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.scratch = root / ".incoming"

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)[:2] / key

    def put(self, key: str, sealed_path: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if target.exists():
            raise FileExistsError(f"evidence object {key} already exists")
        try:
            os.replace(sealed_path, target)
        except OSError:
            # Another filesystem (staging on local disk, objects on a mount): copy, then sync.
            partial = target.with_name(target.name + ".partial")
            with open(sealed_path, "rb") as source, open(partial, "wb") as out:
                shutil.copyfileobj(source, out, READ_CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, target)
            sealed_path.unlink()
        target.chmod(0o600)
        _fsync_folder(target.parent)

    def open_raw(self, key: str) -> Iterator[bytes]:
        try:
            handle = open(self._path(key), "rb")  # noqa: SIM115 - closed by the generator
        except FileNotFoundError:
            raise ObjectNotFound(f"No stored evidence object {key}.") from None
        return _read(handle)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def _read(handle: Any) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(READ_CHUNK):
            yield chunk


class S3Store:
    """An S3-compatible bucket through boto3. put() streams the sealed file in parts
    (multipart above PART_BYTES); open_raw() streams the body."""

    def __init__(
        self, client: Any, bucket: str, prefix: str, scratch: Path, part_bytes: int = PART_BYTES
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.scratch = scratch
        self.part_bytes = part_bytes

    def _key(self, key: str) -> str:
        return self.prefix + _checked(key)

    def put(self, key: str, sealed_path: Path) -> None:
        from boto3.s3.transfer import TransferConfig

        config = TransferConfig(
            multipart_threshold=self.part_bytes,
            multipart_chunksize=self.part_bytes,
            max_concurrency=2,
        )
        self.client.upload_file(str(sealed_path), self.bucket, self._key(key), Config=config)
        sealed_path.unlink()

    def open_raw(self, key: str) -> Iterator[bytes]:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise ObjectNotFound(f"No stored evidence object {key}.") from None
            raise
        return _body(response["Body"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def _body(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(READ_CHUNK)
    finally:
        body.close()


def make_store(settings: Settings) -> ObjectStore:
    evidence = settings.data_dir / "evidence"
    if settings.evidence_store == "s3":
        import boto3

        if not settings.evidence_s3_bucket:
            raise ValueError(
                "VIDEORESPONSE_EVIDENCE_STORE=s3 needs VIDEORESPONSE_EVIDENCE_S3_BUCKET"
            )
        client = boto3.client("s3", endpoint_url=settings.evidence_s3_endpoint_url or None)
        return S3Store(
            client, settings.evidence_s3_bucket, settings.evidence_s3_prefix, evidence / "scratch"
        )
    return FilesystemStore(evidence / "objects")


def read_plaintext(store: ObjectStore, key: str, keyring: Keyring) -> Iterator[bytes]:
    """The original bytes, each segment checked; raises envelope.Tampered (its .reason in
    plain words) on any change, reordering or truncation, or an object sealed for another
    key (one item's object copied over another's)."""
    return decrypt(store.open_raw(key), keyring, binding=key)


def write_object(
    store: ObjectStore,
    key: str,
    chunks: Iterable[bytes],
    keyring: Keyring,
    segment_size: int = DEFAULT_SEGMENT,
) -> Finished:
    """Seals bytes made by the server (a still frame, a viewing copy) in the same format.
    The sealed file passes through the store's scratch folder; sealed_path is gone after."""
    store.scratch.mkdir(parents=True, exist_ok=True, mode=0o700)
    encryptor = Encryptor(keyring, segment_size, binding=key)
    fd, name = tempfile.mkstemp(dir=store.scratch, prefix="sealing-")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(encryptor.start())
            for chunk in chunks:
                out.write(encryptor.feed(chunk))
            out.write(encryptor.finish())
            out.flush()
            os.fsync(out.fileno())
        store.put(key, path)
    finally:
        path.unlink(missing_ok=True)
    return Finished(encryptor.size, encryptor.sha256.hexdigest(), path)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
