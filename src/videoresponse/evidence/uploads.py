"""Uploads while they arrive: creation, the content checks, completion, stopping.

The item row is made at creation (state "receiving") so an upload in progress survives a
restart and holds its space in the quota. Each public function is one transaction; file
work happens outside it, before the row that records its result.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from videoresponse.booking.models import Appointment
from videoresponse.booking.rules import ACTIVE_STATUSES
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action, Actor
from videoresponse.core.db import Database, utcnow
from videoresponse.evidence import content, inspection, rules
from videoresponse.evidence.models import EvidenceItem
from videoresponse.evidence.rules import ContinuityEvent, ItemState, Source
from videoresponse.evidence.service import HEAD_BYTES, NotFound, Vault, record_event, summary
from videoresponse.evidence.staging import UploadBusy, UploadNotFound

ARRIVING = [ItemState.RECEIVING.value, ItemState.CHECKING.value]


@dataclass(frozen=True)
class Upload:
    """An upload in progress, as its uploader's requests need it."""

    item_id: int
    upload_id: str
    appointment_id: int
    length: int
    state: ItemState
    identified: bool
    refusal: str


def _upload(item: EvidenceItem) -> Upload:
    return Upload(
        item.id,
        item.upload_id or "",
        item.appointment_id,
        item.length,
        ItemState(item.state),
        bool(item.kind),
        item.refusal,
    )


def _owned_upload(session: Session, upload_id: str, by: Actor) -> EvidenceItem:
    item = session.scalar(select(EvidenceItem).where(EvidenceItem.upload_id == upload_id))
    # Another person's upload id gets the same answer as an unknown one.
    if item is None or item.uploaded_by != by.actor:
        raise NotFound()
    return item


def _space(session: Session, settings: Settings, appointment_id: int) -> rules.Space:
    rows = session.execute(
        select(EvidenceItem.state, func.coalesce(EvidenceItem.size, EvidenceItem.length)).where(
            EvidenceItem.appointment_id == appointment_id,
            EvidenceItem.source == Source.UPLOAD.value,
        )
    ).all()
    return rules.Space(
        settings.evidence_max_file_bytes,
        settings.evidence_quota_bytes,
        rules.used_space((ItemState(state), int(size)) for state, size in rows),
    )


def start_upload(
    db: Database,
    settings: Settings,
    vault: Vault,
    *,
    appointment_id: int,
    by: Actor,
    length: int,
    filename: str,
    declared_type: str,
    client_sha256: str,
    during_call: bool = True,
) -> Upload:
    """tus creation: the item exists from now on, "receiving", holding its declared size.
    `during_call`: only while the appointment is active (the caller); staff may add
    files to a case's appointment afterwards too (from the case evidence page)."""
    with db.transaction() as session:
        appointment = session.get(Appointment, appointment_id)
        if appointment is None or (
            during_call and appointment.status not in {s.value for s in ACTIVE_STATUSES}
        ):
            raise NotFound()
        if session.get_bind().dialect.name == "postgresql":
            # One appointment's uploads are counted one at a time: two at once would each
            # see the space the other is about to take.
            session.execute(
                select(Appointment.id).where(Appointment.id == appointment_id).with_for_update()
            )
        _space(session, settings, appointment_id).check(length)
        rules.check_arriving(
            session.scalar(
                select(func.count()).where(
                    EvidenceItem.uploaded_by == by.actor,
                    EvidenceItem.state.in_(ARRIVING),
                )
            )
            or 0
        )
        item = EvidenceItem(
            upload_id=secrets.token_urlsafe(24),
            storage_key=secrets.token_hex(20),
            appointment_id=appointment_id,
            incident_id=appointment.incident_id,
            uploaded_by=by.actor,
            staff_id=by.staff_id,
            source=Source.UPLOAD.value,
            original_name=content.safe_display_name(filename)[:255],
            declared_type=rules.clean_text(declared_type)[:255],
            length=length,
            client_sha256=client_sha256,
            state=ItemState.RECEIVING.value,
            created_at=utcnow(),
        )
        session.add(item)
        session.flush()
        audit.record(
            session,
            actor=by.actor,
            action=Action.COLLECTION,
            event="evidence.upload_started",
            object_type="evidence_item",
            object_id=item.id,
            detail={"appointment": appointment_id, "length": length},
        )
        vault.staging.create(item.upload_id or "", length, item.storage_key)
        return _upload(item)


def find_upload(db: Database, upload_id: str, by: Actor) -> Upload:
    with db.sessions() as session:
        return _upload(_owned_upload(session, upload_id, by))


def unfinished_uploads(
    db: Database, vault: Vault, appointment_id: int, by: Actor
) -> list[dict[str, Any]]:
    """This person's uploads still arriving: a reloaded page resumes them by URL."""
    with db.sessions() as session:
        items = session.scalars(
            select(EvidenceItem).where(
                EvidenceItem.appointment_id == appointment_id,
                EvidenceItem.uploaded_by == by.actor,
                EvidenceItem.state == ItemState.RECEIVING.value,
            )
        ).all()
    return [
        {
            "upload_id": item.upload_id,
            "name": item.original_name,
            "length": item.length,
            "offset": vault.staging.offset(item.upload_id or ""),
        }
        for item in items
    ]


def mark_identified(db: Database, upload_id: str, by: Actor, found: content.Identified) -> None:
    with db.transaction() as session:
        item = _owned_upload(session, upload_id, by)
        item.kind, item.media_type = found.kind, found.media_type
        item.extension = found.extension


def refuse(
    db: Database, vault: Vault, upload_id: str, by: Actor, reason: str, *, held: bool = False
) -> None:
    """The content is not something we keep: nothing of it stays, the reason does."""
    vault.staging.discard(upload_id, held=held)
    with db.transaction() as session:
        item = _owned_upload(session, upload_id, by)
        item.state = rules.move(ItemState(item.state), ItemState.REFUSED).value
        item.refusal = reason
        audit.record(
            session,
            actor=by.actor,
            action=Action.COLLECTION,
            event="evidence.upload_refused",
            object_type="evidence_item",
            object_id=item.id,
            detail={"appointment": item.appointment_id, "reason": reason[:200]},
        )


def withdraw(db: Database, vault: Vault, upload_id: str, by: Actor) -> None:
    """tus termination by the uploader: only an upload that has not finished arriving."""
    with db.transaction() as session:
        item = _owned_upload(session, upload_id, by)
        item.state = rules.move(ItemState(item.state), ItemState.WITHDRAWN).value
        audit.record(
            session,
            actor=by.actor,
            action=Action.ERASURE,
            event="evidence.upload_withdrawn",
            object_type="evidence_item",
            object_id=item.id,
            detail={"appointment": item.appointment_id},
        )
    vault.staging.discard(upload_id)


def complete(
    db: Database, settings: Settings, vault: Vault, upload_id: str, by: Actor
) -> dict[str, Any] | None:
    """All bytes are in: check the whole content, scan, seal, then record it received.

    Only one request completes an upload: it holds the staging lock from the first check
    to the last file move and claims the row (receiving -> checking) in one UPDATE. Any
    other request gets None at once and just reports the offset. A completion stopped
    by a crash leaves "checking" with the lock free: the next claim under the lock takes
    it over. Raises content.Refused (the caller's reason) after refusing the upload.
    """
    try:
        lock = vault.staging.hold(upload_id)
    except (UploadBusy, UploadNotFound):
        return None
    with lock:
        upload = find_upload(db, upload_id, by)
        if vault.staging.offset(upload_id) != upload.length or not _claim(db, upload_id, by):
            return None
        try:
            return _check_and_keep(db, settings, vault, upload, by)
        except content.Refused:
            raise
        except BaseException:
            # The checks failed, not the file (a scanner or store down): free it for a retry.
            _unclaim(db, upload_id, by)
            raise


def _claim(db: Database, upload_id: str, by: Actor) -> bool:
    """receiving -> checking, atomically on SQLite and PostgreSQL (rowcount says who won).
    "checking" is taken over too: only a holder of the staging lock gets here."""
    with db.transaction() as session:
        result = session.execute(
            update(EvidenceItem)
            .where(
                EvidenceItem.upload_id == upload_id,
                EvidenceItem.uploaded_by == by.actor,
                EvidenceItem.state.in_([ItemState.RECEIVING.value, ItemState.CHECKING.value]),
            )
            .values(state=ItemState.CHECKING.value)
            .execution_options(synchronize_session=False)
        )
        return cast(CursorResult[Any], result).rowcount == 1


def _unclaim(db: Database, upload_id: str, by: Actor) -> None:
    with db.transaction() as session:
        item = _owned_upload(session, upload_id, by)
        if item.state == ItemState.CHECKING.value:
            item.state = ItemState.RECEIVING.value


def _check_and_keep(
    db: Database, settings: Settings, vault: Vault, upload: Upload, by: Actor
) -> dict[str, Any]:
    upload_id = upload.upload_id
    found = content.identify(vault.staging.head(upload_id, HEAD_BYTES))
    try:
        inspection.inspect(
            vault.staging.plaintext(upload_id), found, max_pixels=settings.evidence_max_pixels
        )
    except content.Refused as refused:
        refuse(db, vault, upload_id, by, str(refused), held=True)
        raise
    scanned = vault.scanner.scan(vault.staging.plaintext(upload_id))
    if scanned.state == "infected":
        reason = "This file contains a virus, so it cannot be kept. Send another copy."
        refuse(db, vault, upload_id, by, reason, held=True)
        raise content.Refused(reason)
    with db.sessions() as session:
        storage_key = session.get_one(EvidenceItem, upload.item_id).storage_key
    finished = vault.staging.finish(upload_id, held=True)
    # FileExistsError: put by a completion that stopped before recording it (same bytes).
    with contextlib.suppress(FileExistsError):
        vault.store.put(storage_key, finished.sealed_path)
    with db.transaction() as session:
        item = _owned_upload(session, upload_id, by)
        item.state = rules.move(ItemState(item.state), ItemState.RECEIVED).value
        item.kind, item.media_type, item.extension = found.kind, found.media_type, found.extension
        item.size, item.sha256, item.key_id = finished.size, finished.sha256, vault.keyring.key_id
        item.hash_match = rules.hash_match(finished.sha256, item.client_sha256)
        item.scan_state, item.scan_signature = scanned.state, scanned.signature[:200]
        item.received_at = utcnow()
        _record_arrival(session, item, by.actor, scanned.signature)
        result = summary(item)
    vault.staging.discard(upload_id, held=True)
    return result


def _record_arrival(session: Session, item: EvidenceItem, actor: str, signature: str) -> None:
    record_event(
        session,
        item,
        ContinuityEvent.ARRIVED,
        actor,
        source=item.source,
        size=item.size,
        media_type=item.media_type,
        declared_type=item.declared_type,
    )
    record_event(
        session,
        item,
        ContinuityEvent.HASHED,
        "system",
        sha256=item.sha256,
        client_sha256=item.client_sha256,
        hash_match=item.hash_match,
    )
    record_event(
        session, item, ContinuityEvent.SCANNED, "system", state=item.scan_state, signature=signature
    )


def item_summary(db: Database, upload_id: str, by: Actor) -> dict[str, Any]:
    """The upload's item as the officer's panel shows it (arriving, refused, stopped)."""
    with db.sessions() as session:
        return summary(_owned_upload(session, upload_id, by))


def sweep_abandoned(db: Database, vault: Vault, *, hours: int, by: str) -> list[int]:
    """Uploads still arriving (or left mid-check) whose appointment ended more than `hours`
    ago: no one will resume them. Their staged bytes go; the item is withdrawn, audited.
    Returns the items' ids."""
    cutoff = utcnow() - timedelta(hours=hours)
    with db.sessions() as session:
        found = session.execute(
            select(EvidenceItem.id, EvidenceItem.upload_id)
            .join(Appointment, Appointment.id == EvidenceItem.appointment_id)
            .where(EvidenceItem.state.in_(ARRIVING), Appointment.ends_at < cutoff)
            .order_by(EvidenceItem.id)
        ).all()
    swept = []
    for item_id, upload_id in found:
        try:
            lock = vault.staging.hold(upload_id or "")
        except UploadBusy:
            continue  # a request is completing it right now
        except UploadNotFound:
            lock = None
        try:
            with db.transaction() as session:
                item = session.get_one(EvidenceItem, item_id)
                if item.state not in ARRIVING:
                    continue
                item.state = ItemState.WITHDRAWN.value
                item.refusal = "Not finished before the appointment ended."
                audit.record(
                    session,
                    actor=by,
                    action=Action.ERASURE,
                    event="evidence.upload_abandoned",
                    object_type="evidence_item",
                    object_id=item.id,
                    detail={"appointment": item.appointment_id, "hours_after_end": hours},
                )
            if lock is not None:
                vault.staging.discard(upload_id or "", held=True)
            swept.append(item_id)
        finally:
            if lock is not None:
                lock.close()
    return swept
