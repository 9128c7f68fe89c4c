"""The staff menu: what each role can reach."""

from __future__ import annotations

from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember

MENU: dict[Role, list[tuple[str, str]]] = {
    Role.CALL_HANDLER: [("/handler", "Call handling"), ("/texts/outbox", "Texts sent")],
    Role.VIDEO_OFFICER: [
        ("/officer", "My day"),
        ("/officer/console", "Video calls"),
        ("/officer/victims", "Victims' Code"),
    ],
    Role.SUPERVISOR: [
        ("/supervisor", "Team overview"),
        ("/supervisor/rota", "Rota"),
        ("/officer/console", "Video calls"),
        ("/supervisor/texts", "Texts to follow up"),
        ("/supervisor/victims", "Victims' Code"),
        ("/supervisor/risk", "Risk and MARAC"),
        ("/supervisor/dashboard", "Dashboard"),
        ("/handler", "Call handling"),
        ("/texts/outbox", "Texts sent"),
    ],
    Role.ADMINISTRATOR: [("/admin", "Accounts")],
}


def nav_links(member: StaffMember) -> list[tuple[str, str]]:
    return MENU[member.role]
