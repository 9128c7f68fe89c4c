"""Sign-in pages, roles, CSRF and headers, through HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import PASSWORD, csrf_token, make_staff, sign_in
from videoresponse.core.auth.rules import Role
from videoresponse.core.db import Database


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (Role.CALL_HANDLER, "/handler"),
        (Role.VIDEO_OFFICER, "/officer"),
        (Role.SUPERVISOR, "/supervisor"),
        (Role.ADMINISTRATOR, "/admin"),
    ],
)
def test_each_role_lands_on_its_own_home_page(
    client: TestClient, db: Database, role: Role, home: str
) -> None:
    member = make_staff(db, role)
    response = client.post(
        "/sign-in",
        data={"username": member.username, "password": PASSWORD, "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == home
    assert client.get(home).status_code == 200


def test_a_page_needs_a_signed_in_member(client: TestClient) -> None:
    response = client.get("/officer", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/officer"
    assert client.get("/officer").status_code == 401


def test_a_role_cannot_open_another_roles_page(client: TestClient, db: Database) -> None:
    sign_in(client, make_staff(db, Role.CALL_HANDLER))
    response = client.get("/admin", headers={"accept": "text/html"})
    assert response.status_code == 403
    assert "Your role cannot use this page" in response.text


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, db: Database
) -> None:
    sign_in(client, make_staff(db, Role.ADMINISTRATOR))
    response = client.post(
        "/admin/accounts",
        data={
            "username": "newperson",
            "display_name": "New",
            "role": "supervisor",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 403
    assert "expired" in response.json()["detail"]
    assert "newperson" not in client.get("/admin").text


def test_a_wrong_password_shows_one_message_for_every_reason(
    client: TestClient, db: Database
) -> None:
    member = make_staff(db)
    token = csrf_token(client)
    wrong = client.post(
        "/sign-in",
        data={"username": member.username, "password": "nope-nope-nope", "csrf_token": token},
    )
    unknown = client.post(
        "/sign-in",
        data={"username": "nobody", "password": "nope-nope-nope", "csrf_token": token},
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "The username or password is not right" in wrong.text
    assert wrong.text.replace(member.username, "nobody") == unknown.text


def test_an_empty_sign_in_says_what_is_missing(client: TestClient) -> None:
    response = client.post("/sign-in", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert "Enter your username" in response.text
    assert "Enter your password" in response.text


def test_sign_in_rotates_the_session_and_sets_safe_cookie_flags(
    client: TestClient, db: Database
) -> None:
    member = make_staff(db)
    sign_in(client, member)
    first = client.cookies.get("__Host-vr_staff")
    response = client.post(
        "/sign-in",
        data={"username": member.username, "password": PASSWORD, "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie
    second = client.cookies.get("__Host-vr_staff")
    assert first != second
    client.cookies.set("__Host-vr_staff", first or "")
    assert client.get("/officer").status_code == 401


def test_sign_out_ends_the_session(client: TestClient, db: Database) -> None:
    sign_in(client, make_staff(db))
    cookie = client.cookies.get("__Host-vr_staff")
    response = client.post(
        "/sign-out", data={"csrf_token": csrf_token(client, "/officer")}, follow_redirects=False
    )
    assert response.headers["location"] == "/sign-in?signed_out=1"
    client.cookies.set("__Host-vr_staff", cookie or "")
    assert client.get("/officer").status_code == 401


def test_sign_in_never_redirects_off_site(client: TestClient, db: Database) -> None:
    member = make_staff(db)
    response = client.post(
        "/sign-in",
        data={
            "username": member.username,
            "password": PASSWORD,
            "next": "//evil.example/x",
            "csrf_token": csrf_token(client),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/officer"


def test_pages_carry_the_security_headers(client: TestClient) -> None:
    headers = client.get("/sign-in").headers
    assert "object-src 'none'" in headers["content-security-policy"]
    assert "base-uri 'none'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    assert "max-age" in headers["strict-transport-security"]


def test_an_administrator_adds_and_disables_an_account(client: TestClient, db: Database) -> None:
    admin = make_staff(db, Role.ADMINISTRATOR)
    sign_in(client, admin)
    token = csrf_token(client, "/admin")
    added = client.post(
        "/admin/accounts",
        data={
            "username": "pc4321",
            "display_name": "PC Kim Ng",
            "role": "video_officer",
            "gender": "female",
            "password": PASSWORD,
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert "PC Kim Ng" in client.get("/admin").text
    refused = client.post(
        "/admin/accounts",
        data={
            "username": "pc4321",
            "display_name": "Again",
            "role": "video_officer",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert refused.status_code == 400
    assert "There is already an account called pc4321" in refused.text
    client.post("/admin/accounts/pc4321/active", data={"active": "no", "csrf_token": token})
    assert "Disabled" in client.get("/admin").text
    own = client.post(
        f"/admin/accounts/{admin.username}/active", data={"active": "no", "csrf_token": token}
    )
    assert own.status_code == 400


# Request bodies are bounded before any route reads them.


def test_a_body_over_the_limit_is_refused_by_its_declared_length(client: TestClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/api/appointment/statement/sign",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"content-type": "application/json", "x-csrf-token": token},
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "What was sent is too large."}
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_body_without_a_length_is_counted_as_it_arrives(client: TestClient) -> None:
    token = csrf_token(client)

    def dribble() -> object:
        for _ in range(40):
            yield b" " * 65536

    response = client.post(
        "/sign-in",
        content=dribble(),
        headers={"content-type": "application/x-www-form-urlencoded", "x-csrf-token": token},
    )
    assert response.status_code == 413


def test_a_still_frame_may_be_bigger_than_a_form(client: TestClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/api/appointments/1/evidence/still-frames",
        content=b"x" * (3 * 1024 * 1024),
        headers={"content-type": "image/png", "x-csrf-token": token},
    )
    assert response.status_code == 401  # past the size check: not signed in


def test_an_unknown_address_is_a_plain_not_found(client: TestClient) -> None:
    assert client.get("/no-such-page").status_code == 404
    page = client.get("/no-such-page", headers={"accept": "text/html"})
    assert (page.status_code, "text/html" in page.headers["content-type"]) == (404, True)
