"""Cursor pages on GET /api/v1/events: ``limit`` with ``after`` / ``before``,
``next_cursor`` / ``prev_cursor`` in the body and a ``Link`` header."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ._support import World

URL = "/api/v1/events"
START = datetime.now(UTC) - timedelta(days=2)
WINDOW = {
    "range": "custom",
    "since": (START - timedelta(days=1)).isoformat(),
    "until": (START + timedelta(days=1)).isoformat(),
}


def _events(first: int, count: int, step: int = 7) -> list[dict[str, Any]]:
    return [
        {
            "id": f"0190b4a0-0000-7000-8000-{i:012x}",
            "workspace": "acme",
            "action": "contact.updated",
            "actor": {"id": f"u{i % 3}", "name": ["Ava", "Ben", "Cy"][i % 3]},
            "occurred_at": (START - timedelta(minutes=(i * step) % 1400)).isoformat(),
        }
        for i in range(first, first + count)
    ]


def _record(world: World, events: list[dict[str, Any]]) -> None:
    reply = world.client().post(URL, json={"events": events}, headers=world.bearer("acme_ingest"))
    assert reply.status_code == 201, reply.text


def _links(reply: Any) -> dict[str, dict[str, list[str]]]:
    """rel -> query of each Link."""
    found = re.findall(r'<([^>]+)>; rel="(\w+)"', reply.headers.get("link", ""))
    return {rel: parse_qs(urlsplit(url).query) for url, rel in found}


@pytest.mark.parametrize("sort", ["-time", "actor:asc"])
def test_paging_while_events_arrive_sees_each_once(fresh: World, sort: str) -> None:
    _record(fresh, _events(1, 40))
    client, key = fresh.client(), fresh.bearer("acme_read")
    seen: list[str] = []
    params: dict[str, Any] = {**WINDOW, "sort": sort, "limit": 6}
    arriving = 1000
    while True:
        reply = client.get(URL, params=params, headers=key)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["limit"] == 6
        seen += [e["id"] for e in body["items"]]
        _record(fresh, _events(arriving, 3, step=13))  # before, among and after the cursor
        arriving += 3
        links = _links(reply)
        if body["next_cursor"] is None:
            assert "next" not in links
            break
        assert links["next"]["after"] == [body["next_cursor"]]
        assert links["next"]["sort"] == [sort]  # the filters and sort are kept
        params = {**WINDOW, "sort": sort, "limit": 6, "after": body["next_cursor"]}
    assert len(seen) == len(set(seen)), "an id was seen twice"
    assert {e["id"] for e in _events(1, 40)} <= set(seen), "an id was skipped"


def test_prev_cursor_and_link_lead_back(fresh: World) -> None:
    _record(fresh, _events(1, 12))
    client, key = fresh.client(), fresh.bearer("acme_read")
    first = client.get(URL, params={**WINDOW, "limit": 5}, headers=key).json()
    assert first["prev_cursor"] is None
    second = client.get(
        URL, params={**WINDOW, "limit": 5, "after": first["next_cursor"]}, headers=key
    )
    prev = _links(second)["prev"]
    back = client.get(URL, params={**WINDOW, **{k: v[0] for k, v in prev.items()}}, headers=key)
    assert [e["id"] for e in back.json()["items"]] == [e["id"] for e in first["items"]]


def test_a_numbered_page_has_cursors_and_links_too(fresh: World) -> None:
    _record(fresh, _events(1, 12))
    reply = fresh.client().get(
        URL, params={**WINDOW, "per_page": 10}, headers=fresh.bearer("acme_read")
    )
    body = reply.json()
    assert body["page"] == 1
    assert "limit" not in body
    assert body["next_cursor"] is not None
    assert _links(reply)["next"]["limit"] == ["10"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "5", "page": "2"}, "page"),
        ({"limit": "5", "after": "garbage!"}, "after"),
        ({"after": "x", "before": "y"}, "before"),
    ],
)
def test_bad_paging_is_a_422_naming_the_parameter(
    world: World, params: dict[str, str], field: str
) -> None:
    reply = world.client("owner").get(URL, params=params)
    assert reply.status_code == 422, reply.text
    assert field in {e["field"] for e in reply.json()["errors"]}


def test_a_cursor_for_another_sort_is_refused(fresh: World) -> None:
    _record(fresh, _events(1, 5))
    client, key = fresh.client(), fresh.bearer("acme_read")
    first = client.get(URL, params={**WINDOW, "limit": 2}, headers=key).json()
    other = client.get(
        URL,
        params={**WINDOW, "limit": 2, "sort": "actor:asc", "after": first["next_cursor"]},
        headers=key,
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "after"
