"""The sealed format of every evidence object: authenticated AES-256-GCM segments.

    header   magic "VREVID\\0" + version (8) | segment size (4) | key id length (1) | key id
             | wrapped data key length (1) | data key wrapped by the master key (RFC 3394)
             | version 2 only: binding length (1) | binding (the object's storage key)
    segment  nonce (12) | ciphertext | tag (16)     each holds `segment size` plaintext bytes,
                                                    except the last, which holds 0..size

Each segment's associated data is SHA-256(header) || index (8) || last flag (1), so a segment
moved to another place or another object, a segment removed, the end cut off at a segment
boundary, or anything appended all fail to decrypt. Version 2 headers also name the storage
key the object was sealed for, so a whole object copied over another item's (a swap in the
bucket) fails too: the reader says which key it expects. Version 1 objects (sealed before
the binding existed) are still read; their item is checked by hash as they stream.
Segments are independent, so both writing (as bytes arrive) and reading (as they are sent)
stream with one segment in memory.

Nonces are random per segment rather than a counter: staging may seal the same segment index
twice (a request that was abandoned, then sent again with other bytes), and a counter would
then reuse a nonce under the same key. With at most 2^32 segments per key (256 TiB at 64 KiB)
random 96-bit nonces are safe.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from videoresponse.evidence.keys import Keyring, MasterKeyError

MAGIC_V1 = b"VREVID\x00\x01"
MAGIC = b"VREVID\x00\x02"
NONCE = 12
TAG = 16
OVERHEAD = NONCE + TAG
DEFAULT_SEGMENT = 64 * 1024
# A changed header must not make a reader allocate gigabytes for one "segment".
MIN_SEGMENT = 1024
MAX_SEGMENT = 16 * 1024 * 1024


class Tampered(Exception):
    """A sealed object does not check out. `reason` is in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Header:
    segment_size: int
    key_id: str
    wrapped_key: bytes
    # The storage key the object was sealed for ("" in a version 1 header).
    binding: str = ""

    def encode(self) -> bytes:
        key_id = self.key_id.encode("ascii")
        binding = self.binding.encode("ascii")
        return (
            (MAGIC if binding else MAGIC_V1)
            + struct.pack(">IB", self.segment_size, len(key_id))
            + key_id
            + struct.pack(">B", len(self.wrapped_key))
            + self.wrapped_key
            + (struct.pack(">B", len(binding)) + binding if binding else b"")
        )

    @classmethod
    def parse(cls, data: bytes | bytearray) -> tuple[Header, int] | None:
        """The header at the start of `data` and its length, or None if more bytes are needed."""
        start = bytes(data[: len(MAGIC)])
        if len(data) < len(MAGIC) + 5:
            if start not in {MAGIC[: len(data)], MAGIC_V1[: len(data)]}:
                raise Tampered("This is not a sealed evidence file.")
            return None
        if start not in {MAGIC, MAGIC_V1}:
            raise Tampered("This is not a sealed evidence file, or its start was changed.")
        at = len(MAGIC)
        segment_size, id_length = struct.unpack_from(">IB", data, at)
        at += 5
        if len(data) < at + id_length + 1:
            return None
        key_id = bytes(data[at : at + id_length])
        at += id_length
        (wrapped_length,) = struct.unpack_from(">B", data, at)
        at += 1
        if len(data) < at + wrapped_length:
            return None
        wrapped = bytes(data[at : at + wrapped_length])
        at += wrapped_length
        binding = b""
        if start == MAGIC:
            if len(data) < at + 1:
                return None
            (binding_length,) = struct.unpack_from(">B", data, at)
            if len(data) < at + 1 + binding_length:
                return None
            binding = bytes(data[at + 1 : at + 1 + binding_length])
            at += 1 + binding_length
        if not MIN_SEGMENT <= segment_size <= MAX_SEGMENT:
            raise Tampered("The sealed file's header was changed (impossible segment size).")
        try:
            key_text, binding_text = key_id.decode("ascii"), binding.decode("ascii")
        except UnicodeDecodeError:
            raise Tampered("The sealed file's header was changed (key id).") from None
        return cls(segment_size, key_text, wrapped, binding_text), at

    def check_binding(self, expected: str | None) -> None:
        """A version 2 object read as another item's (its storage key differs) is refused."""
        if expected is not None and self.binding and self.binding != expected:
            raise Tampered("The stored file belongs to another item: it was swapped.")


class SegmentCipher:
    """Seals and opens the segments of one object."""

    def __init__(self, data_key: bytes, header: Header) -> None:
        self.header = header
        self.header_bytes = header.encode()
        self._aead = AESGCM(data_key)
        self._bound = hashlib.sha256(self.header_bytes).digest()

    @classmethod
    def new(
        cls, keyring: Keyring, segment_size: int = DEFAULT_SEGMENT, binding: str = ""
    ) -> SegmentCipher:
        data_key, wrapped = keyring.new_data_key()
        return cls(data_key, Header(segment_size, keyring.key_id, wrapped, binding))

    @classmethod
    def for_header(cls, header: Header, keyring: Keyring) -> SegmentCipher:
        try:
            return cls(keyring.unwrap(header.key_id, header.wrapped_key), header)
        except MasterKeyError as error:
            raise Tampered(str(error)) from None

    @property
    def segment_size(self) -> int:
        return self.header.segment_size

    def _aad(self, index: int, last: bool, purpose: bytes = b"") -> bytes:
        return self._bound + struct.pack(">QB", index, last) + purpose

    def seal(self, index: int, plaintext: bytes | bytearray | memoryview, last: bool) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._aead.encrypt(nonce, plaintext, self._aad(index, last))

    def open(self, index: int, sealed: bytes | memoryview, last: bool) -> bytes:
        try:
            return self._aead.decrypt(sealed[:NONCE], sealed[NONCE:], self._aad(index, last))
        except InvalidTag:
            if last:
                raise Tampered(
                    f"The stored file was changed, damaged or cut short (at part {index + 1})."
                ) from None
            raise Tampered(
                f"The stored file was changed or damaged (at part {index + 1})."
            ) from None

    def seal_scratch(self, index: int, plaintext: bytes | bytearray | memoryview) -> bytes:
        """Seals a partial segment kept between requests; never valid as a real segment."""
        nonce = os.urandom(NONCE)
        return nonce + self._aead.encrypt(nonce, plaintext, self._aad(index, False, b"partial"))

    def open_scratch(self, index: int, sealed: bytes) -> bytes:
        try:
            return self._aead.decrypt(
                sealed[:NONCE], sealed[NONCE:], self._aad(index, False, b"partial")
            )
        except InvalidTag:
            raise Tampered("An upload's stored state was changed or damaged.") from None


def decrypt(raw: Iterable[bytes], keyring: Keyring, binding: str | None = None) -> Iterator[bytes]:
    """The plaintext of a sealed object, one segment at a time, each checked before it is
    given out. Raises Tampered on any change, reordering, truncation or extension, or when
    the object was sealed for another storage key than `binding`; bytes already given out
    were genuine, but a reader must not trust the whole until the end."""
    buffer = bytearray()
    chunks = iter(raw)
    cipher: SegmentCipher | None = None
    for chunk in chunks:
        buffer += chunk
        parsed = Header.parse(buffer)
        if parsed is not None:
            header, length = parsed
            header.check_binding(binding)
            cipher = SegmentCipher.for_header(header, keyring)
            del buffer[:length]
            break
    if cipher is None:
        raise Tampered("The stored file is cut short (no complete header).")
    stored = cipher.segment_size + OVERHEAD
    index = 0
    while True:
        at = 0
        with memoryview(buffer) as view:
            # Strictly more than one segment held: this one is not the last.
            while len(buffer) - at > stored:
                yield cipher.open(index, view[at : at + stored], last=False)
                index += 1
                at += stored
        del buffer[:at]
        more = next(chunks, None)
        if more is None:
            break
        buffer += more
    if len(buffer) < OVERHEAD:
        raise Tampered("The stored file is cut short.")
    yield cipher.open(index, bytes(buffer), last=True)


class Encryptor:
    """Seals plaintext as it arrives: feed() returns the sealed bytes ready so far."""

    def __init__(
        self, keyring: Keyring, segment_size: int = DEFAULT_SEGMENT, binding: str = ""
    ) -> None:
        self.cipher = SegmentCipher.new(keyring, segment_size, binding)
        self._pending = bytearray()
        self._index = 0
        self.sha256 = hashlib.sha256()
        self.size = 0

    def start(self) -> bytes:
        return self.cipher.header_bytes

    def feed(self, chunk: bytes) -> bytes:
        self.sha256.update(chunk)
        self.size += len(chunk)
        self._pending += chunk
        size = self.cipher.segment_size
        out = []
        at = 0
        view = memoryview(self._pending)
        # Keep at least one byte back: only finish() knows which segment is last.
        while len(self._pending) - at > size:
            out.append(self.cipher.seal(self._index, view[at : at + size], last=False))
            self._index += 1
            at += size
        view.release()
        del self._pending[:at]
        return b"".join(out)

    def finish(self) -> bytes:
        return self.cipher.seal(self._index, bytes(self._pending), last=True)


def encrypt(
    chunks: Iterable[bytes],
    keyring: Keyring,
    segment_size: int = DEFAULT_SEGMENT,
    binding: str = "",
) -> Iterator[bytes]:
    encryptor = Encryptor(keyring, segment_size, binding)
    yield encryptor.start()
    for chunk in chunks:
        sealed = encryptor.feed(chunk)
        if sealed:
            yield sealed
    yield encryptor.finish()
