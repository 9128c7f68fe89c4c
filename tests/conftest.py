"""Fixtures every level shares: settings, a migrated database, an HTTP client."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from videoresponse.app import create_app
from videoresponse.config import Settings
from videoresponse.core.db import Database
from videoresponse.migrations import upgrade

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    # The text worker runs only where a test starts one: a background thread would race
    # the test's own writes and make results depend on timing.
    values: dict[str, object] = {
        "data_dir": data_dir,
        "secret_key": "test-secret-key",
        "embedded_worker": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once, copy per test: the real migrations, without paying for them each time."""
    path = tmp_path_factory.mktemp("template") / "videoresponse.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    shutil.copy(migrated_template, tmp_path / "videoresponse.db")
    return make_settings(tmp_path)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    yield database
    database.dispose()


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    # https: the cookies are Secure, and a client on http would rightly not send them back.
    with TestClient(create_app(settings, db), base_url="https://testserver") as test_client:
        yield test_client


def _require(variable: str) -> str:
    value = os.environ.get(variable)
    if value:
        return value
    if IN_CI:
        pytest.fail(f"{variable} is not set: CI must run the tests that need it")
    pytest.skip(f"set {variable} to run this test")


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    return _require("VIDEORESPONSE_TEST_POSTGRES_URL")


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped after it."""
    server = make_url(postgres_server_url)
    name = f"vr_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[Database]:
    upgrade(postgres_url)
    database = Database(postgres_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _require("VIDEORESPONSE_TEST_REDIS_URL")
