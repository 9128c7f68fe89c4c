"""A real ClamAV daemon, started here with our own signatures (no signature download):
infected files are named, clean ones pass, an over-long stream is "failed", never "clean"."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import evidence_corpus as corpus
from tests.conftest import IN_CI, make_settings
from videoresponse.evidence.scan import ClamdScanner, make_scanner

CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"
MARKER = b"VIDEORESPONSE-TEST-MALWARE-MARKER"


@pytest.fixture(scope="module")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CLAMD).exists():
        if IN_CI:
            pytest.fail("clamd is not installed: CI must run the scanner tests")
        pytest.skip("install clamav-daemon to run this test")
    folder = tmp_path_factory.mktemp("clamd")
    signatures = folder / "db"
    signatures.mkdir()
    eicar = corpus.eicar()
    # An MD5 signature of the whole EICAR file, and a body signature for a marker anywhere.
    (signatures / "test.hdb").write_text(
        f"{hashlib.md5(eicar).hexdigest()}:{len(eicar)}:Videoresponse.Test.EICAR\n"
    )
    (signatures / "test.ndb").write_text(f"Videoresponse.Test.Marker:0:*:{MARKER.hex()}\n")
    socket_path = folder / "clamd.sock"
    config = folder / "clamd.conf"
    config.write_text(
        f"DatabaseDirectory {signatures}\nLocalSocket {socket_path}\nForeground yes\n"
        f"LogFile {folder / 'clamd.log'}\nStreamMaxLength 4M\n"
    )
    process = subprocess.Popen(
        [CLAMD, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        address = f"unix:{socket_path}"
        deadline = time.monotonic() + 60
        while True:
            try:
                ClamdScanner(address, timeout=5).version()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (
                        (folder / "clamd.log").read_text()
                        if (folder / "clamd.log").exists()
                        else ""
                    )
                    pytest.fail(f"clamd did not start: {log[-2000:]}")
                time.sleep(0.2)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_eicar_test_file_is_found(clamd: str) -> None:
    result = ClamdScanner(clamd).scan(iter([corpus.eicar()]))
    assert result.state == "infected"
    assert "Videoresponse.Test.EICAR" in result.signature


def test_a_signature_split_across_chunks_is_found(clamd: str) -> None:
    body = corpus.jpeg() + MARKER + b"\0" * 1000
    at = len(corpus.jpeg()) + 10
    result = ClamdScanner(clamd).scan(iter([body[:at], body[at:]]))
    assert (result.state, result.signature) == ("infected", "Videoresponse.Test.Marker.UNOFFICIAL")


def test_clean_files_are_clean(clamd: str) -> None:
    scanner = make_scanner(make_settings(Path("/nonexistent"), clamd_address=clamd))
    assert scanner.name == "clamav"
    for body in (corpus.jpeg(), corpus.pdf(), corpus.docx()):
        assert scanner.scan(iter([body])).state == "clean"


def test_a_stream_over_clamds_limit_is_failed_not_clean(clamd: str) -> None:
    result = ClamdScanner(clamd).scan(iter([b"\0" * (1 << 20)] * 6))
    assert result.state == "failed"
    assert "size limit" in result.detail
