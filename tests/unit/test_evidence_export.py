"""The case bundle: statements, accepted originals, continuity and a manifest that
`videoresponse evidence verify` re-checks, naming any file that does not match."""

from __future__ import annotations

import hashlib
import io
import json
import warnings
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests import evidence_corpus as corpus
from tests.factories import make_appointment, make_staff, make_video_case
from videoresponse.cli import app
from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.evidence import service
from videoresponse.evidence.envelope import Tampered
from videoresponse.evidence.export import build_bundle, verify_bundle
from videoresponse.evidence.models import ContinuityEntry, EvidenceItem
from videoresponse.evidence.rules import EvidenceRuleError
from videoresponse.statements.models import SealedPdf, Statement, StatementVersion

WHY = "Disclosure of the case file to the CPS for the charging decision"


class Case:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.officer = make_staff(db, Role.VIDEO_OFFICER)
        self.incident_id, person_id = make_video_case(db, created_by=self.officer.id)
        self.appointment_id = make_appointment(
            db,
            incident_id=self.incident_id,
            person_id=person_id,
            officer_id=self.officer.id,
            starts_at=utcnow() - timedelta(minutes=10),
            created_by=self.officer.id,
        )
        self.vault = service.Vault.from_settings(settings)
        self.photos = {"png": corpus.png(40, 30), "jpeg": corpus.jpeg(20, 10)}
        self.items = {
            kind: service.capture_still(
                db,
                settings,
                self.vault,
                appointment_id=self.appointment_id,
                image=image,
                by=self.officer,
            )["id"]
            for kind, image in self.photos.items()
        }
        declined = service.capture_still(
            db, settings, self.vault, appointment_id=self.appointment_id,
            image=corpus.png(5, 5), by=self.officer,
        )  # fmt: skip
        service.decide(
            db, item_id=declined["id"], accept=False, reason="Blurred, not useful", by=self.officer
        )
        self.declined = declined["id"]
        self.statement_pdf = corpus.pdf()
        with db.transaction() as session:
            statement = Statement(
                appointment_id=self.appointment_id,
                incident_id=self.incident_id,
                taken_by=self.officer.id,
                saved_by=self.officer.id,
            )
            session.add(statement)
            session.flush()
            version = StatementVersion(
                statement_id=statement.id,
                number=1,
                content=b"{}",
                content_sha256=hashlib.sha256(b"{}").hexdigest(),
                restricted="{}",
                made_by=self.officer.id,
            )
            session.add(version)
            session.flush()
            session.add(
                SealedPdf(
                    version_id=version.id,
                    pdf=self.statement_pdf,
                    sha256=hashlib.sha256(self.statement_pdf).hexdigest(),
                )
            )


@pytest.fixture
def case(db: Database, settings: Settings) -> Case:
    return Case(db, settings)


def export(db: Database, settings: Settings, case: Case, by: StaffMember | None = None) -> bytes:
    out = io.BytesIO()
    build_bundle(db, settings, case.incident_id, by or case.officer, WHY, out, recipient="CPS")
    return out.getvalue()


def rewrite(bundle: bytes, change: dict[str, bytes | None]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = change.get(info.filename, source.read(info.filename))
            if data is not None:
                target.writestr(info.filename, data)
        for name, data in change.items():
            if name not in source.namelist() and data is not None:
                target.writestr(name, data)
    return out.getvalue()


def check(tmp_path: Path, bundle: bytes) -> tuple[int, list[str]]:
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle)
    result = verify_bundle(path)
    return result.files, result.problems


def test_the_bundle_holds_statements_originals_continuity_and_a_manifest(
    db: Database, settings: Settings, case: Case, tmp_path: Path
) -> None:
    bundle = export(db, settings, case)
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        png_id, jpeg_id = case.items["png"], case.items["jpeg"]
        assert archive.read(f"evidence/item-{png_id}.png") == case.photos["png"]
        assert archive.read(f"evidence/item-{jpeg_id}.jpg") == case.photos["jpeg"]
        assert not any(f"item-{case.declined}." in name for name in names)
        statement = [n for n in names if n.startswith("statements/")]
        assert len(statement) == 1 and archive.read(statement[0]) == case.statement_pdf
        record = json.loads(archive.read(f"continuity/item-{png_id}.json"))
    assert names[0] == "manifest.json"
    assert manifest["made_by"] == case.officer.actor
    assert manifest["why"] == WHY and manifest["recipient"] == "CPS"
    assert {f["path"] for f in manifest["files"]} == set(names) - {"manifest.json"}
    assert record["sha256"] == hashlib.sha256(case.photos["png"]).hexdigest()
    assert [e["event"] for e in record["events"]] == ["captured", "hashed", "exported"]
    assert check(tmp_path, bundle) == (5, [])


def test_the_export_is_recorded_in_continuity_and_the_audit_log(
    db: Database, settings: Settings, case: Case
) -> None:
    bundle = export(db, settings, case)
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        manifest = archive.read("manifest.json")
    with db.sessions() as session:
        exported = session.scalars(
            select(ContinuityEntry).where(ContinuityEntry.event == "exported")
        ).all()
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.event == "evidence.bundle_exported")
        ).one()
    assert sorted(e.item_id for e in exported) == sorted(case.items.values())
    assert all(e.why == WHY and e.actor == case.officer.actor for e in exported)
    detail: dict[str, Any] = (
        json.loads(entry.detail) if isinstance(entry.detail, str) else entry.detail
    )
    assert detail["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    assert entry.action == "disclosure" and entry.recipient == "CPS"


def test_the_bundle_streams_to_an_unseekable_output(
    db: Database, settings: Settings, case: Case, tmp_path: Path
) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, chunk: Any) -> int:
            self.data += chunk
            return len(chunk)

    pipe = Pipe()
    build_bundle(db, settings, case.incident_id, case.officer, WHY, pipe)  # type: ignore[arg-type]
    assert check(tmp_path, bytes(pipe.data)) == (5, [])


def test_verify_names_a_changed_file(
    db: Database, settings: Settings, case: Case, tmp_path: Path
) -> None:
    name = f"evidence/item-{case.items['png']}.png"
    changed = rewrite(export(db, settings, case), {name: corpus.png(40, 31)})
    count, problems = check(tmp_path, changed)
    assert count == 5
    assert len(problems) == 1 and problems[0].startswith(f"{name}: does not match")


def test_verify_names_missing_extra_and_inconsistent_files(
    db: Database, settings: Settings, case: Case, tmp_path: Path
) -> None:
    bundle = export(db, settings, case)
    png_id = case.items["png"]
    changed = rewrite(bundle, {f"continuity/item-{png_id}.json": None, "extra.exe": b"MZ"})
    problems = check(tmp_path, changed)[1]
    assert (
        f"continuity/item-{png_id}.json: listed in the manifest but missing from the bundle"
        in problems
    )
    assert "extra.exe: in the bundle but not listed in the manifest" in problems
    # Changing a file and its manifest line together still disagrees with the continuity record.
    name = f"evidence/item-{png_id}.png"
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    forged = corpus.png(1, 1)
    for entry in manifest["files"]:
        if entry["path"] == name:
            entry["sha256"], entry["size"] = hashlib.sha256(forged).hexdigest(), len(forged)
    problems = check(
        tmp_path, rewrite(bundle, {name: forged, "manifest.json": json.dumps(manifest).encode()})
    )[1]
    assert problems == [
        f"{name}: the manifest's SHA-256 differs from the one recorded on arrival "
        f"(the 'hashed' event in continuity/item-{png_id}.json)"
    ]


def test_the_command_line_check(
    db: Database, settings: Settings, case: Case, tmp_path: Path
) -> None:
    runner = CliRunner()
    good = tmp_path / "good.zip"
    good.write_bytes(export(db, settings, case))
    result = runner.invoke(app, ["evidence", "verify", str(good)])
    assert result.exit_code == 0 and "All 5 files match." in result.output
    with zipfile.ZipFile(good) as archive:
        manifest_sha256 = hashlib.sha256(archive.read("manifest.json")).hexdigest()
    assert f"Manifest SHA-256: {manifest_sha256}" in result.output
    expected = runner.invoke(
        app, ["evidence", "verify", str(good), "--expect-manifest", manifest_sha256]
    )
    assert expected.exit_code == 0, expected.output
    other = runner.invoke(app, ["evidence", "verify", str(good), "--expect-manifest", "ab" * 32])
    assert other.exit_code == 1 and "another bundle, or it was changed" in other.output
    name = f"evidence/item-{case.items['jpeg']}.jpg"
    bad = tmp_path / "bad.zip"
    bad.write_bytes(rewrite(good.read_bytes(), {name: b"\xff\xd8\xff not the photo"}))
    result = runner.invoke(app, ["evidence", "verify", str(bad)])
    assert result.exit_code == 1
    assert name in result.output and "does not match" in result.output


def test_a_tampered_stored_original_stops_the_export(
    db: Database, settings: Settings, case: Case
) -> None:
    with db.sessions() as session:
        key = session.get_one(EvidenceItem, case.items["jpeg"]).storage_key
    path = settings.data_dir / "evidence" / "objects" / key[:2] / key
    sealed = bytearray(path.read_bytes())
    sealed[-5] ^= 1
    path.write_bytes(sealed)
    with pytest.raises(Tampered):
        export(db, settings, case)


def test_only_those_who_may_see_the_case_may_export_it(
    db: Database, settings: Settings, case: Case
) -> None:
    with pytest.raises(service.Forbidden):
        export(db, settings, case, by=make_staff(db, Role.VIDEO_OFFICER))
    assert export(db, settings, case, by=make_staff(db, Role.SUPERVISOR))
    with pytest.raises(EvidenceRuleError):
        build_bundle(db, settings, case.incident_id, case.officer, "because", io.BytesIO())


def test_verify_compares_the_manifest_with_the_hash_recorded_at_export(
    db: Database, settings: Settings, case: Case, tmp_path: Path
) -> None:
    bundle = export(db, settings, case)
    with db.sessions() as session:
        [entry] = session.scalars(
            select(AuditEntry).where(AuditEntry.event == "evidence.bundle_exported")
        ).all()
    recorded = json.loads(entry.detail)["manifest_sha256"]
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle)
    result = verify_bundle(path, expect_manifest=recorded)
    assert (result.problems, result.manifest_sha256) == ([], recorded)
    # A bundle consistent with itself but not the one exported: files and manifest redone.
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    manifest["recipient"] = "someone else"
    path.write_bytes(rewrite(bundle, {"manifest.json": json.dumps(manifest).encode()}))
    [problem] = verify_bundle(path, expect_manifest=recorded).problems
    assert problem.startswith("manifest.json: SHA-256 ") and recorded in problem


def test_verify_flags_duplicate_and_unsafe_member_names(
    db: Database, settings: Settings, case: Case, tmp_path: Path
) -> None:
    bundle = export(db, settings, case)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        first = source.namelist()[1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns of the duplicate: that is the point
            target.writestr(first, b"a second copy")
        target.writestr("../outside.txt", b"x")
        target.writestr("evidence\\back.txt", b"x")
    path = tmp_path / "bundle.zip"
    path.write_bytes(out.getvalue())
    problems = verify_bundle(path).problems
    assert f"{first}: the bundle holds it more than once" in problems
    assert any(p.startswith("'../outside.txt': the bundle holds an unsafe name") for p in problems)
    assert any("back.txt': the bundle holds an unsafe name" in p for p in problems)


def test_verify_checks_the_append_only_hashed_event_not_the_items_own_field(
    db: Database, settings: Settings, case: Case, tmp_path: Path
) -> None:
    bundle = export(db, settings, case)
    png_id = case.items["png"]
    record_name = f"continuity/item-{png_id}.json"
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        record = json.loads(archive.read(record_name))
        manifest = json.loads(archive.read("manifest.json"))
    # The field agrees with the manifest, the arrival event does not: still a problem.
    for event in record["events"]:
        if event["event"] == "hashed":
            event["detail"]["sha256"] = "0" * 64
    changed = json.dumps(record).encode()
    for entry in manifest["files"]:
        if entry["path"] == record_name:
            entry["sha256"], entry["size"] = hashlib.sha256(changed).hexdigest(), len(changed)
    problems = check(
        tmp_path,
        rewrite(bundle, {record_name: changed, "manifest.json": json.dumps(manifest).encode()}),
    )[1]
    assert len(problems) == 1 and "the 'hashed' event" in problems[0]
