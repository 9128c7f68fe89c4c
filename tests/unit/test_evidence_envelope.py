"""The sealed format: streams both ways, and any change, reordering, cut or addition shows."""

from __future__ import annotations

import base64
import logging
import os
import stat
from pathlib import Path

import pytest

from tests.conftest import make_settings
from videoresponse.evidence.envelope import OVERHEAD, Header, Tampered, decrypt, encrypt
from videoresponse.evidence.keys import Keyring, MasterKeyError

SEGMENT = 1024


@pytest.fixture
def keyring() -> Keyring:
    return Keyring([os.urandom(32)])


def seal(data: bytes, keyring: Keyring) -> bytes:
    return b"".join(
        encrypt([data[i : i + 700] for i in range(0, len(data), 700)], keyring, SEGMENT)
    )


def unseal(sealed: bytes, keyring: Keyring, piece: int = 333) -> bytes:
    return b"".join(decrypt([sealed[i : i + piece] for i in range(0, len(sealed), piece)], keyring))


def layout(sealed: bytes) -> tuple[int, list[bytes]]:
    parsed = Header.parse(sealed)
    assert parsed is not None
    header, length = parsed
    body = sealed[length:]
    step = header.segment_size + OVERHEAD
    return length, [body[i : i + step] for i in range(0, len(body), step)]


@pytest.mark.parametrize("size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT, 10_000])
@pytest.mark.parametrize("piece", [1, 333, 1 << 20])
def test_round_trip_in_any_chunking(keyring: Keyring, size: int, piece: int) -> None:
    data = os.urandom(size)
    assert unseal(seal(data, keyring), keyring, piece) == data


def test_each_object_has_its_own_key_and_nonces(keyring: Keyring) -> None:
    data = b"same bytes" * 500
    one, two = seal(data, keyring), seal(data, keyring)
    assert one != two
    assert data[:32] not in one


def test_any_changed_byte_is_detected(keyring: Keyring) -> None:
    sealed = seal(os.urandom(5000), keyring)
    for at in range(0, len(sealed), 97):
        changed = bytearray(sealed)
        changed[at] ^= 0x01
        with pytest.raises(Tampered):
            unseal(bytes(changed), keyring)


@pytest.mark.parametrize("size", [3 * SEGMENT, 3 * SEGMENT + 10])
def test_cutting_off_whole_segments_is_detected(keyring: Keyring, size: int) -> None:
    sealed = seal(os.urandom(size), keyring)
    header_length, segments = layout(sealed)
    for keep in range(len(segments)):
        cut = sealed[:header_length] + b"".join(segments[:keep])
        with pytest.raises(Tampered, match=r"cut short|changed"):
            unseal(cut, keyring)


def test_cutting_anywhere_is_detected(keyring: Keyring) -> None:
    sealed = seal(os.urandom(4000), keyring)
    for end in range(0, len(sealed) - 1, 41):
        with pytest.raises(Tampered):
            unseal(sealed[:end], keyring)


def test_extending_is_detected(keyring: Keyring) -> None:
    sealed = seal(os.urandom(2 * SEGMENT), keyring)
    _, segments = layout(sealed)
    with pytest.raises(Tampered):
        unseal(sealed + segments[-1], keyring)
    with pytest.raises(Tampered):
        unseal(sealed + b"\0", keyring)


def test_reordering_segments_is_detected(keyring: Keyring) -> None:
    sealed = seal(os.urandom(4 * SEGMENT), keyring)
    header_length, segments = layout(sealed)
    swapped = sealed[:header_length] + segments[1] + segments[0] + b"".join(segments[2:])
    with pytest.raises(Tampered, match="part 1"):
        unseal(swapped, keyring)


def test_a_segment_from_another_object_is_detected(keyring: Keyring) -> None:
    one = seal(os.urandom(3 * SEGMENT), keyring)
    two = seal(os.urandom(3 * SEGMENT), keyring)
    length, segments = layout(one)
    _, others = layout(two)
    with pytest.raises(Tampered):
        unseal(one[:length] + others[0] + b"".join(segments[1:]), keyring)


def test_a_changed_segment_size_cannot_make_the_reader_allocate(keyring: Keyring) -> None:
    sealed = bytearray(seal(b"x" * 100, keyring))
    sealed[8:12] = (2**31).to_bytes(4, "big")
    with pytest.raises(Tampered, match="header"):
        unseal(bytes(sealed), keyring)


def test_not_a_sealed_file(keyring: Keyring) -> None:
    with pytest.raises(Tampered, match="not a sealed"):
        unseal(b"\xff\xd8\xff\xe0 a plain jpeg", keyring)


def test_another_master_key_cannot_open_it(keyring: Keyring) -> None:
    sealed = seal(b"statement", keyring)
    with pytest.raises(Tampered, match="not configured"):
        unseal(sealed, Keyring([os.urandom(32)]))


def test_an_old_master_key_still_opens_older_objects(keyring: Keyring) -> None:
    sealed = seal(b"older", keyring)
    new = os.urandom(32)
    rotated = Keyring([new, *keyring._keys.values()])
    assert rotated.key_id != keyring.key_id
    assert unseal(sealed, rotated) == b"older"
    assert Header.parse(seal(b"newer", rotated)) is not None


def test_the_development_key_is_made_once_private_and_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path)
    with caplog.at_level(logging.WARNING):
        first = Keyring.from_settings(settings)
    path = tmp_path / "evidence" / "master.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "development master key" in caplog.text
    assert Keyring.from_settings(settings).key_id == first.key_id


def test_a_configured_key_is_used_and_checked(tmp_path: Path) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    configured = Keyring.from_settings(make_settings(tmp_path, evidence_master_key=key))
    assert configured.key_id == Keyring([base64.b64decode(key)]).key_id
    assert not (tmp_path / "evidence" / "master.key").exists()
    with pytest.raises(MasterKeyError, match="32 bytes"):
        Keyring.from_settings(make_settings(tmp_path, evidence_master_key="c2hvcnQ="))
    with pytest.raises(MasterKeyError, match="base64"):
        Keyring.from_settings(make_settings(tmp_path, evidence_master_key="not base64!"))
