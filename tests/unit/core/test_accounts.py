from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, make_staff
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth import service
from videoresponse.core.auth.models import StaffSession
from videoresponse.core.auth.rules import AccountError, Lockout, Role, SessionLimits
from videoresponse.core.db import Database

LOCKOUT = Lockout(attempts=3, duration=timedelta(minutes=15))
LIMITS = SessionLimits(idle=timedelta(minutes=30), absolute=timedelta(hours=12))


def _sign_in(db: Database, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return service.sign_in(db, username=username, password=password, lockout=LOCKOUT, source="t")


def _age_sessions(
    db: Database, started: timedelta = timedelta(0), last_seen: timedelta = timedelta(0)
) -> None:
    with db.transaction() as session:
        for staff_session in session.scalars(select(StaffSession)):
            staff_session.started_at -= started
            staff_session.last_seen_at -= last_seen


def _events(db: Database) -> list[str]:
    with db.sessions() as session:
        return list(session.scalars(select(AuditEntry.event).order_by(AuditEntry.seq)))


def test_a_new_account_can_sign_in_and_the_password_is_not_stored(db: Database) -> None:
    member = make_staff(db, Role.SUPERVISOR)
    result = _sign_in(db, member.username.upper())
    assert result is not None
    signed_in, token = result
    assert signed_in == member
    assert service.current_member(db, token=token, limits=LIMITS) == member
    with db.sessions() as session:
        stored = session.scalars(select(StaffSession.token_hash)).one()
    assert token not in stored


def test_a_duplicate_username_is_refused(db: Database) -> None:
    make_staff(db, username="pc1234")
    with pytest.raises(AccountError, match="already an account"):
        make_staff(db, username="PC1234")


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("ab", PASSWORD, "Username"),
        ("good.name", "short", "12 characters"),
        ("bad name!", PASSWORD, "Username"),
    ],
)
def test_bad_account_details_are_refused(
    db: Database, username: str, password: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        service.add_user(
            db,
            username=username,
            display_name="X",
            role=Role.CALL_HANDLER,
            password=password,
            by="test",
        )


def test_a_wrong_password_fails_and_is_audited(db: Database) -> None:
    member = make_staff(db)
    assert _sign_in(db, member.username, "wrong password!") is None
    assert _sign_in(db, "nobody-here") is None
    assert _events(db)[-2:] == ["sign_in.failed", "sign_in.failed"]


def test_the_account_locks_after_repeated_failures_even_for_the_right_password(
    db: Database,
) -> None:
    member = make_staff(db)
    for _ in range(LOCKOUT.attempts):
        assert _sign_in(db, member.username, "wrong password!") is None
    assert _sign_in(db, member.username) is None
    assert "sign_in.locked" in _events(db)


def test_an_administrator_unlocks_by_enabling(db: Database) -> None:
    member = make_staff(db)
    for _ in range(LOCKOUT.attempts):
        _sign_in(db, member.username, "wrong password!")
    service.set_active(db, username=member.username, active=True, by="test")
    assert _sign_in(db, member.username) is not None


def test_disabling_an_account_ends_its_sessions(db: Database) -> None:
    member = make_staff(db)
    result = _sign_in(db, member.username)
    assert result is not None
    service.set_active(db, username=member.username, active=False, by="test")
    assert service.current_member(db, token=result[1], limits=LIMITS) is None
    assert _sign_in(db, member.username) is None


def test_a_session_ends_after_the_idle_time(db: Database) -> None:
    member = make_staff(db)
    result = _sign_in(db, member.username)
    assert result is not None
    _age_sessions(db, last_seen=timedelta(minutes=31))
    assert service.current_member(db, token=result[1], limits=LIMITS) is None


def test_a_session_ends_after_the_absolute_time_however_busy(db: Database) -> None:
    member = make_staff(db)
    result = _sign_in(db, member.username)
    assert result is not None
    _age_sessions(db, started=timedelta(hours=13))
    assert service.current_member(db, token=result[1], limits=LIMITS) is None


def test_signing_out_ends_only_that_session(db: Database) -> None:
    member = make_staff(db)
    first, second = _sign_in(db, member.username), _sign_in(db, member.username)
    assert first is not None and second is not None
    service.sign_out(db, token=first[1])
    assert service.current_member(db, token=first[1], limits=LIMITS) is None
    assert service.current_member(db, token=second[1], limits=LIMITS) == member
