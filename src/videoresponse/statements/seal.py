"""The force's digital seal on a signed statement: PAdES with pyHanko.

The seal is a certification signature that allows no changes: any byte changed, or any
revision appended, after sealing shows when the seal is checked. The certificate comes
from configuration (a PKCS#12 file). The embedded default makes a self-signed development
certificate once, keeps it in the data folder, and says so in its name and on every page.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from videoresponse.config import Settings

log = logging.getLogger(__name__)

DEVELOPMENT_COMMON_NAME = "Video Response DEVELOPMENT seal — not for evidence"
DEVELOPMENT_VALIDITY = timedelta(days=730)
SEAL_FIELD = "ForceSeal"
T = TypeVar("T")
_warned: set[Path] = set()
_cache: dict[tuple[str, str, str, int | None], Sealer] = {}
_cache_lock = threading.Lock()


class SealConfigurationError(RuntimeError):
    """The configured seal certificate cannot be used; the message says why, plainly."""


class SealingError(RuntimeError):
    """A seal could not be made now (the timestamp authority did not answer)."""


class Sealer:
    """Seals PDFs with one certificate and key."""

    def __init__(
        self, signer: signers.SimpleSigner, *, development: bool, timestamp_url: str = ""
    ) -> None:
        self._signer = signer
        self.development = development
        self.timestamp_url = timestamp_url
        certificate = signer.signing_cert
        assert certificate is not None  # a SimpleSigner always has one
        self.certificate: asn1_x509.Certificate = certificate
        self.subject = _common_name(certificate)

    def seal(self, pdf: bytes, *, reason: str) -> bytes:
        """The PDF with the seal appended as an incremental update."""
        metadata = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            certify=True,
            docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        )
        stamper = HTTPTimeStamper(self.timestamp_url) if self.timestamp_url else None
        pdf_signer = signers.PdfSigner(metadata, signer=self._signer, timestamper=stamper)
        output = io.BytesIO()

        async def sign() -> None:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
            await pdf_signer.async_sign_pdf(writer, output=output)

        try:
            _run(sign)
        except TimestampRequestError as error:
            raise SealingError(
                f"The timestamp authority at {self.timestamp_url} did not answer, so the "
                "statement was not sealed. Try again; if it goes on, check "
                "VIDEORESPONSE_SEAL_TIMESTAMP_URL."
            ) from error
        return output.getvalue()


@dataclass(frozen=True)
class SealCheck:
    intact: bool
    signer: str
    problem: str  # empty when intact


def load_sealer(settings: Settings) -> Sealer:
    """The force's sealer from configuration, or the development one when none is set."""
    timestamp_url = settings.seal_timestamp_url
    if settings.seal_certificate_path:
        signer = _load_configured(
            Path(settings.seal_certificate_path),
            settings.seal_certificate_password.get_secret_value(),
        )
        return Sealer(signer, development=False, timestamp_url=timestamp_url)
    path = settings.data_dir / "seal" / "development-seal.p12"
    signer = _load_development(path)
    if path not in _warned:  # once per process: loading per request must not flood the log
        _warned.add(path)
        log.warning(
            "Statements are sealed with a DEVELOPMENT certificate (%s): not for evidence. "
            "Set VIDEORESPONSE_SEAL_CERTIFICATE_PATH to the force's PKCS#12 file.",
            path,
        )
    return Sealer(signer, development=True, timestamp_url=timestamp_url)


def cached_sealer(settings: Settings) -> Sealer:
    """load_sealer once per process: reading and checking the PKCS#12 file costs more than
    a seal. Loaded again when the seal settings change, the file is replaced (another
    modification time) or the certificate has expired."""
    path = (
        Path(settings.seal_certificate_path)
        if settings.seal_certificate_path
        else settings.data_dir / "seal" / "development-seal.p12"
    )
    try:
        stamp: int | None = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    password = settings.seal_certificate_password.get_secret_value().encode()
    key = (str(path), hashlib.sha256(password).hexdigest(), settings.seal_timestamp_url, stamp)
    with _cache_lock:
        sealer = _cache.get(key)
        if sealer is None or sealer.certificate.not_valid_after <= datetime.now(UTC):
            _cache.clear()
            sealer = _cache[key] = load_sealer(settings)
        return sealer


def check_seal(pdf: bytes, sealer: Sealer) -> SealCheck:
    """Whether the PDF is exactly as this sealer sealed it."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        seals = reader.embedded_signatures
    except Exception as error:  # a damaged file is a broken seal, whatever broke
        return SealCheck(False, "", f"The file cannot be read as a PDF ({error}).")
    if len(seals) != 1:
        return SealCheck(False, "", f"Expected one seal, found {len(seals)}.")
    context = ValidationContext(trust_roots=[sealer.certificate], allow_fetching=False)

    async def validate() -> PdfSignatureStatus:
        return await async_validate_pdf_signature(seals[0], signer_validation_context=context)

    try:
        status = _run(validate)
    except Exception as error:
        return SealCheck(False, "", f"The seal cannot be checked ({error}).")
    signer = _common_name(status.signing_cert)
    return SealCheck(not (problem := _problem(status, sealer)), signer, problem)


def _problem(status: PdfSignatureStatus, sealer: Sealer) -> str:
    if not status.intact:
        return "The sealed content has changed: its digest no longer matches the seal."
    if not status.valid:
        return "The seal's cryptographic signature is not valid."
    if _fingerprint(status.signing_cert) != _fingerprint(sealer.certificate):
        return f"Sealed by {_common_name(status.signing_cert)!r}, not by {sealer.subject!r}."
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return "Something was added to the file after it was sealed."
    if status.docmdp_ok is False:
        return "The file was changed after sealing in a way the seal does not allow."
    return ""


def _load_configured(path: Path, password: str) -> signers.SimpleSigner:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SealConfigurationError(
            f"The seal certificate file {path} does not exist "
            "(VIDEORESPONSE_SEAL_CERTIFICATE_PATH)."
        ) from None
    except OSError as error:
        raise SealConfigurationError(
            f"The seal certificate file {path} cannot be read: {error.strerror}."
        ) from None
    try:
        key, certificate, _ = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None
        )
    except ValueError:
        raise SealConfigurationError(
            f"The seal certificate file {path} cannot be opened: the password "
            "(VIDEORESPONSE_SEAL_CERTIFICATE_PASSWORD) is wrong, or it is not a PKCS#12 file."
        ) from None
    if key is None or certificate is None:
        raise SealConfigurationError(
            f"The seal certificate file {path} must hold both the certificate and its private key."
        )
    if certificate.not_valid_after_utc <= datetime.now(UTC):
        raise SealConfigurationError(
            f"The seal certificate in {path} expired on {certificate.not_valid_after_utc:%d %B %Y}."
        )
    return _signer(data, password.encode() if password else None)


def _load_development(path: Path) -> signers.SimpleSigner:
    if path.exists():
        signer = _signer(path.read_bytes())
        certificate = signer.signing_cert
        if certificate is not None and certificate.not_valid_after > datetime.now(UTC):
            return signer
        log.warning("The development seal certificate expired; making a new one.")
        path.replace(path.with_name(f"expired-{datetime.now(UTC):%Y%m%d%H%M%S}.p12"))
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    made = path.with_name(f".{path.name}.{os.getpid()}")
    made.write_bytes(b"")
    made.chmod(0o600)
    made.write_bytes(make_self_signed_p12(DEVELOPMENT_COMMON_NAME, DEVELOPMENT_VALIDITY))
    # Two processes starting at once: the first link wins and both use its certificate.
    with contextlib.suppress(FileExistsError):
        os.link(made, path)
    made.unlink()
    log.warning("Made a development seal certificate in %s.", path)
    return _signer(path.read_bytes())


def _signer(p12: bytes, password: bytes | None = None) -> signers.SimpleSigner:
    signer: signers.SimpleSigner = signers.SimpleSigner.load_pkcs12_data(
        p12, other_certs=[], passphrase=password
    )
    return signer


def make_self_signed_p12(common_name: str, validity: timedelta, password: bytes = b"") -> bytes:
    """A self-signed sealing certificate and its key, as PKCS#12 (EC P-256)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(
        common_name.encode(), key, certificate, None, encryption
    )


def _common_name(certificate: asn1_x509.Certificate) -> str:
    names = certificate.subject.native
    return str(names.get("common_name") or certificate.subject.human_friendly)


def _fingerprint(certificate: asn1_x509.Certificate) -> str:
    return hashlib.sha256(certificate.dump()).hexdigest()


def _run(work: Callable[[], Awaitable[T]]) -> T:
    """pyHanko is asynchronous: run it here, or on a thread when an event loop is running."""

    async def main() -> T:
        return await work()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop_running = False
    else:
        loop_running = True
    if not loop_running:
        return asyncio.run(main())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()
