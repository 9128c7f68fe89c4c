"""Writing a statement: who may open it, the autosaved draft, presenting a version.

Signing, sealing and downloads are in statements.signing. Each public function is one
transaction, audited in it with ids only: the words of a statement never reach the log.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from videoresponse.booking.models import Appointment
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.statements import rules
from videoresponse.statements.models import (
    SealedPdf,
    Statement,
    StatementSignature,
    StatementVersion,
)
from videoresponse.statements.rules import FirstPart, RestrictedPart
from videoresponse.triage.models import Incident, PersonRow

TAKEN_AT_PLACE = "a video call"


class NotFound(LookupError):
    pass


class NotAllowed(PermissionError):
    pass


@dataclass(frozen=True)
class Draft:
    revision: int
    first: FirstPart
    restricted: RestrictedPart
    witness_cannot_read: bool


def first_part(statement: Statement) -> FirstPart:
    return FirstPart(
        statement_of=statement.statement_of,
        under_18=statement.under_18,
        age=statement.age,
        occupation=statement.occupation,
        body=statement.body,
        pages=statement.pages,
    )


def restricted_part(statement: Statement) -> RestrictedPart:
    return RestrictedPart(
        contact_details=statement.contact_details,
        dates_to_avoid=statement.dates_to_avoid,
        needs_and_special_measures=statement.needs_and_special_measures,
        medical_records_consent=statement.medical_records_consent,
        vps_offered=statement.vps_offered,
        vps_made=statement.vps_made,
    )


# -- who may open a statement ---------------------------------------------------------


def may_open(session: Session, member: StaffMember, incident_id: int) -> bool:
    """The case: the officer of any appointment of the incident, supervisors, administrators."""
    if member.role in (Role.SUPERVISOR, Role.ADMINISTRATOR):
        return True
    if member.role is not Role.VIDEO_OFFICER:
        return False
    mine = select(Appointment.id).where(
        Appointment.incident_id == incident_id, Appointment.officer_id == member.id
    )
    return session.scalar(mine.limit(1)) is not None


def appointment_to_write(session: Session, member: StaffMember, appointment_id: int) -> Appointment:
    """Only the appointment's own officer (or a supervisor) writes in it."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound("There is no such appointment")
    if member.role is not Role.SUPERVISOR and appointment.officer_id != member.id:
        raise NotAllowed("This is not one of your appointments")
    return appointment


def statement_to_read(session: Session, member: StaffMember, appointment_id: int) -> Statement:
    statement = session.scalar(select(Statement).where(Statement.appointment_id == appointment_id))
    if statement is None:
        raise NotFound("There is no statement for this appointment")
    if not may_open(session, member, statement.incident_id):
        raise NotAllowed(
            "Only the officers on this case, supervisors and administrators can open it"
        )
    return statement


# -- the officer's draft --------------------------------------------------------------


def officer_state(db: Database, *, appointment_id: int, by: StaffMember) -> dict[str, Any]:
    """The drafting panel's state; the draft is started, from the case, on first open."""
    with db.transaction() as session:
        appointment = appointment_to_write(session, by, appointment_id)
        statement = session.scalar(
            select(Statement).where(Statement.appointment_id == appointment_id)
        )
        if statement is None:
            statement = _start(session, appointment, by)
        audit.record(
            session,
            actor=by.actor,
            action=Action.CONSULTATION,
            event="statement.opened",
            object_type="statement",
            object_id=statement.id,
            why="writing the statement in the call",
            detail={"appointment": appointment_id},
        )
        return _officer_json(session, statement, by)


def _start(session: Session, appointment: Appointment, by: StaffMember) -> Statement:
    person = session.get_one(PersonRow, appointment.person_id)
    age = rules.age_on(person.date_of_birth, utcnow().date())
    statement = Statement(
        appointment_id=appointment.id,
        incident_id=appointment.incident_id,
        revision=0,
        statement_of=person.name,
        under_18=age is not None and age < 18,
        age=age if age is not None and age < 18 else None,
        needs_and_special_measures=person.accessibility_needs,
        taken_by=by.id,
        taken_at_place=TAKEN_AT_PLACE,
        saved_by=by.id,
    )
    session.add(statement)
    session.flush()
    audit.record(
        session,
        actor=by.actor,
        action=Action.COLLECTION,
        event="statement.started",
        object_type="statement",
        object_id=statement.id,
        detail={"appointment": appointment.id, "incident": appointment.incident_id},
    )
    return statement


def save_draft(
    db: Database, *, appointment_id: int, draft: Draft, by: StaffMember
) -> dict[str, Any]:
    """One autosave. Refused (Stale) when another tab saved since this one last loaded."""
    rules.check_draft(draft.first, draft.restricted)
    with db.transaction() as session:
        appointment_to_write(session, by, appointment_id)
        statement = session.scalar(
            select(Statement).where(Statement.appointment_id == appointment_id).with_for_update()
        )
        if statement is None:
            raise NotFound("Open the statement first")
        if draft.revision != statement.revision:
            raise rules.Stale(
                "This statement was saved from another window since you opened it. "
                "Copy anything you typed, reload the page and add it again."
            )
        first, restricted = rules.normalise_first_part(draft.first), draft.restricted
        for name, value in (*asdict(first).items(), *asdict(restricted).items()):
            setattr(statement, name, value)
        statement.witness_cannot_read = draft.witness_cannot_read
        statement.revision += 1
        statement.saved_at = utcnow()
        statement.saved_by = by.id
        audit.record(
            session,
            actor=by.actor,
            action=Action.ALTERATION,
            event="statement.draft_saved",
            object_type="statement",
            object_id=statement.id,
            detail={"revision": statement.revision},
        )
        return {"revision": statement.revision, "saved_at": statement.saved_at.isoformat()}


def present(db: Database, *, appointment_id: int, by: StaffMember) -> dict[str, Any]:
    """Freeze the draft as the next version for the witness to read and sign."""
    with db.transaction() as session:
        appointment_to_write(session, by, appointment_id)
        statement = session.scalar(
            select(Statement).where(Statement.appointment_id == appointment_id).with_for_update()
        )
        if statement is None:
            raise NotFound("Write the statement first")
        first = first_part(statement)
        rules.check_ready_to_present(first)
        number = 1 + (
            session.scalar(
                select(func.max(StatementVersion.number)).where(
                    StatementVersion.statement_id == statement.id
                )
            )
            or 0
        )
        version = StatementVersion(
            statement_id=statement.id,
            number=number,
            content=rules.canonical_content(first),
            content_sha256=rules.content_sha256(first),
            restricted=json.dumps(asdict(restricted_part(statement)), sort_keys=True),
            witness_cannot_read=statement.witness_cannot_read,
            made_by=by.id,
            made_at=utcnow(),
        )
        session.add(version)
        session.flush()
        audit.record(
            session,
            actor=by.actor,
            action=Action.COLLECTION,
            event="statement.version_made",
            object_type="statement_version",
            object_id=version.id,
            detail={"statement": statement.id, "number": number},
        )
        return {"version": number, "sha256": version.content_sha256}


def _officer_json(session: Session, statement: Statement, by: StaffMember) -> dict[str, Any]:
    # Imported here: corrections builds on this module's access checks.
    from videoresponse.statements.corrections import correction_json, corrections_of

    names = staff_names(session)
    me = session.get_one(StaffUser, by.id)
    return {
        # What a countersignature prints: the signed-in officer's own record, not typing.
        "officer": {"name": me.display_name, "number": me.rank_and_number or ""},
        "corrections": [correction_json(c) for c in corrections_of(session, statement.id)],
        "revision": statement.revision,
        "saved_at": statement.saved_at.isoformat(),
        "first_part": asdict(first_part(statement)),
        "restricted": asdict(restricted_part(statement)),
        "witness_cannot_read": statement.witness_cannot_read,
        "taken_by": names.get(statement.taken_by, ""),
        "taken_at_place": statement.taken_at_place,
        "started_at": statement.started_at.isoformat(),
        "versions": [
            {
                "number": v.number,
                "sha256": v.content_sha256,
                "made_at": v.made_at.isoformat(),
                "made_by": names.get(v.made_by, ""),
                "signatures": {
                    s.kind: {"name": s.name, "at": s.signed_at.isoformat()} for s in sigs
                },
                "sealed": sealed,
                "witness_cannot_read": v.witness_cannot_read,
            }
            for v, sigs, sealed in versions_of(session, statement.id)
        ],
    }


def staff_names(session: Session) -> dict[int, str]:
    return {
        staff_id: name
        for staff_id, name in session.execute(select(StaffUser.id, StaffUser.display_name))
    }


def versions_of(
    session: Session, statement_id: int
) -> list[tuple[StatementVersion, list[StatementSignature], bool]]:
    """Every version, newest first, with its signatures and whether it is sealed."""
    versions = session.scalars(
        select(StatementVersion)
        .where(StatementVersion.statement_id == statement_id)
        .order_by(StatementVersion.number.desc())
    ).all()
    ids = [v.id for v in versions]
    signatures = session.scalars(
        select(StatementSignature)
        .where(StatementSignature.version_id.in_(ids))
        .order_by(StatementSignature.id)
    ).all()
    sealed = set(session.scalars(select(SealedPdf.version_id).where(SealedPdf.version_id.in_(ids))))
    return [(v, [s for s in signatures if s.version_id == v.id], v.id in sealed) for v in versions]


def incident_urn(session: Session, incident_id: int) -> str:
    return session.get_one(Incident, incident_id).urn


def filename(urn: str, number: int) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", urn).strip("-") or "statement"
    return f"{safe}-statement-v{number}.pdf"


@dataclass(frozen=True)
class SealedStatement:
    filename: str
    pdf: bytes
    sha256: str
    version: int
    appointment_id: int


def sealed_statements(db: Database, incident_id: int) -> list[SealedStatement]:
    """Every sealed statement of an incident, for the evidence export (which audits it)."""
    with db.transaction() as session:
        rows = session.execute(
            select(Statement.appointment_id, StatementVersion.number, SealedPdf)
            .join(StatementVersion, StatementVersion.statement_id == Statement.id)
            .join(SealedPdf, SealedPdf.version_id == StatementVersion.id)
            .where(Statement.incident_id == incident_id)
            .order_by(Statement.appointment_id, StatementVersion.number)
        ).all()
        if not rows:
            return []
        urn = incident_urn(session, incident_id)
        return [
            SealedStatement(
                filename=filename(urn, number).replace(
                    ".pdf", f"-appointment-{appointment_id}.pdf"
                ),
                pdf=sealed.pdf,
                sha256=sealed.sha256,
                version=number,
                appointment_id=appointment_id,
            )
            for appointment_id, number, sealed in rows
        ]


def history(db: Database, *, appointment_id: int, by: StaffMember) -> dict[str, Any]:
    """The statement's page: every version, who made it, its hash and its signatures."""
    with db.transaction() as session:
        statement = statement_to_read(session, by, appointment_id)
        audit.record(
            session,
            actor=by.actor,
            action=Action.CONSULTATION,
            event="statement.history_viewed",
            object_type="statement",
            object_id=statement.id,
        )
        names = staff_names(session)
        versions = []
        for version, signatures, sealed in versions_of(session, statement.id):
            sealed_sha = session.scalar(
                select(SealedPdf.sha256).where(SealedPdf.version_id == version.id)
            )
            versions.append(
                {
                    "number": version.number,
                    "sha256": version.content_sha256,
                    "made_at": version.made_at,
                    "made_by": names.get(version.made_by, "unknown"),
                    "first_part": rules.first_part_from_content(version.content),
                    "signatures": signatures,
                    "sealed": sealed,
                    "sealed_sha256": sealed_sha,
                }
            )
        return {
            "appointment_id": appointment_id,
            "urn": incident_urn(session, statement.incident_id),
            "statement_of": statement.statement_of,
            "taken_by": names.get(statement.taken_by, ""),
            "versions": versions,
            "corrections": _corrections_kept(session, statement.id, names),
        }


def _corrections_kept(
    session: Session, statement_id: int, names: dict[int, str]
) -> list[dict[str, Any]]:
    # Imported here: corrections builds on this module's access checks.
    from videoresponse.statements.corrections import for_history

    return for_history(session, statement_id, names)
