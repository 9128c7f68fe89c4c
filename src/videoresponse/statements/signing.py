"""Signing a version, sealing it, and the sealed PDF's downloads.

The witness signs the exact version they were shown: the hash their screen sent must be
the stored version's, or nothing is signed. The sealed PDF is made at the officer's
countersignature and kept with its own SHA-256; each download is audited as a disclosure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from videoresponse.caller.service import CallerView
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.auth.rules import AccountError
from videoresponse.core.auth.service import (
    StaffMember,
    check_rank_and_number,
    set_rank_and_number,
)
from videoresponse.core.db import Database, utcnow
from videoresponse.statements import rules, service, witness
from videoresponse.statements.document import (
    DrawnSignature,
    StatementDocument,
    StatementRenderingError,
    render_pdf,
)
from videoresponse.statements.models import (
    SealedPdf,
    Statement,
    StatementSignature,
    StatementVersion,
)
from videoresponse.statements.rules import Stale, StatementError
from videoresponse.statements.seal import Sealer, cached_sealer
from videoresponse.statements.service import NotAllowed, NotFound


@dataclass(frozen=True)
class Mark:
    """A signature as sent: the typed name and the pad's PNG data URL."""

    name: str
    data_url: str


def _version(session: Session, statement: Statement, number: int, sha256: str) -> StatementVersion:
    """The version the signer read, and only if it is still the latest and unchanged."""
    version = session.scalar(
        select(StatementVersion).where(
            StatementVersion.statement_id == statement.id, StatementVersion.number == number
        )
    )
    latest = session.scalar(
        select(StatementVersion.number)
        .where(StatementVersion.statement_id == statement.id)
        .order_by(StatementVersion.number.desc())
        .limit(1)
    )
    if version is None or version.content_sha256 != sha256 or latest != number:
        raise Stale("The statement changed. Read it again before you sign")
    return version


def _signatures(session: Session, version: StatementVersion) -> dict[str, StatementSignature]:
    rows = session.scalars(
        select(StatementSignature).where(StatementSignature.version_id == version.id)
    )
    return {s.kind: s for s in rows}


def _add_signature(
    session: Session,
    version: StatementVersion,
    *,
    kind: str,
    name: str,
    png: bytes | None,
    actor: str,
    officer_number: str = "",
    signed_at: datetime | None = None,
) -> StatementSignature:
    signed_at = signed_at or utcnow()
    signature = StatementSignature(
        version_id=version.id,
        kind=kind,
        name=name,
        officer_number=officer_number,
        image_png=png,
        signed_at=signed_at,
        version_sha256=version.content_sha256,
        binding_sha256=rules.signature_binding(
            version.content_sha256, name, png or officer_number.encode(), signed_at
        ),
        actor=actor,
    )
    session.add(signature)
    try:
        session.flush()
    except IntegrityError:
        raise Stale("This version is already signed") from None
    audit.record(
        session,
        actor=actor,
        action=Action.COLLECTION,
        event=f"statement.signed_{kind}",
        object_type="statement_signature",
        object_id=signature.id,
        detail={"version": version.id},
    )
    return signature


def sign_as_witness(
    db: Database, *, caller: CallerView, number: int, sha256: str, declared: bool, mark: Mark
) -> None:
    """The witness confirms the version they read: declaration, typed name, drawn mark."""
    appointment_id = witness.witness_appointment(caller)
    if not declared:
        raise StatementError("Tick the box to confirm the statement is true")
    name = rules.check_name(mark.name)
    png = rules.signature_png(mark.data_url)
    with db.transaction() as session:
        statement = _statement_of(session, appointment_id)
        version = _version(session, statement, number, sha256)
        if "witness" in _signatures(session, version):
            raise Stale("You have already signed this statement")
        _add_signature(
            session, version, kind="witness", name=name, png=png, actor=caller.actor.actor
        )


def sign_read_over(
    db: Database, *, appointment_id: int, number: int, sha256: str, mark: Mark, by: StaffMember
) -> None:
    """On the officer's screen: whoever read the statement to the witness signs that."""
    name = rules.check_name(mark.name)
    png = rules.signature_png(mark.data_url)
    with db.transaction() as session:
        statement = _statement_to_write(session, appointment_id, by)
        version = _version(session, statement, number, sha256)
        if not version.witness_cannot_read:
            raise StatementError("A read-over is signed only for a witness who cannot read")
        _add_signature(session, version, kind="read_over", name=name, png=png, actor=by.actor)


@dataclass(frozen=True)
class _Countersigning:
    """What was read, in the first short transaction, to make the sealed PDF from."""

    signature_ids: frozenset[int]
    officer_name: str
    officer_number: str
    number_is_new: bool
    document: StatementDocument


def countersign(
    db: Database,
    settings: Settings,
    *,
    appointment_id: int,
    number: int,
    sha256: str,
    officer_number: str,
    by: StaffMember,
    sealer: Sealer | None = None,
) -> str:
    """The officer's countersignature, and the version sealed as a PDF.

    The name and number printed are the signed-in officer's own, from their staff record;
    an officer with no number yet gives it here once and it is saved to their record. The
    PDF is laid out and sealed between two short transactions (about 0.6 s that would hold
    SQLite's write lock): the second checks nothing it was made from has changed, then
    stores the countersignature and the sealed PDF together, or neither.
    """
    sealer = sealer or cached_sealer(settings)
    made = _to_countersign(
        db, settings, appointment_id, number, sha256, officer_number, by, sealer.development
    )
    try:
        unsealed = render_pdf(made.document)
    except StatementRenderingError as error:
        raise StatementError(str(error)) from None
    pdf = sealer.seal(unsealed, reason=f"Witness statement version {number}")
    with db.transaction() as session:
        statement = _statement_to_write(session, appointment_id, by)
        version = _version(session, statement, number, sha256)
        signatures = _signatures(session, version)
        if "officer" in signatures:
            raise Stale("This version is already countersigned")
        user = session.get_one(StaffUser, by.id)
        if frozenset(s.id for s in signatures.values()) != made.signature_ids or (
            user.display_name != made.officer_name
            or (user.rank_and_number or made.officer_number) != made.officer_number
        ):
            raise Stale("Something changed while the statement was sealed. Countersign again")
        if made.number_is_new and user.rank_and_number is None:
            set_rank_and_number(session, user, made.officer_number, by=by.actor)
        _add_signature(
            session,
            version,
            kind="officer",
            name=made.officer_name,
            png=None,
            actor=by.actor,
            officer_number=made.officer_number,
            signed_at=made.document.countersigned_at,
        )
        sealed = SealedPdf(
            version_id=version.id,
            pdf=pdf,
            sha256=hashlib.sha256(pdf).hexdigest(),
            development_seal=sealer.development,
            sealed_at=utcnow(),
        )
        session.add(sealed)
        session.flush()
        audit.record(
            session,
            actor=by.actor,
            action=Action.COLLECTION,
            event="statement.sealed",
            object_type="sealed_statement",
            object_id=sealed.id,
            detail={"version": version.id},
        )
        return sealed.sha256


def _to_countersign(
    db: Database,
    settings: Settings,
    appointment_id: int,
    number: int,
    sha256: str,
    officer_number: str,
    by: StaffMember,
    development: bool,
) -> _Countersigning:
    with db.transaction() as session:
        statement = _statement_to_write(session, appointment_id, by)
        version = _version(session, statement, number, sha256)
        signatures = _signatures(session, version)
        if "officer" in signatures:
            raise Stale("This version is already countersigned")
        if "witness" not in signatures:
            raise StatementError("The witness has not signed this version yet")
        if version.witness_cannot_read and "read_over" not in signatures:
            raise StatementError("The read-over declaration must be signed first")
        user = session.get_one(StaffUser, by.id)
        on_record = user.rank_and_number
        if on_record is None and not officer_number.strip():
            raise StatementError("Enter your rank and number, for example PC 1234")
        try:
            printed = on_record or check_rank_and_number(officer_number)
        except AccountError as error:
            raise StatementError(str(error)) from None
        first = rules.first_part_from_content(version.content)

        def drawn(signature: StatementSignature) -> DrawnSignature:
            assert signature.image_png is not None
            return DrawnSignature(signature.name, signature.image_png, signature.signed_at)

        document = StatementDocument(
            urn=service.incident_urn(session, statement.incident_id),
            statement_of=first.statement_of,
            under_18=first.under_18,
            age=first.age,
            occupation=first.occupation,
            body=first.body,
            version=version.number,
            content_sha256=version.content_sha256,
            witness=drawn(signatures["witness"]),
            read_over=drawn(signatures["read_over"]) if "read_over" in signatures else None,
            officer_name=user.display_name,
            officer_number=printed,
            taken_at_place=statement.taken_at_place,
            taken_at=statement.started_at,
            countersigned_at=utcnow(),
            development_seal=development,
            timezone=settings.timezone,
        )
        return _Countersigning(
            signature_ids=frozenset(s.id for s in signatures.values()),
            officer_name=user.display_name,
            officer_number=printed,
            number_is_new=on_record is None,
            document=document,
        )


def _statement_of(session: Session, appointment_id: int) -> Statement:
    statement = session.scalar(select(Statement).where(Statement.appointment_id == appointment_id))
    if statement is None:
        raise NotFound("There is no statement to sign yet")
    return statement


def _statement_to_write(session: Session, appointment_id: int, by: StaffMember) -> Statement:
    service.appointment_to_write(session, by, appointment_id)
    return _statement_of(session, appointment_id)


# -- downloads ------------------------------------------------------------------------


def staff_download(
    db: Database, *, appointment_id: int, number: int, why: str, by: StaffMember
) -> tuple[str, bytes]:
    """The sealed PDF of one version, for someone on the case, with their reason."""
    reason = " ".join(why.split())
    if len(reason) < 5:
        raise StatementError("Say why you are downloading the statement")
    with db.transaction() as session:
        statement = service.statement_to_read(session, by, appointment_id)
        found = session.execute(
            select(StatementVersion, SealedPdf)
            .join(SealedPdf, SealedPdf.version_id == StatementVersion.id)
            .where(StatementVersion.statement_id == statement.id, StatementVersion.number == number)
        ).first()
        if found is None:
            raise NotFound("That version has not been countersigned and sealed")
        version, sealed = found
        audit.record(
            session,
            actor=by.actor,
            action=Action.DISCLOSURE,
            event="statement.pdf_downloaded",
            object_type="sealed_statement",
            object_id=sealed.id,
            why=reason[:500],
            detail={"version": version.id},
        )
        return service.filename(
            service.incident_urn(session, statement.incident_id), number
        ), sealed.pdf


def caller_copy(db: Database, *, caller: CallerView) -> tuple[str, bytes]:
    """The witness's own copy of what they signed, only where their safe contact allows."""
    appointment_id = witness.witness_appointment(caller)
    with db.transaction() as session:
        if not witness.may_download_copy(session, caller.person_id):
            raise NotAllowed("A copy cannot be downloaded here")
        statement = _statement_of(session, appointment_id)
        found = session.execute(
            select(StatementVersion.number, SealedPdf)
            .join(SealedPdf, SealedPdf.version_id == StatementVersion.id)
            .where(StatementVersion.statement_id == statement.id)
            .order_by(StatementVersion.number.desc())
            .limit(1)
        ).first()
        if found is None:
            raise NotFound("Your statement is not ready to download yet")
        number, sealed = found
        audit.record(
            session,
            actor=caller.actor.actor,
            action=Action.DISCLOSURE,
            event="statement.copy_downloaded",
            object_type="sealed_statement",
            object_id=sealed.id,
            why="the witness's own copy",
        )
        return f"statement-v{number}.pdf", sealed.pdf
