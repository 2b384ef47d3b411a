"""Enrichment: catalog info, device, canonical body, search text, microseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from activitylog.catalog import Catalog
from activitylog.enrich import EMPTY_EVENT, event_dict, prepare, search_text
from activitylog.errors import ValidationError
from activitylog.events import EVENT_FIELDS, canonical_json, to_micros, validate

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
#: 203.0.113.0/24 is for documentation: no country, labelled reserved.
RESERVED = {
    "country": None,
    "country_name": None,
    "asn": None,
    "network": None,
    "scope": "reserved",
}


def content(**fields: object) -> dict[str, object]:
    base = {
        "workspace": "acme",
        "action": "conversation.assigned",
        "occurred_at": NOW - timedelta(minutes=1),
        "actor": {"id": "u_ava", "name": "Ava Thompson"},
        "subject": {"type": "conversation", "id": "4821", "name": "#4821 Refund"},
        "ip": "203.0.113.9",
        "description": "Ava assigned #4821 to Ben",
    }
    return validate({**base, **fields}, now=NOW)


def test_prepare_adds_catalog_device_body_and_time() -> None:
    p = prepare(content(user_agent=CHROME))
    assert (p.info.category, p.info.verb, p.info.kind) == ("inbox", "assigned", "write")
    assert p.device == {"browser": "Chrome 120", "os": "Windows 10", "device_type": "desktop"}
    # the body hashes what a reader is shown: the content and its derived fields
    assert p.body == canonical_json(
        {
            **p.content,
            "category": "inbox",
            "verb": "assigned",
            "kind": "write",
            "label": p.info.label,
            "device": p.device,
            "location": RESERVED,
        }
    )
    assert p.location == RESERVED
    assert p.occurred_us == to_micros(p.content["occurred_at"])
    assert not p.fresh_id


def test_prepare_locates_the_ip_and_keeps_it_in_the_body() -> None:
    p = prepare(content(ip="2003::1"))
    germany = {
        "country": "DE",
        "country_name": "Germany",
        "asn": None,
        "network": "Deutsche Telekom AG",
        "scope": "public",
    }
    assert p.location == germany
    assert orjson.loads(p.body)["location"] == germany


def test_no_ip_no_location() -> None:
    p = prepare(content(ip=None))
    assert p.location is None
    assert b"location" not in p.body


def test_prepare_uses_the_given_catalog() -> None:
    catalog = Catalog().extend(labels={"conversation.assigned": "Handed over"})
    assert prepare(content(), catalog).info.label == "Handed over"


def test_search_text_holds_the_words_of_every_searched_field() -> None:
    c = content()
    prepared = prepare(c)
    text = search_text(c, prepared.info)
    assert prepared.search_text == text  # made when asked, from the same content
    for part in (
        "assigned conversation",
        "conversation assigned",
        "ava assigned 4821",
        "4821 refund",
        "ava thompson",
        "203 0 113 9",
    ):
        assert f" {part} " in f" {text} "
    assert text == " ".join(text.split())  # words and single spaces alone
    assert text == text.lower()


def test_to_micros_is_exact() -> None:
    assert to_micros("1970-01-01T00:00:00.000001Z") == 1
    assert to_micros("2026-11-22T12:00:00.999999Z") == 1_795_348_800_999_999


def test_event_dict_has_every_field_in_order() -> None:
    p = prepare(content())
    event = event_dict(
        p.content, seq=3, info=p.info, device=None, content_hash="a" * 64, chain_hash="b" * 64
    )
    assert list(event) == list(EVENT_FIELDS)
    assert event["seq"] == 3
    assert event["deleted_at"] is None
    assert dict.fromkeys(EVENT_FIELDS) == EMPTY_EVENT  # the template is never mutated


def test_a_sender_cannot_state_the_location() -> None:
    with pytest.raises(ValidationError) as caught:
        content(location={"country": "KP", "scope": "public"})
    assert [e.field for e in caught.value.errors] == ["location"]
