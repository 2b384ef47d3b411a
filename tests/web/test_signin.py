"""Signing in and out: cookies, CSRF, lockout, redirects, and what gets recorded."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from activitylog.accounts import MAX_CLIENT_FAILURES
from activitylog.demo import DemoAccount
from activitylog.web.principal import SESSION_COOKIE
from activitylog.web.signin import safe_next

from ._support import EMAIL_BY_ROLE, PASSWORD, World, csrf_of, sign_in


def _form_token(client: TestClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
    assert match
    return match.group(1)


def _attempt(client: TestClient, email: str, password: str) -> int:
    data = {"email": email, "password": password, "csrf_token": _form_token(client)}
    return client.post("/signin", data=data, follow_redirects=False).status_code


def test_the_session_cookie_is_http_only_and_same_site_lax(fresh: World) -> None:
    client = fresh.client()
    reply = client.post(
        "/signin",
        data={
            "email": EMAIL_BY_ROLE["owner"],
            "password": PASSWORD,
            "csrf_token": _form_token(client),
            "next": "/activity?range=today",
        },
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert reply.headers["location"] == "/activity?range=today"
    cookie = next(h for h in reply.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie


def test_secure_cookie_behind_https(fresh: World) -> None:
    client = TestClient(fresh.app, base_url="https://log.example.com")
    reply = client.post(
        "/signin",
        data={
            "email": EMAIL_BY_ROLE["owner"],
            "password": PASSWORD,
            "csrf_token": _form_token(client),
        },
        follow_redirects=False,
    )
    cookie = next(h for h in reply.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "Secure" in cookie


def test_sign_in_without_the_form_token_is_refused(fresh: World) -> None:
    client = fresh.client()
    reply = client.post("/signin", data={"email": EMAIL_BY_ROLE["owner"], "password": PASSWORD})
    assert "The form expired" in reply.text
    assert SESSION_COOKIE not in client.cookies


def test_repeated_failures_lock_the_address_and_are_recorded(fresh: World) -> None:
    client = fresh.client()
    email = EMAIL_BY_ROLE["admin"]
    statuses = [_attempt(client, email, "wrong-password") for _ in range(5)]
    assert statuses == [401] * 5
    locked = client.post(
        "/signin",
        data={"email": email, "password": PASSWORD, "csrf_token": _form_token(client)},
    )
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    wait = locked.headers["retry-after"]
    assert locked.headers["ratelimit"] == f'"address";r=0;t={wait}'
    assert locked.headers["ratelimit-policy"] == '"address";q=5;w=900, "client";q=20;w=900'
    assert "Too many failed attempts" in locked.text
    assert 'name="password"' in locked.text  # the form again
    log = fresh.state.log
    assert log.count(events=("auth.sign_in_failed",)) == 5  # 4 wrong, then 1 while locked
    [lock] = log.query(events=("auth.locked_out",)).items
    assert lock["workspace"] == "acme"
    assert lock["details"] == {"email": email}
    assert lock["result"] == "failure"


def test_one_client_address_is_limited_across_accounts(fresh: World) -> None:
    spray = TestClient(fresh.app, client=("198.51.100.7", 50000))
    emails = [f"guess{n}@acme.example" for n in range(MAX_CLIENT_FAILURES)]
    assert {_attempt(spray, email, "wrong-password") for email in emails} == {401}
    data = {
        "email": EMAIL_BY_ROLE["owner"],
        "password": PASSWORD,
        "csrf_token": _form_token(spray),
    }
    limited = spray.post("/signin", data=data, headers={"Accept": "text/html"})
    assert limited.status_code == 429
    assert 0 < int(limited.headers["retry-after"]) <= 15 * 60
    assert limited.headers["ratelimit"] == f'"client";r=0;t={limited.headers["retry-after"]}'
    assert limited.headers["content-type"].startswith("text/html")
    assert "Too many failed sign-ins from your network" in limited.text
    assert SESSION_COOKIE not in spray.cookies
    elsewhere = TestClient(fresh.app, client=("198.51.100.8", 50000))
    sign_in(elsewhere, EMAIL_BY_ROLE["owner"])  # another address, and the account, are fine
    failed = list(fresh.state.log.export(events=("auth.sign_in_failed",)))
    assert len(failed) == MAX_CLIENT_FAILURES + 1  # the refused attempt is recorded too
    assert {e["ip"] for e in failed} == {"198.51.100.7"}


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("ava\x00@acme.example", "ava\ufffd@acme.example"),
        ("x" * 5000 + "@acme.example", "x" * 199 + "…"),
        ("a\x00" * 300, ("a\ufffd" * 100)[:199] + "…"),
    ],
)
def test_a_failed_sign_in_with_any_text_is_recorded_and_answered_with_the_form(
    fresh: World, typed: str, kept: str
) -> None:
    client = fresh.client()
    data = {"email": typed, "password": "wrong-password", "csrf_token": _form_token(client)}
    reply = client.post("/signin", data=data)
    assert reply.status_code == 401
    assert reply.headers["content-type"].startswith("text/html")
    assert "Wrong email or password." in reply.text
    assert "\x00" not in reply.text
    [event] = fresh.state.log.query(events=("auth.sign_in_failed",), range="today").items
    assert event["details"]["email"] == kept
    assert event["details"].get("email_length") == (len(typed) if len(typed) > 200 else None)
    assert event["subject"]["name"] == kept


def test_unknown_addresses_are_recorded_on_the_platform_layer(fresh: World) -> None:
    assert _attempt(fresh.client(), "ghost@nowhere.example", "whatever-pass") == 401
    [event] = fresh.state.log.query(events=("auth.sign_in_failed",)).items
    assert (event["workspace"], event["layer"]) == ("platform", "platform")
    assert event["actor"]["type"] == "system"


def test_sign_out_ends_the_session_and_is_recorded(fresh: World) -> None:
    client = fresh.client()
    sign_in(client, EMAIL_BY_ROLE["member"])
    token = csrf_of(client)
    cookie = client.cookies[SESSION_COOKIE]
    assert client.post("/signout", data={"csrf_token": "nope"}).status_code == 403
    reply = client.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert reply.status_code == 303
    assert fresh.state.accounts.session(cookie) is None
    assert fresh.state.log.count(events=("auth.signed_out",)) == 1
    assert client.get("/api/v1/events").status_code == 401


def test_switching_workspace_needs_a_membership(fresh: World) -> None:
    fresh.state.accounts.set_role(EMAIL_BY_ROLE["owner"], "globex", "viewer")
    client = fresh.client()
    sign_in(client, EMAIL_BY_ROLE["owner"])
    token = csrf_of(client)
    reply = client.post("/workspace", data={"workspace": "globex", "csrf_token": token})
    assert reply.status_code == 403  # globex keeps its log for owners and admins (the default)
    assert "The activity log is for admins" in reply.text
    assert client.get("/api/v1/events").status_code == 403
    fresh.state.accounts.change_workspace_settings("globex", {"log_access": "own"}, by="ops")
    assert client.get("/activity").status_code == 200
    events = client.get("/api/v1/events?scope=workspace")
    assert events.status_code == 403  # a viewer in globex: scope mine only
    assert client.get("/api/v1/events").status_code == 200
    other = client.post("/workspace", data={"workspace": "initech", "csrf_token": token})
    assert other.status_code == 403


def test_the_sign_in_page_lists_no_accounts_outside_demo_mode(fresh: World) -> None:
    page = fresh.client().get("/signin").text
    assert "Demo accounts" not in page
    assert PASSWORD not in page


def test_in_demo_mode_the_sign_in_page_lists_the_accounts(fresh: World) -> None:
    shared = [DemoAccount("a@x.example", "A", "owner", "acme", "pw-1")]
    fresh.state.demo_accounts = (
        *shared,
        DemoAccount("p@x.example", "P", "platform_admin", "all", "pw-1"),
    )
    page = fresh.client().get("/signin").text
    assert 'Password for each: <code class="code">pw-1</code>' in page
    assert re.findall(r"<tr><td>([a-z ]+)</td><td><code[^>]*>([^<]+)</code></td></tr>", page) == [
        ("owner", "a@x.example"),
        ("platform admin", "p@x.example"),
    ]
    fresh.state.demo_accounts = (*shared, DemoAccount("b@x.example", "B", "admin", "acme", "pw-2"))
    page = fresh.client().get("/signin").text
    assert "Password for each" not in page
    assert '<th scope="col">Password</th>' in page
    assert '<td><code class="code">pw-2</code></td>' in page


def test_only_local_redirects_after_sign_in() -> None:
    assert safe_next("/activity?x=1") == "/activity?x=1"
    for target in ("https://evil.example", "//evil.example", "/\\evil", "", None):
        assert safe_next(target) == "/activity"


def test_embedding_is_framed_only_by_allowed_origins(world: World) -> None:
    csp = world.client().get("/embed?token=bad").headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp  # none configured in this world
