"""events: the fast path of validation accepts only what the schema accepts, normalised alike.

:func:`activitylog.events.validate` tries :func:`_fast_content` (msgspec and plain checks)
and asks the pydantic schema (:func:`_schema_content`) whenever that returns None. The
properties below compare the two on generated events, valid ones and mutated ones: the
fast path never accepts what the schema rejects, and what both accept has the same content,
to the order of keys and the type of every value.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activitylog import events
from activitylog.enrich import Prepared, prepare, prepare_batch
from activitylog.errors import BatchValidationError, ValidationError
from activitylog.events import (
    FUTURE_TOLERANCE,
    NAME_MAX,
    format_time,
    validate,
    validate_batch,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RECEIVED = format_time(NOW)
GIVEN_ID = "0190a5b2-7c3e-7a11-8b2c-1234567890ab"


class Label(str):
    """A str subclass (as a StrEnum member is): the schema turns it into a plain str."""


def shape(value: Any) -> Any:
    """``value`` with the order of every mapping's keys and the type of every leaf kept,
    so that ``==`` tells apart what dict equality does not."""
    if isinstance(value, dict):
        return [type(value).__name__, [(k, shape(v)) for k, v in value.items()]]
    if isinstance(value, list):
        return ["list", [shape(v) for v in value]]
    return [type(value).__name__, value]


def reference(raw: Any, reserved: bool = False) -> dict[str, Any]:
    return events._schema_content(raw, NOW, NOW, reserved)


def outcome(check: Any, raw: Any) -> tuple[str, Any]:
    """What ``check(raw)`` gives: the content (less a generated id), or the error."""
    try:
        content = check(raw)
    except ValidationError as exc:
        return "invalid", exc.errors
    except Exception as exc:  # the schema path raises some as they are (orjson's TypeError)
        return "raised", (type(exc), str(exc))
    given_id = isinstance(raw, dict) and raw.get("id") is not None
    if not given_id:
        content = {k: v for k, v in content.items() if k != "id"}
    return "valid", shape(content)


# -- what events are made of -----------------------------------------------------------

names = st.one_of(
    st.text(max_size=3),
    st.sampled_from(["Ava", "Zoë Ångström", "Renée 東京", "a\x00b", "\ud800", "", " "]),
    st.integers(NAME_MAX - 1, NAME_MAX + 1).map(lambda n: "x" * n),
)
odd_values = st.one_of(
    st.none(),
    st.integers(-2, 2),
    st.booleans(),
    st.floats(allow_nan=False, width=16),
    st.binary(max_size=3),
    st.just([]),
    st.just({}),
    st.just(Label("user")),
    st.just(Label("acme")),
)
parties = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "id": st.one_of(st.none(), names),
            "name": st.one_of(st.none(), names),
            "email": st.one_of(st.none(), names),
            "role": st.one_of(st.none(), names),
            "type": st.sampled_from(["user", "system", "api", "robot", None]),
            "extra": st.just("x"),
        },
    ),
    odd_values,
)
subjects = st.one_of(
    st.fixed_dictionaries(
        {"type": st.one_of(names, st.just("contact"))},
        optional={
            "id": st.one_of(st.none(), names),
            "name": st.one_of(st.none(), names),
            "url": st.one_of(st.none(), st.just("/c/1"), st.just("u" * 2001)),
            "extra": st.just(1),
        },
    ),
    st.fixed_dictionaries({"id": st.just("c_1")}),
    odd_values,
)
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**65), 2**65),
        st.floats(allow_nan=True),
        st.text(max_size=4),
        st.just("\x00"),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers(0, 3)), inner, max_size=3),
    ),
    max_leaves=8,
)
json_fields = st.one_of(
    json_values,
    json_values.map(lambda v: json.dumps(v) if not isinstance(v, str) else v),
    st.sampled_from(['{"a": 1}', "{not json", '{"n": 123456789012345678901}', b'{"b": [1]}']),
    st.just(64 * 1024).map(lambda size: {"big": "x" * size}),
    st.just(("a", "b")),
)
changes = st.one_of(
    st.dictionaries(
        st.sampled_from(["name", "status"]),
        st.one_of(
            st.fixed_dictionaries({}, optional={"before": json_values, "after": json_values}),
            st.just({"old": 1}),
            st.just(1),
        ),
        max_size=2,
    ),
    json_fields,
)


def timestamps() -> st.SearchStrategy[Any]:
    moments = st.datetimes(
        min_value=datetime(1969, 12, 31, 23, 59), max_value=datetime(2026, 3, 1, 12, 6)
    )
    zones = st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-23, minutes=-59))]
    )
    texts = st.builds(
        lambda m, z, spec, sep, end: m.replace(tzinfo=z).isoformat(sep=sep, timespec=spec) + end,
        moments,
        zones,
        st.sampled_from(["auto", "seconds", "milliseconds", "microseconds", "minutes"]),
        st.sampled_from(["T", " ", "t"]),
        st.sampled_from(["", "", "", "Z", "0"]),
    )
    edges = st.sampled_from(
        [
            format_time(NOW + FUTURE_TOLERANCE),
            format_time(NOW + FUTURE_TOLERANCE + timedelta(microseconds=1)),
            "1970-01-01T00:00:00.000000Z",
            "1969-12-31T23:59:59.999999Z",
            "2026-02-30T00:00:00Z",
            "2026-03-01T12:00:60Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01T12:00:00+24:00",
            "2026-03-01T12:00:00.1234567Z",
            "2026-03-01T12:00:00,5Z",
            "2026-03-01T12:00:00z",
            "2026-03-01T12:00:00",
            "2026-03-01T12:00:00+0000",
            "20260301T120000Z",
            "2026-03-01",
            "1700000000",
            "٢٠٢٦-03-01T12:00:00Z",
        ]
    )
    return st.one_of(
        texts,
        edges,
        moments,  # naive: read as UTC
        st.builds(lambda m, z: m.replace(tzinfo=z), moments, zones),
        st.integers(0, 1_800_000_000),
        st.none(),
    )


ids = st.one_of(
    st.just(GIVEN_ID),
    st.just(GIVEN_ID.upper()),
    st.just("{" + GIVEN_ID + "}"),
    st.just(GIVEN_ID.replace("-", "")),
    st.just("urn:uuid:" + GIVEN_ID),
    st.sampled_from(["nope", "", "1234"]),
    st.none(),
)
ips = st.one_of(
    st.sampled_from(
        ["203.0.113.9", "2001:DB8::1", "2001:db8:0:0:0:0:0:1", "::ffff:192.0.2.1", "fe80::1%eth0"]
    ),
    st.sampled_from(["999.1.1.1", "", "1.2.3", "x" * 65, " 192.0.2.1"]),
    st.ip_addresses().map(str),
)
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "id": ids,
    "workspace": st.one_of(names, st.just("acme"), st.just("line\nbreak")),
    "layer": st.sampled_from(["workspace", "platform", "Workspace", None]),
    "occurred_at": timestamps(),
    "actor": parties,
    "impersonator": parties,
    "action": st.one_of(
        st.sampled_from(
            ["contact.updated", "auth.signed_in", "a.b.c", "activity_log.deleted", "Bad", "a.b\n"]
        ),
        names,
    ),
    "subject": subjects,
    "related": st.one_of(st.lists(subjects, max_size=3), st.tuples(subjects), odd_values),
    "result": st.sampled_from(["success", "warning", "failure", "maybe", None]),
    "ip": ips,
    "user_agent": st.one_of(names, st.just("u" * 1001)),
    "description": st.one_of(names, st.just("d" * 2001)),
    "changes": changes,
    "snapshot": json_fields,
    "details": json_fields,
    "request_id": names,
    "session_id": names,
    "batch_id": names,
}
BASE = {"workspace": "acme", "action": "contact.updated"}

#: Events as the API and the SDK send them: valid.
plausible = st.fixed_dictionaries(
    {"workspace": st.just("acme"), "action": st.just("contact.updated")},
    optional={
        "id": st.just(GIVEN_ID),
        "occurred_at": st.sampled_from(
            ["2026-03-01T11:00:00.123456+00:00", "2026-03-01T11:00:00Z", NOW - timedelta(hours=1)]
        ),
        "actor": st.fixed_dictionaries({"id": st.just("u_1")}, optional={"name": st.text()}),
        "subject": st.fixed_dictionaries(
            {"type": st.just("contact")}, optional={"name": st.text()}
        ),
        "related": st.lists(st.fixed_dictionaries({"type": st.just("note")}), max_size=2),
        "ip": st.ip_addresses().map(str),
        "user_agent": st.just("Mozilla/5.0"),
        "description": st.text(),
        "details": st.dictionaries(st.text(max_size=3), st.integers() | st.text(), max_size=3),
        "request_id": st.text(max_size=NAME_MAX),
    },
)


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A plausible event with a few of its fields replaced, removed, or added unknown."""
    raw = dict(draw(plausible))
    for _ in range(draw(st.sampled_from([1, 1, 2, 3]))):
        field = draw(st.sampled_from([*FIELDS, "unknown"]))
        action = draw(st.sampled_from(["set", "set", "set", "delete"]))
        if action == "delete":
            raw.pop(field, None)
        elif field == "unknown":
            raw[draw(st.sampled_from(["unknown", "Workspace", 1]))] = "x"
        else:
            raw[field] = draw(FIELDS[field])
    return raw


#: Values at the edges of what is valid, one field at a time.
EDGES: dict[str, list[Any]] = {
    "id": [GIVEN_ID, GIVEN_ID.upper(), GIVEN_ID.replace("-", ""), None],
    "workspace": ["a", "x" * NAME_MAX, "Zoë", "tab\there"],
    "layer": ["workspace", "platform"],
    "occurred_at": [
        format_time(NOW + FUTURE_TOLERANCE),
        "1970-01-01T00:00:00Z",
        "1970-01-01T05:30:00+05:30",
        "2026-03-01T17:30:00.5+05:30",
        "2026-03-01T12:00:00.123-00:00",
        "2026-03-01T12:00:00.000001+00:00",
        datetime(2026, 3, 1, 11, 0),
        NOW - timedelta(days=1),
        None,
    ],
    "actor": [{}, {"id": None}, {"type": "api"}, {"id": None, "name": "Ava"}, None],
    "impersonator": [{}, {"role": None}, {"name": "N" * NAME_MAX, "type": "user"}, None],
    "action": ["a.b", "a_1.b_2.c", "x" * (NAME_MAX - 2) + ".y"],
    "subject": [{"type": "t"}, {"type": "t", "id": None, "url": "u" * 2000}, None],
    "related": [[], [{"type": "n"}] * 100, [{"type": "n", "name": None}], None],
    "result": ["success", "warning", "failure"],
    "ip": ["192.0.2.1", "2001:DB8:0::1", "::ffff:192.0.2.1", None],
    "user_agent": ["", "u" * 1000, None],
    "description": ["", "d" * 2000, None],
    "changes": [{}, {"a": {"before": 1}}, '{"a": {"after": [2]}}', None],
    "snapshot": [{}, "{}", {1: "a", "b": (1, 2)}, b'{"x": 1}', None],
    "details": [{"big": "x" * (64 * 1024 - 10)}, {"big": "x" * (64 * 1024 - 9)}, {"n": 2**64 - 1}],
    "request_id": ["", "r" * NAME_MAX, None],
    "session_id": ["", None],
    "batch_id": ["b", None],
}


@st.composite
def edged(draw: st.DrawFn) -> Any:
    """A plausible event with one field at an edge of what is valid, or just beyond."""
    raw = dict(draw(plausible))
    field = draw(st.sampled_from(sorted(EDGES)))
    raw[field] = draw(st.one_of(st.sampled_from(EDGES[field]), FIELDS[field]))
    return raw


ANYTHING = st.one_of(
    plausible,
    edged(),
    mutated(),
    st.fixed_dictionaries({}, optional=FIELDS),
    st.builds(lambda extra: {**BASE, **extra}, st.fixed_dictionaries({}, optional=FIELDS)),
    st.just([("workspace", "acme")]),
)


@st.composite
def anything(draw: st.DrawFn) -> Any:
    """Any of the above (a composite, so that a list of them has a short repr)."""
    return draw(ANYTHING)


# -- the properties ----------------------------------------------------------------------

FULL = {
    **BASE,
    "occurred_at": "2026-03-01T11:00:00.123456+00:00",
    "actor": {"id": "u_1", "name": "Ava"},
    "subject": {"type": "contact", "id": "c_1"},
    "ip": "192.0.2.1",
    "user_agent": "Mozilla/5.0",
    "details": {"k": "v"},
}
#: Edges the schema path alone takes (the fast path is unsure of them): a control
#: character in the workspace, details one byte over 64 KiB.
SCHEMA_ONLY = [("workspace", "tab\there"), ("details", {"big": "x" * (64 * 1024 - 9)})]


@pytest.mark.parametrize(
    ("field", "value"),
    [(field, value) for field, values in EDGES.items() for value in values],
    ids=lambda v: repr(v)[:30],
)
def test_edges_alike(field: str, value: Any) -> None:
    raw = {**FULL, field: value}
    fast = events._fast_content(raw, NOW, RECEIVED, False)
    expected = outcome(reference, raw)
    assert (fast is None) == ((field, value) in SCHEMA_ONLY)
    if fast is not None:
        assert outcome(lambda r: fast, raw) == expected
    assert outcome(lambda r: validate(r, now=NOW), raw) == expected


@settings(max_examples=800, deadline=None)
@given(anything())
def test_the_fast_path_accepts_only_what_the_schema_accepts_alike(raw: Any) -> None:
    fast = events._fast_content(raw, NOW, RECEIVED, False)
    expected = outcome(reference, raw)
    if fast is not None:
        assert outcome(lambda r: fast, raw) == expected
    assert outcome(lambda r: validate(r, now=NOW), raw) == expected


@settings(max_examples=200, deadline=None)
@given(mutated(), st.booleans())
def test_reserved_actions_alike(raw: Any, reserved: bool) -> None:
    raw["action"] = "activity_log.deleted"
    expected = outcome(lambda r: reference(r, reserved), raw)
    fast = events._fast_content(raw, NOW, RECEIVED, reserved)
    if fast is not None:
        assert outcome(lambda r: fast, raw) == expected
    assert outcome(lambda r: validate(r, now=NOW, reserved=reserved), raw) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(anything(), min_size=1, max_size=6))
def test_batches_alike(raws: list[Any]) -> None:
    """A batch validates each event at now + its index in µs, on both paths."""
    failed = None
    try:
        contents = validate_batch(raws, now=NOW)
    except BatchValidationError as exc:
        failed = exc
        contents = None
    expected = []
    for index, raw in enumerate(raws):
        moment = NOW + timedelta(microseconds=index)
        expected.append(outcome(lambda r, m=moment: events._schema_content(r, m, NOW, False), raw))
    if failed is not None:
        bad = {i for i, (kind, _) in enumerate(expected) if kind != "valid"}
        assert set(failed.by_index) == bad
        for i in bad:
            assert failed.by_index[i] == expected[i][1]
    else:
        assert contents is not None
        got = [outcome(lambda r, c=c: c, raw) for c, raw in zip(contents, raws, strict=True)]
        assert got == expected


def test_more_related_than_the_schema_allows_take_the_schema_path() -> None:
    raw = {**BASE, "related": [{"type": "note"}] * 101}
    assert events._fast_content(raw, NOW, RECEIVED, False) is None
    with pytest.raises(ValidationError) as info:
        validate(raw, now=NOW)
    assert [e.field for e in info.value.errors] == ["related"]


def test_str_subclasses_become_str_as_the_schema_makes_them() -> None:
    raw = {**BASE, "workspace": Label("acme"), "actor": {"name": Label("Ava")}}
    assert events._fast_content(raw, NOW, RECEIVED, False) is None
    content = validate(raw, now=NOW)
    assert type(content["workspace"]) is str
    assert type(content["actor"]["name"]) is str


def test_seed_events_take_the_fast_path() -> None:
    """The events the demo and the benchmarks send are all vouched for without the schema:
    the fast path is what keeps validation cheap, so losing them to the schema path fails."""
    from activitylog.demo.seed import generate_events

    raws = orjson.loads(orjson.dumps(list(generate_events(300, seed=11))))
    now = datetime(2030, 1, 1, tzinfo=UTC)
    for raw in raws:
        fast = events._fast_content(raw, now, format_time(now), False)
        assert fast is not None, raw
        expected = events._schema_content(raw, now, now, False)
        assert shape({**fast, "id": None}) == shape({**expected, "id": None})


def _made(prepared: Prepared, raw: Any) -> tuple[Any, ...]:
    """What :func:`prepare_batch` made of an event, comparable across paths: the body and
    the content fields (less a generated id) with their types, and the rest as it is."""
    given_id = isinstance(raw, dict) and raw.get("id") is not None
    body = orjson.loads(prepared.body)
    content = {name: prepared.content.get(name) for name in events.CONTENT_FIELDS}
    if not given_id:
        body["id"] = content["id"] = None
    return (
        shape(body),
        shape(content),
        prepared.occurred_us,
        prepared.info,
        prepared.device,
        prepared.location,
        prepared.fresh_id,
        prepared.stated_time,
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(anything(), min_size=1, max_size=4))
def test_prepared_batches_alike(raws: list[Any]) -> None:
    """:func:`prepare_batch` encodes what the fast path vouches for from its struct: the
    same bodies, to the byte, and contents as the schema's content and :func:`prepare`."""
    failed: BatchValidationError | None = None
    try:
        made = prepare_batch(raws, now=NOW)
    except BatchValidationError as exc:
        failed = exc
    if failed is not None:
        with pytest.raises(BatchValidationError) as reference_error:
            validate_batch(raws, now=NOW)
        assert reference_error.value.by_index == failed.by_index
        return
    expected = []
    for index, raw in enumerate(raws):
        content = events._schema_content(raw, NOW + timedelta(microseconds=index), NOW, False)
        expected.append(
            prepare(
                content,
                fresh_id=raw.get("id") is None,
                stated_time=raw.get("occurred_at") is not None,
            )
        )
    got = [_made(p, raw) for p, raw in zip(made, raws, strict=True)]
    assert got == [_made(p, raw) for p, raw in zip(expected, raws, strict=True)]
    for p, e in zip(made, expected, strict=True):  # the body, to the byte (ids aside)
        if p.content["id"] == e.content["id"]:
            assert p.body == e.body


def test_seed_events_are_prepared_from_their_struct(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seed events all take the struct's path in :func:`prepare_batch` too."""
    from activitylog.demo.seed import generate_events

    raws = orjson.loads(orjson.dumps(list(generate_events(300, seed=11))))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the schema path was taken")

    monkeypatch.setattr(events, "_schema_content", refuse)
    made = prepare_batch(raws, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert [orjson.loads(p.body)["action"] for p in made] == [raw["action"] for raw in raws]


def test_the_logs_own_fields_are_refused_as_the_schema_refuses_them() -> None:
    for field, value in [("category", "x"), ("device", {"os": "x"}), ("received_at", RECEIVED)]:
        raw = {**BASE, field: value}
        assert events.fast_event(raw, NOW, RECEIVED, False) is None
        with pytest.raises(BatchValidationError) as info:
            prepare_batch([raw], now=NOW)
        assert [e.field for e in info.value.errors] == [f"[0].{field}"]
