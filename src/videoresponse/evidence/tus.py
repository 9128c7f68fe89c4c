"""The tus 1.0 resumable upload protocol's headers: parsed and checked, no I/O.

https://tus.io/protocols/resumable-upload (core, creation, termination, checksum). The
routes answer with `TusError`s made here; their messages are for the person uploading
(tus-js-client passes the response text to the page).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

VERSION: Final = "1.0.0"
EXTENSIONS: Final = "creation,termination,checksum"
CHECKSUM_ALGORITHMS: Final = "sha256"
OFFSET_CONTENT_TYPE: Final = "application/offset+octet-stream"
# tus's own status for a chunk whose checksum does not match (checksum extension).
CHECKSUM_MISMATCH: Final = 460
# A connection that sends nothing for this long is closed: what arrived is kept, and the
# uploader resumes from there (a "slow drip" cannot hold a worker for ever).
IDLE_SECONDS: Final = 30.0
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
_METADATA_KEY = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class TusError(Exception):
    """A refused tus request: its status and a sentence for the person uploading."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def base_headers() -> dict[str, str]:
    """On every tus response, refusals included (tus core)."""
    return {"Tus-Resumable": VERSION}


def options_headers(max_size: int) -> dict[str, str]:
    return {
        **base_headers(),
        "Tus-Version": VERSION,
        "Tus-Extension": EXTENSIONS,
        "Tus-Checksum-Algorithm": CHECKSUM_ALGORITHMS,
        "Tus-Max-Size": str(max_size),
    }


def check_version(headers: Mapping[str, str]) -> None:
    if headers.get("tus-resumable") != VERSION:
        raise TusError(
            412, "Your browser used an upload method this service does not understand. Reload."
        )


def upload_length(headers: Mapping[str, str]) -> int:
    """The whole file's size, required at creation (no deferred length)."""
    return _non_negative(headers.get("upload-length"), "Upload-Length")


def upload_offset(headers: Mapping[str, str]) -> int:
    return _non_negative(headers.get("upload-offset"), "Upload-Offset")


def _non_negative(raw: str | None, name: str) -> int:
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise TusError(400, f"The upload was sent without a valid {name}. Try again.")
    return int(raw)


def check_patch_content_type(headers: Mapping[str, str]) -> None:
    if headers.get("content-type", "").split(";")[0].strip().lower() != OFFSET_CONTENT_TYPE:
        raise TusError(415, f"A part of an upload must be sent as {OFFSET_CONTENT_TYPE}.")


@dataclass(frozen=True)
class Metadata:
    """Upload-Metadata: what the browser says about the file. Recorded, never trusted."""

    filename: str = ""
    filetype: str = ""
    sha256: str = ""
    other: dict[str, str] = field(default_factory=dict)


def parse_metadata(raw: str | None) -> Metadata:
    """`key base64value,key base64value`: unknown keys are kept aside, bad ones refused."""
    values: dict[str, str] = {}
    for pair in (raw or "").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, encoded = pair.partition(" ")
        if not _METADATA_KEY.match(key) or key in values:
            raise TusError(400, "The file's details were not sent in a form this service reads.")
        try:
            values[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise TusError(
                400, "The file's details were not sent in a form this service reads."
            ) from None
    sha256 = values.pop("sha256", "").strip()
    if sha256 and not _SHA256_HEX.match(sha256):
        raise TusError(400, "The file's own fingerprint (SHA-256) is not in the expected form.")
    return Metadata(
        filename=values.pop("filename", values.pop("name", ""))[:1000],
        filetype=values.pop("filetype", values.pop("type", ""))[:255],
        sha256=sha256.lower(),
        other=values,
    )


def parse_checksum(raw: str | None) -> bytes | None:
    """Upload-Checksum `sha256 <base64 digest>` for one PATCH's bytes; None if absent."""
    if raw is None:
        return None
    algorithm, _, encoded = raw.strip().partition(" ")
    if algorithm.lower() != "sha256":
        raise TusError(400, "Only SHA-256 checksums are supported.")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise TusError(400, "The checksum of this part is not valid base64.") from None
    if len(digest) != 32:
        raise TusError(400, "The checksum of this part is not a SHA-256 digest.")
    return digest
