"""Staff accounts and sign-in: each public function is one transaction."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.models import StaffSession, StaffUser
from videoresponse.core.auth.rules import (
    AccountError,
    Lockout,
    Role,
    SessionLimits,
    check_new_password,
    check_username,
)
from videoresponse.core.db import Database, utcnow

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong
# password and the timing does not tell which accounts exist (ASVS 6.3.8).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
# last_seen_at is written at most this often: a write per request would serialise reads.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class StaffMember:
    """Who is signed in, as the rest of the app sees them."""

    id: int
    username: str
    display_name: str
    role: Role
    gender: str | None

    @property
    def actor(self) -> str:
        return f"staff:{self.id}:{self.username}"

    @property
    def staff_id(self) -> int | None:
        return self.id


def _member(user: StaffUser) -> StaffMember:
    return StaffMember(user.id, user.username, user.display_name, Role(user.role), user.gender)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(
    db: Database,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    gender: str | None = None,
    rank_and_number: str | None = None,
    by: str,
) -> StaffMember:
    """Create an account; the username must be new."""
    name = check_username(username)
    check_new_password(password)
    number = check_rank_and_number(rank_and_number) if rank_and_number is not None else None
    if not display_name.strip():
        raise AccountError("Enter the person's name")
    if gender not in (None, "female", "male"):
        raise AccountError("Gender must be female, male or not given")
    with db.transaction() as session:
        if session.scalar(select(StaffUser.id).where(StaffUser.username == name)) is not None:
            raise AccountError(f"There is already an account called {name}")
        user = StaffUser(
            username=name,
            display_name=display_name.strip(),
            role=role.value,
            gender=gender,
            rank_and_number=number,
            password_hash=_hasher.hash(password),
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor=by,
            action=Action.COLLECTION,
            event="account.created",
            object_type="staff_user",
            object_id=user.id,
            detail={"role": role.value},
        )
        return _member(user)


def list_users(db: Database) -> list[tuple[StaffMember, bool]]:
    """Every account with whether it is active, by username."""
    with db.transaction() as session:
        users = session.scalars(select(StaffUser).order_by(StaffUser.username)).all()
        return [(_member(u), u.active) for u in users]


def check_rank_and_number(text: str) -> str:
    """Rank and number as a sealed statement prints them: one short printable line."""
    number = " ".join(text.split())
    if not number:
        raise AccountError("Enter the rank and number, for example PC 1234")
    if len(number) > 40 or not number.isprintable():
        raise AccountError("The rank and number must be one line of at most 40 characters")
    return number


def set_rank_and_number(session: Session, user: StaffUser, rank_and_number: str, *, by: str) -> str:
    """Set an account's rank and number inside the caller's transaction, audited."""
    user.rank_and_number = check_rank_and_number(rank_and_number)
    audit.record(
        session,
        actor=by,
        action=Action.ALTERATION,
        event="account.number_set",
        object_type="staff_user",
        object_id=user.id,
    )
    return user.rank_and_number


def set_number(db: Database, *, username: str, rank_and_number: str, by: str) -> str:
    """An administrator sets (or corrects) an account's rank and number."""
    with db.transaction() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username.lower()))
        if user is None:
            raise AccountError(f"There is no account called {username}")
        return set_rank_and_number(session, user, rank_and_number, by=by)


def set_active(db: Database, *, username: str, active: bool, by: str) -> None:
    """Disable (ending its sessions) or re-enable an account."""
    with db.transaction() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username.lower()))
        if user is None:
            raise AccountError(f"There is no account called {username}")
        user.active = active
        if not active:
            _end_all_sessions(session, user.id)
        else:
            user.failed_sign_ins = 0
            user.locked_until = None
        audit.record(
            session,
            actor=by,
            action=Action.ALTERATION,
            event="account.enabled" if active else "account.disabled",
            object_type="staff_user",
            object_id=user.id,
        )


def sign_in(
    db: Database, *, username: str, password: str, lockout: Lockout, source: str
) -> tuple[StaffMember, str] | None:
    """Check the password; on success start a new session and return its token."""
    now = utcnow()
    with db.transaction() as session:
        user = session.scalar(
            select(StaffUser).where(StaffUser.username == username.strip().lower())
        )
        if user is None or not user.active:
            _verify(_DUMMY_HASH, password)
            audit.record(
                session,
                actor=f"anonymous:{source}",
                action=Action.SECURITY,
                event="sign_in.failed",
                detail={"reason": "unknown or disabled account"},
            )
            return None
        if not _password_accepted(
            session, user, password, lockout, now, actor=f"anonymous:{source}", event="sign_in"
        ):
            return None
        token = secrets.token_urlsafe(32)
        session.add(
            StaffSession(
                token_hash=_token_hash(token), user_id=user.id, started_at=now, last_seen_at=now
            )
        )
        member = _member(user)
        audit.record(
            session,
            actor=member.actor,
            action=Action.SECURITY,
            event="sign_in",
            object_type="staff_user",
            object_id=user.id,
            detail={"source": source},
        )
        return member, token


def _password_accepted(
    session: Session,
    user: StaffUser,
    password: str,
    lockout: Lockout,
    now: datetime,
    *,
    actor: str,
    event: str,
) -> bool:
    """Check a password, counting failures towards the lock-out whatever asked for it.

    Sign-in and step-up share one count: otherwise a stolen session would give an
    attacker a second, separate allowance of guesses at the password.
    """
    locked = lockout.is_locked(user.locked_until, now)
    # The hash is checked even when locked, so timing does not tell locked accounts apart.
    right = _verify(user.password_hash, password)
    if locked or not right:
        if not locked:
            user.failed_sign_ins += 1
            user.locked_until = lockout.after_failure(user.failed_sign_ins, now)
        audit.record(
            session,
            actor=actor,
            action=Action.SECURITY,
            event=f"{event}.locked" if user.locked_until else f"{event}.failed",
            object_type="staff_user",
            object_id=user.id,
            detail={"failures": user.failed_sign_ins},
        )
        return False
    user.failed_sign_ins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def current_member(db: Database, *, token: str, limits: SessionLimits) -> StaffMember | None:
    """The member a session token belongs to, if the session is still live."""
    now = utcnow()
    with db.sessions() as session:
        row = session.execute(
            select(StaffSession, StaffUser)
            .join(StaffUser, StaffUser.id == StaffSession.user_id)
            .where(StaffSession.token_hash == _token_hash(token))
        ).first()
        if row is None:
            return None
        staff_session, user = row
        if staff_session.ended_at is not None or not user.active:
            return None
        if limits.is_expired(staff_session.started_at, staff_session.last_seen_at, now):
            return None
        stale = now - staff_session.last_seen_at > _TOUCH_EVERY
        member = _member(user)
    if stale:
        with db.transaction() as session:
            session.execute(
                update(StaffSession)
                .where(StaffSession.token_hash == _token_hash(token))
                .values(last_seen_at=now)
            )
    return member


def last_proved(db: Database, *, token: str) -> datetime | None:
    """When this session's owner last gave their password: a step-up, else the sign-in."""
    with db.sessions() as session:
        row = session.execute(
            select(StaffSession.confirmed_at, StaffSession.started_at).where(
                StaffSession.token_hash == _token_hash(token), StaffSession.ended_at.is_(None)
            )
        ).first()
    if row is None:
        return None
    confirmed_at, started_at = row
    return confirmed_at or started_at


def confirm(db: Database, *, token: str, password: str, lockout: Lockout, source: str) -> bool:
    """Step-up (ASVS 7.5.3): the session's owner gives their password again."""
    now = utcnow()
    with db.transaction() as session:
        row = session.execute(
            select(StaffSession, StaffUser)
            .join(StaffUser, StaffUser.id == StaffSession.user_id)
            .where(StaffSession.token_hash == _token_hash(token), StaffSession.ended_at.is_(None))
        ).first()
        if row is None:
            return False
        staff_session, user = row
        actor = _member(user).actor
        if not _password_accepted(
            session, user, password, lockout, now, actor=actor, event="step_up"
        ):
            return False
        staff_session.confirmed_at = now
        audit.record(
            session,
            actor=actor,
            action=Action.SECURITY,
            event="step_up",
            object_type="staff_user",
            object_id=user.id,
            detail={"source": source},
        )
        return True


def sign_out(db: Database, *, token: str) -> None:
    """End the session the token names (and nothing else)."""
    with db.transaction() as session:
        staff_session = session.scalar(
            select(StaffSession).where(StaffSession.token_hash == _token_hash(token))
        )
        if staff_session is None or staff_session.ended_at is not None:
            return
        staff_session.ended_at = utcnow()
        audit.record(
            session,
            actor=f"staff:{staff_session.user_id}",
            action=Action.SECURITY,
            event="sign_out",
            object_type="staff_user",
            object_id=staff_session.user_id,
        )


def _end_all_sessions(session: Session, user_id: int) -> None:
    session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
