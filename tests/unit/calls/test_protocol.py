"""Parsing what browsers send, and the shapes of what they are sent: pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from videoresponse.calls import protocol as p
from videoresponse.calls.protocol import Member, ProtocolError, Role, State


def test_each_client_message_type_parses_to_its_message() -> None:
    assert p.parse('{"type": "hello"}') == p.Hello()
    assert p.parse('{"type": "ping"}') == p.Ping()
    assert p.parse('{"type": "hangup"}') == p.Hangup()
    assert p.parse('{"type": "end"}') == p.End()
    assert p.parse('{"type": "admit", "peer_id": "abc"}') == p.Admit("abc")
    assert p.parse('{"type": "chat", "text": " hi "}') == p.Chat("hi")
    assert p.parse('{"type": "correction", "text": "Tuesday"}') == p.Correction("Tuesday")
    assert p.parse('{"type": "waiting_message", "text": "5 min"}') == p.WaitingMessage("5 min")
    signal = p.parse('{"type": "signal", "to": "abc", "data": {"candidate": {"x": 1}}}')
    assert signal == p.Signal("abc", {"candidate": {"x": 1}})


@pytest.mark.parametrize(
    "raw",
    [
        "nonsense",
        "[]",
        "42",
        "{}",
        '{"type": 3}',
        '{"type": "shutdown"}',
        '{"type": "signal", "to": "abc"}',
        '{"type": "signal", "to": "", "data": {}}',
        '{"type": "signal", "to": 7, "data": {}}',
        '{"type": "admit"}',
        '{"type": "chat"}',
        '{"type": "chat", "text": "   "}',
        b'{"type": "ping"}',
        None,
    ],
)
def test_anything_else_is_refused_with_a_reason(raw: str | bytes | None) -> None:
    with pytest.raises(ProtocolError) as refused:
        p.parse(raw)
    assert str(refused.value)


def test_text_limits_are_500_characters_for_chat_and_200_for_the_waiting_room() -> None:
    assert p.parse('{"type": "chat", "text": "' + "a" * 500 + '"}') == p.Chat("a" * 500)
    with pytest.raises(ProtocolError, match="500"):
        p.parse('{"type": "chat", "text": "' + "a" * 501 + '"}')
    with pytest.raises(ProtocolError, match="200"):
        p.parse('{"type": "waiting_message", "text": "' + "a" * 201 + '"}')


def test_a_message_over_64_kb_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(ProtocolError, match="64 KB"):
        p.parse('{"type": "signal", "to": "a", "data": {"sdp": "' + "x" * 65536 + '"}}')


def test_control_characters_are_taken_out_of_chat_but_newlines_stay() -> None:
    assert p.parse('{"type": "chat", "text": "a\\u0000b\\u202ec\\nd"}') == p.Chat("abc\nd")


def test_the_rate_limit_allows_fifty_in_any_second_and_then_refuses() -> None:
    limit = p.RateLimit()
    assert all(limit.allow(10.0 + i / 100) for i in range(50))
    assert not limit.allow(10.6)
    assert limit.allow(11.01)  # the first has left the window


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("https://calls.example.org", "internal:8000", True),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("https://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("https://evil.example", "127.0.0.1:8000", False),
        ("https://calls.example.org.evil.example", "x", False),
        ("null", "127.0.0.1:8000", False),
        ("file://", "127.0.0.1:8000", False),
        (None, "127.0.0.1:8000", False),
        ("", "127.0.0.1:8000", False),
    ],
)
def test_only_our_own_pages_may_open_a_socket(origin: str | None, host: str, allowed: bool) -> None:
    assert p.origin_allowed(origin, "https://calls.example.org", host) is allowed


def _member(peer: str, state: State, minutes: int, role: Role = Role.CALLER) -> Member:
    since = datetime(2026, 3, 1, 12, tzinfo=UTC) + timedelta(minutes=minutes)
    return Member(peer, role, f"id-{peer}", state, since)


def test_peers_lists_the_admitted_others_and_waiting_lists_the_waiting_longest_first() -> None:
    members = [
        _member("officer", State.ADMITTED, 0, Role.OFFICER),
        _member("late", State.WAITING, 9),
        _member("early", State.WAITING, 2),
        _member("caller", State.ADMITTED, 1),
    ]
    assert p.peers_for("officer", members) == {
        "type": "peers",
        "peers": [{"peer_id": "caller", "role": "caller"}],
    }
    waiting = p.waiting_list(members)
    assert [w["peer_id"] for w in waiting["peers"]] == ["early", "late"]
    assert waiting["peers"][0]["since"] == "2026-03-01T12:02:00+00:00"


def test_a_member_survives_the_round_trip_through_json() -> None:
    member = Member("p", Role.GUEST, "link:4", State.WAITING, datetime.now(UTC), "interpreter")
    assert Member.from_json(member.as_json()) == member
