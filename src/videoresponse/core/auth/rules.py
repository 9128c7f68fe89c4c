"""Staff roles and the rules of signing in: pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Role(StrEnum):
    CALL_HANDLER = "call_handler"
    VIDEO_OFFICER = "video_officer"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def home(self) -> str:
        return HOME_PAGES[self]


HOME_PAGES: dict[Role, str] = {
    Role.CALL_HANDLER: "/handler",
    Role.VIDEO_OFFICER: "/officer",
    Role.SUPERVISOR: "/supervisor",
    Role.ADMINISTRATOR: "/admin",
}

MIN_PASSWORD_LENGTH = 12
SIGN_IN_FAILED = (
    "The username or password is not right, or the account is locked after too many "
    "tries. Try again, or ask an administrator."
)
CONFIRM_FAILED = (
    "The password is not right, or your account is locked after too many tries. "
    "Try again, or ask an administrator."
)


class AccountError(ValueError):
    """A change to an account that cannot be made; the message is for a person."""


def check_new_password(password: str) -> None:
    # ASVS 6.2.1: length, not composition rules.
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 128:
        raise AccountError("Password must be 128 characters or fewer")


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not (3 <= len(name) <= 60) or not all(c.isalnum() or c in "._-" for c in name):
        raise AccountError("Username must be 3 to 60 letters, digits, dots, dashes or underscores")
    return name


@dataclass(frozen=True)
class Lockout:
    attempts: int
    duration: timedelta

    def is_locked(self, locked_until: datetime | None, now: datetime) -> bool:
        return locked_until is not None and now < locked_until

    def after_failure(self, failures: int, now: datetime) -> datetime | None:
        """The time the account stays locked until after this many consecutive failures."""
        return now + self.duration if failures >= self.attempts else None


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta

    def is_expired(self, started: datetime, last_seen: datetime, now: datetime) -> bool:
        return now - last_seen > self.idle or now - started > self.absolute
