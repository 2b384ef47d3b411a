"""The Activity Log page over HTTP: rendering, escaping, sorting, paging, fragments, the
detail panel, embedding and access."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from activitylog import ActivityLog
from activitylog.accounts.tokens import mint_viewer_token
from activitylog.settings import Settings
from activitylog.web.app import create_app
from activitylog.web.principal import EMBED_COOKIE, EMBED_HEADER
from activitylog.web.state import AppState

from ._support import World

PASSWORD = "correct horse battery"
HOSTILE = "01900000-0000-7000-8000-0000000000a1"
CREATED = "01900000-0000-7000-8000-0000000000a2"
DELETED = "01900000-0000-7000-8000-0000000000a3"
AVA = {"id": "u_ava", "name": "Ava Thompson", "email": "ava@acme.example", "role": "owner"}
DIEGO = {"id": "u_diego", "name": "Diego Alvarez", "email": "diego@acme.example", "role": "member"}
FILLER = 42
SCRIPT = "<script>alert('x')</script>"


@dataclass
class Site:
    app: FastAPI
    state: AppState

    def client(self, email: str | None = None) -> TestClient:
        client = TestClient(self.app, raise_server_exceptions=False)
        if email:
            page = client.get("/signin")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token, page.text
            reply = client.post(
                "/signin",
                data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
                follow_redirects=False,
            )
            assert reply.status_code == 303, reply.text
        return client

    def viewed(self) -> int:
        return self.state.log.count(workspace="acme", events=("activity_log.viewed",))


def _events(now: datetime) -> list[dict[str, Any]]:
    def at(minutes: int) -> str:
        return (now - timedelta(minutes=minutes)).isoformat()

    events: list[dict[str, Any]] = [
        {
            "id": HOSTILE,
            "workspace": "acme",
            "occurred_at": at(30),
            "actor": AVA,
            "action": "contact.updated",
            "subject": {
                "type": "contact",
                "id": "c_9",
                "name": "<script>alert(1)</script>",
                "url": "javascript:alert(1)",
            },
            "description": SCRIPT,
            "changes": {
                "email": {"before": "a@x.io", "after": "<b>b@x.io</b>"},
                "name": {"before": "Same", "after": "Same"},
            },
            "details": {"note": "<img src=x onerror=alert(1)>"},
            "ip": "203.0.113.9",
            "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        },
        {
            "id": CREATED,
            "workspace": "acme",
            "occurred_at": at(40),
            "actor": DIEGO,
            "action": "contact.created",
            "subject": {
                "type": "contact",
                "id": "c_10",
                "name": "Jane Doe",
                "url": "https://crm.example/c/10",
            },
            "snapshot": {"id": "c_10", "name": "Jane Doe", "email": "jane@example.com"},
        },
        {
            "id": DELETED,
            "workspace": "acme",
            "occurred_at": at(50),
            "actor": AVA,
            "action": "contact.deleted",
            "subject": {"type": "contact", "id": "c_11", "name": "Old Contact"},
            "snapshot": {"id": "c_11", "name": "Old Contact", "phone": "+1 555 0100"},
        },
    ]
    events += [
        {
            "workspace": "acme",
            "occurred_at": at(60 + i),
            "actor": AVA,
            "action": "conversation.viewed",
            "subject": {"type": "conversation", "id": f"cv_{i}", "name": f"#{i}"},
            "description": f"Ava Thompson viewed conversation #{i}",
        }
        for i in range(FILLER)
    ]
    return events


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root: Path = tmp_path_factory.mktemp("pages")
    settings = Settings(
        db=f"sqlite:///{root / 'log.db'}",
        signing_key=root / "signing-key.pem",
        secret_key=root / "secret-key",
        checkpoint_every=10,
    )
    log = ActivityLog(settings.db, settings=settings)
    log.record_many(_events(datetime.now(UTC)))
    app = create_app(settings, log=log)
    state: AppState = app.state.activitylog
    people = (
        ("ava@acme.example", "u_ava", "Ava Thompson", "owner"),
        ("diego@acme.example", "u_diego", "Diego Alvarez", "member"),
        ("kim@acme.example", "u_kim", "Kim Lee", "admin"),
    )
    for email, user_id, name, role in people:
        state.accounts.add_user(
            email, password=PASSWORD, name=name, user_id=user_id, workspace="acme", role=role
        )
    # Members may see their own activity here (log_access "own"; the default is admins only).
    state.accounts.change_workspace_settings("acme", {"log_access": "own"}, by="setup")
    yield Site(app, state)
    log.close()


@pytest.fixture(scope="module")
def owner(site: Site) -> TestClient:
    return site.client("ava@acme.example")


@pytest.fixture(scope="module")
def member(site: Site) -> TestClient:
    return site.client("diego@acme.example")


def _no_inline_code(html: str) -> None:
    """What the strict CSP would block: inline scripts, style attributes, on* handlers."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"<[^>]+\son[a-z]+=", html)


# -- the page ---------------------------------------------------------------------------
def test_root_redirects_to_the_activity_page(site: Site) -> None:
    reply = site.client().get("/", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/activity"


def test_signed_out_visitors_are_sent_to_sign_in(site: Site) -> None:
    reply = site.client().get("/activity?scope=workspace&page=2", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/signin?next=%2Factivity%3Fscope%3Dworkspace%26page%3D2"


def test_the_page_shows_kpis_charts_filters_and_rows(owner: TestClient) -> None:
    reply = owner.get("/activity?scope=workspace")
    assert reply.status_code == 200
    html = reply.text
    for text in ("Total events", "Sign-ins", "Writes", "Reads / other", "Unique IPs"):
        assert text in html
    assert html.count('role="img"') >= 3
    assert '<meta name="csrf-token" content="' in html
    assert '<script src="/static/activity.js" defer></script>' in html
    assert 'action="/signout"' in html
    assert "Ava Thompson" in html
    assert re.search(r'<label class="label" for="f-range">Time range</label>', html)
    assert 'name="scope" value="workspace" checked' in html
    assert "Inbox (42)" in html
    assert "data-delete-selected" in html
    _no_inline_code(html)


def test_a_page_visit_is_recorded_once_and_fragments_are_not(site: Site, owner: TestClient) -> None:
    before = site.viewed()
    assert owner.get("/activity").status_code == 200
    assert site.viewed() == before + 1
    assert owner.get("/activity/partials").status_code == 200
    assert site.viewed() == before + 1


def test_hostile_text_is_escaped_everywhere(owner: TestClient) -> None:
    page = owner.get("/activity?scope=workspace&search=alert").text
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    detail = owner.get(f"/activity/events/{HOSTILE}", headers={"X-Fragment": "1"}).text
    assert "<script>" not in detail
    assert "<img src=x" not in detail
    assert "<b>b@x.io" not in detail
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail
    assert 'href="javascript:' not in detail
    _no_inline_code(page)
    _no_inline_code(detail)


def test_an_update_shows_only_its_changed_fields(owner: TestClient) -> None:
    detail = owner.get(f"/activity/events/{HOSTILE}?tz=Europe/Berlin", headers={"X-Fragment": "1"})
    assert detail.status_code == 200
    rows = re.findall(r'<th scope="row" class="mono">([^<]+)</th>', detail.text)
    assert rows == ["email"]
    assert "Ava Thompson updated contact &lt;script&gt;" in detail.text
    assert "Europe/Berlin" in detail.text
    assert "Chrome 124 on Windows 10" in detail.text
    assert "Integrity" in detail.text
    assert "#1" in detail.text


@pytest.mark.parametrize(
    ("event_id", "title", "field"),
    [
        (CREATED, "Record as created", "jane@example.com"),
        (DELETED, "Record as deleted", "+1 555 0100"),
    ],
)
def test_creates_and_deletes_show_the_snapshot(
    owner: TestClient, event_id: str, title: str, field: str
) -> None:
    detail = owner.get(f"/activity/events/{event_id}", headers={"X-Fragment": "1"}).text
    assert title in detail
    assert field in detail
    assert "Changes" not in detail


def test_subject_links_are_safe_and_lead_to_its_activity(owner: TestClient) -> None:
    detail = owner.get(f"/activity/events/{CREATED}", headers={"X-Fragment": "1"}).text
    assert 'href="https://crm.example/c/10" target="_blank" rel="noopener noreferrer"' in detail
    assert (
        'href="/activity?range=last_90_days&amp;scope=workspace&amp;subject_type=contact'
        '&amp;subject_id=c_10"' in detail
    )


def test_without_the_fragment_header_the_detail_is_a_full_page(owner: TestClient) -> None:
    page = owner.get(f"/activity/events/{CREATED}")
    assert page.status_code == 200
    assert "<!doctype html>" in page.text
    assert "Back to the activity log" in page.text


def test_unknown_or_invisible_entries_are_a_404_fragment(
    owner: TestClient, member: TestClient
) -> None:
    missing = owner.get(
        "/activity/events/01900000-0000-7000-8000-00000000ffff", headers={"X-Fragment": "1"}
    )
    assert missing.status_code == 404
    assert "Entry not found" in missing.text
    others = member.get(f"/activity/events/{HOSTILE}", headers={"X-Fragment": "1"})
    assert others.status_code == 404
    own = member.get(f"/activity/events/{CREATED}", headers={"X-Fragment": "1"})
    assert own.status_code == 200


def test_an_unknown_entry_url_is_a_full_error_page(owner: TestClient) -> None:
    reply = owner.get("/activity/events/01900000-0000-7000-8000-00000000ffff")
    assert reply.status_code == 404
    html = reply.text
    assert '<html lang="en">' in html
    assert "<title>Entry not found · activitylog</title>" in html
    assert re.search(r'<main id="main"[^>]*>', html)
    assert re.search(r"<h1[^>]*>Entry not found</h1>", html)
    assert "does not exist or is not visible to you" in html


def test_a_forbidden_entry_url_is_a_full_error_page(fresh: World) -> None:
    """A member of a workspace whose log is for admins opens one of their own entries."""
    event = fresh.state.log.record(
        workspace="acme",
        actor={"id": "u_diego", "name": "Diego Alvarez", "role": "member"},
        action="note.created",
        subject={"type": "note", "id": "n_1", "name": "Plan"},
    )
    fresh.state.accounts.change_workspace_settings("acme", {"log_access": "admins"}, by="t")
    member = fresh.client("member")
    reply = member.get(f"/activity/events/{event['id']}")
    assert reply.status_code == 403
    assert '<html lang="en">' in reply.text
    assert re.search(r'<main id="main"[^>]*>', reply.text)
    assert re.search(r"<h1[^>]*>[^<]+</h1>", reply.text)
    panel = member.get(f"/activity/events/{event['id']}", headers={"X-Fragment": "1"})
    assert panel.status_code == 403
    assert "<html" not in panel.text  # the panel's own message, inside the page


def test_the_entry_page_is_headed_by_its_sentence(owner: TestClient) -> None:
    html = owner.get(f"/activity/events/{CREATED}").text
    assert re.search(r'<h1 class="detail__sentence"[^>]*>[^<]+</h1>', html)
    assert '<h2 class="detail__h" id="d-integrity">' in html
    panel = owner.get(f"/activity/events/{CREATED}", headers={"X-Fragment": "1"}).text
    assert re.search(r'<h3 class="detail__sentence"', panel)  # below the drawer's h2


# -- sorting, paging, empty states --------------------------------------------------------
def _header(html: str, label: str) -> str:
    pattern = rf"<th scope=\"col\" class=\"col-\w+\"[^>]*>\s*<a[^>]*>{re.escape(label)}<.*?</th>"
    match = re.search(pattern, html, re.S)
    assert match, label
    return match.group(0)


def test_sort_headers_toggle_direction(owner: TestClient) -> None:
    html = owner.get("/activity?scope=workspace").text
    time = _header(html, "Date/time")
    assert 'aria-sort="descending"' in time
    assert "sort=time" in time
    user = _header(html, "User")
    assert "aria-sort" not in user
    assert "sort=actor" in user
    html = owner.get("/activity?scope=workspace&sort=actor").text
    user = _header(html, "User")
    assert 'aria-sort="ascending"' in user
    assert "sort=-actor" in user
    assert "▲" in user
    assert 'aria-sort="descending"' not in _header(html, "Date/time")


def test_pagination_counts_rows_across_pages(owner: TestClient) -> None:
    html = owner.get("/activity?scope=workspace&category=inbox&page=2").text
    assert "Showing 21–40 of 42" in html
    numbers = re.findall(r'<td class="col-num" data-label="#">(#\d+)</td>', html)
    listed = owner.get("/api/v1/events?scope=workspace&category=inbox&page=2").json()["items"]
    assert numbers == [f"#{e['seq']}" for e in listed]  # "#" is the chain position
    assert re.search(r'href="/activity\?scope=workspace&amp;category=inbox"[^>]*rel="prev"', html)
    assert re.search(r'href="[^"]*page=3"[^>]*rel="next"', html)
    current = 'href="/activity?scope=workspace&amp;category=inbox&amp;page=2" data-nav'
    assert f'{current} aria-current="page">' in html
    small = owner.get("/activity?scope=workspace&category=inbox&per_page=10").text
    assert "Showing 1–10 of 42" in small


def test_empty_states_give_advice(site: Site, owner: TestClient) -> None:
    html = owner.get("/activity?scope=workspace&search=nothing-matches-this").text
    assert "No activity matches these filters in the last 7 days" in html
    assert "Reset filters" in html
    kim = site.client("kim@acme.example")
    html = kim.get("/activity?scope=mine&event=deleted").text
    assert "No activity matches these filters" in html
    html = kim.get("/activity?scope=mine&range=yesterday").text
    assert "No activity yesterday — widen the range or switch to Workspace" in html
    assert "Switch to Workspace" in html


def test_a_page_past_the_end_offers_the_last_page(owner: TestClient) -> None:
    html = owner.get("/activity?scope=workspace&category=inbox&page=9").text
    assert "Page 9 is past the end of the results" in html


def test_an_invalid_parameter_is_named_in_a_banner(owner: TestClient) -> None:
    reply = owner.get("/activity?per_page=7&sort=colour")
    assert reply.status_code == 422
    assert "Invalid parameters: &#39;per_page&#39; must be one of" in reply.text
    assert "&#39;sort&#39; must be one of" in reply.text
    assert "Total events" in reply.text


# -- fragments ----------------------------------------------------------------------------
def test_partials_answer_each_fragment_and_the_url(owner: TestClient) -> None:
    reply = owner.get("/activity/partials?scope=workspace&search=viewed&page=1")
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"kpis", "charts", "table", "filters", "url", "total"}
    assert body["url"] == "/activity?scope=workspace&search=viewed"
    assert "Total events" in body["kpis"]
    assert "<svg" in body["charts"]
    assert "data-events" in body["table"]
    assert 'id="f-category"' in body["filters"]


def test_partials_need_a_session(site: Site) -> None:
    reply = site.client().get("/activity/partials")
    assert reply.status_code == 401
    assert reply.json()["error"] == "unauthenticated"


def test_partials_name_an_invalid_parameter(owner: TestClient) -> None:
    reply = owner.get("/activity/partials?range=forever")
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["field"] == "range"


# -- access -------------------------------------------------------------------------------
def test_a_member_cannot_see_the_workspace(member: TestClient) -> None:
    page = member.get("/activity?scope=workspace")
    assert page.status_code == 403
    assert "only your own activity" in page.text
    assert member.get("/activity/partials?scope=workspace").status_code == 403


def test_a_member_sees_only_their_own_activity(member: TestClient) -> None:
    html = member.get("/activity").text
    assert 'name="scope"' not in html
    assert "data-delete-selected" not in html
    assert "Diego Alvarez created contact Jane Doe" in html  # no description: the sentence
    assert "Ava Thompson" not in re.sub(r"<header.*?</header>", "", html, flags=re.S)


# -- embedding ----------------------------------------------------------------------------
def test_embed_with_a_bad_token_says_the_link_expired(site: Site) -> None:
    reply = site.client().get("/embed?token=not-a-token")
    assert reply.status_code == 401
    assert "This link has expired" in reply.text
    assert 'href="/signin"' not in reply.text
    assert site.client().get("/embed").status_code == 401  # no token, no cookie
    # A signed token with text tacked on (base64 decoding skips it) never reaches a cookie.
    for tail in ("; Max-Age=99999999", ",x", " x"):
        reply = site.client().get("/embed", params={"token": _token(site) + tail})
        assert reply.status_code == 401, tail
        assert "Max-Age=9" not in reply.headers.get("set-cookie", "")


def _token(site: Site, **extra: Any) -> str:
    claims: dict[str, Any] = {"workspace": "acme", "user_id": "u_ava", "role": "owner"}
    return mint_viewer_token(site.state.secret, **{**claims, "name": "Ava Thompson", **extra})


def test_embed_trades_the_token_for_a_cookie_and_drops_it_from_the_url(site: Site) -> None:
    token = _token(site, ttl=timedelta(minutes=10))
    client = site.client()
    reply = client.get(
        f"/embed?token={token}&scope=workspace&category=inbox", follow_redirects=False
    )
    assert reply.status_code == 303
    assert reply.headers["location"] == "/embed?scope=workspace&category=inbox"
    [cookie] = [c for c in reply.headers.get_list("set-cookie") if c.startswith(EMBED_COOKIE)]
    assert f"{EMBED_COOKIE}={token};" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie  # plain http: a frame of the same site only
    assert "Secure" not in cookie
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))  # type: ignore[union-attr]
    assert 590 <= max_age <= 600  # the token's own lifetime, no longer
    assert "frame-ancestors" in reply.headers["content-security-policy"]

    page = client.get(reply.headers["location"])
    assert page.status_code == 200
    html = page.text
    assert token not in html
    assert 'class="topbar"' not in html
    assert 'action="/signout"' not in html
    assert 'data-base="/embed"' in html
    assert 'href="/embed?scope=workspace&amp;category=inbox&amp;page=2"' in html
    assert "data-delete-selected" not in html
    # What the page's script asks, through the cookie: fragments, an entry, an export.
    marked = {EMBED_HEADER: "1"}
    fragments = client.get("/activity/partials?scope=workspace", headers=marked)
    assert fragments.status_code == 200
    assert fragments.json()["url"] == "/embed?scope=workspace"
    assert token not in fragments.text
    detail = client.get(f"/activity/events/{CREATED}", headers={**marked, "X-Fragment": "1"})
    assert (detail.status_code, token in detail.text) == (200, False)
    export = client.get("/api/v1/export?format=json&scope=workspace", headers=marked)
    assert export.status_code == 200


def test_embed_cookie_over_https_is_for_third_party_frames(site: Site) -> None:
    client = TestClient(site.app, base_url="https://log.example.com")
    reply = client.get(f"/embed?token={_token(site)}", follow_redirects=False)
    assert reply.headers["location"] == "/embed"
    [cookie] = [c for c in reply.headers.get_list("set-cookie") if c.startswith(EMBED_COOKIE)]
    assert cookie.split("; ")[1:] == [
        cookie.split("; ")[1],  # Max-Age
        "Path=/",
        "HttpOnly",
        "Secure",
        "SameSite=None",
        "Partitioned",
    ]
    assert client.get("/embed").status_code == 200


def test_an_expired_embed_token_or_cookie_is_refused(site: Site) -> None:
    past = datetime.now(UTC) - timedelta(minutes=20)
    expired = _token(site, ttl=timedelta(minutes=15), now=past)
    client = site.client()
    assert client.get(f"/embed?token={_token(site)}").status_code == 200  # a live one first
    reply = client.get(f"/embed?token={expired}", follow_redirects=False)
    assert reply.status_code == 401
    assert "This link has expired" in reply.text
    # The earlier cookie is dropped: not the viewer the host asked for.
    assert f"{EMBED_COOKIE}=; Max-Age=0; Path=/" in reply.headers["set-cookie"]
    assert client.get("/embed").status_code == 401
    stale = site.client()
    stale.cookies.set(EMBED_COOKIE, expired)  # a cookie kept past its token's end
    assert stale.get("/embed").status_code == 401
    assert stale.get("/activity/partials", headers={EMBED_HEADER: "1"}).status_code == 401


# -- other pages ----------------------------------------------------------------------------
def test_the_sign_in_page_labels_its_fields(site: Site) -> None:
    html = site.client().get("/signin").text
    assert '<label class="label" for="email">Email</label>' in html
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html
    assert 'name="csrf_token"' in html
    assert 'name="next" value="/activity"' in html
    _no_inline_code(html)


def test_a_failed_sign_in_is_announced(site: Site) -> None:
    client = site.client()
    page = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    reply = client.post(
        "/signin",
        data={"email": "ava@acme.example", "password": "wrong", "csrf_token": token.group(1)},
    )
    assert reply.status_code == 401
    assert 'role="alert"' in reply.text
    assert 'value="ava@acme.example"' in reply.text


def test_exports_follow_the_current_filters(owner: TestClient) -> None:
    html = owner.get("/activity?scope=workspace&category=inbox&page=2").text
    assert (
        'href="/api/v1/export?format=csv&amp;scope=workspace&amp;category=inbox" download' in html
    )
    assert (
        'href="/api/v1/export?format=json&amp;scope=workspace&amp;category=inbox" download' in html
    )
