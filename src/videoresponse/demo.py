"""Demo data for a fresh `make run`: made once, left alone after."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from videoresponse.config import Settings
from videoresponse.core.auth import service as accounts
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database

DEMO_ACTOR = "demo"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    password: str
    gender: str | None = None


# Published on purpose: these exist only in a demo database, never in a force's.
DEMO_ACCOUNTS = [
    DemoAccount("handler", "Sam Patel", Role.CALL_HANDLER, "demo-handler-pass"),
    DemoAccount("officer1", "PC Jo Morgan", Role.VIDEO_OFFICER, "demo-officer-pass", "female"),
    DemoAccount("officer2", "PC Alex Reid", Role.VIDEO_OFFICER, "demo-officer-pass", "male"),
    DemoAccount("supervisor", "Sgt Chris Lee", Role.SUPERVISOR, "demo-supervisor-pass"),
    DemoAccount("admin", "Dana Hughes", Role.ADMINISTRATOR, "demo-admin-password"),
]


def create_demo(db: Database, settings: Settings) -> bool:
    """Create the demo accounts and data if they are not there; say whether it did."""
    with db.sessions() as session:
        if session.scalar(select(StaffUser.id).where(StaffUser.username == "handler")):
            return False
    for account in DEMO_ACCOUNTS:
        accounts.add_user(
            db,
            username=account.username,
            display_name=account.display_name,
            role=account.role,
            password=account.password,
            gender=account.gender,
            by=DEMO_ACTOR,
        )
    return True
