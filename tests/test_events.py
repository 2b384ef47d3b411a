"""events: validation rules, normalisation and the canonical JSON form."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from activitylog.errors import BatchValidationError, ValidationError
from activitylog.events import (
    CONTENT_FIELDS,
    INT_MAX,
    INT_MIN,
    OUT_OF_RANGE,
    SYSTEM_ACTOR,
    canonical_json,
    format_time,
    normal_id,
    parse_json,
    parse_time,
    validate,
    validate_batch,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GIVEN_ID = "0190a5b2-7c3e-7a11-8b2c-1234567890ab"


def ok(**fields: Any) -> dict[str, Any]:
    return validate({"workspace": "acme", "action": "contact.updated", **fields}, now=NOW)


def bad(raw: dict[str, Any]) -> dict[str, str]:
    """field -> reason of every error ``validate`` raises for ``raw``."""
    with pytest.raises(ValidationError) as info:
        validate(raw, now=NOW)
    return {e.field: e.reason for e in info.value.errors}


def bad_fields(**fields: Any) -> dict[str, str]:
    return bad({"workspace": "acme", "action": "contact.updated", **fields})


def test_defaults() -> None:
    content = ok()
    assert set(content) == set(CONTENT_FIELDS)
    assert (content["layer"], content["result"]) == ("workspace", "success")
    assert content["occurred_at"] == content["received_at"] == "2026-03-01T12:00:00.000000Z"
    # Absent actor: System (a copy, never the shared constant).
    assert content["actor"] == {"id": "system", "name": "System", "type": "system"}
    assert content["actor"] is not SYSTEM_ACTOR
    # Absent id: a new UUIDv7 each time.
    assert uuid.UUID(content["id"]).version == 7
    assert str(uuid.UUID(content["id"])) == content["id"]
    assert ok()["id"] != content["id"]
    with pytest.raises(ValidationError) as info:
        validate([("workspace", "acme")], now=NOW)  # type: ignore[arg-type]
    assert info.value.errors[0].field == "event"


@pytest.mark.parametrize("missing", ["workspace", "action"])
def test_required_fields(missing: str) -> None:
    raw = {"workspace": "acme", "action": "contact.updated"}
    del raw[missing]
    assert bad(raw) == {missing: "is required"}
    assert set(bad_fields(workspace="")) == {"workspace"}


@pytest.mark.parametrize(
    "action",
    ["contact", "Contact.updated", "contact.Updated", "contact..updated", ".contact.updated",
     "contact.updated.", "1contact.updated", "contact.1updated", "contact-x.updated",
     "contact.updated\n", " contact.updated", "contact updated", ""],
)  # fmt: skip
def test_action_pattern(action: str) -> None:
    assert set(bad_fields(action=action)) == {"action"}
    for good in ("contact.updated", "api_key.created", "a.b.c", "x1.y_2"):
        assert ok(action=good)["action"] == good


@pytest.mark.parametrize(
    ("field", "good", "wrong"),
    [("result", ["success", "warning", "failure"], "o"), ("layer", ["workspace", "platform"], "x")],
)  # fmt: skip
def test_enum_fields(field: str, good: list[str], wrong: str) -> None:
    assert [ok(**{field: value})[field] for value in good] == good
    errors = bad_fields(**{field: wrong})
    assert set(errors) == {field}
    assert errors[field].startswith("must be one of")


@pytest.mark.parametrize(
    ("ip", "expected"),
    [("203.0.113.9", "203.0.113.9"), ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
     ("FE80:0:0:0:0:0:0:1", "fe80::1"), ("300.1.1.1", None), ("not-an-ip", None),
     ("1.2.3", None), ("2001:db8:::1", None), ("", None)],
)  # fmt: skip
def test_ip(ip: str, expected: str | None) -> None:
    if expected is None:
        assert set(bad_fields(ip=ip)) == {"ip"}
    else:
        assert ok(ip=ip)["ip"] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ((NOW + timedelta(minutes=4)).isoformat(), "2026-03-01T12:04:00.000000Z"),
        ((NOW + timedelta(minutes=5)).isoformat(), "2026-03-01T12:05:00.000000Z"),
        ("2026-03-01T17:30:00+05:30", "2026-03-01T12:00:00.000000Z"),
        ("2026-03-01T11:00:00", "2026-03-01T11:00:00.000000Z"),  # naive means UTC
        ("2026-02-01T00:00:00.123456Z", "2026-02-01T00:00:00.123456Z"),
        ((NOW + timedelta(minutes=5, seconds=1)).isoformat(), None),
        ((NOW + timedelta(days=1)).isoformat(), None),
        ("yesterday", None), ("2026-13-01T00:00:00Z", None), ("1969-12-31T23:59:59Z", None),
    ],
)  # fmt: skip
def test_occurred_at(value: str, expected: str | None) -> None:
    if expected is None:
        assert set(bad_fields(occurred_at=value)) == {"occurred_at"}
    else:
        content = ok(occurred_at=value)
        assert (content["occurred_at"], content["received_at"]) == (expected, format_time(NOW))
    later = (NOW + timedelta(minutes=6)).isoformat()
    assert bad_fields(occurred_at=later) == {"occurred_at": "is more than 5 minutes in the future"}


NUL = "contains a NUL byte"


@pytest.mark.parametrize(
    ("fields", "path", "reason"),
    [
        ({"description": "a\x00b"}, "description", NUL),
        ({"workspace": "ac\x00me"}, "workspace", NUL),
        ({"actor": {"id": "u1", "name": "A\x00"}}, "actor.name", NUL),
        ({"details": {"a": {"b": ["x", "y\x00"]}}}, "details.a.b[1]", NUL),
        ({"details": '{"a": "\\u0000"}'}, "details.a", NUL),  # escaped inside a JSON string
        ({"related": [{"type": "contact", "name": "\x00"}]}, "related[0].name", NUL),
        ({"details": {"a\x00b": 1}}, "details.a\x00b", f"key {NUL}"),
    ],
)
def test_nul_bytes_named_by_path(fields: dict[str, Any], path: str, reason: str) -> None:
    assert bad_fields(**fields) == {path: reason}


@pytest.mark.parametrize(
    ("fields", "paths"),
    [
        ({"details": {"n": 2**64}}, ["details.n"]),
        ({"details": {"n": INT_MIN - 1}}, ["details.n"]),
        ({"changes": {"total": {"before": 1, "after": 10**30}}}, ["changes.total.after"]),
        ({"snapshot": {"r": [1, {"id": -(10**25)}, 2**70]}}, ["snapshot.r[1].id", "snapshot.r[2]"]),
        ({"details": '{"a": {"b": [123456789012345678901234567890]}}'}, ["details.a.b[0]"]),
        ({"details": {"n": 2**64}, "snapshot": {"m": -(2**64)}}, ["snapshot.m", "details.n"]),
    ],
)  # fmt: skip
def test_integers_beyond_64_bits_are_named_by_path(
    fields: dict[str, Any], paths: list[str]
) -> None:
    assert bad_fields(**fields) == dict.fromkeys(paths, OUT_OF_RANGE)


def test_integers_within_64_bits_are_kept_exact() -> None:
    edges = {"min": INT_MIN, "max": INT_MAX, "i64": 2**63 - 1, "big": 2**63, "float": 1e300}
    assert ok(details=edges)["details"] == edges
    as_text = json.dumps(edges)
    assert ok(details=as_text)["details"] == edges
    assert b'"max":18446744073709551615' in canonical_json(ok(details=as_text))


@pytest.mark.parametrize(
    "text",
    [
        b'{"n": 18446744073709551616}',
        b'{"n": -9223372036854775809, "s": "x"}',
        '{"a": [1, 123456789012345678901234567890]}',
        memoryview(b"[99999999999999999999]"),
    ],
)
def test_parse_json_keeps_big_integers_exact(text: bytes | str | memoryview) -> None:
    value = parse_json(text)
    expected = json.loads(bytes(text) if isinstance(text, memoryview) else text)
    assert value == expected
    assert not any(isinstance(v, float) for v in _leaves(value))


def test_parse_json_takes_the_fast_path_without_long_digit_runs() -> None:
    assert parse_json(b'{"n": 9223372036854775807, "f": 1.5}') == {
        "n": 9223372036854775807,
        "f": 1.5,
    }
    assert parse_json(b'{"long": "1234567890123456789012345", "f": 0.5}')["f"] == 0.5
    for bad_text in (b"{", b'{"n": NaN}', b'"\\ud800"', b"[12345678901234567890, NaN]"):
        with pytest.raises(orjson.JSONDecodeError):
            parse_json(bad_text)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


@pytest.mark.parametrize(
    "spelling",
    [
        GIVEN_ID.upper(),
        GIVEN_ID.replace("-", ""),
        "{" + GIVEN_ID.upper() + "}",
        "urn:uuid:" + GIVEN_ID,
        GIVEN_ID,
    ],
)
def test_ids_are_normalised_as_on_write(spelling: str) -> None:
    assert normal_id(spelling) == GIVEN_ID
    assert ok(id=spelling)["id"] == GIVEN_ID


def test_text_that_is_no_uuid_is_left_alone() -> None:
    assert normal_id("missing") == "missing"
    assert normal_id("") == ""


def test_nul_reported_alongside_schema_errors() -> None:
    errors = bad_fields(result="nope", details={"a": "\x00"})
    assert set(errors) == {"result", "details.a"}


@pytest.mark.parametrize(
    ("fields", "field", "limit"),
    [
        ({"actor": {"name": "x" * 201}}, "actor.name", "200"),
        ({"subject": {"type": "contact", "name": "x" * 201}}, "subject.name", "200"),
        ({"workspace": "w" * 201}, "workspace", "200"),
        ({"description": "x" * 2001}, "description", "2,000"),
    ],
)
def test_string_limits(fields: dict[str, Any], field: str, limit: str) -> None:
    assert bad_fields(**fields) == {field: f"is longer than {limit} characters"}
    content = ok(actor={"id": "u", "name": "x" * 200}, description="d" * 2000)  # at the limits
    assert (len(content["actor"]["name"]), len(content["description"])) == (200, 2000)


@pytest.mark.parametrize("field", ["details", "changes", "snapshot"])
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("not json", "is not valid JSON"), (b"{", "is not valid JSON"),
        ("[1, 2]", "must be a JSON object"), ([1, 2], "must be a JSON object"),
        ({1, 2}, "must be a JSON object"), ({"a": {1, 2}}, "is not JSON-serialisable"),
        ({"a": object()}, "is not JSON-serialisable"),
        ({"a": "x" * (64 * 1024)}, "the limit is 64 KiB"),
    ],
)  # fmt: skip
def test_json_fields_rejected(field: str, value: Any, reason: str) -> None:
    errors = bad_fields(**{field: value})
    assert set(errors) == {field}
    assert reason in errors[field]


@pytest.mark.parametrize("field", ["details", "snapshot"])
def test_json_field_accepted(field: str) -> None:
    assert ok(**{field: '{"plan": "pro", "seats": 3}'})[field] == {"plan": "pro", "seats": 3}
    assert ok(**{field: {"plan": "pro"}})[field] == {"plan": "pro"}
    at_limit = {"a": "x" * (64 * 1024 - 8)}  # '{"a":"' + 65528 + '"}' == 65536 bytes
    assert ok(**{field: at_limit})[field] == at_limit


def test_changes_values_must_be_before_after() -> None:
    changes = {"name": {"before": "a", "after": "b"}, "plain": 3, "empty": {}, "extra": {"x": 1}}
    errors = bad_fields(changes=changes)
    assert set(errors) == {"changes.plain", "changes.empty", "changes.extra"}


@pytest.mark.parametrize("change", [{"before": None, "after": 1}, {"after": 1}, {"before": 1}])
def test_changes_accepted(change: dict[str, Any]) -> None:
    assert ok(changes={"seats": change})["changes"] == {"seats": change}


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"colour": "red"}, "colour"), ({"actor": {"id": "u", "nickname": "x"}}, "actor.nickname"),
     ({"received_at": "2026-03-01T12:00:00Z"}, "received_at")],
)  # fmt: skip
def test_unknown_fields_rejected(fields: dict[str, Any], field: str) -> None:
    assert bad_fields(**fields) == {field: "is not a known field"}


def test_actor_kept_without_nulls() -> None:
    actor = ok(actor={"id": "u1", "name": "Ava", "email": None})["actor"]
    assert actor == {"id": "u1", "name": "Ava", "type": "user"}


@pytest.mark.parametrize(
    ("given", "valid"),
    [(GIVEN_ID, True), (GIVEN_ID.upper(), True), ("{" + GIVEN_ID + "}", True),
     (GIVEN_ID.replace("-", ""), True), ("nope", False), ("", False), ("1234", False),
     (GIVEN_ID + "0", False)],
)  # fmt: skip
def test_given_id_kept_normalised_or_rejected(given: str, valid: bool) -> None:
    if valid:
        assert ok(id=given)["id"] == GIVEN_ID
    else:
        assert bad_fields(id=given) == {"id": "must be a UUID"}


def test_validate_batch_reports_bad_indexes() -> None:
    good = {"workspace": "acme", "action": "contact.updated"}
    raws = [good, {**good, "action": "Nope"}, good, {"action": "a.b"}, good]
    with pytest.raises(BatchValidationError) as info:
        validate_batch(raws, now=NOW)
    err = info.value
    assert set(err.by_index) == {1, 3}
    assert [e.field for e in err.by_index[1]] == ["action"]
    assert [(e.field, e.reason) for e in err.by_index[3]] == [("workspace", "is required")]
    assert {e.field for e in err.errors} == {"[1].action", "[3].workspace"}
    assert err.status == 422


def test_validate_batch_all_valid_share_received_at() -> None:
    out = validate_batch([{"workspace": "a", "action": "x.y"}] * 3, now=NOW)
    assert {c["received_at"] for c in out} == {"2026-03-01T12:00:00.000000Z"}
    assert len({c["id"] for c in out}) == len(out) == 3


GOLDEN_CONTENT: dict[str, Any] = {
    "id": GIVEN_ID, "workspace": "acme", "layer": "workspace",
    "occurred_at": "2026-03-01T12:00:00.000000Z", "received_at": "2026-03-01T12:00:01.500000Z",
    "actor": {"type": "user", "name": "Zoë Ångström", "id": "u_1"}, "impersonator": None,
    "action": "contact.updated", "subject": {"type": "contact", "name": "Renée 東京", "id": "c_9"},
    "related": [], "result": "success", "ip": "2001:db8::1", "description": None,
    "changes": {"name": {"before": "Rene", "after": "Renée"}}, "snapshot": {},
    "details": {"z": 1, "a": {"y": [3, 2, 1], "b": True}},
}  # fmt: skip
GOLDEN_JSON = (
    '{"action":"contact.updated","actor":{"id":"u_1","name":"Zoë Ångström","type":"user"},'
    '"changes":{"name":{"after":"Renée","before":"Rene"}},"details":{"a":{"b":true,"y":[3,2,1]},'
    '"z":1},"id":"0190a5b2-7c3e-7a11-8b2c-1234567890ab","ip":"2001:db8::1","layer":"workspace",'
    '"occurred_at":"2026-03-01T12:00:00.000000Z","received_at":"2026-03-01T12:00:01.500000Z",'
    '"result":"success","subject":{"id":"c_9","name":"Renée 東京","type":"contact"},'
    '"workspace":"acme"}'
)
GOLDEN_SHA256 = "06a53597058aa9dac8cbe7f6ebf74a2e87b1858b109aa8c5e9a094333d58ae56"


def test_canonical_json_golden_vector() -> None:
    body = canonical_json(GOLDEN_CONTENT)
    assert body == GOLDEN_JSON.encode("utf-8")
    assert hashlib.sha256(body).hexdigest() == GOLDEN_SHA256
    assert b"Zo\xc3\xab" in body  # raw UTF-8, not \u escapes
    assert b"\\u" not in body
    # Independent encoder: keys sorted at every level, no whitespace, UTF-8.
    stdlib = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert stdlib.encode("utf-8") == body
    for omitted in (b'"impersonator"', b'"related"', b'"description"', b'"snapshot"'):
        assert omitted not in body


def test_canonical_json_key_order_and_what_is_omitted() -> None:
    # Only top-level null/[]/{} are left out: nested values are the caller's data.
    body = canonical_json({"b": 0, "a": False, "c": "", "d": {"x": None}, "e": None})
    assert body == b'{"a":false,"b":0,"c":"","d":{"x":null}}'
    reversed_golden = {k: GOLDEN_CONTENT[k] for k in reversed(list(GOLDEN_CONTENT))}
    assert canonical_json(reversed_golden) == GOLDEN_JSON.encode()
    content = ok(id=GIVEN_ID, actor={"id": "u1", "name": "Ava"}, details={"k": "v"})
    assert canonical_json(content) == canonical_json(dict(reversed(list(content.items()))))
    assert b'"actor":{"id":"u1","name":"Ava","type":"user"}' in canonical_json(content)


@pytest.mark.parametrize(
    "text", ["2026-03-01T12:00:00.000000Z", "2026-03-01T17:30:00+05:30", "2026-03-01T12:00:00"]
)
def test_parse_time_inverse_of_format_time(text: str) -> None:
    parsed = parse_time(text)
    assert parsed == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert format_time(parsed) == "2026-03-01T12:00:00.000000Z"


def test_microsecond_conversions_round_trip() -> None:
    from activitylog.events import format_micros, micros, to_micros

    stamp = "2026-11-22T12:00:00.999999Z"
    assert format_micros(to_micros(stamp)) == stamp
    assert micros(datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC)) == 1


def test_one_pass_names_every_invalid_field_even_when_the_schema_rejects_some() -> None:
    raw = {
        "action": "Bad Action!",
        "id": "not-a-uuid",
        "ip": "999.1.1.1",
        "changes": {"status": 1},
        "details": "{not json",
        "result": "maybe",  # the schema rejects this one, and the missing workspace
    }
    with pytest.raises(ValidationError) as caught:
        validate(raw)
    fields = {e.field for e in caught.value.errors}
    assert fields == {"workspace", "result", "id", "action", "ip", "changes.status", "details"}
