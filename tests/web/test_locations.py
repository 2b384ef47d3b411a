"""Where an entry's IP was, on the page and through the API: the detail panel's "IP address
and location", the IP's tooltip, the Country filter with its counts, the ``countries``
parameter and its 422, the exports' ``country`` column."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import orjson
import pytest

from activitylog.web.locations import location_view

from ._support import World

EVENTS = {
    "de": "2003::1",  # Deutsche Telekom, Germany
    "gb": "81.2.69.142",  # Andrews & Arnold, United Kingdom
    "private": "10.1.2.3",
    "reserved": "192.0.2.7",
}


@pytest.fixture
def located(fresh: World) -> tuple[World, dict[str, str]]:
    ids = {}
    for name, ip in EVENTS.items():
        event = fresh.state.log.record(
            workspace="acme",
            action="contact.updated",
            actor={"id": "u_ava", "name": "Ava Thompson"},
            ip=ip,
            description=f"from {name}",
        )
        ids[name] = event["id"]
    return fresh, ids


def api(world: World, query: str) -> Any:
    return world.client().get(f"/api/v1/events?{query}", headers=world.bearer("acme_read"))


def test_api_events_carry_their_location(located: tuple[World, dict[str, str]]) -> None:
    world, ids = located
    reply = world.client().get(f"/api/v1/events/{ids['de']}", headers=world.bearer("acme_read"))
    assert reply.status_code == 200, reply.text
    assert reply.json()["location"] == {
        "country": "DE",
        "country_name": "Germany",
        "asn": None,
        "network": "Deutsche Telekom AG",
        "scope": "public",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("countries=DE", {"de"}),
        ("countries=de,gb", {"de", "gb"}),
        ("countries=DE&countries=GB", {"de", "gb"}),
        ("country=GB", {"gb"}),
        ("countries=FR", set()),
    ],
)
def test_api_countries_filter(
    located: tuple[World, dict[str, str]], query: str, expected: set[str]
) -> None:
    world, ids = located
    reply = api(world, query)
    assert reply.status_code == 200, reply.text
    assert {item["id"] for item in reply.json()["items"]} == {ids[n] for n in expected}


@pytest.mark.parametrize("bad", ["XX", "Germany", "D", "1A", "DE,ZZ"])
def test_api_refuses_an_unknown_country_with_a_422_naming_it(
    located: tuple[World, dict[str, str]], bad: str
) -> None:
    world, _ = located
    reply = api(world, f"countries={bad}")
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in reply.json()["errors"]] == ["countries"]
    assert world.client("owner").get(f"/activity?countries={bad}").status_code == 422


def test_export_has_a_country_column_and_the_location(
    located: tuple[World, dict[str, str]],
) -> None:
    world, ids = located
    reply = world.client().get("/api/v1/export?format=csv", headers=world.bearer("acme_read"))
    assert reply.status_code == 200, reply.text
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(reply.text))}
    assert rows[ids["de"]]["country"] == "DE"
    assert rows[ids["gb"]]["country"] == "GB"
    assert rows[ids["private"]]["country"] == ""
    reply = world.client().get("/api/v1/export?format=ndjson", headers=world.bearer("acme_read"))
    lines = [orjson.loads(line) for line in reply.text.splitlines()]
    by_id = {line["id"]: line for line in lines}
    assert by_id[ids["reserved"]]["location"]["scope"] == "reserved"


def test_the_detail_panel_and_the_tooltip_say_where(
    located: tuple[World, dict[str, str]],
) -> None:
    world, ids = located
    client = world.client("owner")
    detail = client.get(f"/activity/events/{ids['de']}").text
    section = detail[detail.index("IP address and location") :]
    assert "2003::1" in section
    assert "Germany (DE)" in section
    assert "Deutsche Telekom AG" in section
    private = client.get(f"/activity/events/{ids['private']}").text
    assert "Private address" in private[private.index("IP address and location") :]
    reserved = client.get(f"/activity/events/{ids['reserved']}").text
    assert "Reserved address" in reserved
    page = client.get("/activity").text
    assert 'title="2003::1 · Germany (DE) · Deutsche Telekom AG"' in page
    assert 'title="10.1.2.3 · Private address"' in page


def test_the_country_filter_lists_countries_with_their_counts(
    located: tuple[World, dict[str, str]],
) -> None:
    world, ids = located
    client = world.client("owner")
    page = client.get("/activity").text
    select = re.search(r'<select class="select" id="f-country".*?</select>', page, re.S)
    assert select is not None
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0))
    assert options == [
        ("", "All countries"),
        ("DE", "Germany (1)"),
        ("GB", "United Kingdom (1)"),
    ]
    chosen = client.get("/activity?countries=gb").text
    assert 'value="GB" selected' in chosen
    assert ids["gb"] in chosen
    assert ids["de"] not in chosen


def test_location_words() -> None:
    assert location_view({"ip": None}) is None
    old = location_view({"ip": "91.1.2.3"})  # recorded before locations were kept
    assert old is not None
    assert (old.summary, old.title) == ("", "91.1.2.3")
    view = location_view(
        {
            "ip": "91.1.2.3",
            "location": {
                "country": "DE",
                "country_name": "Germany",
                "asn": 3320,
                "network": "Deutsche Telekom AG",
                "scope": "public",
            },
        }
    )
    assert view is not None
    assert view.summary == "Germany (DE) · Deutsche Telekom AG · AS3320"
    loopback = location_view({"ip": "::1", "location": {"scope": "loopback"}})
    assert loopback is not None
    assert loopback.summary == "Loopback address"
    unknown = location_view({"ip": "2a02::1", "location": {"scope": "public"}})
    assert unknown is not None
    assert unknown.summary == "Public address, country unknown"
