"""Evidence after the security review: objects bound to their key, the master key in
production, the still frame's local time, the copy's bounds."""

from __future__ import annotations

import io
import stat
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.conftest import make_settings
from videoresponse.evidence import derivatives
from videoresponse.evidence.envelope import MAGIC_V1, Header, Tampered, decrypt, encrypt
from videoresponse.evidence.keys import Keyring, MasterKeyError
from videoresponse.evidence.rules import EvidenceRuleError
from videoresponse.evidence.service import _still_label
from videoresponse.evidence.store import FilesystemStore, read_plaintext, write_object

KEYRING = Keyring([b"k" * 32])


def test_an_object_is_bound_to_its_storage_key_so_a_swap_is_refused(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path / "objects")
    write_object(store, "firstobject1", iter([b"the first item"]), KEYRING)
    write_object(store, "secondobject", iter([b"the second item"]), KEYRING)
    first, second = store._path("firstobject1"), store._path("secondobject")
    first.write_bytes(second.read_bytes())  # one item's object copied over another's
    with pytest.raises(Tampered, match="belongs to another item"):
        b"".join(read_plaintext(store, "firstobject1", KEYRING))
    assert b"".join(read_plaintext(store, "secondobject", KEYRING)) == b"the second item"


def test_objects_sealed_before_the_binding_are_still_read() -> None:
    sealed = b"".join(encrypt([b"an older object"], KEYRING))
    assert sealed.startswith(MAGIC_V1)  # no binding asked for: the version 1 header
    assert b"".join(decrypt([sealed], KEYRING, binding="anykey12")) == b"an older object"
    bound = b"".join(encrypt([b"new"], KEYRING, binding="thekey123"))
    parsed = Header.parse(bound)
    assert parsed is not None and parsed[0].binding == "thekey123"
    with pytest.raises(Tampered):
        b"".join(decrypt([bound], KEYRING, binding="otherkey1"))


def test_in_production_no_upload_starts_without_a_configured_master_key(tmp_path: Path) -> None:
    production = make_settings(tmp_path, public_base_url="https://video.police.example")
    with pytest.raises(MasterKeyError, match="VIDEORESPONSE_EVIDENCE_MASTER_KEY is not set"):
        Keyring.from_settings(production)
    assert not (tmp_path / "evidence" / "master.key").exists()
    # Trying it out on this machine (http) still gets the development key, in a 0700 folder.
    Keyring.from_settings(make_settings(tmp_path))
    assert stat.S_IMODE((tmp_path / "evidence").stat().st_mode) == 0o700


def test_the_still_frames_label_is_in_the_teams_local_time() -> None:
    summer = datetime(2026, 7, 1, 12, 0, 5, tzinfo=UTC)
    assert _still_label(summer, ZoneInfo("Europe/London")) == (
        "Still frame from the video call, 13:00:05 BST"
    )


def test_a_copy_leaves_pillows_guard_alone_and_refuses_a_file_too_large_to_hold() -> None:
    guard = Image.MAX_IMAGE_PIXELS
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "PNG", pnginfo=_text_chunk())
    copy, extension, _ = derivatives.strip_metadata(out.getvalue(), "image/png", 5_000)
    assert guard == Image.MAX_IMAGE_PIXELS  # set once for the process, never per call
    with Image.open(io.BytesIO(copy)) as image:
        assert (image.size, extension, image.info.get("Comment")) == ((40, 30), "png", None)
    with pytest.raises(Image.DecompressionBombError):
        derivatives.strip_metadata(out.getvalue(), "image/png", 100)
    chunk = b"\0" * (1024 * 1024)
    too_big = iter([chunk] * (derivatives.MAX_COPY_BYTES // len(chunk) + 1))
    with pytest.raises(EvidenceRuleError, match="too large to copy"):
        derivatives._read_bounded(too_big)


def _text_chunk() -> object:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "taken at 1 Refuge Road")
    return info


def test_a_request_that_trickles_below_the_minimum_rate_is_cut_off_after_its_grace() -> None:
    from time import monotonic

    from videoresponse.evidence.routes import MIN_RATE, RATE_GRACE_SECONDS, _too_slow

    started = monotonic() - RATE_GRACE_SECONDS - 10
    assert _too_slow(int(MIN_RATE * (RATE_GRACE_SECONDS + 10) / 2), started)
    assert not _too_slow(int(MIN_RATE * (RATE_GRACE_SECONDS + 10) * 2), started)
    assert not _too_slow(0, monotonic())  # nothing judged in the first minute
