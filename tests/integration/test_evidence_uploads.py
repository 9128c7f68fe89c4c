"""Evidence uploads through HTTP (tus 1.0): arrival, hashing, resuming, who may do what."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select, text

from tests.integration.evidence_support import TUS, as_caller, as_staff, item_of
from tests.unit.calls.support import make_call
from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.db import Database, utcnow
from videoresponse.core.web import STATIC_DIR
from videoresponse.evidence.models import ContinuityEntry, EvidenceItem


def photo(seed: int = 1, side: int = 160) -> bytes:
    """A real PNG big enough to take several parts (noise does not compress)."""
    image = Image.frombytes(
        "RGB", (side, side), hashlib.shake_256(str(seed).encode()).digest(side * side * 3)
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


PHOTO = photo()


def _items(db: Database) -> list[EvidenceItem]:
    with db.sessions() as session:
        return list(session.scalars(select(EvidenceItem).order_by(EvidenceItem.id)))


def _continuity(db: Database, item_id: int) -> list[str]:
    with db.sessions() as session:
        return list(
            session.scalars(
                select(ContinuityEntry.event)
                .where(ContinuityEntry.item_id == item_id)
                .order_by(ContinuityEntry.seq)
            )
        )


def test_a_file_sent_in_parts_arrives_hashed_not_scanned_and_recorded(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    tus = as_caller(client, db, settings, call.appointment_id)
    url = tus.start(
        call.appointment_id, PHOTO, filename="../../bruise\x00.png", filetype="text/html"
    )
    assert url.startswith("/tus/uploads/")
    middle = len(PHOTO) // 2
    first = tus.patch(url, 0, PHOTO[:middle])
    assert first.status_code == 204, first.text
    assert first.headers["upload-offset"] == str(middle)
    assert first.headers["tus-resumable"] == "1.0.0"
    assert tus.offset(url) == middle
    last = tus.patch(url, middle, PHOTO[middle:])
    assert last.status_code == 204, last.text

    [item] = _items(db)
    assert item.state == "received"
    assert item.sha256 == hashlib.sha256(PHOTO).hexdigest() == item.client_sha256
    assert item.hash_match is True
    assert item.size == len(PHOTO)
    assert (item.media_type, item.declared_type) == ("image/png", "text/html")
    assert "/" not in item.original_name and "\x00" not in item.original_name
    assert item.scan_state == "not_scanned"
    assert _continuity(db, item.id) == ["arrived", "hashed", "scanned"]
    with db.sessions() as session:
        events = set(
            session.scalars(select(AuditEntry.event).where(AuditEntry.object_id == str(item.id)))
        )
    assert {
        "evidence.upload_started",
        "evidence.arrived",
        "evidence.hashed",
        "evidence.scanned",
    } <= events
    # Stored sealed under a server-made key, outside the static folder; no plaintext anywhere.
    stored = [p for p in (settings.data_dir / "evidence").rglob("*") if p.is_file()]
    assert any(item.storage_key in p.name for p in stored)
    assert not any(PHOTO[:4096] in p.read_bytes() for p in stored)
    # Once arrived, HEAD says it is all there and nothing more is taken.
    assert tus.offset(url) == len(PHOTO)
    assert tus.patch(url, len(PHOTO), b"x").status_code == 410


def test_a_hash_from_the_browser_that_differs_is_flagged_not_silently_accepted(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    tus = as_caller(client, db, settings, call.appointment_id)
    _, done = tus.send(call.appointment_id, PHOTO, sha256="0" * 64)
    assert done.status_code == 204
    [item] = _items(db)
    assert item.hash_match is False and item.state == "received"
    with db.sessions() as session:
        hashed = session.scalar(
            select(ContinuityEntry.detail).where(
                ContinuityEntry.item_id == item.id, ContinuityEntry.event == "hashed"
            )
        )
    assert json.loads(hashed or "{}")["hash_match"] is False


@hypothesis_settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cuts=st.lists(st.integers(min_value=1, max_value=len(PHOTO) - 1), max_size=4),
    damaged=st.booleans(),
)
def test_interrupted_at_any_offsets_an_upload_resumes_to_the_same_hash(
    client: TestClient, db: Database, settings: Settings, cuts: list[int], damaged: bool
) -> None:
    """Each cut is where a connection dropped: the sender asks where to carry on (HEAD) and
    sends the rest. A damaged part (wrong checksum) is refused whole and sent again."""
    call = make_call(db)
    tus = as_caller(client, db, settings, call.appointment_id)
    url = tus.start(call.appointment_id, PHOTO)
    for cut in [*sorted(set(cuts)), len(PHOTO)]:
        offset = tus.offset(url)
        if cut <= offset:
            continue
        part = PHOTO[offset:cut]
        if damaged:
            refused = tus.patch(url, offset, part, checksum=hashlib.sha256(b"other").digest())
            assert refused.status_code == 460
            assert tus.offset(url) == offset
        answered = tus.patch(url, offset, part, checksum=hashlib.sha256(part).digest())
        assert answered.status_code == 204, answered.text
    with db.sessions() as session:
        item = session.scalars(
            select(EvidenceItem).where(EvidenceItem.upload_id == url.rsplit("/", 1)[1])
        ).one()
    assert item.state == "received"
    assert item.sha256 == hashlib.sha256(PHOTO).hexdigest()


def test_protocol_errors_get_the_tus_status_and_words_a_person_understands(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    tus = as_caller(client, db, settings, call.appointment_id)
    options = client.options(f"/tus/appointments/{call.appointment_id}")
    assert options.headers["tus-extension"] == "creation,termination,checksum"
    assert options.headers["tus-checksum-algorithm"] == "sha256"
    assert options.headers["tus-max-size"] == str(settings.evidence_max_file_bytes)
    url = tus.start(call.appointment_id, PHOTO)
    no_version = client.patch(
        url, headers={"X-CSRF-Token": tus.csrf, "Upload-Offset": "0"}, content=b"x"
    )
    assert no_version.status_code == 412 and no_version.headers["tus-resumable"] == "1.0.0"
    wrong_type = client.patch(
        url,
        headers=tus.headers(**{"Upload-Offset": "0", "Content-Type": "application/octet-stream"}),
        content=b"x",
    )
    assert wrong_type.status_code == 415
    assert tus.patch(url, 5, PHOTO[5:10]).status_code == 409
    no_csrf = client.patch(
        url,
        headers={**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        content=PHOTO,
    )
    assert no_csrf.status_code == 403
    too_much = tus.patch(url, 0, PHOTO + b"more")
    assert too_much.status_code == 413 and "more was sent" in too_much.text.lower()
    assert tus.offset(url) == 0
    assert (
        client.head("/tus/uploads/nosuchuploadidatallxx", headers=tus.headers()).status_code == 404
    )


def test_size_and_quota_are_enforced_at_creation(
    client: TestClient, db: Database, settings: Settings
) -> None:
    client.app.state.settings = settings.model_copy(  # type: ignore[attr-defined]
        update={"evidence_max_file_bytes": len(PHOTO), "evidence_quota_bytes": 2 * len(PHOTO) + 10}
    )
    call = make_call(db)
    tus = as_caller(client, db, settings, call.appointment_id)
    over = tus.create(call.appointment_id, len(PHOTO) + 1)
    assert over.status_code == 413
    assert "too big" in over.text and "largest file you can send" in over.text
    assert tus.send(call.appointment_id, PHOTO)[1].status_code == 204
    # An upload still arriving holds its space too.
    tus.start(call.appointment_id, PHOTO)
    full = tus.create(call.appointment_id, 20)
    assert full.status_code == 413 and "not enough space" in full.text
    assert [i.state for i in _items(db)] == ["received", "receiving"]


def test_uploads_belong_to_their_sender_and_only_during_the_call(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    first = as_caller(client, db, settings, call.appointment_id)
    url = first.start(call.appointment_id, PHOTO)
    assert first.patch(url, 0, PHOTO[:1000]).status_code == 204
    # Another person's link for the same appointment (a second device, a guest): not theirs.
    other = as_caller(client, db, settings, call.appointment_id)
    assert client.head(url, headers=other.headers()).status_code == 404
    assert other.patch(url, 1000, PHOTO[1000:]).status_code == 404
    assert client.delete(url, headers=other.headers()).status_code == 404
    # Nor another appointment's caller.
    elsewhere = make_call(db)
    assert other.create(elsewhere.appointment_id, 10).status_code == 403
    # Outside the join window the caller cannot send at all.
    with db.transaction() as session:
        row = session.get_one(Appointment, call.appointment_id)
        row.starts_at = utcnow() + timedelta(days=2)
        row.ends_at = row.starts_at + timedelta(hours=1)
    late = as_caller(client, db, settings, call.appointment_id)
    assert late.create(call.appointment_id, 10).status_code == 403


def test_the_sender_can_stop_an_upload_and_nothing_of_it_is_kept(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    tus = as_caller(client, db, settings, call.appointment_id)
    url = tus.start(call.appointment_id, PHOTO)
    assert tus.patch(url, 0, PHOTO[:9000]).status_code == 204
    listed = client.get(f"/tus/appointments/{call.appointment_id}/unfinished").json()["uploads"]
    assert listed == [{"name": "photo.jpg", "length": len(PHOTO), "offset": 9000, "url": url}]
    stopped = client.delete(url, headers=tus.headers())
    assert stopped.status_code == 204 and stopped.headers["tus-resumable"] == "1.0.0"
    assert client.head(url, headers=tus.headers()).status_code == 410
    assert not list((settings.data_dir / "evidence" / "staging").iterdir())
    assert [i.state for i in _items(db)] == ["withdrawn"]


def test_the_officer_sees_it_arrive_accepts_or_declines_with_a_reason(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    caller = as_caller(client, db, settings, call.appointment_id)
    caller.send(call.appointment_id, PHOTO)
    caller.send(call.appointment_id, photo(2))
    client.cookies.clear()
    officer = as_staff(client, db, call.officer)
    listed = client.get(f"/api/appointments/{call.appointment_id}/evidence").json()["items"]
    assert [i["scan_text"] for i in listed] == ["Not scanned (no virus scanner is set up)"] * 2
    first, second = (i["id"] for i in listed)
    accepted = client.post(
        f"/api/evidence/{first}/decision", json={"accept": True}, headers=officer.headers()
    )
    assert item_of(accepted)["state"] == "accepted"
    no_reason = client.post(
        f"/api/evidence/{second}/decision", json={"accept": False}, headers=officer.headers()
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["detail"]
    declined = client.post(
        f"/api/evidence/{second}/decision",
        json={"accept": False, "reason": "Not about this incident"},
        headers=officer.headers(),
    )
    assert item_of(declined)["decision_reason"] == "Not about this incident"
    assert _continuity(db, second)[-1] == "declined"
    # Another officer is refused, whatever the id.
    client.cookies.clear()
    from tests.factories import make_staff

    stranger = as_staff(client, db, make_staff(db))
    assert client.get(f"/api/appointments/{call.appointment_id}/evidence").status_code == 403
    assert client.get(f"/evidence/{first}").status_code == 403
    assert (
        client.post(
            f"/api/evidence/{first}/decision", json={"accept": True}, headers=stranger.headers()
        ).status_code
        == 403
    )


def test_opening_an_original_needs_a_reason_is_recorded_and_is_never_inline_for_documents(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    as_caller(client, db, settings, call.appointment_id).send(call.appointment_id, PHOTO)
    client.cookies.clear()
    officer = as_staff(client, db, call.officer)
    [item] = _items(db)
    page = client.get(f"/evidence/{item.id}")
    assert page.status_code == 200 and item.sha256 in page.text
    refused = client.post(
        f"/evidence/{item.id}/open",
        data={"why": "look", "action": "download", "csrf_token": officer.csrf},
    )
    assert refused.status_code == 400 and "Say why you need this" in refused.text
    download = client.post(
        f"/evidence/{item.id}/open",
        data={
            "why": "Checking the injury for the statement",
            "action": "download",
            "csrf_token": officer.csrf,
        },
    )
    assert download.status_code == 200
    assert download.content == PHOTO
    assert (
        download.headers["content-disposition"] == f'attachment; filename="evidence-{item.id}.png"'
    )
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["cache-control"] == "no-store"
    view = client.post(
        f"/evidence/{item.id}/open",
        data={
            "why": "Checking the injury for the statement",
            "action": "view",
            "csrf_token": officer.csrf,
        },
    )
    assert (
        view.headers["content-disposition"].startswith("inline")
        and view.headers["content-type"] == "image/png"
    )
    assert _continuity(db, item.id)[-2:] == ["downloaded", "viewed"]
    with db.sessions() as session:
        why = session.scalars(
            select(AuditEntry.why).where(AuditEntry.event == "evidence.viewed")
        ).one()
    assert why == "Checking the injury for the statement"
    listing = client.get(f"/cases/{item.incident_id}/evidence")
    assert f'href="/evidence/{item.id}"' in listing.text


def test_a_copy_without_location_is_a_new_labelled_item_and_the_original_is_untouched(
    client: TestClient, db: Database, settings: Settings
) -> None:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}  # GPS
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, "JPEG", exif=exif)
    original = out.getvalue()
    call = make_call(db)
    as_caller(client, db, settings, call.appointment_id).send(call.appointment_id, original)
    client.cookies.clear()
    officer = as_staff(client, db, call.officer)
    [item] = _items(db)
    made = client.post(
        f"/evidence/{item.id}/copy-without-location",
        data={"why": "Disclosure to the defence", "csrf_token": officer.csrf},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    source, copy = _items(db)
    assert copy.derivative_of == source.id and copy.source == "derivative"
    assert copy.label == "Copy without location data"
    assert source.sha256 == hashlib.sha256(original).hexdigest()
    assert _continuity(db, source.id)[-1] == "derivative_made"
    copied = client.post(
        f"/evidence/{copy.id}/open",
        data={
            "why": "Checking the copy has no location",
            "action": "download",
            "csrf_token": officer.csrf,
        },
    ).content
    with Image.open(io.BytesIO(copied)) as image:
        assert not image.getexif() and image.size == (64, 48)
    again = client.post(
        f"/evidence/{source.id}/open",
        data={
            "why": "Checking the original is unchanged",
            "action": "download",
            "csrf_token": officer.csrf,
        },
    ).content
    assert again == original


def test_a_still_frame_is_an_item_with_its_hash_and_continuity(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    officer = as_staff(client, db, call.officer)
    frame = photo(3, 32)
    made = client.post(
        f"/api/appointments/{call.appointment_id}/evidence/still-frames",
        content=frame,
        headers={"Content-Type": "image/png", "X-CSRF-Token": officer.csrf},
    )
    assert made.status_code == 201, made.text
    item = item_of(made)
    assert item["source"] == "still_frame" and item["sha256"] == hashlib.sha256(frame).hexdigest()
    assert _continuity(db, item["id"]) == ["captured", "hashed"]
    not_a_picture = client.post(
        f"/api/appointments/{call.appointment_id}/evidence/still-frames",
        content=b"<html></html>",
        headers={"Content-Type": "image/png", "X-CSRF-Token": officer.csrf},
    )
    assert not_a_picture.status_code == 422


def test_the_continuity_record_cannot_be_changed_or_deleted(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    as_caller(client, db, settings, call.appointment_id).send(call.appointment_id, PHOTO)
    for statement in (
        "UPDATE evidence_continuity SET why = 'x'",
        "DELETE FROM evidence_continuity",
    ):
        with pytest.raises(Exception, match="append-only"), db.transaction() as session:
            session.execute(text(statement))


@pytest.mark.postgres
def test_on_postgresql_an_upload_arrives_and_its_continuity_is_append_only(
    settings: Settings, postgres_db: Database
) -> None:
    from videoresponse.app import create_app

    with TestClient(create_app(settings, postgres_db), base_url="https://testserver") as client:
        call = make_call(postgres_db)
        tus = as_caller(client, postgres_db, settings, call.appointment_id)
        assert tus.send(call.appointment_id, PHOTO)[1].status_code == 204
    [item] = _items(postgres_db)
    assert item.sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert _continuity(postgres_db, item.id) == ["arrived", "hashed", "scanned"]
    for statement in (
        "UPDATE evidence_continuity SET why = 'x'",
        "DELETE FROM evidence_continuity",
    ):
        with pytest.raises(Exception, match="append-only"), postgres_db.transaction() as session:
            session.execute(text(statement))


def test_the_call_pages_carry_the_evidence_slots_with_no_inline_code_and_no_browser_storage(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    caller = as_caller(client, db, settings, call.appointment_id)
    page = client.get("/appointment/call").text
    assert f'data-evidence-upload data-appointment-id="{call.appointment_id}"' in page
    assert f'data-csrf="{caller.csrf}"' in page
    assert page.index("vendor/tus-js-client/tus.min.js") < page.index("evidence/caller_upload.js")
    assert "police" not in page.lower().split("send photos")[1].split("</section>")[0]
    client.cookies.clear()
    as_staff(client, db, call.officer)
    officer_page = client.get(f"/officer/calls/{call.appointment_id}").text
    assert "data-evidence-panel" in officer_page and "Capture still" in officer_page
    for script in (STATIC_DIR / "evidence").glob("*.js"):
        code = script.read_text()
        for api in ("localStorage", "sessionStorage", "indexedDB", "document.cookie", "caches."):
            assert api not in code, f"{script.name} uses {api}"


def test_retention_holds_a_closed_case_that_has_evidence_instead_of_failing(
    db: Database, settings: Settings
) -> None:
    from tests.unit.retention.test_retention import make_closed_case
    from videoresponse.retention import service as retention

    with_evidence, _, appointment_id = make_closed_case(db)
    with db.transaction() as session:
        session.add(
            EvidenceItem(
                storage_key="k" * 40,
                appointment_id=appointment_id,
                incident_id=with_evidence,
                uploaded_by="test",
                state="accepted",
                created_at=utcnow(),
            )
        )
    erased = {r.name: r for r in retention.run(db, settings, by="cli:test")}
    assert erased["closed_no_crime"].ids == []
    with db.sessions() as session:
        assert session.scalars(select(EvidenceItem.incident_id)).all() == [with_evidence]
