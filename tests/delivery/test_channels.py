"""What a channel may hold: every bad field named at once; how it is shown."""

from __future__ import annotations

import pytest

from activitylog.client import ActivityLog
from activitylog.delivery import Channels, channel_event
from activitylog.errors import ValidationError


def _fields(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {e.field: e.reason for e in exc.value.errors}


@pytest.mark.parametrize(
    ("kind", "target", "field", "reason"),
    [
        ("pager", "x", "kind", "must be one of email, webhook, slack"),
        ("email", "", "target", "must be a non-empty string"),
        ("email", "not-an-address", "target", "must be an email address"),
        ("email", "a@example.com\r\nBcc: x@evil.example", "target", "must be an email"),
        ("email", ",".join(f"u{i}@example.com" for i in range(11)), "target", "at most 10"),
        ("webhook", "ftp://example.com/x", "target", "must be an absolute https URL"),
        ("webhook", "http://hooks.example.com/x", "target", "must use https (http only to"),
        ("webhook", "https://user:pw@example.com/x", "target", "must not hold a user name"),
        ("webhook", "https://example.com/a b", "target", "must not contain spaces"),
        ("webhook", "https://example.com:99999/", "target", "is not a valid URL"),
        ("slack", "http://hooks.slack.com/services/x", "target", "must use https"),
        ("slack", "http://127.0.0.1/services/x", "target", "must use https"),
    ],
)
def test_a_bad_channel_names_the_field_and_the_reason(
    log: ActivityLog, kind: str, target: str, field: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        Channels(log.store.engine).add("acme", kind, target, by="operator", allow_private=True)
    assert reason in _fields(exc)[field]
    assert Channels(log.store.engine).list() == []


def test_every_bad_field_is_named_at_once(log: ActivityLog) -> None:
    with pytest.raises(ValidationError) as exc:
        Channels(log.store.engine).add(
            "", "email", "nobody", "urgent", by="operator", allow_private=True
        )
    assert set(_fields(exc)) == {"workspace", "target", "min_severity"}


def test_channels_are_listed_per_workspace_without_their_secrets(log: ActivityLog) -> None:
    channels = Channels(log.store.engine)
    hook = channels.add("acme", "webhook", "https://hooks.example.com/in", "high", by="u1")
    mail = channels.add("acme", "email", " Ops@Example.com ,sec@example.com", by="u1")
    channels.add("beta", "email", "b@example.com", by="u2")
    assert [c.id for c in channels.list("acme")] == [hook.id, mail.id]
    assert len(channels.list()) == 3
    assert mail.target == "ops@example.com, sec@example.com"
    assert mail.secret is None
    shown = hook.as_json()
    assert set(shown) == {
        "id",
        "workspace",
        "kind",
        "target",
        "min_severity",
        "created_at",
        "created_by",
    }
    assert hook.secret is not None
    assert hook.secret not in str(shown)
    assert channels.get(hook.id) == hook


def test_a_channel_takes_alerts_at_or_above_its_severity(log: ActivityLog) -> None:
    channel = Channels(log.store.engine).add(
        "acme", "email", "a@example.com", "high", by="u", allow_private=True
    )
    assert [channel.takes(s) for s in ("low", "medium", "high", "critical")] == [
        False,
        False,
        True,
        True,
    ]


def test_adding_and_removing_is_recorded_in_the_workspaces_log(log: ActivityLog) -> None:
    channels = Channels(log.store.engine)
    channel = channels.add("acme", "slack", "https://hooks.slack.com/services/T/B/tok", by="u")
    actor = {"id": "u", "type": "user"}
    entry = log.record(**channel_event(channel, "alert_channel.added"), actor=actor)
    assert log.get(entry["id"]) is not None
    assert entry["action"] == "alert_channel.added"
    assert entry["subject"] == {
        "type": "alert_channel",
        "id": channel.id,
        "name": "https://hooks.slack.com/services/T/B/…",
    }
    assert "tok" not in str(entry)
