"""`videoresponse retention run`: erase what is past its date, and say so in the audit log.

Each record class is one transaction: its erasure and the audit entries recording it
commit together or not at all. The entries hold the class and the ids, never what was
erased (DPA 2018 s.62; SECURITY.md). The audit log itself is never touched, so
`videoresponse audit verify` still passes afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import text

from videoresponse.config import Settings
from videoresponse.core import audit
from videoresponse.core.audit import Action
from videoresponse.core.db import Database, utcnow
from videoresponse.retention.registry import REGISTRY, RecordClass
from videoresponse.retention.rules import cutoff

BATCH = 500  # ids per statement and per audit entry: keeps both a sensible size
WHY = "retention period ended"


@dataclass(frozen=True)
class ClassResult:
    name: str
    label: str
    method: str
    keep_days: int
    before: datetime | None
    ids: list[int]
    related: dict[str, list[int]] = field(default_factory=dict)

    @property
    def kept_for_ever(self) -> bool:
        return self.before is None


def run(
    db: Database,
    settings: Settings,
    *,
    by: str,
    dry_run: bool = False,
    now: datetime | None = None,
    classes: tuple[RecordClass, ...] = REGISTRY,
) -> list[ClassResult]:
    """Erase (or with dry_run only list) every class's records past their date."""
    moment = now or utcnow()
    return [_one_class(db, settings, record_class, by, dry_run, moment) for record_class in classes]


def _one_class(
    db: Database,
    settings: Settings,
    record_class: RecordClass,
    by: str,
    dry_run: bool,
    now: datetime,
) -> ClassResult:
    keep_days = int(getattr(settings, record_class.setting))
    before = cutoff(now, keep_days)
    result = ClassResult(
        record_class.name, record_class.label, record_class.method, keep_days, before, []
    )
    if before is None:
        return result
    with db.transaction() as session:
        ids = record_class.select(session, before)
        if dry_run or not ids:
            return replace(result, ids=ids)
        if db.is_sqlite:
            # Overwrite what is deleted instead of leaving it in free pages of the file.
            session.execute(text("PRAGMA secure_delete = ON"))
        related: dict[str, list[int]] = {}
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            went_with = record_class.erase(session, batch)
            for kind, more in went_with.items():
                related.setdefault(kind, []).extend(more)
            audit.record(
                session,
                actor=by,
                action=Action.ERASURE,
                event=f"retention.{record_class.method}",
                object_type=record_class.name,
                why=WHY,
                detail={
                    "class": record_class.name,
                    "method": record_class.method,
                    "keep_days": keep_days,
                    "ids": batch,
                    **went_with,
                },
            )
        return replace(result, ids=ids, related=related)
