"""A missed appointment: the officer's, started 15 minutes ago, the caller never joined."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from tests.factories import make_appointment, make_staff, make_video_case
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow


@dataclass(frozen=True)
class Missed:
    appointment_id: int
    incident_id: int
    person_id: int
    officer: StaffMember


@pytest.fixture
def missed(db: Database) -> Missed:
    officer = make_staff(db, display_name="PC Kim Shaw")
    handler = make_staff(db, Role.CALL_HANDLER)
    incident_id, person_id = make_video_case(
        db, created_by=handler.id, called_at=utcnow() - timedelta(hours=2)
    )
    appointment_id = make_appointment(
        db,
        incident_id=incident_id,
        person_id=person_id,
        officer_id=officer.id,
        starts_at=utcnow() - timedelta(minutes=15),
        created_by=handler.id,
    )
    return Missed(appointment_id, incident_id, person_id, officer)
