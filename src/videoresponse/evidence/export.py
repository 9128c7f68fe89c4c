"""The case bundle for disclosure (a zip), and the check that anyone can repeat on it.

    manifest.json                 the case, who made the bundle, when, why, for whom, and the
                                  SHA-256 and size of every other file in the bundle
    statements/<urn>-...pdf       each sealed statement PDF, as sealed
    evidence/item-<id>.<ext>      each accepted original, decrypted as it streams into the zip
    continuity/item-<id>.json     each item's record: arrival hash, scan, every event

ACPO principle 3: a third party re-checks the bundle with `videoresponse evidence verify`
(or sha256sum) and gets the same result. The hashes in the manifest are the ones recorded
when each file arrived, so the manifest is complete before a byte is written; each original
is hashed again as it is written and the export stops if it differs. The manifest's own
SHA-256 goes into the audit log with the disclosure, so a changed manifest is caught too.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.evidence import rules
from videoresponse.evidence.keys import Keyring
from videoresponse.evidence.models import ContinuityEntry, EvidenceItem
from videoresponse.evidence.reading import arrival_sha256
from videoresponse.evidence.rules import ContinuityEvent, ItemState
from videoresponse.evidence.service import Forbidden, NotFound, record_event
from videoresponse.evidence.store import make_store, read_plaintext
from videoresponse.statements.service import sealed_statements
from videoresponse.triage.models import Incident

FORMAT = "videoresponse-evidence-bundle/1"
MANIFEST = "manifest.json"
ZIP64_FROM = 2**31


class ExportStopped(Exception):
    """A stored original no longer matches the hash recorded when it arrived."""


@dataclass(frozen=True)
class Bundle:
    bundle_id: str
    files: int
    manifest_sha256: str


@dataclass(frozen=True)
class _Planned:
    path: str
    sha256: str
    size: int
    data: bytes | None  # None: an original, streamed from the store
    storage_key: str = ""


def build_bundle(
    db: Database,
    settings: Settings,
    incident_id: int,
    by: StaffMember,
    why: str,
    out: IO[bytes],
    *,
    recipient: str = "",
    announce: Callable[[Bundle], None] | None = None,
) -> Bundle:
    """Writes the case's bundle to `out` (need not be seekable: an HTTP response will do).
    The disclosure is recorded (continuity of every item, the audit log) before writing;
    `announce` hears the bundle's id and manifest hash then, before the first byte."""
    cleaned = rules.justification(why)
    to = rules.clean_text(recipient)[:200]
    statements = sealed_statements(db, incident_id)
    bundle_id = secrets.token_hex(8)
    made_at = utcnow()
    with db.transaction() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound()
        appointments = {
            a.id: a
            for a in session.scalars(
                select(Appointment).where(Appointment.incident_id == incident_id)
            )
        }
        items = session.scalars(
            select(EvidenceItem)
            .where(
                EvidenceItem.incident_id == incident_id,
                EvidenceItem.state == ItemState.ACCEPTED.value,
                EvidenceItem.derivative_of.is_(None),
            )
            .order_by(EvidenceItem.id)
        ).all()
        involved = {item.appointment_id for item in items} | {s.appointment_id for s in statements}
        # The bundle is the whole case: only someone who may see all of it may disclose it.
        visible = {a for a, appointment in appointments.items() if _may_export(by, appointment)}
        if not visible or not involved <= visible:
            raise Forbidden()
        for item in items:
            record_event(
                session, item, ContinuityEvent.EXPORTED, by.actor, cleaned, bundle=bundle_id
            )
        plan = [
            _Planned(f"statements/{s.filename}", s.sha256, len(s.pdf), s.pdf) for s in statements
        ]
        for item in items:
            record = _continuity(session, item)
            plan.append(
                _Planned(
                    f"continuity/item-{item.id}.json",
                    hashlib.sha256(record).hexdigest(),
                    len(record),
                    record,
                )
            )
            plan.append(
                _Planned(
                    f"evidence/item-{item.id}.{item.extension or 'bin'}",
                    arrival_sha256(session, item),
                    item.size or 0,
                    None,
                    item.storage_key,
                )
            )
        manifest = _manifest(incident.urn, incident_id, bundle_id, made_at, by, cleaned, to, plan)
        manifest_sha256 = hashlib.sha256(manifest).hexdigest()
        audit.record(
            session,
            actor=by.actor,
            action=Action.DISCLOSURE,
            event="evidence.bundle_exported",
            object_type="incident",
            object_id=incident_id,
            why=cleaned,
            recipient=to,
            detail={
                "bundle": bundle_id,
                "items": [item.id for item in items],
                "statements": len(statements),
                "manifest_sha256": manifest_sha256,
            },
        )
    bundle = Bundle(bundle_id, len(plan), manifest_sha256)
    if announce is not None:
        announce(bundle)
    _write(out, settings, manifest, plan, made_at)
    return bundle


def _may_export(member: StaffMember, appointment: Appointment) -> bool:
    """Disclosure is for supervisors and the case's own officers (not administrators,
    who run the service but are not part of the investigation)."""
    return member.role is Role.SUPERVISOR or appointment.officer_id == member.id


def _continuity(session: Any, item: EvidenceItem) -> bytes:
    entries = session.scalars(
        select(ContinuityEntry)
        .where(ContinuityEntry.item_id == item.id)
        .order_by(ContinuityEntry.seq)
    ).all()
    record = {
        "item": item.id,
        "appointment": item.appointment_id,
        "source": item.source,
        "label": item.label,
        "original_name": item.original_name,
        "declared_type": item.declared_type,
        "kind": item.kind,
        "media_type": item.media_type,
        "size": item.size,
        "sha256": item.sha256,
        "sender_sha256": item.client_sha256,
        "uploaded_by": item.uploaded_by,
        "received_at": _iso(item.received_at),
        "scan": {"state": item.scan_state, "signature": item.scan_signature},
        "decision": {
            "state": item.state,
            "reason": item.decision_reason,
            "at": _iso(item.decided_at),
        },
        "events": [
            {
                "seq": e.seq,
                "event": e.event,
                "actor": e.actor,
                "at": _iso(e.at),
                "why": e.why,
                "detail": json.loads(e.detail or "{}"),
            }
            for e in entries
        ],
    }
    return json.dumps(record, indent=2, ensure_ascii=False).encode() + b"\n"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _manifest(
    urn: str,
    incident_id: int,
    bundle_id: str,
    made_at: datetime,
    by: StaffMember,
    why: str,
    recipient: str,
    plan: list[_Planned],
) -> bytes:
    document = {
        "format": FORMAT,
        "case": {"urn": urn, "incident": incident_id},
        "bundle": bundle_id,
        "made_at": made_at.isoformat(),
        "made_by": by.actor,
        "why": why,
        "recipient": recipient,
        "hash": "sha256",
        "files": [{"path": p.path, "sha256": p.sha256, "size": p.size} for p in plan],
    }
    return json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"


def _write(
    out: IO[bytes], settings: Settings, manifest: bytes, plan: list[_Planned], made_at: datetime
) -> None:
    store = make_store(settings)
    keyring = Keyring.from_settings(settings)
    stamp = made_at.timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as bundle:
        bundle.writestr(zipfile.ZipInfo(MANIFEST, stamp), manifest, zipfile.ZIP_DEFLATED)
        for planned in plan:
            if planned.data is not None:
                bundle.writestr(
                    zipfile.ZipInfo(planned.path, stamp), planned.data, zipfile.ZIP_DEFLATED
                )
                continue
            info = zipfile.ZipInfo(planned.path, stamp)
            # Photos and videos are compressed already: stored, so export runs at disk speed.
            info.compress_type = zipfile.ZIP_STORED
            digest = hashlib.sha256()
            size = 0
            with bundle.open(info, "w", force_zip64=planned.size >= ZIP64_FROM) as target:
                for chunk in read_plaintext(store, planned.storage_key, keyring):
                    digest.update(chunk)
                    size += len(chunk)
                    target.write(chunk)
            if digest.hexdigest() != planned.sha256 or size != planned.size:
                raise ExportStopped(
                    f"{planned.path} does not match the SHA-256 recorded when it arrived: "
                    "the export was stopped. Report this: the stored original has changed."
                )


@dataclass(frozen=True)
class Verified:
    files: int  # listed in the manifest
    problems: list[str]  # each names a file, in plain words
    manifest_sha256: str  # to compare with the value the export recorded (audit log, page)


def verify_bundle(path: Path, expect_manifest: str | None = None) -> Verified:
    """Every file against the manifest, and the manifest itself against the SHA-256 the
    export recorded (`expect_manifest`): without that, a bundle is only checked against
    itself, and a consistent forgery (files and manifest changed together) would pass."""
    problems: list[str] = []
    try:
        bundle = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        return Verified(0, [f"{path}: not a readable zip ({error})"], "")
    with bundle:
        names = bundle.namelist()
        problems += _unsafe_names(names)
        try:
            raw = bundle.read(MANIFEST)
            manifest = json.loads(raw)
            files = manifest["files"]
        except (KeyError, ValueError, zipfile.BadZipFile) as error:
            return Verified(0, [*problems, f"{MANIFEST}: missing or unreadable ({error})"], "")
        manifest_sha256 = hashlib.sha256(raw).hexdigest()
        if expect_manifest is not None and manifest_sha256 != expect_manifest.strip().lower():
            problems.append(
                f"{MANIFEST}: SHA-256 {manifest_sha256}, but the export recorded "
                f"{expect_manifest.strip()}: this is another bundle, or it was changed"
            )
        listed = [entry["path"] for entry in files]
        problems += _unsafe_names(listed, "the manifest lists")
        present = set(names)
        for entry in files:
            name = entry["path"]
            if name not in present:
                problems.append(f"{name}: listed in the manifest but missing from the bundle")
                continue
            try:
                digest, size = _hash(_member(bundle, name))
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
                problems.append(f"{name}: damaged, cannot be read ({error})")
                continue
            if digest != entry["sha256"]:
                problems.append(
                    f"{name}: does not match (SHA-256 {digest}, manifest says {entry['sha256']})"
                )
            elif size != entry["size"]:
                problems.append(f"{name}: size {size} bytes, manifest says {entry['size']}")
        for name in sorted(present - set(listed) - {MANIFEST}):
            problems.append(f"{name}: in the bundle but not listed in the manifest")
        problems += _cross_check(bundle, files, present)
    return Verified(len(files), problems, manifest_sha256)


def _unsafe_names(names: list[str], where: str = "the bundle holds") -> list[str]:
    """Names a careless unzip would write outside its folder, or twice (the second copy
    silently replacing the first one checked)."""
    problems = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(f"{name}: {where} it more than once")
        seen.add(name)
        parts = name.split("/")
        if (
            "\\" in name
            or name.startswith("/")
            or (len(name) > 1 and name[1] == ":")
            or ".." in parts
            or any(ord(c) < 32 for c in name)
        ):
            problems.append(f"{name!r}: {where} an unsafe name (a path outside the bundle)")
    return problems


def _member(bundle: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    with bundle.open(name) as member:
        while chunk := member.read(1024 * 1024):
            yield chunk


def _hash(chunks: Iterable[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _cross_check(
    bundle: zipfile.ZipFile, files: list[dict[str, Any]], present: set[str]
) -> list[str]:
    """Each original's manifest hash must also be the hash its continuity record holds."""
    problems = []
    for entry in files:
        name = entry["path"]
        if not name.startswith("evidence/item-"):
            continue
        record_name = "continuity/" + name.removeprefix("evidence/").rsplit(".", 1)[0] + ".json"
        if record_name not in present:
            problems.append(f"{name}: its continuity record {record_name} is missing")
            continue
        try:
            record = json.loads(bundle.read(record_name))
        except (ValueError, zipfile.BadZipFile):
            continue  # reported above as damaged or not matching
        # The "hashed" event is the append-only record of arrival; the item's sha256 field
        # is a copy that could have been changed since.
        hashed = [
            e.get("detail", {}).get("sha256")
            for e in record.get("events", [])
            if e.get("event") == ContinuityEvent.HASHED.value
        ]
        if not hashed:
            problems.append(f"{name}: {record_name} has no arrival hash (no 'hashed' event)")
        elif hashed[0] != entry["sha256"]:
            problems.append(
                f"{name}: the manifest's SHA-256 differs from the one recorded on arrival "
                f"(the 'hashed' event in {record_name})"
            )
    return problems
