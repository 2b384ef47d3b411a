"""The shape of a model change: snapshots, diffs, masking, JSON values."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from activitylog.capture.changes import MASK, FieldPolicy, diff, json_value, related_ids, snapshot


class Colour(enum.Enum):
    RED = "red"


def test_snapshot_keeps_masks_and_excludes() -> None:
    policy = FieldPolicy.of(exclude=["internal"], mask=["ssn"])
    values = {"name": "Jane", "password_hash": "x", "ssn": "123", "internal": 1, "api_token": None}
    assert snapshot(values, policy) == {
        "name": "Jane",
        "password_hash": MASK,
        "ssn": MASK,
        "api_token": None,
    }


def test_masking_defaults_can_be_turned_off() -> None:
    policy = FieldPolicy.of(mask_defaults=False)
    assert snapshot({"token": "t"}, policy) == {"token": "t"}


def test_diff_holds_only_changed_fields() -> None:
    policy = FieldPolicy.of(exclude=["updated_at"])
    before = {"name": "Jane", "email": "a@x.io", "age": 1, "updated_at": 1, "password": "a"}
    after = {"name": "Jane", "email": "b@x.io", "age": 1.0, "updated_at": 2, "password": "b"}
    assert diff(before, after, policy) == {
        "email": {"before": "a@x.io", "after": "b@x.io"},
        "password": {"before": MASK, "after": MASK},
    }


def test_diff_tells_empty_from_none_and_true_from_one() -> None:
    policy = FieldPolicy()
    assert diff({"a": "", "b": 1}, {"a": None, "b": True}, policy) == {
        "a": {"before": "", "after": None},
        "b": {"before": 1, "after": True},
    }


def test_json_values() -> None:
    moment = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    ident = uuid.UUID(int=5)
    assert json_value(moment) == "2026-11-22T09:30:00+00:00"
    assert json_value(date(2026, 1, 2)) == "2026-01-02"
    assert json_value(Decimal("1.50")) == "1.50"
    assert json_value(ident) == str(ident)
    assert json_value(Colour.RED) == "red"
    assert json_value(b"abc") == "abc"
    assert json_value(bytes(range(256))).startswith("<256 bytes:")
    assert json_value({"when": moment, "tags": {"b", "a"}}) == {
        "when": "2026-11-22T09:30:00+00:00",
        "tags": ["a", "b"],
    }


def test_related_ids_are_sorted() -> None:
    assert related_ids([3, 1, 2]) == [1, 2, 3]
    assert related_ids(["b", "a"]) == ["a", "b"]


def test_default_masking_matches_whole_words_of_the_name() -> None:
    policy = FieldPolicy()
    masked = ["password_hash", "stripeApiKey", "APIKey", "otp_codes", "OTPCode", "Passwords"]
    kept = ["footprint", "hotplate", "tokenizer", "keynote", "api"]
    assert [name for name in masked + kept if policy.masks(name)] == masked
