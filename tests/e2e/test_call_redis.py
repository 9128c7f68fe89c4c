"""The caller on one server process, the officer on another, joined by Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from playwright.sync_api import Browser

from tests.e2e.conftest import LiveServer
from tests.e2e.test_call_flow import (
    appointment_starting_soon,
    both_see_each_other,
    caller_waits,
    launch_for_calls,
    officer_admits,
    two_people,
)
from tests.live import cli, environment, serving

pytestmark = [pytest.mark.browser, pytest.mark.redis]


@pytest.fixture(scope="module")
def two_servers(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two `serve` processes sharing one database and one Redis (a prefix of their own)."""
    data_dir = tmp_path_factory.mktemp("redis-call")
    env = {
        **environment(data_dir),
        "VIDEORESPONSE_REDIS_URL": redis_url,
        "VIDEORESPONSE_REDIS_PREFIX": f"vr-e2e-{uuid.uuid4().hex[:8]}",
    }
    cli(env, "migrate")
    cli(env, "demo")
    with ExitStack() as stack:
        first = stack.enter_context(serving(env, data_dir / "a.log"))
        second = stack.enter_context(serving(env, data_dir / "b.log"))
        yield LiveServer(first, data_dir, env), LiveServer(second, data_dir, env)


@pytest.fixture(scope="module")
def call_browser(browser: Browser) -> Iterator[Browser]:
    launched = launch_for_calls(browser)
    yield launched
    launched.close()


def test_a_caller_and_an_officer_on_two_processes_see_each_other(
    call_browser: Browser, two_servers: tuple[LiveServer, LiveServer]
) -> None:
    first, second = two_servers
    assert first.url != second.url
    appointment_id = appointment_starting_soon(first)
    with two_people(call_browser, phone=True) as (caller, officer):
        caller_waits(caller, first, appointment_id)
        officer_admits(officer, second, appointment_id)
        both_see_each_other(caller, officer)
        officer.get_by_role("button", name="End call for everyone").click()
        caller.get_by_role("heading", name="The appointment has ended").wait_for()
