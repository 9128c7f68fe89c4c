"""Changes asked for in the call, kept with the statement.

The call relays the witness's "correction" message to the officer's sockets only. The
officer's panel posts each one it receives here, so the statement's page keeps what was
asked, by whom (the call's role), when, and when the officer marked it done. It is a
record of what the officer's screen received: the audit log has its id, never the words.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.statements import rules, service
from videoresponse.statements.models import Statement, StatementCorrection

MAX_CORRECTION_CHARS = 500  # the call's own limit on a correction message
ROLES = {"caller": "The witness", "guest": "A guest in the call"}


def record(
    db: Database,
    *,
    appointment_id: int,
    from_role: str,
    text: str,
    asked_at: datetime,
    by: StaffMember,
) -> dict[str, Any]:
    """Keep one received correction; the same message stored twice (two tabs) is kept once."""
    words = rules.normalise_text(text).strip()
    if from_role not in ROLES:
        raise rules.StatementError("A change can be asked for only by someone in the call")
    if not words or len(words) > MAX_CORRECTION_CHARS:
        raise rules.StatementError(
            f"A change asked for must be from 1 to {MAX_CORRECTION_CHARS} characters"
        )
    if asked_at.tzinfo is None or asked_at > utcnow() + timedelta(minutes=1):
        raise rules.StatementError("The time the change was asked for is not right")
    digest = hashlib.sha256(f"{from_role}\n{asked_at.isoformat()}\n{words}".encode()).hexdigest()
    with db.transaction() as session:
        statement = _statement(session, appointment_id, by)
        kept = session.scalar(
            select(StatementCorrection).where(
                StatementCorrection.statement_id == statement.id,
                StatementCorrection.digest == digest,
            )
        )
        if kept is None:
            kept = StatementCorrection(
                statement_id=statement.id,
                from_role=from_role,
                text=words,
                asked_at=asked_at,
                digest=digest,
                received_by=by.id,
                received_at=utcnow(),
            )
            session.add(kept)
            session.flush()
            audit.record(
                session,
                actor=by.actor,
                action=Action.COLLECTION,
                event="statement.correction_received",
                object_type="statement_correction",
                object_id=kept.id,
                detail={"statement": statement.id, "from_role": from_role},
            )
        return correction_json(kept)


def mark_done(
    db: Database, *, appointment_id: int, correction_id: int, by: StaffMember
) -> dict[str, Any]:
    """The officer has dealt with the change (made it, or talked it through)."""
    with db.transaction() as session:
        statement = _statement(session, appointment_id, by)
        kept = session.get(StatementCorrection, correction_id)
        if kept is None or kept.statement_id != statement.id:
            raise service.NotFound("There is no such change asked for on this statement")
        if kept.done_at is None:
            kept.done_at, kept.done_by = utcnow(), by.id
            audit.record(
                session,
                actor=by.actor,
                action=Action.ALTERATION,
                event="statement.correction_done",
                object_type="statement_correction",
                object_id=kept.id,
                detail={"statement": statement.id},
            )
        return correction_json(kept)


def corrections_of(session: Session, statement_id: int) -> list[StatementCorrection]:
    return list(
        session.scalars(
            select(StatementCorrection)
            .where(StatementCorrection.statement_id == statement_id)
            .order_by(StatementCorrection.asked_at, StatementCorrection.id)
        )
    )


def correction_json(kept: StatementCorrection) -> dict[str, Any]:
    return {
        "id": kept.id,
        "from_role": kept.from_role,
        "from": ROLES.get(kept.from_role, kept.from_role),
        "text": kept.text,
        "at": kept.asked_at.isoformat(),
        "done_at": kept.done_at.isoformat() if kept.done_at else None,
    }


def _statement(session: Session, appointment_id: int, by: StaffMember) -> Statement:
    service.appointment_to_write(session, by, appointment_id)
    statement = session.scalar(select(Statement).where(Statement.appointment_id == appointment_id))
    if statement is None:
        raise service.NotFound("Open the statement first")
    return statement


def for_history(session: Session, statement_id: int, names: dict[int, str]) -> list[dict[str, Any]]:
    """The statement's page: who asked, what, when, and who marked it done."""
    return [
        {
            "from": ROLES.get(c.from_role, c.from_role),
            "text": c.text,
            "asked_at": c.asked_at,
            "done_at": c.done_at,
            "done_by": names.get(c.done_by, "") if c.done_by else "",
        }
        for c in corrections_of(session, statement_id)
    ]
