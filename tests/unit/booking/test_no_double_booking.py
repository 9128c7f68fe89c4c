"""A stateful property: no officer or person ever has two overlapping active appointments,
whatever sequence of booking, rescheduling, cancelling and absences happens."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import select

from tests.conftest import make_settings
from tests.factories import make_case, make_shift, make_staff
from videoresponse.booking import service
from videoresponse.booking.models import Appointment
from videoresponse.booking.rules import ACTIVE_STATUSES, AppointmentStatus, BookingRuleError
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database
from videoresponse.rota.rules import TimeRange

DAY = (datetime.now(UTC) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
# Starts on the quarter hour across a working day, so requests collide often.
starts = st.integers(min_value=8 * 4, max_value=20 * 4).map(
    lambda q: DAY + timedelta(minutes=15 * q)
)


class Bookings(RuleBasedStateMachine):
    template: Path

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp())
        shutil.copy(self.template, self.folder / "videoresponse.db")
        self.settings = make_settings(self.folder)
        self.db = Database(self.settings.database_url)
        self.staff = make_staff(self.db, Role.SUPERVISOR)
        self.officers = [
            make_staff(self.db, Role.VIDEO_OFFICER, gender=g) for g in ("female", "male", "female")
        ]
        for officer in self.officers:
            make_shift(self.db, officer.id, DAY + timedelta(hours=8), DAY + timedelta(hours=22))
        self.people = [
            make_case(
                self.db,
                created_by=self.staff.id,
                preferred_officer_gender="female" if n % 3 == 0 else None,
                incident_type="domestic_abuse" if n % 2 else "theft",
            )[1]
            for n in range(6)
        ]
        self.appointments: list[int] = []

    def teardown(self) -> None:
        self.db.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    @rule(person=st.integers(0, 5), start=starts, officer=st.none() | st.integers(0, 2))
    def book(self, person: int, start: datetime, officer: int | None) -> None:
        try:
            booked = service.book(
                self.db,
                self.settings,
                person_id=self.people[person],
                starts_at=start,
                officer_id=None if officer is None else self.officers[officer].id,
                by=self.staff,
            )
            self.appointments.append(booked.id)
        except (service.SlotTaken, BookingRuleError):
            pass

    @precondition(lambda self: self.appointments)
    @rule(which=st.integers(0, 100), start=starts)
    def reschedule(self, which: int, start: datetime) -> None:
        appointment = self.appointments[which % len(self.appointments)]
        with contextlib.suppress(service.SlotTaken, BookingRuleError):
            service.reschedule(
                self.db,
                self.settings,
                appointment_id=appointment,
                starts_at=start,
                reason="moved",
                by=self.staff,
            )

    @precondition(lambda self: self.appointments)
    @rule(which=st.integers(0, 100))
    def cancel(self, which: int) -> None:
        appointment = self.appointments[which % len(self.appointments)]
        with contextlib.suppress(BookingRuleError):
            service.change_status(
                self.db,
                appointment_id=appointment,
                status=AppointmentStatus.CANCELLED,
                reason="x",
                by=self.staff,
            )

    @rule(officer=st.integers(0, 2), start=starts, hours=st.integers(1, 4))
    def absence(self, officer: int, start: datetime, hours: int) -> None:
        service.mark_officer_absent(
            self.db,
            self.settings,
            officer_id=self.officers[officer].id,
            period=TimeRange(start, start + timedelta(hours=hours)),
            reason="sick",
            by=self.staff,
        )

    @invariant()
    def nobody_is_double_booked(self) -> None:
        with self.db.sessions() as session:
            active = session.scalars(
                select(Appointment).where(
                    Appointment.status.in_([s.value for s in ACTIVE_STATUSES])
                )
            ).all()
        for a, b in combinations(active, 2):
            if a.officer_id is not None and a.officer_id == b.officer_id:
                assert not (a.starts_at < b.reserved_until and b.starts_at < a.reserved_until), (
                    f"officer {a.officer_id} double booked: {a.id} and {b.id}"
                )
            if a.person_id == b.person_id:
                assert not (a.starts_at < b.ends_at and b.starts_at < a.ends_at), (
                    f"person {a.person_id} double booked: {a.id} and {b.id}"
                )


@pytest.fixture
def machine(migrated_template: Path) -> type[Bookings]:
    Bookings.template = migrated_template
    return Bookings


def test_no_officer_or_person_is_ever_double_booked(machine: type[Bookings]) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=15,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
