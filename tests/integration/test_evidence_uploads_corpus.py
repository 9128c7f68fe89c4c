"""The bad-input corpus through HTTP: each refused with a clear reason, nothing kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import evidence_corpus as corpus
from tests.integration.evidence_support import as_caller
from tests.unit.calls.support import make_call
from videoresponse.config import Settings
from videoresponse.core.db import Database
from videoresponse.evidence.models import EvidenceItem


def _files(root: Path) -> set[Path]:
    """Everything on disk except the database's own files and the development master key
    (made at the first use of evidence, whatever it is)."""
    return {
        p
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith("videoresponse.db") and p.name != "master.key"
    }


@pytest.mark.parametrize("bad", corpus.bad_inputs(), ids=lambda bad: bad.label)
def test_each_bad_input_is_refused_with_its_reason_and_nothing_is_kept(
    client: TestClient, db: Database, settings: Settings, bad: corpus.BadInput
) -> None:
    call = make_call(db)
    tus = as_caller(client, db, settings, call.appointment_id)
    as_caller(client, db, settings, call.appointment_id).send(call.appointment_id, corpus.png())
    before = _files(settings.data_dir)
    url, refused = tus.send(
        call.appointment_id, bad.body, filename=bad.filename, filetype=bad.declared_type
    )
    assert refused.status_code in {415, 422}, refused.text
    assert bad.reason.lower() in refused.text.lower()
    assert refused.headers["content-type"].startswith("text/plain")
    with db.sessions() as session:
        item = session.scalars(
            select(EvidenceItem).where(EvidenceItem.upload_id == url.rsplit("/", 1)[1])
        ).one()
    assert item.state == "refused" and item.refusal == refused.text
    assert item.sha256 == "" and item.size is None
    assert _files(settings.data_dir) == before
    # The sender is told the same if their browser tries to carry on.
    assert client.head(url, headers=tus.headers()).status_code == 410


def test_one_byte_over_the_limit_is_refused_before_anything_is_sent(
    client: TestClient, db: Database, settings: Settings
) -> None:
    limit = 50_000
    client.app.state.settings = settings.model_copy(  # type: ignore[attr-defined]
        update={"evidence_max_file_bytes": limit}
    )
    call = make_call(db)
    tus = as_caller(client, db, settings, call.appointment_id)
    before = _files(settings.data_dir)
    over = tus.create(call.appointment_id, len(corpus.jpeg_of_size(limit + 1)))
    assert over.status_code == 413
    assert "The largest file you can send is 50.0 KB" in over.text
    assert _files(settings.data_dir) == before
    assert tus.send(call.appointment_id, corpus.jpeg_of_size(limit))[1].status_code == 204


@pytest.mark.parametrize("name", corpus.BAD_NAMES)
def test_a_name_with_path_parts_or_nul_is_kept_only_as_a_safe_display_name(
    client: TestClient, db: Database, settings: Settings, name: str
) -> None:
    call = make_call(db)
    tus = as_caller(client, db, settings, call.appointment_id)
    assert tus.send(call.appointment_id, corpus.jpeg(), filename=name)[1].status_code == 204
    with db.sessions() as session:
        item = session.scalars(select(EvidenceItem)).one()
    assert not set("/\\\x00") & set(item.original_name)
    assert ".." not in item.original_name.split("/")
    assert not any(".." in p.parts for p in _files(settings.data_dir))
    assert all(settings.data_dir in p.parents for p in _files(settings.data_dir))
