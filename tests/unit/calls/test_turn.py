"""TURN credentials in coturn's use-auth-secret scheme, and the ICE servers a browser gets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from tests.conftest import make_settings
from tests.unit.calls.support import connect, make_call, receive, staff_cookie, staff_token
from videoresponse.app import create_app
from videoresponse.calls.turn import ice_servers, turn_credential
from videoresponse.config import Settings
from videoresponse.core.db import Database

NOW = 1_800_000_000


def test_the_username_is_the_expiry_and_label_and_the_password_its_hmac_sha1() -> None:
    made = turn_credential("s3cret", "peer42", NOW, 3600)
    assert made.username == f"{NOW + 3600}:peer42"
    # What coturn computes from the username and its static-auth-secret:
    expected = base64.b64encode(
        hmac.new(b"s3cret", f"{NOW + 3600}:peer42".encode(), hashlib.sha1).digest()
    ).decode()
    assert made.credential == expected
    assert made.expires_at == NOW + 3600


def test_a_browser_gets_stun_and_turn_servers_as_rtc_ice_server_dictionaries() -> None:
    servers = ice_servers(
        stun_urls=["stun:turn.example.org:3478"],
        turn_urls=["turn:turn.example.org:3478", "turns:turn.example.org:443?transport=tcp"],
        turn_secret="s3cret",
        label="peer42",
        now=NOW,
        ttl_seconds=600,
    )
    assert servers[0] == {"urls": ["stun:turn.example.org:3478"]}
    assert servers[1]["urls"] == [
        "turn:turn.example.org:3478",
        "turns:turn.example.org:443?transport=tcp",
    ]
    assert servers[1]["username"] == f"{NOW + 600}:peer42"


def test_with_no_servers_configured_a_browser_uses_host_candidates_only() -> None:
    assert (
        ice_servers(stun_urls=[], turn_urls=[], turn_secret="", label="p", now=NOW, ttl_seconds=1)
        == []
    )


def test_turn_without_a_secret_or_with_a_bad_label_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        turn_credential("", "p", NOW, 60)
    with pytest.raises(ValueError, match=":"):
        turn_credential("s", "a:b", NOW, 60)
    with pytest.raises(ValueError, match="zero"):
        turn_credential("s", "p", NOW, 0)


def test_turn_servers_without_a_secret_are_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="TURN_SECRET"):
        make_settings(tmp_path, turn_urls=["turn:turn.example.org:3478"])


def test_the_welcome_carries_stun_and_a_fresh_turn_credential_from_the_configuration(
    settings: Settings, db: Database
) -> None:
    configured = settings.model_copy(
        update={
            "stun_urls": ["stun:turn.example.org:3478"],
            "turn_urls": ["turns:turn.example.org:443?transport=tcp"],
            "turn_secret": "s3cret",
            "turn_ttl_seconds": 600,
        }
    )
    call = make_call(db)
    cookie = staff_cookie(staff_token(db, call.officer))
    with TestClient(create_app(configured, db), base_url="https://testserver") as client:
        before = int(time.time())
        with connect(client, call.appointment_id, cookie) as ws:
            stun, turn = receive(ws)["ice_servers"]
    assert stun == {"urls": ["stun:turn.example.org:3478"]}
    expiry, label = turn["username"].split(":")
    assert before + 600 <= int(expiry) <= int(time.time()) + 600
    assert label  # the socket's peer id: no name, no appointment
    expected = hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(expected).decode()
