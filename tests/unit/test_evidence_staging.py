"""Uploads in progress: resumable, encrypted at rest, hashed as they arrive, crash-safe."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from videoresponse.evidence.envelope import Tampered, decrypt
from videoresponse.evidence.keys import Keyring
from videoresponse.evidence.staging import (
    ChecksumMismatch,
    Incomplete,
    OffsetMismatch,
    Staging,
    TooLarge,
    UploadBusy,
    UploadNotFound,
)

SEGMENT = 1024
UPLOAD = "upload_0123456789abcdef"


@pytest.fixture
def keyring() -> Keyring:
    return Keyring([os.urandom(32)])


@pytest.fixture
def staging(tmp_path: Path, keyring: Keyring) -> Staging:
    return Staging(tmp_path / "staging", keyring, SEGMENT)


def send(staging: Staging, data: bytes, at: int, size: int, checksum: bool = False) -> int:
    piece = data[at : at + size]
    with staging.appender(UPLOAD, at) as appender:
        for i in range(0, len(piece), 100):
            appender.write(piece[i : i + 100])
        return appender.commit(hashlib.sha256(piece).digest() if checksum else None)


@pytest.mark.parametrize("size", [0, 1, SEGMENT, SEGMENT + 1, 5 * SEGMENT - 7])
def test_an_upload_in_pieces_seals_with_the_hash_of_its_bytes(
    staging: Staging, keyring: Keyring, size: int
) -> None:
    data = os.urandom(size)
    staging.create(UPLOAD, size)
    at = 0
    while at < size:
        at = send(staging, data, at, 777, checksum=True)
        assert staging.offset(UPLOAD) == at
    finished = staging.finish(UPLOAD)
    assert finished.size == size
    assert finished.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(decrypt([finished.sealed_path.read_bytes()], keyring)) == data
    assert staging.finish(UPLOAD).sha256 == finished.sha256, "a retried finish finds the same"


def test_nothing_is_stored_in_the_clear(staging: Staging, tmp_path: Path) -> None:
    data = b"I am frightened of him. " * 200
    staging.create(UPLOAD, len(data) + 10)
    send(staging, data, 0, len(data))
    for path in (tmp_path / "staging").rglob("*"):
        if path.is_file():
            assert b"frightened" not in path.read_bytes()


def test_head_and_plaintext_show_only_committed_bytes(staging: Staging) -> None:
    data = os.urandom(3000)
    staging.create(UPLOAD, 3000)
    send(staging, data, 0, 1500)
    assert staging.head(UPLOAD, 10) == data[:10]
    assert b"".join(staging.plaintext(UPLOAD)) == data[:1500]
    with staging.appender(UPLOAD, 1500) as appender:
        appender.write(data[1500:2500])
        assert b"".join(staging.plaintext(UPLOAD)) == data[:1500]


def test_leaving_without_commit_keeps_nothing(staging: Staging) -> None:
    data = os.urandom(4000)
    staging.create(UPLOAD, 4000)
    send(staging, data, 0, 1100)
    with staging.appender(UPLOAD, 1100) as appender:
        appender.write(os.urandom(2500))
    assert staging.offset(UPLOAD) == 1100
    send(staging, data, 1100, 2900)
    assert staging.finish(UPLOAD).sha256 == hashlib.sha256(data).hexdigest()


def test_a_wrong_checksum_keeps_nothing_of_that_request(staging: Staging) -> None:
    data = os.urandom(3000)
    staging.create(UPLOAD, 3000)
    send(staging, data, 0, 1000)
    with pytest.raises(ChecksumMismatch), staging.appender(UPLOAD, 1000) as appender:
        appender.write(data[1000:2000])
        appender.commit(hashlib.sha256(b"something else").digest())
    assert staging.offset(UPLOAD) == 1000
    send(staging, data, 1000, 2000)
    assert staging.finish(UPLOAD).sha256 == hashlib.sha256(data).hexdigest()


def test_commits_during_a_long_request_keep_progress(staging: Staging) -> None:
    data = os.urandom(5000)
    staging.create(UPLOAD, 5000)
    with staging.appender(UPLOAD, 0) as appender:
        appender.write(data[:2000])
        assert appender.commit() == 2000
        appender.write(data[2000:3100])
        # The connection drops here: the last commit stands.
    assert staging.offset(UPLOAD) == 2000


def test_a_restart_recomputes_the_hash_from_the_stored_segments(
    tmp_path: Path, keyring: Keyring
) -> None:
    data = os.urandom(4321)
    first = Staging(tmp_path / "staging", keyring, SEGMENT)
    first.create(UPLOAD, len(data))
    send(first, data, 0, 2500)
    restarted = Staging(tmp_path / "staging", keyring, SEGMENT)
    assert restarted.offset(UPLOAD) == 2500
    send(restarted, data, 2500, 5000)
    assert restarted.finish(UPLOAD).sha256 == hashlib.sha256(data).hexdigest()


def test_a_crash_between_writing_and_committing_leaves_the_old_state(
    staging: Staging, tmp_path: Path
) -> None:
    data = os.urandom(6000)
    staging.create(UPLOAD, 6000)
    send(staging, data, 0, 1200)
    appender = staging.appender(UPLOAD, 1200)
    appender.write(os.urandom(3000))
    appender._data.flush()
    # The process dies: no commit, no clean-up; the lock goes with the process.
    appender._lock.close()
    (tmp_path / "staging" / UPLOAD / "state.new").write_text("{half written")
    assert staging.offset(UPLOAD) == 1200
    send(staging, data, 1200, 6000)
    assert staging.finish(UPLOAD).sha256 == hashlib.sha256(data).hexdigest()
    appender._data.close()


def test_offsets_must_match(staging: Staging) -> None:
    staging.create(UPLOAD, 100)
    with pytest.raises(OffsetMismatch):
        staging.appender(UPLOAD, 5)


def test_one_request_at_a_time(staging: Staging) -> None:
    staging.create(UPLOAD, 100)
    with staging.appender(UPLOAD, 0), pytest.raises(UploadBusy):
        staging.appender(UPLOAD, 0)
    staging.appender(UPLOAD, 0).close()


def test_bytes_past_the_declared_length_are_refused(staging: Staging) -> None:
    staging.create(UPLOAD, 10)
    with staging.appender(UPLOAD, 0) as appender:
        appender.write(b"12345")
        with pytest.raises(TooLarge):
            appender.write(b"678901")
        assert appender.commit() == 5


def test_finish_needs_every_byte(staging: Staging) -> None:
    staging.create(UPLOAD, 10)
    send(staging, b"12345", 0, 5)
    with pytest.raises(Incomplete):
        staging.finish(UPLOAD)


@pytest.mark.parametrize("upload_id", ["../../etc", "short", "a/b" * 10, "x" * 65])
def test_only_server_made_ids(staging: Staging, upload_id: str) -> None:
    with pytest.raises(ValueError):
        staging.create(upload_id, 10)
    with pytest.raises(UploadNotFound):
        staging.offset(upload_id)


def test_discard_removes_everything(staging: Staging, tmp_path: Path) -> None:
    staging.create(UPLOAD, 10)
    send(staging, b"12345", 0, 5)
    staging.discard(UPLOAD)
    staging.discard(UPLOAD)
    assert list((tmp_path / "staging").iterdir()) == []
    with pytest.raises(UploadNotFound):
        staging.appender(UPLOAD, 5)


def test_a_changed_staged_segment_is_detected(staging: Staging, tmp_path: Path) -> None:
    staging.create(UPLOAD, 5000)
    send(staging, os.urandom(5000), 0, 3000)
    data = tmp_path / "staging" / UPLOAD / "data"
    changed = bytearray(data.read_bytes())
    changed[200] ^= 1
    data.write_bytes(changed)
    with pytest.raises(Tampered):
        b"".join(staging.plaintext(UPLOAD))


def test_refused_inputs_leave_nothing_behind(tmp_path: Path, keyring: Keyring) -> None:
    from tests import evidence_corpus as corpus
    from videoresponse.evidence.content import Refused, identify
    from videoresponse.evidence.inspection import inspect

    staging = Staging(tmp_path / "evidence" / "staging", keyring, SEGMENT)
    for number, bad in enumerate(corpus.bad_inputs()):
        upload_id = f"refused_{number:08d}_upload"
        staging.create(upload_id, len(bad.body))
        with staging.appender(upload_id, 0) as appender:
            appender.write(bad.body)
            appender.commit()
        with pytest.raises(Refused):
            found = identify(staging.head(upload_id))
            inspect(staging.plaintext(upload_id), found, max_pixels=100_000_000)
        staging.discard(upload_id)
    left = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert left == []
    assert [p.name for p in tmp_path.rglob("*")] == ["evidence", "staging"]
