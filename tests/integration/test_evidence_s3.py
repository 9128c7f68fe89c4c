"""The S3 store against moto's S3 server on 127.0.0.1 (a fake of an outside service that
speaks the S3 protocol over HTTP): multipart for big objects, streamed reads, tamper checks."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from tests.conftest import make_settings
from videoresponse.evidence.envelope import Tampered
from videoresponse.evidence.keys import Keyring
from videoresponse.evidence.store import (
    ObjectNotFound,
    S3Store,
    make_store,
    read_plaintext,
    write_object,
)

BUCKET = "evidence-test"
KEY = "obj_0123456789abcdef"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")


@pytest.fixture
def store(endpoint: str, aws: None, tmp_path: Path) -> Iterator[S3Store]:
    settings = make_settings(
        tmp_path,
        evidence_store="s3",
        evidence_s3_bucket=BUCKET,
        evidence_s3_endpoint_url=endpoint,
    )
    made = make_store(settings)
    assert isinstance(made, S3Store)
    made.client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    yield made
    for item in made.client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        made.client.delete_object(Bucket=BUCKET, Key=item["Key"])
    made.client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def keyring() -> Keyring:
    return Keyring([os.urandom(32)])


def test_round_trip_through_the_bucket(store: S3Store, keyring: Keyring) -> None:
    data = os.urandom(300_000)
    finished = write_object(store, KEY, [data], keyring)
    assert finished.sha256 == hashlib.sha256(data).hexdigest()
    head = store.client.head_object(Bucket=BUCKET, Key="evidence/" + KEY)
    assert head["ContentLength"] > len(data)
    assert b"".join(read_plaintext(store, KEY, keyring)) == data
    assert list(store.scratch.iterdir()) == []


def test_big_objects_go_up_in_parts(store: S3Store, keyring: Keyring) -> None:
    store.part_bytes = 5 * 1024 * 1024  # S3's smallest part
    data = os.urandom(12 * 1024 * 1024)
    write_object(
        store, KEY, (data[i : i + (1 << 20)] for i in range(0, len(data), 1 << 20)), keyring
    )
    etag = store.client.head_object(Bucket=BUCKET, Key="evidence/" + KEY)["ETag"]
    assert etag.strip('"').endswith("-3"), "a multipart upload's ETag counts its parts"
    digest = hashlib.sha256()
    for chunk in read_plaintext(store, KEY, keyring):
        assert len(chunk) <= 64 * 1024
        digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()


def test_tampering_in_the_bucket_is_detected(store: S3Store, keyring: Keyring) -> None:
    write_object(store, KEY, [os.urandom(200_000)], keyring)
    sealed = bytearray(b"".join(store.open_raw(KEY)))
    sealed[100_000] ^= 1
    store.client.put_object(Bucket=BUCKET, Key="evidence/" + KEY, Body=bytes(sealed))
    with pytest.raises(Tampered):
        b"".join(read_plaintext(store, KEY, keyring))


def test_missing_and_deleted_objects(store: S3Store, keyring: Keyring) -> None:
    with pytest.raises(ObjectNotFound):
        store.open_raw(KEY)
    write_object(store, KEY, [b"x"], keyring)
    store.delete(KEY)
    with pytest.raises(ObjectNotFound):
        store.open_raw(KEY)


def test_s3_needs_a_bucket(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="BUCKET"):
        make_store(make_settings(tmp_path, evidence_store="s3"))
