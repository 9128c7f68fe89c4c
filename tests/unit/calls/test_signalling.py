"""The signalling socket: who gets in, the waiting room, admission, relaying, reconnecting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import make_staff
from tests.unit.calls.support import (
    caller_cookie,
    caller_token,
    close_code,
    connect,
    make_call,
    quiet,
    receive,
    receive_type,
    staff_cookie,
    staff_token,
)
from videoresponse.booking.models import Appointment
from videoresponse.caller import service as caller_service
from videoresponse.calls import connection
from videoresponse.calls.models import CallEvent
from videoresponse.calls.protocol import Role as ProtocolRole
from videoresponse.calls.routes import tell
from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database

# Who gets in.


def test_a_socket_without_a_session_is_closed_as_unauthenticated(
    client: TestClient, db: Database
) -> None:
    call = make_call(db)
    with connect(client, call.appointment_id) as ws:
        assert close_code(ws) == 4401


def test_a_socket_opened_from_another_site_is_refused(client: TestClient, db: Database) -> None:
    call = make_call(db)
    cookie = staff_cookie(staff_token(db, call.officer))
    with connect(client, call.appointment_id, cookie, origin="https://evil.example") as ws:
        assert close_code(ws) == 4403
    with connect(client, call.appointment_id, cookie, origin=None) as ws:
        assert close_code(ws) == 4403


def test_a_caller_who_has_not_confirmed_who_they_are_is_unauthenticated(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    token = caller_token(db, settings, call.appointment_id, verified=False)
    with connect(client, call.appointment_id, caller_cookie(token)) as ws:
        assert close_code(ws) == 4401


def test_a_caller_cannot_join_another_appointments_call(
    client: TestClient, db: Database, settings: Settings
) -> None:
    mine, other = make_call(db), make_call(db)
    token = caller_token(db, settings, mine.appointment_id)
    with connect(client, other.appointment_id, caller_cookie(token)) as ws:
        assert close_code(ws) == 4403


def test_a_caller_cannot_join_before_the_join_window_opens(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db, starts_in=timedelta(hours=3))
    token = caller_token(db, settings, call.appointment_id)
    with connect(client, call.appointment_id, caller_cookie(token)) as ws:
        assert close_code(ws) == 4403


def test_only_the_appointments_officer_or_a_supervisor_joins_as_staff(
    client: TestClient, db: Database
) -> None:
    call = make_call(db)
    for role in (Role.VIDEO_OFFICER, Role.CALL_HANDLER, Role.ADMINISTRATOR):
        stranger = staff_cookie(staff_token(db, make_staff(db, role)))
        with connect(client, call.appointment_id, stranger) as ws:
            assert close_code(ws) == 4403
    supervisor = staff_cookie(staff_token(db, make_staff(db, Role.SUPERVISOR)))
    with connect(client, call.appointment_id, supervisor) as ws:
        assert receive(ws)["role"] == "officer"


# The waiting room.


def test_the_caller_waits_and_the_officer_sees_them_waiting(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    officer_cookie = staff_cookie(staff_token(db, call.officer))
    caller = caller_cookie(caller_token(db, settings, call.appointment_id))
    with connect(client, call.appointment_id, officer_cookie) as officer:
        welcome = receive(officer)
        assert welcome["type"] == "welcome"
        assert (welcome["role"], welcome["state"], welcome["ice_servers"]) == (
            "officer",
            "admitted",
            [],
        )
        assert receive_type(officer, "waiting")["peers"] == []
        with connect(client, call.appointment_id, caller) as ws:
            caller_welcome = receive(ws)
            assert (caller_welcome["role"], caller_welcome["state"]) == ("caller", "waiting")
            waiting = receive_type(officer, "waiting")["peers"]
            assert [(p["peer_id"], p["role"]) for p in waiting] == [
                (caller_welcome["peer_id"], "caller")
            ]
            assert waiting[0]["since"].endswith("+00:00")
            # A waiting caller gets no peers list: nobody is visible to them yet.
            assert all(m["type"] != "peers" for m in quiet(ws))
    with db.sessions() as session:
        assert session.get_one(Appointment, call.appointment_id).status == "waiting"


def test_a_caller_who_arrives_before_the_officer_still_waits_to_be_admitted(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db, starts_in=timedelta(minutes=14))
    caller = caller_cookie(caller_token(db, settings, call.appointment_id))
    with connect(client, call.appointment_id, caller) as ws:
        assert receive(ws)["state"] == "waiting"
        with connect(client, call.appointment_id, staff_cookie(staff_token(db, call.officer))) as o:
            receive(o)
            assert len(receive_type(o, "waiting")["peers"]) == 1
            assert all(m["type"] != "admitted" for m in quiet(ws))


def test_a_waiting_callers_signal_and_chat_to_the_officer_are_refused(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    with (
        connect(client, call.appointment_id, staff_cookie(staff_token(db, call.officer))) as o,
        connect(
            client,
            call.appointment_id,
            caller_cookie(caller_token(db, settings, call.appointment_id)),
        ) as ws,
    ):
        officer_id = receive(o)["peer_id"]
        receive(ws)
        ws.send_json({"type": "signal", "to": officer_id, "data": {"type": "offer", "sdp": "x"}})
        assert "let you in" in receive_type(ws, "error")["message"]
        ws.send_json({"type": "chat", "text": "hello?"})
        assert "let you in" in receive_type(ws, "error")["message"]
        assert all(m["type"] not in ("signal", "chat") for m in quiet(o))


def test_admitting_the_caller_tells_them_and_gives_both_the_other_as_a_peer(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    with (
        connect(client, call.appointment_id, staff_cookie(staff_token(db, call.officer))) as o,
        connect(
            client,
            call.appointment_id,
            caller_cookie(caller_token(db, settings, call.appointment_id)),
        ) as ws,
    ):
        officer_id = receive(o)["peer_id"]
        caller_id = receive(ws)["peer_id"]
        receive_type(o, "waiting")
        o.send_json({"type": "admit", "peer_id": caller_id})
        assert receive_type(ws, "admitted") == {"type": "admitted"}
        assert receive_type(ws, "peers")["peers"] == [{"peer_id": officer_id, "role": "officer"}]
        assert receive_type(o, "peers")["peers"] == [{"peer_id": caller_id, "role": "caller"}]
        offer = {"type": "offer", "sdp": "v=0\r\n..."}
        ws.send_json({"type": "signal", "to": officer_id, "data": {"description": offer}})
        assert receive_type(o, "signal") == {
            "type": "signal",
            "from": caller_id,
            "data": {"description": offer},
        }
        o.send_json({"type": "chat", "text": "Can you hear me?"})
        chat = receive_type(ws, "chat")
        assert (chat["from_role"], chat["text"]) == ("officer", "Can you hear me?")
    with db.sessions() as session:
        assert session.get_one(Appointment, call.appointment_id).status == "in_call"
        kinds = session.scalars(select(CallEvent.kind).order_by(CallEvent.id)).all()
    assert kinds[:3] == ["joined", "joined", "admitted"]


def test_the_officers_waiting_room_message_reaches_those_waiting_now_and_later(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    with connect(client, call.appointment_id, staff_cookie(staff_token(db, call.officer))) as o:
        receive(o)
        token = caller_token(db, settings, call.appointment_id)
        with connect(client, call.appointment_id, caller_cookie(token)) as ws:
            receive(ws)
            o.send_json({"type": "waiting_message", "text": "I'll be with you in 5 minutes"})
            assert receive_type(ws, "waiting_message")["text"] == "I'll be with you in 5 minutes"
        with connect(client, call.appointment_id, caller_cookie(token)) as again:
            receive(again)
            assert receive_type(again, "waiting_message")["text"].startswith("I'll be with you")


def test_only_the_officer_may_admit_message_the_waiting_room_or_end(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    token = caller_token(db, settings, call.appointment_id)
    with connect(client, call.appointment_id, caller_cookie(token)) as ws:
        me = receive(ws)["peer_id"]
        for message in (
            {"type": "admit", "peer_id": me},
            {"type": "waiting_message", "text": "hi"},
            {"type": "end"},
        ):
            ws.send_json(message)
            assert receive_type(ws, "error")["message"] == "Only the officer can do that."
        ws.send_json({"type": "ping"})
        assert receive_type(ws, "pong") == {"type": "pong"}


# Bad messages.


def test_malformed_and_unknown_messages_get_an_error_and_the_socket_carries_on(
    client: TestClient, db: Database
) -> None:
    call = make_call(db)
    with connect(client, call.appointment_id, staff_cookie(staff_token(db, call.officer))) as o:
        receive(o)
        for bad in ("{not json", "[1, 2]", '"text"', '{"type": "launch"}', '{"no": "type"}'):
            o.send_text(bad)
            assert receive_type(o, "error")["message"]
        o.send_bytes(b'{"type": "ping"}')
        assert "binary" in receive_type(o, "error")["message"]
        o.send_text('{"type": "chat", "text": "' + "x" * (65 * 1024) + '"}')
        assert "64 KB" in receive_type(o, "error")["message"]
        o.send_json({"type": "signal", "to": "someone", "data": "not an object"})
        assert receive_type(o, "error")["type"] == "error"
        o.send_json({"type": "chat", "text": "x" * 501})
        assert "500" in receive_type(o, "error")["message"]
        o.send_json({"type": "ping"})
        assert receive_type(o, "pong") == {"type": "pong"}


def test_more_than_fifty_messages_a_second_closes_the_socket(
    client: TestClient, db: Database
) -> None:
    call = make_call(db)
    with connect(client, call.appointment_id, staff_cookie(staff_token(db, call.officer))) as o:
        receive(o)
        for _ in range(60):
            o.send_json({"type": "ping"})
        assert close_code(o) == 4429


# Reconnecting, hanging up, ending.


def test_a_caller_who_reconnects_after_admission_comes_back_admitted_as_a_new_peer(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    token = caller_token(db, settings, call.appointment_id)
    with connect(client, call.appointment_id, staff_cookie(staff_token(db, call.officer))) as o:
        receive(o)
        with connect(client, call.appointment_id, caller_cookie(token)) as first:
            old_id = receive(first)["peer_id"]
            receive_type(o, "waiting")
            o.send_json({"type": "admit", "peer_id": old_id})
            receive_type(first, "admitted")
            receive_type(o, "peers")
            # The network drops and the page reconnects before the old socket is noticed.
            with connect(client, call.appointment_id, caller_cookie(token)) as second:
                welcome = receive(second)
                assert welcome["state"] == "admitted"
                assert welcome["peer_id"] != old_id
                assert close_code(first) == 4409
                assert receive_type(o, "peer_left") == {"type": "peer_left", "peer_id": old_id}
                peers = receive_type(o, "peers")["peers"]
                assert peers == [{"peer_id": welcome["peer_id"], "role": "caller"}]
                assert receive_type(second, "peers")["peers"][0]["role"] == "officer"
    with db.sessions() as session:
        assert "reconnected" in session.scalars(select(CallEvent.kind)).all()


def test_a_caller_who_hangs_up_must_be_admitted_again(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    token = caller_token(db, settings, call.appointment_id)
    with connect(client, call.appointment_id, staff_cookie(staff_token(db, call.officer))) as o:
        receive(o)
        with connect(client, call.appointment_id, caller_cookie(token)) as ws:
            me = receive(ws)["peer_id"]
            o.send_json({"type": "admit", "peer_id": me})
            receive_type(ws, "admitted")
            ws.send_json({"type": "hangup"})
            assert close_code(ws) == 1000
        assert receive_type(o, "peer_left")["peer_id"] == me
        with connect(client, call.appointment_id, caller_cookie(token)) as again:
            assert receive(again)["state"] == "waiting"


def test_the_officer_ends_the_call_for_everyone_and_it_is_recorded(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    token = caller_token(db, settings, call.appointment_id)
    with connect(client, call.appointment_id, staff_cookie(staff_token(db, call.officer))) as o:
        receive(o)
        with connect(client, call.appointment_id, caller_cookie(token)) as ws:
            me = receive(ws)["peer_id"]
            o.send_json({"type": "admit", "peer_id": me})
            receive_type(ws, "admitted")
            ws.send_json({"type": "connected"})
            ws.send_json({"type": "ping"})
            receive_type(ws, "pong")  # messages are handled in order: "connected" is stored
            o.send_json({"type": "end"})
            assert receive_type(ws, "ended") == {"type": "ended"}
            assert close_code(ws) == 1000
            assert receive_type(o, "ended") == {"type": "ended"}
        # The appointment is over: its link no longer joins.
        with connect(client, call.appointment_id, caller_cookie(token)) as late:
            assert close_code(late) == 4401
    with db.sessions() as session:
        assert session.get_one(Appointment, call.appointment_id).status == "completed"
        events = session.execute(
            select(CallEvent.kind, CallEvent.role, CallEvent.seconds).order_by(CallEvent.id)
        ).all()
        audited = session.scalars(select(AuditEntry.event)).all()
    assert [e.kind for e in events] == ["joined", "joined", "admitted", "connected", "ended"]
    assert events[-1].seconds is not None
    assert {"call.joined", "call.admitted", "call.ended", "appointment.completed"} <= set(audited)


def test_a_caller_who_used_exit_this_page_loses_the_socket_at_the_next_check(
    client: TestClient, db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "RECHECK_SECONDS", 0.0)
    call = make_call(db)
    token = caller_token(db, settings, call.appointment_id)
    with connect(client, call.appointment_id, caller_cookie(token)) as ws:
        receive(ws)
        ws.send_json({"type": "ping"})
        assert receive_type(ws, "pong") == {"type": "pong"}
        caller_service.end_session(db, session_token=token)
        ws.send_json({"type": "ping"})
        assert close_code(ws) == 4401


# Other capabilities' news, and the caller's request for a change to their statement.


def test_news_for_a_role_reaches_its_admitted_sockets_only(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    with (
        connect(client, call.appointment_id, staff_cookie(staff_token(db, call.officer))) as o,
        connect(
            client,
            call.appointment_id,
            caller_cookie(caller_token(db, settings, call.appointment_id)),
        ) as ws,
    ):
        receive(o)
        caller_id = receive(ws)["peer_id"]
        news = {"type": "statement", "text": "I saw"}
        client.portal.call(tell, client.app, call.appointment_id, ProtocolRole.CALLER, news)
        assert all(m["type"] != "statement" for m in quiet(ws))  # still waiting
        o.send_json({"type": "admit", "peer_id": caller_id})
        receive_type(ws, "admitted")
        client.portal.call(tell, client.app, call.appointment_id, ProtocolRole.CALLER, news)
        assert receive_type(ws, "statement") == news
        assert all(m["type"] != "statement" for m in quiet(o))


def test_a_caller_asks_the_officer_for_a_change_once_admitted(
    client: TestClient, db: Database, settings: Settings
) -> None:
    call = make_call(db)
    with (
        connect(client, call.appointment_id, staff_cookie(staff_token(db, call.officer))) as o,
        connect(
            client,
            call.appointment_id,
            caller_cookie(caller_token(db, settings, call.appointment_id)),
        ) as ws,
    ):
        receive(o)
        caller_id = receive(ws)["peer_id"]
        ws.send_json({"type": "correction", "text": "It was Tuesday"})
        assert "let you in" in receive_type(ws, "error")["message"]
        o.send_json({"type": "admit", "peer_id": caller_id})
        receive_type(ws, "admitted")
        ws.send_json({"type": "correction", "text": "It was Tuesday, not Monday"})
        asked = receive_type(o, "correction")
        assert (asked["from_role"], asked["text"]) == ("caller", "It was Tuesday, not Monday")
        assert all(m["type"] != "correction" for m in quiet(ws))
