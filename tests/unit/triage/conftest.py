"""Who the HTTP tests of call handling act as, and the officer they book with."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.factories import make_shift, make_staff, sign_in
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def signed_in_handler(client: TestClient, db: Database) -> StaffMember:
    member = make_staff(db, Role.CALL_HANDLER)
    sign_in(client, member)
    return member


@pytest.fixture
def officer(db: Database) -> StaffMember:
    """A video officer on shift 10:00 to 16:00 team time tomorrow."""
    member = make_staff(db, Role.VIDEO_OFFICER, gender="female", display_name="PC Jo Morgan")
    day = datetime.now(LONDON).date() + timedelta(days=1)
    make_shift(
        db,
        member.id,
        datetime.combine(day, time(10), tzinfo=LONDON),
        datetime.combine(day, time(16), tzinfo=LONDON),
    )
    return member
