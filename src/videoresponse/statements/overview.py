"""A statement's state in one line, for the appointment's page: none, draft or signed.

Only the number of the latest version and whether it is signed: no words, so reading it
is not an opening of the statement (which the statement's own page audits).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from videoresponse.booking.models import Appointment
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database
from videoresponse.statements import service
from videoresponse.statements.models import Statement


def summary(db: Database, *, appointment_id: int, by: StaffMember) -> dict[str, Any]:
    with db.transaction() as session:
        appointment = session.get(Appointment, appointment_id)
        if appointment is None:
            raise service.NotFound("There is no such appointment")
        if not service.may_open(session, by, appointment.incident_id):
            raise service.NotAllowed(
                "Only the officers on this case, supervisors and administrators can see it"
            )
        statement = session.scalar(
            select(Statement).where(Statement.appointment_id == appointment_id)
        )
        if statement is None:
            return {"state": "none", "text": "none yet"}
        latest = next(iter(service.versions_of(session, statement.id)), None)
        if latest is None:
            return {"state": "draft", "text": "draft, not yet shown to the witness to confirm"}
        version, signatures, sealed = latest
        kinds = {s.kind for s in signatures}
        if sealed:
            text = f"version {version.number} signed, countersigned and sealed"
        elif "witness" in kinds:
            text = f"version {version.number} signed by the witness, not yet countersigned"
        else:
            text = f"version {version.number} waiting for the witness to sign"
        return {"state": "signed" if "witness" in kinds else "presented", "text": text}
