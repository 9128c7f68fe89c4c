"""tus 1.0 headers: versions, lengths, offsets, metadata and checksums, parsed strictly."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from videoresponse.evidence import tus
from videoresponse.evidence.tus import TusError


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_options_name_the_version_extensions_checksum_and_maximum() -> None:
    headers = tus.options_headers(1234)
    assert headers["Tus-Resumable"] == "1.0.0"
    assert headers["Tus-Version"] == "1.0.0"
    assert headers["Tus-Extension"] == "creation,termination,checksum"
    assert headers["Tus-Checksum-Algorithm"] == "sha256"
    assert headers["Tus-Max-Size"] == "1234"


def test_another_protocol_version_is_refused_with_412() -> None:
    tus.check_version({"tus-resumable": "1.0.0"})
    for other in ({}, {"tus-resumable": "0.2.2"}):
        with pytest.raises(TusError) as refused:
            tus.check_version(other)
        assert refused.value.status == 412


@pytest.mark.parametrize("raw", [None, "", "-1", "1.5", "12a", "٣", "9" * 19])
def test_lengths_and_offsets_must_be_plain_non_negative_numbers(raw: str | None) -> None:
    headers = {} if raw is None else {"upload-length": raw, "upload-offset": raw}
    with pytest.raises(TusError) as refused:
        tus.upload_length(headers)
    assert refused.value.status == 400
    with pytest.raises(TusError):
        tus.upload_offset(headers)


def test_a_patch_must_be_sent_as_offset_octet_stream() -> None:
    tus.check_patch_content_type({"content-type": "application/offset+octet-stream"})
    with pytest.raises(TusError) as refused:
        tus.check_patch_content_type({"content-type": "application/octet-stream"})
    assert refused.value.status == 415


def test_metadata_carries_name_declared_type_and_the_browsers_hash() -> None:
    digest = hashlib.sha256(b"x").hexdigest().upper()
    parsed = tus.parse_metadata(
        f"filename {_b64('bruise ☹.jpg')},filetype {_b64('image/jpeg')},sha256 {_b64(digest)},"
        f"relativePath {_b64('null')}"
    )
    assert parsed.filename == "bruise ☹.jpg"
    assert parsed.filetype == "image/jpeg"
    assert parsed.sha256 == digest.lower()
    assert parsed.other == {"relativePath": "null"}
    assert tus.parse_metadata(None) == tus.Metadata()
    assert tus.parse_metadata("empty").filename == ""


@pytest.mark.parametrize(
    "raw",
    [
        "filename not-base64!",
        f"file\x00name {_b64('a')}",
        f"filename {_b64('a')},filename {_b64('b')}",
        f"sha256 {_b64('not a hash')}",
        "filename " + base64.b64encode(b"\xff\xfe").decode(),
    ],
)
def test_malformed_metadata_is_refused(raw: str) -> None:
    with pytest.raises(TusError) as refused:
        tus.parse_metadata(raw)
    assert refused.value.status == 400


def test_a_checksum_is_sha256_in_base64() -> None:
    digest = hashlib.sha256(b"part").digest()
    assert tus.parse_checksum(f"sha256 {base64.b64encode(digest).decode()}") == digest
    assert tus.parse_checksum(None) is None
    for bad in ("md5 abc=", "sha256 !!!", f"sha256 {base64.b64encode(b'short').decode()}"):
        with pytest.raises(TusError) as refused:
            tus.parse_checksum(bad)
        assert refused.value.status == 400


@given(st.text(max_size=200))
def test_no_header_value_crashes_the_parsers(raw: str) -> None:
    for parse in (tus.parse_metadata, tus.parse_checksum):
        try:
            parse(raw)
        except TusError as refused:
            assert refused.status == 400
    try:
        tus.upload_offset({"upload-offset": raw})
    except TusError as refused:
        assert refused.status == 400
