"""Sealed objects on the filesystem: stored under server-made names, read back checked, and
any tampering with a stored object is detected on read."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from tests.conftest import make_settings
from videoresponse.evidence.envelope import Tampered
from videoresponse.evidence.keys import Keyring
from videoresponse.evidence.staging import Staging
from videoresponse.evidence.store import (
    FilesystemStore,
    ObjectNotFound,
    make_store,
    read_plaintext,
    write_object,
)

KEY = "obj_0123456789abcdef"


@pytest.fixture
def keyring() -> Keyring:
    return Keyring([os.urandom(32)])


@pytest.fixture
def store(tmp_path: Path) -> FilesystemStore:
    return FilesystemStore(tmp_path / "objects")


def stored_path(store: FilesystemStore, key: str = KEY) -> Path:
    return store.root / key[:2] / key


def upload(tmp_path: Path, keyring: Keyring, data: bytes) -> Path:
    staging = Staging(tmp_path / "staging", keyring, 1024)
    staging.create("upload_0123456789abcdef", len(data))
    with staging.appender("upload_0123456789abcdef", 0) as appender:
        appender.write(data)
        appender.commit()
    return staging.finish("upload_0123456789abcdef").sealed_path


def test_a_finished_upload_moves_into_the_store_and_reads_back(
    tmp_path: Path, keyring: Keyring, store: FilesystemStore
) -> None:
    data = os.urandom(5000)
    sealed = upload(tmp_path, keyring, data)
    store.put(KEY, sealed)
    assert not sealed.exists()
    assert b"".join(read_plaintext(store, KEY, keyring)) == data
    assert stat.S_IMODE(stored_path(store).stat().st_mode) == 0o600


def test_a_still_frame_is_written_in_the_same_format(
    keyring: Keyring, store: FilesystemStore
) -> None:
    frame = os.urandom(200_000)
    finished = write_object(store, KEY, [frame[:70_000], frame[70_000:]], keyring)
    assert finished.size == len(frame)
    assert finished.sha256 == hashlib.sha256(frame).hexdigest()
    assert b"".join(read_plaintext(store, KEY, keyring)) == frame
    assert list(store.scratch.iterdir()) == []


@pytest.mark.parametrize("where", ["header", "middle", "end"])
def test_a_changed_byte_in_a_stored_object_is_detected_on_read(
    keyring: Keyring, store: FilesystemStore, where: str
) -> None:
    write_object(store, KEY, [os.urandom(300_000)], keyring)
    path = stored_path(store)
    data = bytearray(path.read_bytes())
    at = {"header": 20, "middle": len(data) // 2, "end": len(data) - 1}[where]
    data[at] ^= 0x80
    path.write_bytes(data)
    with pytest.raises(Tampered) as tampered:
        b"".join(read_plaintext(store, KEY, keyring))
    assert "changed" in tampered.value.reason


def test_a_truncated_stored_object_is_detected(keyring: Keyring, store: FilesystemStore) -> None:
    write_object(store, KEY, [os.urandom(300_000)], keyring, segment_size=65536)
    path = stored_path(store)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - (65536 + 28 + 300_000 % 65536 + 28)])
    with pytest.raises(Tampered, match="cut short"):
        b"".join(read_plaintext(store, KEY, keyring))


def test_an_object_swapped_for_another_is_not_accepted_as_genuine(
    keyring: Keyring, store: FilesystemStore
) -> None:
    write_object(store, KEY, [b"the real photo"], keyring)
    other = "obj_fedcba9876543210"
    write_object(store, other, [b"a different photo"], keyring)
    # Each object's header names the key it was sealed for: a whole object swapped in
    # for another fails before a byte is given out (objects of format version 1 are still
    # caught by the arrival hash, checked as they stream: see reading.checked).
    stored_path(store).write_bytes(stored_path(store, other).read_bytes())
    with pytest.raises(Tampered, match="belongs to another item"):
        b"".join(read_plaintext(store, KEY, keyring))


def test_missing_objects_and_deletes(keyring: Keyring, store: FilesystemStore) -> None:
    with pytest.raises(ObjectNotFound):
        store.open_raw(KEY)
    write_object(store, KEY, [b"x"], keyring)
    with pytest.raises(FileExistsError):
        write_object(store, KEY, [b"y"], keyring)
    store.delete(KEY)
    store.delete(KEY)
    with pytest.raises(ObjectNotFound):
        store.open_raw(KEY)


@pytest.mark.parametrize("key", ["../../etc/passwd", "a/b/c/d/e/f", "short", "x\0" * 10])
def test_only_server_made_keys(keyring: Keyring, store: FilesystemStore, key: str) -> None:
    with pytest.raises(ValueError):
        write_object(store, key, [b"x"], keyring)
    assert not (store.root.parent / "etc").exists()


def test_the_default_store_is_the_data_folder(tmp_path: Path) -> None:
    store = make_store(make_settings(tmp_path))
    assert isinstance(store, FilesystemStore)
    assert store.root == tmp_path / "evidence" / "objects"
