"""The web app with its accounts in a database apart from the log's (``accounts_db``):
signing in, pages, keys, sessions and workspace settings reach them there, and none of it
lands in the log's database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, inspect, select

from activitylog.accounts.schema import web_sessions, workspace_settings

from ._support import World, build_world, csrf_of


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def apart(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    root = tmp_path_factory.mktemp("apart")
    if request.param == "sqlite":
        built = build_world(root, 200, accounts_db=f"sqlite:///{root / 'accounts.db'}")
        yield built
        built.state.log.close()
        return
    schema = request.getfixturevalue("postgres_schema")
    with schema() as url:
        built = build_world(root, 200, accounts_db=url)
        yield built
        built.state.log.close()


def test_the_log_database_holds_no_accounts(apart: World) -> None:
    log = apart.state.log
    assert apart.state.accounts is log.accounts()
    assert apart.state.accounts.engine is not log.store.engine
    with log.store.engine.connect() as conn:
        assert not {"users", "api_keys", "web_sessions"} & set(inspect(conn).get_table_names())


def test_signing_in_opens_the_page_with_a_session_kept_apart(apart: World) -> None:
    owner = apart.client("owner")
    page = owner.get("/activity")
    assert page.status_code == 200, page.text
    assert "Activity" in page.text
    with apart.state.accounts.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(web_sessions)).scalar_one() >= 1
    assert apart.client().get("/activity", follow_redirects=False).status_code in (302, 303)


def test_keys_kept_apart_write_and_read_their_workspace(apart: World) -> None:
    client = apart.client()
    event = {"workspace": "acme", "action": "contact.updated", "actor": {"id": "u_ava"}}
    written = client.post("/api/v1/events", json=event, headers=apart.bearer("acme_ingest"))
    assert written.status_code == 201, written.text
    read = client.get("/api/v1/events?workspace=acme", headers=apart.bearer("acme_read"))
    assert read.status_code == 200, read.text
    assert read.json()["items"]
    other = client.get("/api/v1/events?workspace=acme", headers=apart.bearer("globex_read"))
    assert other.status_code == 403


def test_settings_change_where_the_accounts_are_and_rule_the_log(apart: World) -> None:
    owner = apart.client("owner")
    reply = owner.patch(
        "/api/v1/workspaces/acme/settings",
        json={"link_base": "https://app.example.com/"},
        headers={"X-CSRF-Token": csrf_of(owner)},
    )
    assert reply.status_code == 200, reply.text
    assert apart.state.accounts.workspace_settings("acme").link_base == "https://app.example.com/"
    with apart.state.accounts.engine.connect() as conn:
        names = conn.execute(
            select(workspace_settings.c.name).where(workspace_settings.c.workspace == "acme")
        ).scalars()
        assert {"log_access", "link_base"} <= set(names)
    # acme's log_access "own" (set by the fixture, kept apart): a member reads their own
    path = "/api/v1/events?workspace=acme&per_page=100"
    everyone = {item["actor"]["id"] for item in owner.get(path).json()["items"]}
    member = apart.client("member").get(path)
    assert member.status_code == 200, member.text
    own = {item["actor"]["id"] for item in member.json()["items"]}
    assert own == {"u_diego"}
    assert "u_ava" in everyone  # the owner's latest: their own visits and changes
