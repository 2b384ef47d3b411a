"""An entry's location (derived at ingest, kept in its body) and its ``country`` copy:
stored, filtered on, checked by verify and rebuilt by reindex (each engine)."""

from __future__ import annotations

from typing import Any

import pytest

from activitylog import ActivityLog, enrich
from activitylog.errors import ValidationError

from ._support import NOW, iso, sql

#: Addresses whose country the shipped data knows (and what it says of them).
GERMANY = "2003::1"  # Deutsche Telekom
BRITAIN = "81.2.69.142"  # Andrews & Arnold
PRIVATE = "192.168.1.20"


def record(log: ActivityLog, ip: str | None, n: int = 0) -> dict[str, Any]:
    event = {
        "workspace": "acme",
        "action": "contact.updated",
        "actor": {"id": "u_ava", "name": "Ava Thompson"},
        "occurred_at": iso(NOW),
        "ip": ip,
        "description": f"entry {n}",
    }
    return log.record(**event)


def row(log: ActivityLog, event_id: str) -> dict[str, Any]:
    return dict(
        sql(
            log,
            "SELECT e.rid, b.seq, e.country FROM events AS e JOIN entries AS b ON b.rid = e.rid"
            " WHERE b.id = :i",
            i=event_id,
        )[0]
    )


def test_ingest_keeps_the_location_in_the_body_and_the_country_beside_it(
    log: ActivityLog,
) -> None:
    german = record(log, GERMANY)
    private = record(log, PRIVATE, 1)
    none = record(log, None, 2)
    stored = log.get(german["id"])
    assert stored["location"] == {
        "country": "DE",
        "country_name": "Germany",
        "asn": None,
        "network": "Deutsche Telekom AG",
        "scope": "public",
    }
    assert german["location"] == stored["location"]  # what record() returns is what is kept
    german["location"]["country"] = "FR"  # the caller's copy: the next entry is not changed
    assert record(log, GERMANY, 3)["location"]["country"] == "DE"
    assert row(log, german["id"])["country"] == "DE"
    assert log.get(private["id"])["location"]["scope"] == "private"
    assert log.get(private["id"])["location"]["country"] is None
    assert row(log, private["id"])["country"] is None
    assert log.get(none["id"])["location"] is None
    assert row(log, none["id"])["country"] is None
    assert log.verify().ok


def test_the_countries_filter(log: ActivityLog) -> None:
    ids = {
        "de": record(log, GERMANY)["id"],
        "gb": record(log, BRITAIN, 1)["id"],
        "private": record(log, PRIVATE, 2)["id"],
        "none": record(log, None, 3)["id"],
    }
    since = "2026-03-01T00:00:00Z"

    def found(*countries: str) -> set[str]:
        page = log.query(workspace="acme", since=since, countries=countries, per_page=100)
        return {item["id"] for item in page.items}

    assert found("DE") == {ids["de"]}
    assert found("de", "GB") == {ids["de"], ids["gb"]}  # either case, values OR-ed
    assert found("FR") == set()
    assert len(found()) == 4
    counts = dict(log.counts(workspace="acme", since=since, by=("country",)))
    assert counts == {"DE": 1, "GB": 1, None: 2}
    with log.store.reusing_counts():  # the page's counting block answers it too
        assert dict(log.counts(workspace="acme", since=since, by=("country",))) == counts
        assert dict(log.counts(workspace="acme", since=since, countries="GB", by=("kind",))) == {
            "write": 1
        }


@pytest.mark.parametrize("code", ["XX", "Germany", "D", "1A", ""])
def test_an_unknown_or_malformed_country_is_refused_by_name(log: ActivityLog, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        log.query(workspace="acme", countries=(code,))
    assert [e.field for e in caught.value.errors] == ["countries"]


def test_verify_reports_a_changed_country_and_reindex_puts_it_back(log: ActivityLog) -> None:
    german = row(log, record(log, GERMANY)["id"])
    private = row(log, record(log, PRIVATE, 1)["id"])
    sql(log, "UPDATE events SET country = 'FR' WHERE rid = :r", r=german["rid"])
    sql(log, "UPDATE events SET country = 'US' WHERE rid = :r", r=private["rid"])
    assert list(log.store.derived_breaks("acme")) == [
        (german["seq"], "country differs from content"),
        (private["seq"], "country differs from content"),
    ]
    report = log.verify()
    assert not report.ok
    assert {(b.seq, b.detail) for w in report.workspaces for b in w.breaks} >= {
        (german["seq"], "country differs from content")
    }
    # the forged country is what the filter would have found
    page = log.query(workspace="acme", since="2026-03-01T00:00:00Z", countries="US")
    assert [item["seq"] for item in page.items] == [private["seq"]]
    assert log.store.reindex("acme") == 2
    in_order = "SELECT country FROM events AS e JOIN entries AS b ON b.rid = e.rid ORDER BY b.seq"
    assert sql(log, in_order) == [
        {"country": "DE"},
        {"country": None},
    ]
    assert log.verify().ok


def test_entries_recorded_before_locations_verify_and_read_without_one(
    log: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(enrich, "locate", lambda ip: None)  # as before this version
    old = record(log, GERMANY)
    monkeypatch.undo()
    new = record(log, GERMANY, 1)
    assert log.get(old["id"])["location"] is None
    assert row(log, old["id"])["country"] is None
    assert log.get(new["id"])["location"]["country"] == "DE"
    assert log.verify().ok
    assert log.store.reindex() == 0  # nothing re-derived from today's data
    assert row(log, old["id"])["country"] is None
    # a country written into an old entry's column is caught: its body names none
    sql(log, "UPDATE events SET country = 'DE' WHERE rid = :r", r=row(log, old["id"])["rid"])
    assert [seq for seq, _ in log.store.derived_breaks("acme")] == [row(log, old["id"])["seq"]]
