"""Without a scanner, files say "not scanned"; an unreachable scanner is "failed", never clean.
(The real ClamAV daemon is exercised in tests/integration/test_evidence_clamd.py.)"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.conftest import make_settings
from videoresponse.evidence.scan import ClamdScanner, NotScanned, ScanResult, _result, make_scanner


def test_no_scanner_configured_means_not_scanned(tmp_path: Path) -> None:
    scanner = make_scanner(make_settings(tmp_path))
    assert isinstance(scanner, NotScanned)
    assert scanner.scan(iter([b"anything"])) == ScanResult("not_scanned")


def test_an_unreachable_scanner_is_a_failure(tmp_path: Path) -> None:
    result = ClamdScanner(f"unix:{tmp_path / 'missing.sock'}").scan(iter([b"x"]))
    assert result.state == "failed"
    assert "could not be reached" in result.detail


def test_a_scanner_that_hangs_up_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "mute.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        server.listen()
        scanner = ClamdScanner(f"unix:{path}", timeout=2)
        # Accepts nothing and answers nothing: the scan times out rather than hanging.
        assert scanner.scan(iter([b"x" * 10])).state == "failed"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("stream: OK", ScanResult("clean")),
        ("stream: Win.Test.EICAR_HDB-1 FOUND", ScanResult("infected", "Win.Test.EICAR_HDB-1")),
        (
            "INSTREAM size limit exceeded. ERROR",
            ScanResult(
                "failed", detail="The virus scanner said: INSTREAM size limit exceeded. ERROR"
            ),
        ),
    ],
)
def test_clamd_replies(reply: str, expected: ScanResult) -> None:
    assert _result(reply) == expected


@pytest.mark.parametrize("address", ["clamd.sock", "tcp:3310", "http://x"])
def test_addresses_are_checked(address: str) -> None:
    with pytest.raises(ValueError, match="CLAMD_ADDRESS"):
        ClamdScanner(address)


def test_tcp_addresses() -> None:
    assert ClamdScanner("tcp:127.0.0.1:3310")._target == ("127.0.0.1", 3310)
    assert ClamdScanner("tcp:[::1]:3310")._target == ("::1", 3310)
