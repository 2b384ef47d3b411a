"""The JSON API over HTTP: every endpoint, the role x scope matrix, every error status."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
import pytest

from activitylog.access import OPERATOR

from ._support import EMAIL_BY_ROLE, PEOPLE, World, csrf_of, sign_in


def _event(**extra: Any) -> dict[str, Any]:
    return {
        "workspace": "acme",
        "actor": {"id": "u_api", "name": "Api Person"},
        "action": "contact.updated",
        "subject": {"type": "contact", "id": "c_1", "name": "Jane"},
        "changes": {"email": {"before": "a@x.io", "after": "b@x.io"}},
        **extra,
    }


def _count(world: World, **filters: Any) -> int:
    return world.state.log.count(**filters)


# -- ingest -----------------------------------------------------------------------------
def test_one_event_is_stored_and_answered_with_id_seq_and_hashes(fresh: World) -> None:
    reply = fresh.client().post(
        "/api/v1/events", json=_event(), headers=fresh.bearer("acme_ingest")
    )
    assert reply.status_code == 201, reply.text
    [stored] = reply.json()["events"]
    assert set(stored) == {"id", "seq", "content_hash", "chain_hash", "duplicate"}
    assert stored["seq"] == 1
    assert stored["duplicate"] is False
    assert fresh.state.log.get(stored["id"])["action"] == "contact.updated"


def test_a_batch_is_idempotent_on_id(fresh: World) -> None:
    client = fresh.client()
    events = [_event(id=f"0190b4a0-0000-7000-8000-00000000000{i}") for i in range(3)]
    first = client.post(
        "/api/v1/events", json={"events": events}, headers=fresh.bearer("acme_ingest")
    )
    again = client.post(
        "/api/v1/events", json={"events": events}, headers=fresh.bearer("acme_ingest")
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert [{**e, "duplicate": True} for e in first.json()["events"]] == again.json()["events"]
    assert _count(fresh, workspace="acme") == 3


def test_an_invalid_batch_lists_every_invalid_index_and_stores_nothing(fresh: World) -> None:
    events = [_event(), _event(action="Bad Action"), _event(), _event(result="maybe")]
    reply = fresh.client().post(
        "/api/v1/events", json={"events": events}, headers=fresh.bearer("acme_ingest")
    )
    assert reply.status_code == 422
    body = reply.json()
    assert body["error"] == "validation"
    assert {(e["index"], e["field"]) for e in body["errors"]} == {(1, "action"), (3, "result")}
    assert _count(fresh) == 0


def test_body_limits(fresh: World) -> None:
    client, key = fresh.client(), fresh.bearer("acme_ingest")
    huge = {"events": [_event(description="x" * 1900)] * 1000}
    big = orjson.dumps({"padding": "x" * (fresh.state.settings.max_body_bytes + 1)})
    assert client.post("/api/v1/events", content=big, headers=key).status_code == 413
    too_many = client.post("/api/v1/events", json={"events": [_event()] * 1001}, headers=key)
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "events"
    assert client.post("/api/v1/events", json=huge, headers=key).status_code == 201
    not_json = client.post("/api/v1/events", content=b"{nope", headers=key)
    assert not_json.status_code == 422
    assert not_json.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize(
    ("key", "event", "status"),
    [
        (None, _event(), 401),
        ("acme_read", _event(), 403),
        ("acme_ingest", _event(workspace="globex"), 403),
        ("acme_ingest", _event(layer="platform"), 403),
        ("platform_ingest", _event(workspace="globex", layer="platform"), 201),
    ],
)
def test_who_may_send_what(
    fresh: World, key: str | None, event: dict[str, Any], status: int
) -> None:
    headers = fresh.bearer(key) if key else {}
    reply = fresh.client().post("/api/v1/events", json=event, headers=headers)
    assert reply.status_code == status, reply.text
    if status != 201:
        assert _count(fresh) == 0


def test_integers_beyond_64_bits_are_refused_by_path(fresh: World) -> None:
    headers = fresh.bearer("acme_ingest")
    fits = b'{"workspace": "acme", "action": "a.b", "details": {"n": 18446744073709551615}}'
    too_big = (
        b'{"workspace": "acme", "action": "a.b", "snapshot": {"r": [{"q": -9223372036854775809}]},'
        b' "changes": {"total": {"before": 1, "after": 100000000000000000000000}}}'
    )
    reply = fresh.client().post(
        "/api/v1/events", content=b'{"events": [' + fits + b", " + too_big + b"]}", headers=headers
    )
    assert reply.status_code == 422, reply.text
    assert {(e["index"], e["field"]) for e in reply.json()["errors"]} == {
        (1, "changes.total.after"),
        (1, "snapshot.r[0].q"),
    }
    assert _count(fresh) == 0
    kept = fresh.client().post("/api/v1/events", content=fits, headers=headers)
    assert kept.status_code == 201, kept.text
    stored = fresh.state.log.get(kept.json()["events"][0]["id"])
    assert stored["details"] == {"n": 18446744073709551615}  # exact: no float on the way


def test_a_workspace_key_fills_in_its_workspace(fresh: World) -> None:
    event = _event()
    del event["workspace"]
    reply = fresh.client().post("/api/v1/events", json=event, headers=fresh.bearer("acme_ingest"))
    assert reply.status_code == 201
    assert fresh.state.log.get(reply.json()["events"][0]["id"])["workspace"] == "acme"


def test_bad_and_revoked_keys_are_refused(fresh: World) -> None:
    client = fresh.client()
    assert (
        client.get("/api/v1/events", headers={"Authorization": "Bearer alk_nope"}).status_code
        == 401
    )
    assert client.get("/api/v1/events", headers={"Authorization": "Basic x"}).status_code == 401
    [key] = [k for k in fresh.state.accounts.list_keys() if k.name == "acme_read"]
    fresh.state.accounts.revoke_key(key.id)
    assert client.get("/api/v1/events", headers=fresh.bearer("acme_read")).status_code == 401


# -- reading: the role x scope matrix ---------------------------------------------------
ROLE_BY_SCOPE = [
    ("owner", "workspace", 200),
    ("owner", "mine", 200),
    ("admin", "workspace", 200),
    ("admin", "mine", 200),
    ("member", "workspace", 403),
    ("member", "mine", 200),
    ("viewer", "workspace", 403),
    ("viewer", "mine", 200),
    ("platform_admin", "workspace", 200),
    ("platform_admin", "mine", 200),
]


@pytest.mark.parametrize(("role", "scope", "status"), ROLE_BY_SCOPE)
def test_role_by_scope(world: World, role: str, scope: str, status: int) -> None:
    client = world.client(role)
    reply = client.get("/api/v1/events", params={"scope": scope, "range": "last_30_days"})
    assert reply.status_code == status, reply.text
    if status != 200:
        assert reply.json()["error"] == "forbidden"
        return
    items = reply.json()["items"]
    user_id = PEOPLE[EMAIL_BY_ROLE[role]][0]
    if scope == "mine":
        assert all(e["actor"]["id"] == user_id for e in items)
    elif role != "platform_admin":
        assert {e["workspace"] for e in items} == {"acme"}
        assert len({e["actor"]["id"] for e in items}) > 1


@pytest.mark.parametrize(("role", "scope", "status"), ROLE_BY_SCOPE)
def test_role_by_scope_holds_for_stats_and_export(
    world: World, role: str, scope: str, status: int
) -> None:
    client = world.client(role)
    view = {"scope": scope, "range": "last_30_days"}
    client.get("/api/v1/events", params=view)  # the session's read is recorded first
    replies = [
        client.get("/api/v1/events", params=view),
        client.get("/api/v1/stats", params=view),
        client.get("/api/v1/export", params={**view, "format": "json"}),
    ]
    assert [r.status_code for r in replies] == [status] * 3, [r.text for r in replies]
    if status != 200:
        assert {r.json()["error"] for r in replies} == {"forbidden"}
        return
    listed, stats, exported = (r.json() for r in replies)
    assert stats["kpis"]["total"] == listed["total"] == len(exported) > 0
    actors = {e["actor"]["id"] for e in exported}
    if scope == "mine":
        assert actors == {PEOPLE[EMAIL_BY_ROLE[role]][0]}
    else:
        assert len(actors) > 1


@pytest.mark.parametrize(
    ("role", "sees_others"),
    [
        ("owner", True),
        ("admin", True),
        ("member", False),
        ("viewer", False),
        ("platform_admin", True),
    ],
)
def test_role_decides_which_details_are_found(world: World, role: str, sees_others: bool) -> None:
    me = PEOPLE[EMAIL_BY_ROLE[role]][0]
    other = "u_diego" if me != "u_diego" else "u_ben"
    client = world.client(role)
    own = world.state.log.record(
        workspace="acme", action="contact.viewed", actor={"id": me, "name": "Me"}
    )
    mine = client.get(f"/api/v1/events/{own['id']}")
    theirs = client.get(f"/api/v1/events/{_acme_event(world, actor=other)['id']}")
    assert mine.status_code == 200
    assert theirs.status_code == (200 if sees_others else 404)


def test_members_see_only_their_own_events_by_default(world: World) -> None:
    body = world.client("member").get("/api/v1/events?range=last_30_days&per_page=100").json()
    assert body["total"] > 0
    assert {e["actor"]["id"] for e in body["items"]} == {"u_diego"}


def test_platform_admins_read_any_workspace(world: World) -> None:
    client = world.client("platform_admin")
    reply = client.get("/api/v1/events?scope=workspace&workspace=globex&range=last_30_days")
    assert reply.status_code == 200
    assert {e["workspace"] for e in reply.json()["items"]} == {"globex"}


def test_keys_read_their_workspace_only(world: World) -> None:
    client = world.client()
    own = client.get("/api/v1/events?range=last_30_days", headers=world.bearer("acme_read"))
    assert own.status_code == 200
    assert {e["workspace"] for e in own.json()["items"]} == {"acme"}
    other = client.get("/api/v1/events?workspace=acme", headers=world.bearer("globex_read"))
    assert other.status_code == 403
    ingest = client.get("/api/v1/events", headers=world.bearer("acme_ingest"))
    assert ingest.status_code == 403


def test_no_credentials_is_401(world: World) -> None:
    for path in ("/api/v1/events", "/api/v1/stats", "/api/v1/export", "/api/v1/verify"):
        reply = world.client().get(path)
        assert reply.status_code == 401, path
        assert reply.headers["www-authenticate"] == "Bearer"


def test_filters_sort_and_pages(world: World) -> None:
    client = world.client("owner")
    query = "scope=workspace&range=last_30_days&category=auth&sort=actor:asc&per_page=10&page=2"
    body = client.get(f"/api/v1/events?{query}").json()
    assert body["page"] == 2
    assert body["per_page"] == 10
    assert body["sort"] == "actor:asc"
    assert {e["category"] for e in body["items"]} == {"auth"}
    names = [e["actor"]["name"] for e in body["items"]]
    assert names == sorted(names, key=str.casefold) or names == sorted(names)
    bad = client.get("/api/v1/events?per_page=7&range=forever&tz=Mars/Base")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"per_page", "range", "tz"}


def test_events_filter_and_its_older_name(world: World) -> None:
    client = world.client("owner")
    base = "/api/v1/events?scope=workspace&range=last_30_days&per_page=100"
    named = client.get(f"{base}&events=auth.signed_in,updated").json()
    assert named["total"] > 0
    assert {e["action"] for e in named["items"] if e["verb"] != "updated"} == {"auth.signed_in"}
    assert client.get(f"{base}&event=auth.signed_in&event=updated").json() == named


@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/stats", "/api/v1/export"])
@pytest.mark.parametrize(
    ("query", "field", "value"),
    [
        ("category=billing", "category", "'billing'"),
        ("events=contact.updatd", "events", "'contact.updatd'"),
        ("event=nonsense", "events", "'nonsense'"),
        ("events=Signed In", "events", "'Signed In'"),
        ("result=maybe", "result", "'maybe'"),
    ],
)
def test_unknown_filter_values_are_422_naming_them(
    world: World, path: str, query: str, field: str, value: str
) -> None:
    reply = world.client("owner").get(f"{path}?scope=workspace&{query}")
    assert reply.status_code == 422, reply.text
    [error] = reply.json()["errors"]
    assert error["field"] == field
    assert value in error["reason"]


def test_an_action_only_the_log_knows_is_a_filter(fresh: World) -> None:
    fresh.state.log.record(**_event(action="project.archived"))
    client = fresh.client("owner")
    for value in ("project.archived", "archived"):
        reply = client.get(f"/api/v1/events?scope=workspace&events={value}")
        assert reply.status_code == 200, reply.text
        assert [e["action"] for e in reply.json()["items"]] == ["project.archived"]


def test_export_without_a_range_is_the_last_7_days(world: World) -> None:
    client = world.client("owner")

    def exported(query: str) -> set[str]:
        reply = client.get(f"/api/v1/export?format=ndjson&scope=workspace&category=inbox{query}")
        return {orjson.loads(line)["id"] for line in reply.text.splitlines()}

    week = exported("")
    assert week == exported("&range=last_7_days")
    assert week < exported("&range=last_90_days")  # the world holds older events too


def test_hostile_parameters_cannot_inject_sql(world: World) -> None:
    client = world.client("owner")
    assert client.get("/api/v1/events?sort=time;DROP TABLE events").status_code == 422
    for name in ("user", "category", "event", "search", "subject_id"):
        reply = client.get(
            "/api/v1/events", params={name: "x' OR '1'='1' --", "scope": "workspace"}
        )
        assert reply.status_code in (200, 422), name
        if reply.status_code == 200:
            assert reply.json()["total"] == 0, name
    assert world.state.log.count() > 0


@pytest.mark.parametrize(
    "path", ["/api/v1/events", "/api/v1/stats", "/activity", "/activity/partials"]
)
def test_dates_out_of_range_are_refused_by_name(world: World, path: str) -> None:
    client = world.client("owner")
    for since, until, field in (
        ("1000-01-01", "2026-01-01", "since"),
        ("0202-01-01", "2026-01-01", "since"),
        ("2026-01-01", "9999-12-31", "until"),
    ):
        reply = client.get(path, params={"range": "custom", "since": since, "until": until})
        assert reply.status_code == 422, (path, since, until)
        if path.startswith("/api/"):
            assert [e["field"] for e in reply.json()["errors"]] == [field]


@pytest.mark.parametrize("page", ["461168601842738792", "9223372036854775808", "9" * 150])
@pytest.mark.parametrize(
    "path", ["/api/v1/events", "/api/v1/export", "/activity/partials", "/activity"]
)
def test_a_page_past_what_the_database_takes_is_refused_by_name(
    world: World, path: str, page: str
) -> None:
    reply = world.client("owner").get(path, params={"page": page})
    assert reply.status_code == 422, reply.text
    if path.startswith("/api/"):
        assert [e["field"] for e in reply.json()["errors"]] == ["page"]
    else:
        assert "page" in reply.text
    last = world.client("owner").get("/api/v1/events", params={"page": "461168601842738791"})
    assert (last.status_code, last.json()["items"]) == (200, [])


# -- detail -------------------------------------------------------------------------------
def _acme_event(world: World, actor: str | None = None) -> dict[str, Any]:
    """The newest of acme's own entries: its owner sees the workspace layer, not the
    platform's entries about acme, which the world seeds at times of day."""
    filters: dict[str, Any] = {
        "workspace": "acme",
        "range": "last_30_days",
        "layer": "workspace",
        "per_page": 10,
    }
    if actor:
        filters["users"] = (actor,)
    return world.state.log.query(**filters).items[0]


def test_detail_with_integrity(world: World) -> None:
    event = _acme_event(world)
    reply = world.client("owner").get(f"/api/v1/events/{event['id']}")
    assert reply.status_code == 200
    body = reply.json()
    assert body["id"] == event["id"]
    assert body["integrity"]["verified"] is True
    assert body["integrity"]["content_ok"] is True


def test_ids_are_found_in_any_case(world: World) -> None:
    # (the whole workspace: lists default to the caller's own activity, and the newest
    # entry may be another person's, recorded by an earlier test of the module)
    event = _acme_event(world)
    client = world.client("owner")
    for spelling in (event["id"].upper(), event["id"].replace("-", "")):
        reply = client.get(f"/api/v1/events/{spelling}")
        assert (reply.status_code, reply.json()["id"]) == (200, event["id"])
        where = {"id": spelling, "range": "last_30_days", "scope": "workspace"}
        listed = client.get("/api/v1/events", params=where)
        assert [e["id"] for e in listed.json()["items"]] == [event["id"]]
        exported = client.get("/api/v1/export", params={**where, "format": "ndjson"})
        assert [orjson.loads(line)["id"] for line in exported.text.splitlines()] == [event["id"]]
        fragment = client.get(f"/activity/events/{spelling}", headers={"X-Fragment": "1"})
        assert fragment.status_code == 200


def test_detail_of_an_event_the_caller_may_not_see_is_404(world: World) -> None:
    someone_else = _acme_event(world, actor="u_ben")
    assert world.client("member").get(f"/api/v1/events/{someone_else['id']}").status_code == 404
    globex = world.state.log.query(workspace="globex", range="last_30_days").items[0]
    assert world.client("owner").get(f"/api/v1/events/{globex['id']}").status_code == 404
    assert world.client("owner").get("/api/v1/events/not-an-id").status_code == 404


# -- stats ------------------------------------------------------------------------------
def test_stats(world: World) -> None:
    client = world.client("owner")
    # The first read of an API session is recorded after it is answered: count after it.
    assert client.get("/api/v1/events?scope=workspace&range=last_30_days").status_code == 200
    listed = client.get("/api/v1/events?scope=workspace&range=last_30_days").json()["total"]
    body = client.get("/api/v1/stats?scope=workspace&range=last_30_days&group=weekly")
    assert body.status_code == 200
    stats = body.json()
    assert set(stats) == {"kpis", "volume", "split", "split_percent", "top_actors", "by_category"}
    assert stats["kpis"]["total"] == listed
    kpis = stats["kpis"]
    assert kpis["sign_ins"] + kpis["writes"] + kpis["reads_other"] == listed
    assert stats["split"] == {k: kpis[k] for k in ("sign_ins", "writes", "reads_other")}
    assert sum(stats["split_percent"].values()) == 100
    for query in ("result=failure", "category=auth", "search=sign"):
        other = client.get(f"/api/v1/stats?scope=workspace&range=last_30_days&{query}").json()
        k = other["kpis"]
        assert k["sign_ins"] + k["writes"] + k["reads_other"] == k["total"], query
    assert all(c["count"] > 0 for c in stats["by_category"])
    assert len(stats["top_actors"]) <= 4


# -- export -----------------------------------------------------------------------------
def test_csv_export_streams_the_filters_and_is_recorded(world: World) -> None:
    client = world.client("owner")
    reply = client.get("/api/v1/export?format=csv&scope=workspace&range=last_30_days&category=auth")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    expected = world.state.log.count(workspace="acme", range="last_30_days", categories=("auth",))
    assert len(rows) == expected
    recorded = world.state.log.query(
        workspace="acme", events=("activity_log.exported",), range="today", per_page=10
    ).items[0]
    assert recorded["actor"]["id"] == "u_ava"
    assert recorded["details"]["rows"] == expected
    assert recorded["details"]["filters"]["category"] == ["auth"]


def test_json_export_of_chosen_ids(world: World) -> None:
    ids = [e["id"] for e in world.state.log.query(workspace="acme", range="last_30_days").items[:3]]
    query = "&".join(f"id={i}" for i in ids)
    reply = world.client("owner").get(f"/api/v1/export?format=json&scope=workspace&{query}")
    assert reply.status_code == 200
    assert sorted(e["id"] for e in reply.json()) == sorted(ids)
    assert world.client("owner").get("/api/v1/export?format=xml").status_code == 422


def test_csv_export_neutralises_formulas(fresh: World) -> None:
    fresh.state.log.record(**_event(description='=HYPERLINK("http://evil")'))
    reply = fresh.client("owner").get("/api/v1/export?format=csv&scope=workspace")
    [row] = [r for r in csv.DictReader(io.StringIO(reply.text)) if r["action"] == "contact.updated"]
    assert row["description"].startswith("'=")


# -- delete -----------------------------------------------------------------------------
def test_owners_delete_with_a_reason_and_it_is_recorded(fresh: World) -> None:
    ids = [fresh.state.log.record(**_event())["id"] for _ in range(2)]
    client = fresh.client("owner")
    token = csrf_of(client)
    reply = client.post(
        "/api/v1/events/delete",
        json={"ids": [*ids, "missing"], "reason": "GDPR request"},
        headers={"X-CSRF-Token": token},
    )
    assert reply.status_code == 200, reply.text
    assert sorted(reply.json()["deleted"]) == sorted(ids)
    assert reply.json()["not_found"] == ["missing"]
    assert fresh.state.log.get(ids[0], viewer=OPERATOR)["deleted_at"] is not None
    recorded = fresh.state.log.query(workspace="acme", events=("activity_log.deleted",)).items
    assert recorded[0]["details"]["count"] == 2


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_only_owners_delete(fresh: World, role: str) -> None:
    event_id = fresh.state.log.record(**_event())["id"]
    client = fresh.client(role)
    reply = client.post(
        "/api/v1/events/delete",
        json={"ids": [event_id], "reason": "x"},
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    assert reply.status_code == 403
    assert fresh.state.log.get(event_id)["deleted_at"] is None


def test_delete_by_id_in_any_case(fresh: World) -> None:
    event_id = fresh.state.log.record(**_event())["id"]
    client = fresh.client("owner")
    reply = client.post(
        "/api/v1/events/delete",
        json={"ids": [event_id.upper(), "01900000-0000-7000-8000-00000000000F"], "reason": "x"},
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["deleted"] == [event_id]
    assert reply.json()["not_found"] == ["01900000-0000-7000-8000-00000000000f"]
    assert fresh.state.log.get(event_id)["deleted_at"] is not None


def test_delete_needs_csrf_and_a_reason(fresh: World) -> None:
    event_id = fresh.state.log.record(**_event())["id"]
    client = fresh.client("owner")
    no_token = client.post("/api/v1/events/delete", json={"ids": [event_id], "reason": "x"})
    assert no_token.status_code == 403
    no_reason = client.post(
        "/api/v1/events/delete",
        json={"ids": [event_id], "reason": " "},
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    by_key = fresh.client().post(
        "/api/v1/events/delete",
        json={"ids": [event_id], "reason": "x"},
        headers=fresh.bearer("acme_read"),
    )
    assert by_key.status_code == 403
    assert fresh.state.log.get(event_id)["deleted_at"] is None


# -- verify -----------------------------------------------------------------------------
def test_verify(world: World) -> None:
    body = world.client("owner").get("/api/v1/verify").json()
    assert body["ok"] is True
    assert body["workspace"] == "acme"
    assert body["entries"] > 0
    assert world.client("member").get("/api/v1/verify").status_code == 403
    platform = world.client("platform_admin")
    assert platform.get("/api/v1/verify").status_code == 422
    assert platform.get("/api/v1/verify?workspace=globex").json()["workspace"] == "globex"


# -- reading is recorded --------------------------------------------------------------------
def test_api_reads_are_recorded_once_per_session(fresh: World) -> None:
    client = fresh.client()
    for _ in range(3):
        client.get("/api/v1/events?range=today", headers=fresh.bearer("acme_read"))
    viewed = fresh.state.log.query(workspace="acme", events=("activity_log.viewed",)).items
    assert len(viewed) == 1
    assert viewed[0]["actor"]["type"] == "api"


# -- viewer tokens -------------------------------------------------------------------------
def test_viewer_tokens_minted_by_a_read_key(world: World) -> None:
    client = world.client()
    body = {"user_id": "u_diego", "role": "member", "ttl_seconds": 600}
    reply = client.post("/api/v1/viewer-tokens", json=body, headers=world.bearer("acme_read"))
    assert reply.status_code == 201, reply.text
    token = reply.json()["token"]
    events = client.get(
        "/api/v1/events?range=last_30_days", headers={"Authorization": f"Bearer {token}"}
    ).json()["items"]
    assert events
    assert {e["actor"]["id"] for e in events} == {"u_diego"}
    for key, payload, status in (
        ("acme_ingest", body, 403),
        ("globex_read", {**body, "workspace": "acme"}, 403),
        ("acme_read", {**body, "ttl_seconds": 7200}, 422),
    ):
        assert (
            client.post(
                "/api/v1/viewer-tokens", json=payload, headers=world.bearer(key)
            ).status_code
            == status
        )


# -- documents and headers -----------------------------------------------------------------
def test_openapi_and_docs_are_served_without_a_cdn(world: World) -> None:
    client = world.client()
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/v1/events",
        "/api/v1/events/{event_id}",
        "/api/v1/stats",
        "/api/v1/export",
        "/api/v1/events/delete",
        "/api/v1/verify",
    ):
        assert path in spec["paths"], path
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "//cdn" not in docs.text
    assert "https://" not in docs.text
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200


def test_security_headers(world: World) -> None:
    reply = world.client().get("/signin")
    csp = reply.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert reply.headers["x-content-type-options"] == "nosniff"


def test_sign_in_failures_look_the_same_and_are_recorded(fresh: World) -> None:
    client = fresh.client()
    texts = []
    for email in ("nobody@acme.example", EMAIL_BY_ROLE["owner"]):
        page = client.get("/signin").text
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        reply = client.post(
            "/signin", data={"email": email, "password": "wrong-password", "csrf_token": token}
        )
        assert reply.status_code == 401
        texts.append("Wrong email or password." in reply.text)
    assert texts == [True, True]
    failed = fresh.state.log.query(events=("auth.sign_in_failed",), range="today").items
    assert {e["details"]["email"] for e in failed} == {
        "nobody@acme.example",
        EMAIL_BY_ROLE["owner"],
    }
    assert all(e["actor"]["name"] == "System" for e in failed)
    sign_in(client, EMAIL_BY_ROLE["owner"])
    assert fresh.state.log.query(events=("auth.signed_in",), range="today").total == 1


def test_ingest_on_a_full_disk_is_507_with_retry_after_and_stores_nothing(fresh: World) -> None:
    from store._disk import full_disk

    big = {"blob": "y" * 8000}
    client, key = fresh.client(), fresh.bearer("acme_ingest")
    assert client.post("/api/v1/events", json=_event(details=big), headers=key).status_code == 201
    batch = {"events": [_event(details=big) for _ in range(40)]}
    with full_disk(fresh.state.log):
        reply = client.post("/api/v1/events", json=batch, headers=key)
    assert reply.status_code == 507, reply.text
    assert reply.headers["Retry-After"] == "60"
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["error"] == "storage_full"
    assert "nothing of this request was stored" in reply.json()["detail"]
    assert fresh.state.log.count() == 1
    assert client.post("/api/v1/events", json=batch, headers=key).status_code == 201
    assert fresh.state.log.count() == 41
    assert fresh.state.log.verify().ok
