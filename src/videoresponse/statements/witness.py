"""What the witness sees of their statement: the first part, never the second.

Reached only through the witness's own verified link: a guest in the call (interpreter,
supporter) has no statement to read or sign.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from videoresponse.booking.models import Appointment
from videoresponse.caller.service import CallerView
from videoresponse.calls.service import GUEST_LINK
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.db import Database
from videoresponse.statements import rules
from videoresponse.statements.models import Statement
from videoresponse.statements.service import NotAllowed, first_part, versions_of
from videoresponse.triage.models import PersonRow


def witness_appointment(caller: CallerView) -> int:
    """The witness's own appointment; a guest (interpreter, supporter) has no statement."""
    if caller.purpose == GUEST_LINK or caller.appointment_id is None:
        raise NotAllowed("Only the person giving the statement can see it")
    return caller.appointment_id


def caller_json(session: Session, appointment_id: int, may_download: bool) -> dict[str, Any]:
    """The first part only, never the second: what the witness's screen may show."""
    statement = session.scalar(select(Statement).where(Statement.appointment_id == appointment_id))
    if statement is None:
        return {"type": "statement", "first_part": None}
    first = rules.normalise_first_part(first_part(statement))
    latest = next(iter(versions_of(session, statement.id)), None)
    presented = signed = None
    if latest is not None:
        version, signatures, sealed = latest
        witness = next((s for s in signatures if s.kind == "witness"), None)
        if witness is not None:
            signed = {
                "version": version.number,
                "at": witness.signed_at.isoformat(),
                "copy": may_download and sealed,
            }
        elif version.content_sha256 == rules.content_sha256(first):
            presented = {"version": version.number, "sha256": version.content_sha256}
    return {
        "type": "statement",
        "first_part": asdict(first),
        "declaration": rules.declaration(first.pages),
        "presented": presented,
        "signed": signed,
    }


def caller_state(db: Database, *, caller: CallerView, audited: bool) -> dict[str, Any]:
    appointment_id = witness_appointment(caller)
    with db.transaction() as session:
        state = caller_json(session, appointment_id, may_download_copy(session, caller.person_id))
        if audited and state["first_part"] is not None:
            audit.record(
                session,
                actor=caller.actor.actor,
                action=Action.CONSULTATION,
                event="statement.read_by_witness",
                object_type="appointment",
                object_id=appointment_id,
            )
        return state


def caller_push(db: Database, *, appointment_id: int) -> dict[str, Any]:
    """The same state, for a push over the call to the appointment's witness."""
    with db.transaction() as session:
        person_id = session.get_one(Appointment, appointment_id).person_id
        return caller_json(session, appointment_id, may_download_copy(session, person_id))


def may_download_copy(session: Session, person_id: int) -> bool:
    person = session.get_one(PersonRow, person_id)
    contact = person.safe_contact
    return bool(contact and contact.may_download_copy)
