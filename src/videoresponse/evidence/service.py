"""Evidence use cases: uploads arriving, decisions, still frames, justified access.

Each public function is one transaction; every continuity event is written with its
audit entry in that same transaction. File work (staging, sealing, scanning) happens
outside transactions, before the row that records its result.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.models import StaffUser
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.evidence import content, inspection, rules
from videoresponse.evidence.keys import Keyring
from videoresponse.evidence.models import ContinuityEntry, EvidenceItem
from videoresponse.evidence.rules import ContinuityEvent, ItemState, Source
from videoresponse.evidence.scan import Scanner, make_scanner
from videoresponse.evidence.staging import Staging
from videoresponse.evidence.store import ObjectStore, make_store, write_object
from videoresponse.triage.models import Incident

HEAD_BYTES = 8192
_ACTIONS = {
    ContinuityEvent.VIEWED: Action.CONSULTATION,
    ContinuityEvent.DOWNLOADED: Action.CONSULTATION,
    ContinuityEvent.DERIVATIVE_MADE: Action.COMBINATION,
    ContinuityEvent.EXPORTED: Action.DISCLOSURE,
    ContinuityEvent.ACCEPTED: Action.ALTERATION,
    ContinuityEvent.DECLINED: Action.ALTERATION,
}


class NotFound(Exception):
    """No such item or upload, or not one this person may see (the same answer for both)."""


class Forbidden(Exception):
    """A staff member who may not touch this appointment's evidence."""


@dataclass
class Vault:
    """Where files go: staging while they arrive, then sealed in the object store."""

    staging: Staging
    store: ObjectStore
    keyring: Keyring
    scanner: Scanner

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        keyring = Keyring.from_settings(settings)
        return cls(
            Staging(settings.data_dir / "evidence" / "staging", keyring),
            make_store(settings),
            keyring,
            make_scanner(settings),
        )


def summary(item: EvidenceItem) -> dict[str, Any]:
    """What the officer's panel and the lists show: no file content, no personal data."""
    return {
        "id": item.id,
        "name": item.original_name or item.label,
        "label": item.label,
        "source": item.source,
        "kind": item.kind,
        "media_type": item.media_type,
        "size": item.size if item.size is not None else item.length,
        "size_text": rules.describe_size(item.size if item.size is not None else item.length),
        "sha256": item.sha256,
        "sha256_short": rules.short_hash(item.sha256),
        "hash_match": item.hash_match,
        "scan_state": item.scan_state,
        "scan_text": rules.SCAN_LABELS[rules.ScanState(item.scan_state)],
        "state": item.state,
        "state_text": rules.STATE_LABELS[ItemState(item.state)],
        "decision_reason": item.decision_reason,
        "refusal": item.refusal,
        "derivative_of": item.derivative_of,
        "created_at": item.created_at.isoformat(),
    }


# Who may do what ------------------------------------------------------------------------


def may_see_appointment(member: StaffMember, appointment: Appointment) -> bool:
    """The appointment's own officer, supervisors and administrators (ASVS 8.2.2)."""
    return member.role in {Role.SUPERVISOR, Role.ADMINISTRATOR} or (
        appointment.officer_id == member.id
    )


def staff_appointment(db: Database, appointment_id: int, member: StaffMember) -> Appointment:
    with db.sessions() as session:
        appointment = session.get(Appointment, appointment_id)
        if appointment is None:
            raise NotFound()
        if not may_see_appointment(member, appointment):
            raise Forbidden()
        return appointment


def item_for_staff(session: Session, item_id: int, member: StaffMember) -> EvidenceItem:
    item = session.get(EvidenceItem, item_id)
    if item is None or item.state in {ItemState.RECEIVING, ItemState.CHECKING, ItemState.WITHDRAWN}:
        raise NotFound()
    if not may_see_appointment(member, session.get_one(Appointment, item.appointment_id)):
        raise Forbidden()
    return item


# Continuity --------------------------------------------------------------------------------


def record_event(
    session: Session,
    item: EvidenceItem,
    event: ContinuityEvent,
    actor: str,
    why: str = "",
    **detail: Any,
) -> None:
    seq = session.scalar(
        select(func.coalesce(func.max(ContinuityEntry.seq), 0)).where(
            ContinuityEntry.item_id == item.id
        )
    )
    session.add(
        ContinuityEntry(
            item_id=item.id,
            seq=(seq or 0) + 1,
            event=event.value,
            actor=actor,
            at=utcnow(),
            why=why,
            detail=json.dumps(detail, sort_keys=True, separators=(",", ":")),
        )
    )
    audit.record(
        session,
        actor=actor,
        action=_ACTIONS.get(event, Action.COLLECTION),
        event=f"evidence.{event.value}",
        object_type="evidence_item",
        object_id=item.id,
        why=why,
        detail={"appointment": item.appointment_id, **detail},
    )
    session.flush()


# Still frames and decisions ------------------------------------------------------------------


def capture_still(
    db: Database,
    settings: Settings,
    vault: Vault,
    *,
    appointment_id: int,
    image: bytes,
    by: StaffMember,
) -> dict[str, Any]:
    """A frame of the caller's video, taken by the officer: an item like any upload."""
    staff_appointment(db, appointment_id, by)
    found = content.identify(image[:HEAD_BYTES])
    if found.kind not in {"png", "jpeg"}:
        raise content.Refused("A still frame must be a PNG or JPEG picture.")
    inspection.inspect(iter([image]), found, max_pixels=settings.evidence_max_pixels)
    key = secrets.token_hex(20)
    finished = write_object(vault.store, key, iter([image]), vault.keyring)
    with db.transaction() as session:
        appointment = session.get_one(Appointment, appointment_id)
        item = EvidenceItem(
            storage_key=key,
            appointment_id=appointment_id,
            incident_id=appointment.incident_id,
            uploaded_by=by.actor,
            staff_id=by.id,
            source=Source.STILL_FRAME.value,
            label=_still_label(utcnow(), ZoneInfo(settings.timezone)),
            original_name=f"still-frame.{found.extension}",
            declared_type=found.media_type,
            kind=found.kind,
            media_type=found.media_type,
            extension=found.extension,
            length=finished.size,
            size=finished.size,
            sha256=finished.sha256,
            key_id=vault.keyring.key_id,
            scan_state=rules.ScanState.NOT_SCANNED.value,
            state=ItemState.ACCEPTED.value,
            decided_by=by.id,
            decided_at=utcnow(),
            decision_reason="Captured by the officer during the call",
            created_at=utcnow(),
            received_at=utcnow(),
        )
        session.add(item)
        session.flush()
        record_event(
            session, item, ContinuityEvent.CAPTURED, by.actor, "still frame of the caller's video"
        )
        record_event(session, item, ContinuityEvent.HASHED, "system", sha256=item.sha256)
        return summary(item)


def _still_label(moment: datetime, zone: tzinfo) -> str:
    """In the team's own time (with seconds: several frames may come from one minute)."""
    local = moment.astimezone(zone)
    return f"Still frame from the video call, {local:%H:%M:%S} {local:%Z}".strip()


def decide(
    db: Database, *, item_id: int, accept: bool, reason: str, by: StaffMember
) -> dict[str, Any]:
    with db.transaction() as session:
        item = item_for_staff(session, item_id, by)
        to = ItemState.ACCEPTED if accept else ItemState.DECLINED
        state, cleaned = rules.decision(ItemState(item.state), to, reason)
        item.state, item.decision_reason = state.value, cleaned
        item.decided_by, item.decided_at = by.id, utcnow()
        event = ContinuityEvent.ACCEPTED if accept else ContinuityEvent.DECLINED
        record_event(session, item, event, by.actor, cleaned)
        return summary(item)


# Reading ---------------------------------------------------------------------------------------


def appointment_items(db: Database, appointment_id: int, by: StaffMember) -> list[dict[str, Any]]:
    """The call's items for the officer's panel: their names are the sender's own file
    names, so reading them is a consultation, recorded like the item page."""
    staff_appointment(db, appointment_id, by)
    with db.transaction() as session:
        audit.record(
            session,
            actor=by.actor,
            action=Action.CONSULTATION,
            event="evidence.call_list_opened",
            object_type="appointment",
            object_id=appointment_id,
        )
        items = session.scalars(
            select(EvidenceItem)
            .where(
                EvidenceItem.appointment_id == appointment_id,
                EvidenceItem.state.not_in([ItemState.WITHDRAWN.value]),
            )
            .order_by(EvidenceItem.id)
        ).all()
        return [summary(item) for item in items]


def incident_items(db: Database, incident_id: int, by: StaffMember) -> list[dict[str, Any]]:
    """A case's evidence, from the appointments this member may see (a consultation)."""
    with db.transaction() as session:
        appointments = session.scalars(
            select(Appointment).where(Appointment.incident_id == incident_id)
        ).all()
        visible = [a.id for a in appointments if may_see_appointment(by, a)]
        if appointments and not visible:
            raise Forbidden()
        audit.record(
            session,
            actor=by.actor,
            action=Action.CONSULTATION,
            event="evidence.case_list_opened",
            object_type="incident",
            object_id=incident_id,
        )
        items = session.scalars(
            select(EvidenceItem)
            .where(
                EvidenceItem.appointment_id.in_(visible),
                EvidenceItem.state.in_(
                    [ItemState.RECEIVED, ItemState.ACCEPTED, ItemState.DECLINED, ItemState.REFUSED]
                ),
            )
            .order_by(EvidenceItem.id)
        ).all()
        starts = {a.id: a.starts_at for a in appointments}
        lines, seen = [], dict[str, int]()
        for item in items:
            line = summary(item)
            line["appointment_starts_at"] = starts[item.appointment_id]
            # Two items of one name (two stills in one second) must still be told apart.
            title = line["label"] or line["name"]
            seen[title] = seen.get(title, 0) + 1
            line["title"] = title if seen[title] == 1 else f"{title} ({seen[title]})"
            lines.append(line)
        return lines


def incident_urn(db: Database, incident_id: int) -> str:
    with db.sessions() as session:
        incident = session.get(Incident, incident_id)
        return incident.urn if incident else ""


def staff_labels(session: Session) -> dict[str, str]:
    """ "staff:ID:username" -> "PC Jo Morgan (PC 4417)", as statements name people."""
    return {
        f"staff:{user.id}:{user.username}": (
            f"{user.display_name} ({user.rank_and_number})"
            if user.rank_and_number
            else user.display_name
        )
        for user in session.scalars(select(StaffUser))
    }


def case_appointments(db: Database, incident_id: int, by: StaffMember) -> list[dict[str, Any]]:
    """The case's appointments this member may add files to (theirs; all, for a supervisor)."""
    with db.sessions() as session:
        appointments = session.scalars(
            select(Appointment)
            .where(Appointment.incident_id == incident_id)
            .order_by(Appointment.starts_at)
        ).all()
        return [
            {"id": a.id, "starts_at": a.starts_at, "officer_id": a.officer_id}
            for a in appointments
            if may_see_appointment(by, a)
        ]


@dataclass(frozen=True)
class ItemRecord:
    item: dict[str, Any]
    declared_type: str
    client_sha256: str
    uploaded_by: str
    refusal: str
    incident_id: int
    appointment_id: int
    continuity: list[dict[str, Any]]
    staff_names: dict[str, str]


def item_record(
    db: Database, item_id: int, by: StaffMember, *, opened_page: bool = False
) -> ItemRecord:
    """An item and its continuity; `opened_page` records that a person looked (its details
    name the sender's file, so reading them is a consultation)."""
    with db.transaction() as session:
        item = item_for_staff(session, item_id, by)
        if opened_page:
            audit.record(
                session,
                actor=by.actor,
                action=Action.CONSULTATION,
                event="evidence.item_page_opened",
                object_type="evidence_item",
                object_id=item.id,
                detail={"appointment": item.appointment_id},
            )
        entries = session.scalars(
            select(ContinuityEntry)
            .where(ContinuityEntry.item_id == item_id)
            .order_by(ContinuityEntry.seq)
        ).all()
        return ItemRecord(
            summary(item),
            item.declared_type,
            item.client_sha256,
            item.uploaded_by,
            item.refusal,
            item.incident_id,
            item.appointment_id,
            [
                {
                    "seq": e.seq,
                    "event": e.event,
                    "actor": e.actor,
                    "at": e.at,
                    "why": e.why,
                    "detail": json.loads(e.detail),
                }
                for e in entries
            ],
            staff_labels(session),
        )
