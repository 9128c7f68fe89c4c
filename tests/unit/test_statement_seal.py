"""The force's seal on a statement: PAdES, checked with pyHanko, broken by any change."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from tests.conftest import make_settings
from tests.unit.test_statement_document import statement_document
from videoresponse.statements.document import render_pdf
from videoresponse.statements.seal import (
    DEVELOPMENT_COMMON_NAME,
    SealConfigurationError,
    Sealer,
    SealingError,
    cached_sealer,
    check_seal,
    load_sealer,
    make_self_signed_p12,
)

REASON = "Witness statement 42AB1234526, version 2, signed by the witness"


@pytest.fixture(scope="module")
def statement_pdf() -> bytes:
    return render_pdf(statement_document(development_seal=True))


@pytest.fixture
def development_sealer(tmp_path: Path) -> Sealer:
    return load_sealer(make_settings(tmp_path))


def _certificate(
    common_name: str,
    key: rsa.RSAPrivateKey,
    *,
    issuer: tuple[x509.Name, rsa.RSAPrivateKey] | None = None,
    ca: bool = False,
    usage: x509.ExtendedKeyUsage | None = None,
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_name, issuer_key = issuer or (name, key)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if usage is not None:
        builder = builder.add_extension(usage, critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def force_p12(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a force installs: its seal certificate, issued by its CA, with the chain."""
    ca_key, seal_key = _rsa(), _rsa()
    ca = _certificate("Example Constabulary Issuing CA", ca_key, ca=True)
    seal = _certificate(
        "Example Constabulary Statements Seal", seal_key, issuer=(ca.subject, ca_key)
    )
    path = tmp_path_factory.mktemp("force") / "seal.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"seal", seal_key, seal, [ca], serialization.BestAvailableEncryption(b"s3cret pass")
        )
    )
    return path


def _content_stream_offset(pdf: bytes) -> int:
    """An offset inside page 1's content stream (drawing and text, compressed)."""
    reader = PdfFileReader(io.BytesIO(pdf))
    contents = reader.root["/Pages"]["/Kids"][0].get_object().raw_get("/Contents")
    reference = contents[0] if isinstance(contents, generic.ArrayObject) else contents
    header = re.search(rb"(?<![0-9])%d 0 obj" % reference.idnum, pdf)
    assert header is not None
    return pdf.index(b"stream", header.end()) + len(b"stream\n") + 20


def test_a_sealed_statement_is_a_pades_seal_that_checks_out(
    statement_pdf: bytes, development_sealer: Sealer
) -> None:
    sealed = development_sealer.seal(statement_pdf, reason=REASON)

    assert sealed.startswith(statement_pdf)  # an incremental update: the statement is untouched
    check = check_seal(sealed, development_sealer)
    assert check.intact, check.problem
    assert check.signer == DEVELOPMENT_COMMON_NAME
    assert check.problem == ""
    seal = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
    assert seal.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert seal.sig_object["/Reason"] == REASON
    assert seal.md_algorithm == "sha256"


def test_changing_one_byte_of_the_page_breaks_the_seal(
    statement_pdf: bytes, development_sealer: Sealer
) -> None:
    sealed = development_sealer.seal(statement_pdf, reason=REASON)
    offset = _content_stream_offset(sealed)
    byte_range = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0].sig_object["/ByteRange"]
    assert byte_range[0] <= offset < byte_range[0] + byte_range[1]  # signed, not the seal's hex

    tampered = bytearray(sealed)
    tampered[offset] ^= 0x01
    check = check_seal(bytes(tampered), development_sealer)

    assert not check.intact
    assert "changed" in check.problem


def test_a_revision_appended_after_sealing_is_reported(
    statement_pdf: bytes, development_sealer: Sealer
) -> None:
    sealed = development_sealer.seal(statement_pdf, reason=REASON)
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)

    check = check_seal(out.getvalue(), development_sealer)

    assert not check.intact
    assert "after it was sealed" in check.problem


def test_bytes_that_are_not_a_pdf_are_not_intact(development_sealer: Sealer) -> None:
    check = check_seal(b"%PDF-1.7 nothing here", development_sealer)

    assert not check.intact
    assert check.problem


def test_an_unsealed_pdf_is_not_intact(statement_pdf: bytes, development_sealer: Sealer) -> None:
    check = check_seal(statement_pdf, development_sealer)

    assert (check.intact, check.problem) == (False, "Expected one seal, found 0.")


def test_the_development_certificate_is_made_once_and_reused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path)
    with caplog.at_level(logging.WARNING, logger="videoresponse.statements.seal"):
        first = load_sealer(settings)
    path = tmp_path / "seal" / "development-seal.p12"
    made = path.read_bytes()

    second = load_sealer(settings)

    assert first.development and second.development
    assert first.subject == DEVELOPMENT_COMMON_NAME
    assert second.certificate.dump() == first.certificate.dump()
    assert path.read_bytes() == made
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert list(path.parent.iterdir()) == [path]
    assert "DEVELOPMENT certificate" in caplog.text and "not for evidence" in caplog.text


def test_an_expired_development_certificate_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "seal" / "development-seal.p12"
    path.parent.mkdir(mode=0o700)
    path.write_bytes(make_self_signed_p12(DEVELOPMENT_COMMON_NAME, timedelta(minutes=-1)))

    sealer = load_sealer(make_settings(tmp_path))

    assert sealer.certificate.not_valid_after > datetime.now(UTC) + timedelta(days=700)
    assert len(list(path.parent.glob("expired-*.p12"))) == 1


def test_the_forces_configured_certificate_is_used(
    tmp_path: Path, force_p12: Path, statement_pdf: bytes
) -> None:
    settings = make_settings(
        tmp_path, seal_certificate_path=str(force_p12), seal_certificate_password="s3cret pass"
    )

    sealer = load_sealer(settings)
    sealed = sealer.seal(statement_pdf, reason=REASON)

    assert not sealer.development
    assert sealer.subject == "Example Constabulary Statements Seal"
    assert not (tmp_path / "seal").exists()
    assert check_seal(sealed, sealer).intact
    # A seal made with another certificate is not the force's seal.
    other = check_seal(
        load_sealer(make_settings(tmp_path)).seal(statement_pdf, reason=REASON), sealer
    )
    assert not other.intact
    assert other.signer == DEVELOPMENT_COMMON_NAME
    assert "not by 'Example Constabulary Statements Seal'" in other.problem


@pytest.mark.parametrize(
    ("password", "message"),
    [("wrong", "password .* is wrong"), ("", "password .* is wrong")],
)
def test_a_wrong_password_is_a_clear_error(
    tmp_path: Path, force_p12: Path, password: str, message: str
) -> None:
    settings = make_settings(
        tmp_path, seal_certificate_path=str(force_p12), seal_certificate_password=password
    )

    with pytest.raises(SealConfigurationError, match=message):
        load_sealer(settings)
    assert not (tmp_path / "seal").exists()  # no quiet fall-back to the development seal


def test_a_missing_or_unreadable_certificate_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = make_settings(tmp_path, seal_certificate_path=str(tmp_path / "nowhere.p12"))
    with pytest.raises(SealConfigurationError, match=re.escape("nowhere.p12 does not exist")):
        load_sealer(missing)

    not_p12 = tmp_path / "seal.pem"
    not_p12.write_text("-----BEGIN CERTIFICATE-----\n")
    with pytest.raises(SealConfigurationError, match="not a PKCS#12 file"):
        load_sealer(make_settings(tmp_path, seal_certificate_path=str(not_p12)))

    with pytest.raises(SealConfigurationError, match="cannot be read"):
        load_sealer(make_settings(tmp_path, seal_certificate_path=str(tmp_path)))


def test_sealing_and_checking_work_inside_a_running_event_loop(
    statement_pdf: bytes, development_sealer: Sealer
) -> None:
    async def in_a_route() -> bool:
        sealed = development_sealer.seal(statement_pdf, reason=REASON)
        return check_seal(sealed, development_sealer).intact

    assert asyncio.run(in_a_route())


class _TimestampAuthority:
    """A real RFC 3161 TSA over HTTP on 127.0.0.1, answered by pyHanko's test stamper."""

    def __init__(self) -> None:
        key = _rsa()
        usage = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING])
        certificate = _certificate("Test Timestamp Authority", key, usage=usage)
        self.certificate = asn1_x509.Certificate.load(
            certificate.public_bytes(serialization.Encoding.DER)
        )
        stamper = DummyTimeStamper(
            tsa_cert=self.certificate,
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
        )
        self.requests = 0
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = tsp.TimeStampReq.load(
                    self.rfile.read(int(self.headers["Content-Length"]))
                )
                authority.requests += 1
                reply = stamper.request_tsa_response(request).dump()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsa"


@pytest.fixture
def timestamp_authority() -> Iterator[_TimestampAuthority]:
    authority = _TimestampAuthority()
    thread = threading.Thread(target=authority.server.serve_forever, daemon=True)
    thread.start()
    yield authority
    authority.server.shutdown()
    authority.server.server_close()


def test_a_configured_timestamp_authority_stamps_the_seal(
    tmp_path: Path, statement_pdf: bytes, timestamp_authority: _TimestampAuthority
) -> None:
    sealer = load_sealer(make_settings(tmp_path, seal_timestamp_url=timestamp_authority.url))

    sealed = sealer.seal(statement_pdf, reason=REASON)

    assert timestamp_authority.requests >= 1  # pyHanko also asks once to size the seal
    assert check_seal(sealed, sealer).intact
    status = validate_pdf_signature(
        PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0],
        signer_validation_context=ValidationContext(trust_roots=[sealer.certificate]),
        ts_validation_context=ValidationContext(trust_roots=[timestamp_authority.certificate]),
    )
    stamp = status.timestamp_validity
    assert stamp is not None
    assert stamp.intact and stamp.valid and stamp.trusted
    assert abs(stamp.timestamp - datetime.now(UTC)) < timedelta(minutes=1)


def test_an_unreachable_timestamp_authority_fails_sealing_plainly(
    tmp_path: Path, statement_pdf: bytes
) -> None:
    url = "http://127.0.0.1:9/tsa"  # the discard port: nothing listens
    sealer = load_sealer(make_settings(tmp_path, seal_timestamp_url=url))

    with pytest.raises(SealingError, match=re.escape(f"authority at {url} did not answer")):
        sealer.seal(statement_pdf, reason=REASON)


def test_the_sealer_is_loaded_once_per_process_until_its_file_or_settings_change(
    tmp_path: Path, force_p12: Path
) -> None:
    copy = tmp_path / "force.p12"
    copy.write_bytes(force_p12.read_bytes())
    settings = make_settings(
        tmp_path, seal_certificate_path=str(copy), seal_certificate_password="s3cret pass"
    )
    first = cached_sealer(settings)
    assert cached_sealer(settings) is first
    assert not first.development

    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    replaced = cached_sealer(settings)
    assert replaced is not first and cached_sealer(settings) is replaced

    development = cached_sealer(make_settings(tmp_path))
    assert development.development and development is not replaced
