"""Sealing happens outside the database's write lock, and a change meanwhile is caught."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.unit.statements.conftest import Sides
from videoresponse.config import Settings
from videoresponse.core.db import Database
from videoresponse.statements import service, signing
from videoresponse.statements.models import SealedPdf, StatementSignature
from videoresponse.statements.rules import FirstPart, RestrictedPart, Stale
from videoresponse.statements.seal import Sealer, load_sealer


class _WritesWhileSealing(Sealer):
    """The real development seal, after another window saves and presents a new version."""

    def __init__(self, base: Sealer, write: object) -> None:
        super().__init__(base._signer, development=True)
        self.write = write

    def seal(self, pdf: bytes, *, reason: str) -> bytes:
        self.write()  # type: ignore[operator]
        return super().seal(pdf, reason=reason)


def _signed(sides: Sides) -> tuple[int, str]:
    sides.officer.get(sides.api)
    sides.save(0, "I saw a man break the window.")
    made = sides.present()
    assert sides.sign(made["version"], made["sha256"]).status_code == 200  # type: ignore[attr-defined]
    return int(str(made["version"])), str(made["sha256"])


def _counts(db: Database) -> tuple[int, int]:
    with db.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(SealedPdf)) or 0,
            session.scalar(
                select(func.count())
                .select_from(StatementSignature)
                .where(StatementSignature.kind == "officer")
            )
            or 0,
        )


def test_a_new_version_presented_while_sealing_is_written_and_nothing_is_sealed(
    sides: Sides, db: Database, settings: Settings
) -> None:
    version, sha256 = _signed(sides)
    appointment_id, officer = sides.call.appointment_id, sides.call.officer

    def another_window() -> None:
        # On SQLite this write waits for the write lock: it would time out if sealing
        # held it, as it did when the PDF was made inside the countersign's transaction.
        state = service.officer_state(db, appointment_id=appointment_id, by=officer)
        first = FirstPart(**{**state["first_part"], "body": "I saw two men."})
        draft = service.Draft(
            state["revision"], first, RestrictedPart(**state["restricted"]), False
        )
        service.save_draft(db, appointment_id=appointment_id, draft=draft, by=officer)
        service.present(db, appointment_id=appointment_id, by=officer)

    sealer = _WritesWhileSealing(load_sealer(settings), another_window)
    try:
        signing.countersign(
            db,
            settings,
            appointment_id=appointment_id,
            number=version,
            sha256=sha256,
            officer_number="PC 1234",
            by=officer,
            sealer=sealer,
        )
    except Stale as error:
        assert "changed" in str(error)
    else:
        raise AssertionError("a countersignature of a version no longer the latest was kept")
    assert _counts(db) == (0, 0)


def test_a_countersignature_and_its_sealed_pdf_are_stored_together(
    sides: Sides, db: Database, settings: Settings
) -> None:
    version, sha256 = _signed(sides)
    sealed = signing.countersign(
        db,
        settings,
        appointment_id=sides.call.appointment_id,
        number=version,
        sha256=sha256,
        officer_number="PC 1234",
        by=sides.call.officer,
    )
    assert len(sealed) == 64
    assert _counts(db) == (1, 1)
    with db.sessions() as session:
        officer = session.scalars(
            select(StatementSignature).where(StatementSignature.kind == "officer")
        ).one()
        pdf = session.scalars(select(SealedPdf)).one()
    assert officer.signed_at <= pdf.sealed_at
